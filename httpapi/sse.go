package httpapi

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// sse serves GraphQL over server-sent events, graphql-sse's "distinct
// connections" mode: a POST accepting text/event-stream gets each result
// as an event "next" and then "complete" — a subscription's events as they
// are committed, for as long as the client stays and its access token
// lasts. It is gqlgen's SSE transport behind post's body check, so that a
// body that does not decode is refused without being echoed.
type sse struct{ transport.SSE }

func (t sse) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, ok := readRequest(w, r, exec)
	if !ok {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	t.SSE.Do(w, r, exec)
}

// isEventStream reports whether r asks for server-sent events: a stream
// that lives as long as its subscription, like a websocket.
func isEventStream(r *http.Request) bool {
	return r.Method == http.MethodPost && strings.Contains(r.Header.Get("Accept"), "text/event-stream")
}

// isLive reports whether r may stay open for as long as its subscription
// (a websocket or an event stream): no request budget, no slot of
// MaxInFlight, no compression.
func isLive(r *http.Request) bool { return isWebsocket(r) || isEventStream(r) }

type tokenExpiryKey struct{}

// withTokenExpiry keeps when the request's access token expires.
func withTokenExpiry(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, tokenExpiryKey{}, t)
}

// untilTokenExpires ends ctx when the request's access token expires, as
// a websocket is closed then: the client reconnects with a fresh token.
func untilTokenExpires(ctx context.Context) (context.Context, context.CancelFunc) {
	if t, ok := ctx.Value(tokenExpiryKey{}).(time.Time); ok && !t.IsZero() {
		return context.WithDeadline(ctx, t)
	}
	return context.WithCancel(ctx)
}
