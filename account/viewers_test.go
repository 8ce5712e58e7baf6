package account

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"orderdesk/auth"
	_ "orderdesk/ent/runtime"
	"orderdesk/store/storetest"
)

// TestViewerCache: two servers of one database each reuse a signed-in
// account's viewer for a few seconds; a deactivation takes effect at once
// on the server that made it and within ViewerTTL on the other.
func TestViewerCache(t *testing.T) {
	db := storetest.New(t)
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", auth.MinSecretLen)), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	a := New(db.Client, tokens, auth.NewPasswords(bcrypt.MinCost))
	b := New(db.Client, tokens, auth.NewPasswords(bcrypt.MinCost))
	now := time.Now().UTC()
	b.now = func() time.Time { return now }
	ctx := auth.NewContext(context.Background(), auth.System("test"))
	u, err := a.CreateUser(ctx, NewUserRequest{Email: "rep@test.local", Name: "Rep", Password: "test-password-1", Role: string(auth.SalesRep)})
	if err != nil {
		t.Fatal(err)
	}
	s, err := a.Login(ctx, u.Email, "test-password-1", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	for name, svc := range map[string]*Service{"a": a, "b": b} {
		if _, _, err := svc.Viewer(ctx, s.AccessToken); err != nil {
			t.Fatalf("server %s: %v", name, err)
		}
	}
	inactive := false
	if _, err := a.UpdateUser(ctx, UpdateUserRequest{ID: u.ID, Active: &inactive}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := a.Viewer(ctx, s.AccessToken); err == nil {
		t.Error("the server that deactivated the account still lets it in")
	}
	if _, _, err := b.Viewer(ctx, s.AccessToken); err != nil {
		t.Errorf("within the TTL the other server reuses the viewer, got %v", err)
	}
	now = now.Add(ViewerTTL + time.Second)
	if _, _, err := b.Viewer(ctx, s.AccessToken); err == nil {
		t.Error("after the TTL the other server still lets a deactivated account in")
	}
}
