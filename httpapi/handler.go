// Package httpapi serves the GraphQL API over HTTP: the endpoint with its
// protections, subscriptions over websockets, the GraphiQL page (served
// from the binary), and the health checks.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/graph"
	"orderdesk/graph/generated"
	"orderdesk/graph/guard"
	"orderdesk/graph/sdl"
	"orderdesk/notify"
	"orderdesk/telemetry"
)

// Config wires the handler.
type Config struct {
	Log      *slog.Logger
	Auth     Authenticator
	Resolver *graph.Resolver
	Ready    func(context.Context) error // the database check of /readyz
	// Draining, when set and true, fails /readyz: the server is shutting
	// down and load balancers should send no new requests.
	Draining     func() bool
	Limits       guard.Limits
	MaxBodyBytes int64 // default 1 MiB; also the largest websocket message
	TokenLimit   int   // parser token limit, default 10,000
	// Broker delivers committed changes to subscriptions; every request's
	// context carries it (notify.WithBroker).
	Broker *notify.Broker
	// WebsocketInitTimeout closes a websocket that has not sent its
	// connection_init (with a valid token) in time; default 5 s.
	WebsocketInitTimeout time.Duration
	// WebsocketKeepAlive is the interval of keep-alive messages and pings
	// on websockets; default 20 s.
	WebsocketKeepAlive time.Duration
	Edge
	Telemetry
}

// Telemetry are what operators watch the server by.
type Telemetry struct {
	// Observer counts and times requests (telemetry.Metrics); nil = none.
	Observer RequestObserver
	// Metrics is served on /metrics to callers bearing MetricsToken;
	// without both, /metrics is not mounted. The token also opens Go's
	// profiles under /debug/pprof/.
	Metrics      http.Handler
	MetricsToken string
	// Tracing spans requests, GraphQL operations and resolvers; nil = off.
	Tracing *telemetry.Tracing
}

// Edge are the settings that protect the server from its callers.
type Edge struct {
	// TrustedProxies may tell the client's address in X-Forwarded-For.
	TrustedProxies Proxies
	// MaxInFlight bounds the requests served at once; past it they are
	// refused with 503 and Retry-After. 0 = no bound.
	MaxInFlight int
	// MaxExecuting bounds the admitted requests that execute at once; the
	// others wait their turn within their budget (paced). 0 = no bound.
	MaxExecuting int
	// RequestTimeout is each request's time budget; 0 = none.
	RequestTimeout time.Duration
	// Origins are the browser origins (other than the API's own) that may
	// call the API (CORS) and open websockets, e.g. https://crm.example.com;
	// patterns as path.Match. Requests without an Origin (not from a
	// browser) pass.
	Origins []string
	// OpenIntrospection lets anonymous callers introspect the schema;
	// signed-in callers always may.
	OpenIntrospection bool
	// Documents are the trusted documents clients may run by hash, and
	// who may still send others; nil = none, and anyone may.
	Documents *TrustedDocuments
}

