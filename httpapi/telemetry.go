package httpapi

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/http/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"go.opentelemetry.io/otel/trace"

	"orderdesk/auth"
	"orderdesk/telemetry"
)

// RequestObserver counts and times requests (telemetry.Metrics is one):
// Started when a request arrives, giving the context to serve it with, and
// Finished once it has been answered. Websocket connections are neither:
// they live for hours and are not requests to time.
type RequestObserver interface {
	Started(ctx context.Context) context.Context
	Finished(r telemetry.Request)
}

// maxCodes bounds the error codes a request's log line lists.
const maxCodes = 8

// requestFacts is what the layers inside logged learn of a request for its
// log line and metrics: the GraphQL operation, the viewer and the error
// codes of the response. The viewer is only known inside authenticated,
// and the rest inside the executor, so logged puts an empty one in the
// context and the noteFacts extension fills it in. The operations of one
// websocket connection share it, hence the lock.
type requestFacts struct {
	mu        sync.Mutex
	operation string
	userID    int
	codes     []string
}

type factsKey struct{}

func withFacts(ctx context.Context, f *requestFacts) context.Context {
	return context.WithValue(ctx, factsKey{}, f)
}

func factsFrom(ctx context.Context) *requestFacts {
	f, _ := ctx.Value(factsKey{}).(*requestFacts)
	return f
}

// note records a GraphQL response: the first operation of the request, its
// viewer, and the distinct codes of its errors in order.
func (f *requestFacts) note(ctx context.Context, resp *graphql.Response) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.operation == "" {
		f.operation = telemetry.OperationName(ctx)
	}
	if v := auth.FromContext(ctx); v != nil && !v.IsSystem() {
		f.userID = v.UserID
	}
	if resp == nil {
		return
	}
	for _, e := range resp.Errors {
		if c := telemetry.ErrorCode(e); len(f.codes) < maxCodes && !slices.Contains(f.codes, c) {
			f.codes = append(f.codes, c)
		}
	}
}

func (f *requestFacts) snapshot() (operation string, userID int, codes []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.operation, f.userID, slices.Clone(f.codes)
}

// logFields are the facts for the request's log line. Variables and the
// document are never logged: they carry customers' data.
func (f *requestFacts) logFields(ctx context.Context) []any {
	var fields []any
	operation, userID, codes := f.snapshot()
	if operation != "" {
		fields = append(fields, "operation", operation)
	}
	if userID != 0 {
		fields = append(fields, "user_id", userID)
	}
	if len(codes) > 0 {
		fields = append(fields, "error_codes", codes)
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		fields = append(fields, "trace_id", sc.TraceID().String(), "span_id", sc.SpanID().String())
	}
	return fields
}

// graphqlRoute is the path of the GraphQL endpoint.
const graphqlRoute = "/graphql"

// metric is what the request metrics count of an answered request:
// GraphQL requests by operation and outcome ("ok" or the first error
// code; the HTTP status when refused before GraphQL ran), the others by
// route and status.
func (f *requestFacts) metric(route string, status int, elapsed time.Duration) telemetry.Request {
	if status == 0 {
		status = http.StatusOK // nothing written: net/http answers 200
	}
	r := telemetry.Request{Route: route, Outcome: strconv.Itoa(status), Elapsed: elapsed}
	if route != graphqlRoute {
		return r
	}
	operation, _, codes := f.snapshot()
	r.Operation = operation
	if r.Operation == "" {
		r.Operation = telemetry.Unknown
	}
	switch {
	case len(codes) > 0:
		r.Outcome = codes[0]
	case status < http.StatusBadRequest:
		r.Outcome = "ok"
	}
	return r
}

// routeOf is the path of the mux pattern that served r ("/healthz" for
// "GET /healthz"), or "unmatched"; the mux sets r.Pattern as it routes.
func routeOf(r *http.Request) string {
	if r.Pattern == "" {
		return "unmatched"
	}
	if _, path, ok := strings.Cut(r.Pattern, " "); ok {
		return path
	}
	return r.Pattern
}

// noteFacts is the gqlgen extension that fills the request's facts from
// each response. Every response passes through it, also the error response
// of a document that did not parse or validate.
type noteFacts struct{}

var _ graphql.ResponseInterceptor = noteFacts{}

func (noteFacts) ExtensionName() string                   { return "RequestFacts" }
func (noteFacts) Validate(graphql.ExecutableSchema) error { return nil }

func (noteFacts) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if f := factsFrom(ctx); f != nil {
		f.note(ctx, resp)
	}
	return resp
}

// bearerOnly serves next only to requests bearing token. /metrics is
// protected by a token rather than by listening on a separate address: a
// token keeps it closed whatever the network in front (a published port,
// a proxy forwarding every path), and Prometheus sends one natively
// (authorization.credentials_file).
func bearerOnly(token string, next http.Handler) http.Handler {
	want := []byte("Bearer " + token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), want) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// mountProfiles serves Go's runtime profiles (net/http/pprof: CPU, heap,
// allocations, goroutines, mutex and block) to the holder of the metrics
// token, so that a slow production server can be profiled where it runs.
func mountProfiles(mux *http.ServeMux, token string) {
	mux.Handle("GET /debug/pprof/", bearerOnly(token, http.HandlerFunc(pprof.Index)))
	mux.Handle("GET /debug/pprof/profile", bearerOnly(token, http.HandlerFunc(pprof.Profile)))
	mux.Handle("GET /debug/pprof/trace", bearerOnly(token, http.HandlerFunc(pprof.Trace)))
	mux.Handle("GET /debug/pprof/symbol", bearerOnly(token, http.HandlerFunc(pprof.Symbol)))
}

// traced spans each request when tracing is on; off, it adds nothing.
func traced(t *telemetry.Tracing, next http.Handler) http.Handler {
	if t == nil {
		return next
	}
	return t.Handler(next)
}
