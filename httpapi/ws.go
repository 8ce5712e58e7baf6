package httpapi

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"time"

	coderws "github.com/coder/websocket"

	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/transport"

	"orderdesk/auth"
	"orderdesk/notify"
)

// Websocket defaults.
const (
	DefaultWebsocketInitTimeout = 5 * time.Second
	DefaultWebsocketKeepAlive   = 20 * time.Second
)

// closeForbidden is the graphql-transport-ws close code for a refused
// connection_init.
const closeForbidden = 4403

// closeTryAgainLater (RFC 6455's 1013) closes a connection the server could
// not authenticate for now.
const closeTryAgainLater = 1013

// isWebsocket reports whether r asks to upgrade to a websocket.
func isWebsocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// newLiveServer is the executor of subscriptions: GraphQL over websockets
// (graphql-transport-ws and the older graphql-ws protocol), on /graphql.
//
// A browser may connect from the API's own origin or one of Config.Origins;
// clients that send no Origin (apps, servers) always may. The API never
// authenticates by cookie, so a foreign page could not act as the user
// anyway (the connection stays unauthenticated until its connection_init
// carries an access token), but refusing foreign origins keeps strangers'
// pages from holding sockets open. A connection that does not
// authenticate within the init timeout is closed.
func newLiveServer(c Config, docs *persisted) *handler.Server {
	srv := newServer(c, docs, false)
	readLimit := c.MaxBodyBytes
	a := wsAuth{auth: c.Auth, broker: c.Broker, now: time.Now}
	srv.AddTransport(transport.Websocket{
		Implementation: transport.CoderWebsocketImplementation{
			// The API's own origin and the configured ones; see above.
			AcceptOptions: coderws.AcceptOptions{OriginPatterns: c.Origins},
		},
		InitFunc:    a.init,
		InitTimeout: c.WebsocketInitTimeout,
		CloseFunc:   func(ctx context.Context, _ int) { endConnection(ctx) },
		// graphql-ws: "ka" messages; graphql-transport-ws: ping, and a peer
		// that does not answer with pong within two intervals is dropped,
		// so half-open connections do not hold subscriptions forever.
		KeepAlivePingInterval: c.WebsocketKeepAlive,
		PingPongInterval:      c.WebsocketKeepAlive,
		PayloadReadLimit:      &readLimit,
	})
	srv.AddTransport(unsupported{})
	return srv
}

// wsAuth authenticates websocket connections from their init payload.
type wsAuth struct {
	auth   Authenticator
	broker *notify.Broker
	now    func() time.Time
}

var (
	errNoToken      = errors.New("sign in first: send the access token in the connection_init payload (authorization: Bearer …)")
	errBadToken     = errors.New("invalid or expired access token")
	errTokenExpired = errors.New("access token expired")
)

// init verifies the access token of the connection_init payload and gives
// the connection its viewer. An error makes gqlgen refuse the connection
// (close code 4403). The connection's context ends when the token expires,
// which closes the connection: the client reconnects with a fresh token.
func (a wsAuth) init(ctx context.Context, p transport.InitPayload) (context.Context, *transport.InitPayload, error) {
	refuse := func(err error) (context.Context, *transport.InitPayload, error) {
		// gqlgen reads the close code and reason from the returned context,
		// so it must not be nil.
		ctx := transport.WithWebsocketCloseCode(ctx, closeForbidden)
		return transport.AppendCloseReason(ctx, "Forbidden"), nil, err
	}
	token := initToken(p)
	if token == "" {
		return refuse(errNoToken)
	}
	v, expires, err := a.auth.Viewer(ctx, token)
	if err != nil && !errors.Is(err, auth.ErrNotSignedIn) {
		// The database does not answer: "try again later", not "forbidden",
		// so the client keeps its session and reconnects.
		ctx := transport.WithWebsocketCloseCode(ctx, closeTryAgainLater)
		return transport.AppendCloseReason(ctx, "Try Again Later"), nil, err
	}
	if err != nil {
		return refuse(errBadToken)
	}
	if !expires.IsZero() && !expires.After(a.now()) {
		return refuse(errBadToken)
	}
	ctx = notify.WithBroker(auth.NewContext(ctx, v), a.broker)
	return withExpiry(ctx, expires), nil, nil
}

// initToken is the access token of a connection_init payload:
// "authorization" (or "Authorization") as "Bearer <token>", or "token".
func initToken(p transport.InitPayload) string {
	if h := strings.TrimSpace(p.Authorization()); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:])
		}
		return ""
	}
	return strings.TrimSpace(p.GetString("token"))
}

type endKey struct{}

// withExpiry returns ctx ending when the token expires (zero: never). Its
// cancel function rides in the context so that the close hook releases the
// timer as soon as the connection ends.
func withExpiry(ctx context.Context, expires time.Time) context.Context {
	if expires.IsZero() {
		return ctx
	}
	ctx, cancel := context.WithDeadlineCause(ctx, expires, errTokenExpired)
	return context.WithValue(ctx, endKey{}, cancel)
}

// endConnection releases the expiry timer of a closed connection.
func endConnection(ctx context.Context) {
	if cancel, ok := ctx.Value(endKey{}).(context.CancelFunc); ok {
		cancel()
	}
}

// Hijack lets websocket upgrades through the logging middleware: the
// connection is handed over and the log line records status 101 and the
// connection's duration.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return http.NewResponseController(w.ResponseWriter).Hijack()
}