// New returns the HTTP handler of the whole API.
func New(c Config) http.Handler {
	if c.MaxBodyBytes == 0 {
		c.MaxBodyBytes = 1 << 20
	}
	if c.TokenLimit == 0 {
		c.TokenLimit = 10_000
	}
	if c.WebsocketInitTimeout == 0 {
		c.WebsocketInitTimeout = DefaultWebsocketInitTimeout
	}
	if c.WebsocketKeepAlive == 0 {
		c.WebsocketKeepAlive = DefaultWebsocketKeepAlive
	}
	// Two executors of one schema: anonymous callers get no "did you mean"
	// suggestions, so the schema cannot be mapped by guessing.
	docs := newPersisted(c.Documents)
	signedIn := newServer(c, docs, false)
	anonymous := newServer(c, docs, true)
	signedIn.Use(noSubscriptionsOverPOST{})
	anonymous.Use(noSubscriptionsOverPOST{})
	signedIn.AddTransport(unsupported{}) // last: what no other transport takes
	anonymous.AddTransport(unsupported{})
	// Subscriptions: websockets authenticate in their connection_init, not
	// by header, so they have their own executor (see newLiveServer).
	live := newLiveServer(c, docs)
	gql := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// What the request commits is also delivered to live subscribers.
		r = r.WithContext(notify.WithBroker(r.Context(), c.Broker))
		if isWebsocket(r) {
			live.ServeHTTP(w, r)
			return
		}
		if isEventStream(r) {
			ctx, cancel := untilTokenExpires(r.Context())
			defer cancel()
			r = r.WithContext(ctx)
		}
		if auth.FromContext(r.Context()) == nil {
			anonymous.ServeHTTP(w, r)
			return
		}
		signedIn.ServeHTTP(w, r)
	})

	mux := http.NewServeMux()
	mux.Handle("/graphql", shed(c.MaxInFlight, budgeted(c.RequestTimeout, paced(c.MaxExecuting,
		limited(c.MaxBodyBytes, authenticated(c.Log, c.Auth, c.TrustedProxies, gql))))))
	// The schema as one SDL file, for client generators (graph/sdl).
	schema := sdl.Print()
	mux.HandleFunc("GET /graphql/schema.graphql", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write(schema)
	})
	page, assets := graphiql("/graphql")
	mux.Handle("GET /{$}", page)
	mux.Handle("GET "+graphiqlPrefix, assets)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		err := c.Ready(ctx)
		if err == nil && c.Draining != nil && c.Draining() {
			err = errors.New("shutting down")
		}
		if err != nil {
			c.Log.WarnContext(ctx, "not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"unavailable"}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok"}`))
	})
	if c.Resolver != nil {
		// Printable invoices and credit notes (documents.go).
		mux.Handle("GET /documents/{id}", shed(c.MaxInFlight, budgeted(c.RequestTimeout,
			authenticated(c.Log, c.Auth, c.TrustedProxies, documents(c.Log, c.Resolver.Client)))))
	}
	if c.Resolver != nil && c.Resolver.Orders != nil && c.Resolver.Orders.Confirmations != nil {
		// The customer's confirmation page (confirm.go): no sign-in, the
		// token in the address is the credential.
		page := shed(c.MaxInFlight, budgeted(c.RequestTimeout, limited(16<<10,
			confirmPage(c.Log, c.Resolver.Orders, c.TrustedProxies))))
		mux.Handle("GET /confirm/{token}", page)
		mux.Handle("POST /confirm/{token}", page)
	}
	if c.Metrics != nil && c.MetricsToken != "" {
		mux.Handle("GET /metrics", bearerOnly(c.MetricsToken, c.Metrics))
	}
	if c.MetricsToken != "" {
		mountProfiles(mux, c.MetricsToken)
	}
	return traced(c.Tracing, logged(c.Log, c.Observer, crossOrigin(c.Origins, compressed(mux))))
}

func newServer(c Config, docs *persisted, anonymous bool) *handler.Server {
	srv := handler.New(generated.NewExecutableSchema(generated.Config{Resolvers: c.Resolver}))
	// POST, and GET for queries (get refuses mutations with 405, so no
	// link can change anything); multipart is not needed, and no array
	// batching is accepted. A body that does not decode is refused
	// without being echoed (see post).
	srv.AddTransport(transport.Options{AllowedMethods: []string{http.MethodOptions, http.MethodGet, http.MethodPost}})
	srv.AddTransport(get{})
	srv.AddTransport(sse{transport.SSE{KeepAlivePingInterval: c.WebsocketKeepAlive}}) // before post: both take JSON POSTs
	srv.AddTransport(post{})
	srv.Use(docs)
	srv.SetParserTokenLimit(c.TokenLimit)
	srv.SetDisableSuggestion(anonymous)
	if !anonymous || c.OpenIntrospection {
		srv.Use(extension.Introspection{})
	} else {
		srv.Use(closedIntrospection{})
	}
	// Signed-in clients send the same documents again and again; the cache
	// is the guard's, which gives connections their default page size as a
	// document enters it. Sign-in and refresh are rare and open to anyone:
	// they are parsed each time.
	if !anonymous {
		srv.SetQueryCache(guard.NewQueryCache(c.Limits))
	}
	srv.Use(&guard.Extension{Limits: c.Limits})
	if c.Tracing != nil {
		srv.Use(c.Tracing.GraphQL())
	}
	srv.Use(noteFacts{})
	srv.SetErrorPresenter(presenter(c.Log))
	srv.SetRecoverFunc(func(ctx context.Context, p any) error {
		c.Log.ErrorContext(ctx, "resolver panic", "panic", clip.Message(fmt.Sprint(p), clipValue, clipLog))
		return panicError{}
	})
	return srv
}

type panicError struct{}

func (panicError) Error() string { return "resolver panicked" }
