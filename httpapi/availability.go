package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// codeUnavailable is the extensions.code of a request the server could not
// serve for now: the database does not answer, or too many requests are in
// flight. The client should retry after Retry-After seconds.
const codeUnavailable = "SERVICE_UNAVAILABLE"

// RetryAfter is what an unavailable answer asks the client to wait.
const RetryAfter = 2 * time.Second

// unavailable answers 503 with Retry-After and a GraphQL error body.
func unavailable(w http.ResponseWriter, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Retry-After", strconv.Itoa(int(RetryAfter.Seconds())))
	w.WriteHeader(http.StatusServiceUnavailable)
	_, _ = w.Write([]byte(`{"errors":[{"message":` + strconv.Quote(message) +
		`,"extensions":{"code":"` + codeUnavailable + `"}}]}`))
}

// shed bounds the requests in flight: past max, a request is refused at
// once with 503 rather than queued behind the others, so that a burst costs
// its excess a retry instead of everyone a timeout. Websockets are not
// counted: they are long-lived and idle most of the time.
func shed(max int, next http.Handler) http.Handler {
	return slots(max, false, "the server is busy; try again shortly", next)
}

// paced lets at most max of the requests shed admitted execute at once;
// the others wait their turn (within their time budget). Executing is
// CPU work on the server's few cores: more at once finish no sooner, but
// each holds its rows and answer in memory meanwhile, so the heap, the
// collector's work and the tail grow with the crowd. Websockets and event
// streams are not paced.
func paced(max int, next http.Handler) http.Handler {
	return slots(max, true, "the server is busy and the request's time ran out waiting; try again shortly", next)
}

// slots serves at most max requests at once (max ≤ 0: no bound), long-lived
// ones aside. A request finding none free waits for one until its context
// ends when wait is set, and is refused at once otherwise, with busy.
func slots(max int, wait bool, busy string, next http.Handler) http.Handler {
	if max <= 0 {
		return next
	}
	free := make(chan struct{}, max)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isLive(r) {
			next.ServeHTTP(w, r)
			return
		}
		select {
		case free <- struct{}{}:
		default:
			if !wait {
				unavailable(w, busy)
				return
			}
			select {
			case free <- struct{}{}:
			case <-r.Context().Done():
				unavailable(w, busy)
				return
			}
		}
		defer func() { <-free }()
		next.ServeHTTP(w, r)
	})
}

// budgeted gives each request a time budget: its context, and with it every
// database call, ends after d, and the response must be written by then
// (plus a margin to write the error). Websockets live longer and are left
// alone.
func budgeted(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isLive(r) {
			next.ServeHTTP(w, r)
			return
		}
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(d + 5*time.Second))
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// noSubscriptionsOverPOST refuses a subscription sent as a plain request:
// it would hold the connection waiting for events that the transport can
// never send.
type noSubscriptionsOverPOST struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = noSubscriptionsOverPOST{}

func (noSubscriptionsOverPOST) ExtensionName() string                   { return "NoSubscriptionsOverPOST" }
func (noSubscriptionsOverPOST) Validate(graphql.ExecutableSchema) error { return nil }

func (noSubscriptionsOverPOST) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if rc.Operation == nil || rc.Operation.Operation != ast.Subscription ||
		strings.Contains(rc.Headers.Get("Accept"), "text/event-stream") {
		return nil
	}
	err := gqlerror.Errorf("subscriptions are served over websockets (graphql-transport-ws or graphql-ws at /graphql) or server-sent events (POST with Accept: text/event-stream)")
	err.Extensions = map[string]any{"code": "BAD_REQUEST"}
	return err
}

// closedIntrospection refuses, as UNAUTHENTICATED, an anonymous request
// that reads the schema where introspection is open to signed-in callers
// only: gqlgen would answer an internal error, and a client such as
// GraphiQL could not tell its user to sign in.
type closedIntrospection struct{}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = closedIntrospection{}

func (closedIntrospection) ExtensionName() string                   { return "ClosedIntrospection" }
func (closedIntrospection) Validate(graphql.ExecutableSchema) error { return nil }

func (closedIntrospection) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if !rc.DisableIntrospection || rc.Operation == nil || !readsSchema(rc.Operation.SelectionSet) {
		return nil
	}
	err := gqlerror.Errorf("sign in to read the schema: send an access token or API key (Authorization: Bearer …)")
	err.Extensions = map[string]any{"code": "UNAUTHENTICATED"}
	return err
}

// readsSchema says whether a root selection asks for __schema or __type.
func readsSchema(set ast.SelectionSet) bool {
	for _, s := range set {
		switch s := s.(type) {
		case *ast.Field:
			if s.Name == "__schema" || s.Name == "__type" {
				return true
			}
		case *ast.InlineFragment:
			if readsSchema(s.SelectionSet) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition != nil && readsSchema(s.Definition.SelectionSet) {
				return true
			}
		}
	}
	return false
}
