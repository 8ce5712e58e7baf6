package account

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"orderdesk/auth"
	_ "orderdesk/ent/runtime"
	"orderdesk/fault"
	"orderdesk/store/storetest"
)

// TestRefreshGrace: a client that lost the answer to its refresh presents
// the spent token again within the grace window and gets the same new
// refresh token (and a working access token); after the window, or once
// that new token has itself been spent, the second use is theft and ends
// the session. With no window every second use is theft.
func TestRefreshGrace(t *testing.T) {
	db := storetest.New(t)
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", auth.MinSecretLen)), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	s := New(db.Client, tokens, auth.NewPasswords(bcrypt.MinCost))
	now := time.Now().UTC()
	s.now = func() time.Time { return now }
	ctx := auth.NewContext(context.Background(), auth.System("test"))
	u, err := s.CreateUser(ctx, NewUserRequest{Email: "rep@test.local", Name: "Rep", Password: "test-password-1", Role: string(auth.SalesRep)})
	if err != nil {
		t.Fatal(err)
	}
	login := func() *Session {
		t.Helper()
		sess, err := s.Login(ctx, u.Email, "test-password-1", "127.0.0.1")
		if err != nil {
			t.Fatal(err)
		}
		return sess
	}
	refresh := func(token string) *Session {
		t.Helper()
		sess, err := s.Refresh(ctx, token)
		if err != nil {
			t.Fatalf("refresh: %v", err)
		}
		return sess
	}
	refused := func(what, token string) {
		t.Helper()
		if _, err := s.Refresh(ctx, token); fault.CodeOf(err) != fault.InvalidToken {
			t.Fatalf("%s: %v, want INVALID_TOKEN", what, err)
		}
	}
	works := func(sess *Session) bool {
		t.Helper()
		_, _, err := s.Viewer(ctx, sess.AccessToken)
		s.viewers.forget(auth.Subject{UserID: u.ID, Session: mustSubject(t, tokens, sess.AccessToken).Session})
		return err == nil
	}

	first := login()
	second := refresh(first.RefreshToken)
	now = now.Add(s.grace / 2)
	retried := refresh(first.RefreshToken)
	if retried.RefreshToken != second.RefreshToken || retried.RefreshExpiresAt != second.RefreshExpiresAt || !works(retried) {
		t.Fatalf("the retry within the window got %+v, want the session %+v", retried, second)
	}
	third := refresh(second.RefreshToken) // the client goes on
	refused("the first token once its successor is spent", first.RefreshToken)
	refused("the session after that", third.RefreshToken)

	first = login()
	second = refresh(first.RefreshToken)
	now = now.Add(s.grace + time.Second)
	refused("the spent token after the window", first.RefreshToken)
	refused("its successor, revoked with the session", second.RefreshToken)

	s.SetRefreshGrace(0)
	first = login()
	second = refresh(first.RefreshToken)
	refused("a second use with no window", first.RefreshToken)
	refused("the session after that", second.RefreshToken)
}

func mustSubject(t *testing.T, tokens *auth.Tokens, access string) auth.Subject {
	t.Helper()
	sub, _, err := tokens.Verify(access)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}
