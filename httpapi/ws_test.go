package httpapi

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"

	"orderdesk/auth"
	"orderdesk/notify"
)

func TestSubscriptionInitToken(t *testing.T) {
	for _, c := range []struct {
		payload transport.InitPayload
		want    string
	}{
		{transport.InitPayload{"authorization": "Bearer abc"}, "abc"},
		{transport.InitPayload{"Authorization": "bearer  abc "}, "abc"},
		{transport.InitPayload{"token": "abc"}, "abc"},
		{transport.InitPayload{"Authorization": "abc"}, ""},     // not a bearer token
		{transport.InitPayload{"Authorization": "Bearer "}, ""}, // empty
		{transport.InitPayload{"token": 42}, ""},
		{nil, ""},
	} {
		if got := initToken(c.payload); got != c.want {
			t.Errorf("initToken(%v) = %q, want %q", c.payload, got, c.want)
		}
	}
}

type fakeAuth struct {
	expires time.Time
	err     error
}

func (a fakeAuth) Viewer(context.Context, string) (*auth.Viewer, time.Time, error) {
	if a.err != nil {
		return nil, time.Time{}, a.err
	}
	return auth.NewUser(7, "rep@test.local", auth.SalesRep, nil), a.expires, nil
}

// The connection's context carries the viewer and the broker, and ends
// when the token expires; the close hook releases it early.
func TestSubscriptionInitExpiry(t *testing.T) {
	b := notify.NewBroker()
	now := time.Now()
	a := wsAuth{auth: fakeAuth{expires: now.Add(100 * time.Millisecond)}, broker: b, now: time.Now}
	ctx, _, err := a.init(context.Background(), transport.InitPayload{"token": "t"})
	if err != nil {
		t.Fatal(err)
	}
	if v := auth.FromContext(ctx); v == nil || v.UserID != 7 {
		t.Fatalf("viewer %+v", v)
	}
	if notify.BrokerFrom(ctx) != b {
		t.Fatal("no broker in the connection's context")
	}
	select {
	case <-ctx.Done():
		if !errors.Is(context.Cause(ctx), errTokenExpired) {
			t.Fatalf("cause %v", context.Cause(ctx))
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the context outlived the token")
	}

	a.auth = fakeAuth{expires: now.Add(time.Hour)}
	ctx, _, err = a.init(context.Background(), transport.InitPayload{"token": "t"})
	if err != nil {
		t.Fatal(err)
	}
	endConnection(ctx)
	if ctx.Err() == nil {
		t.Fatal("closing the connection did not end its context")
	}

	for name, a := range map[string]wsAuth{
		"invalid": {auth: fakeAuth{err: fmt.Errorf("%w: bad signature", auth.ErrNotSignedIn)}, now: time.Now},
		"expired": {auth: fakeAuth{expires: now.Add(-time.Second)}, now: time.Now},
	} {
		ctx, _, err := a.init(context.Background(), transport.InitPayload{"token": "t"})
		if !errors.Is(err, errBadToken) || ctx == nil || auth.FromContext(ctx) != nil {
			t.Errorf("%s token: err %v", name, err)
		}
	}
	// The database not answering is not a bad token: the client is told to
	// try again later, not that it is forbidden.
	down := wsAuth{auth: fakeAuth{err: errors.New("connection refused")}, now: time.Now}
	if _, _, err := down.init(context.Background(), transport.InitPayload{"token": "t"}); err == nil || errors.Is(err, errBadToken) {
		t.Errorf("database down: err %v, want a refusal that is not a bad token", err)
	}
	if _, _, err := a.init(context.Background(), transport.InitPayload{}); !errors.Is(err, errNoToken) {
		t.Errorf("no token: err %v", err)
	}
}
