package app_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"orderdesk/app/apptest"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/auditevent"
	"orderdesk/graph"
	"orderdesk/graph/guard"
	"orderdesk/httpapi"
)

// wsMessage is a message of graphql-transport-ws (or graphql-ws).
type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// wsClient is a minimal GraphQL-over-websocket client: it dials, sends
// connection_init, answers pings, and queues what the server sends.
type wsClient struct {
	conn     *websocket.Conn
	protocol string
	msgs     chan wsMessage
	done     chan struct{} // closed when the connection is closed
	err      error         // why reading stopped; set before done closes
}

const (
	transportWS = "graphql-transport-ws"
	legacyWS    = "graphql-ws"
)

// wsURL is the websocket address of the API at base (http://…).
func wsURL(base string) string { return "ws" + strings.TrimPrefix(base, "http") + "/graphql" }

// dialWS connects and sends connection_init with the payload (nil: none).
func dialWS(t *testing.T, url, protocol string, init map[string]any, header http.Header) *wsClient {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, res, err := websocket.Dial(ctx, url, &websocket.DialOptions{Subprotocols: []string{protocol}, HTTPHeader: header})
	if err != nil {
		t.Fatalf("dialing %s: %v", url, err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols || conn.Subprotocol() != protocol {
		t.Fatalf("handshake: status %d, subprotocol %q", res.StatusCode, conn.Subprotocol())
	}
	c := &wsClient{conn: conn, protocol: protocol, msgs: make(chan wsMessage, 100), done: make(chan struct{})}
	t.Cleanup(func() { _ = conn.CloseNow() })
	go c.read()
	if init != nil {
		c.send(t, wsMessage{Type: "connection_init", Payload: mustJSON(t, init)})
	}
	return c
}

func (c *wsClient) read() {
	defer close(c.done)
	defer close(c.msgs)
	for {
		var m wsMessage
		if err := wsjson.Read(context.Background(), c.conn, &m); err != nil {
			c.err = err
			return
		}
		switch m.Type {
		case "ping":
			_ = wsjson.Write(context.Background(), c.conn, wsMessage{Type: "pong"})
		case "ka", "pong":
		default:
			c.msgs <- m
		}
	}
}

func (c *wsClient) send(t *testing.T, m wsMessage) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := wsjson.Write(ctx, c.conn, m); err != nil {
		t.Fatalf("sending %s: %v", m.Type, err)
	}
}

// next is the next message, or fails the test after timeout.
func (c *wsClient) next(t *testing.T, timeout time.Duration) wsMessage {
	t.Helper()
	select {
	case m, ok := <-c.msgs:
		if !ok {
			t.Fatalf("connection closed: %v", c.err)
		}
		return m
	case <-time.After(timeout):
		t.Fatalf("no message within %s", timeout)
	}
	return wsMessage{}
}

// quiet fails the test if a message arrives within d.
func (c *wsClient) quiet(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case m, ok := <-c.msgs:
		if ok {
			t.Fatalf("unexpected message %s %s", m.Type, m.Payload)
		}
	case <-time.After(d):
	}
}

// closed waits until the server closes the connection and returns its
// close status (-1 when it closed without one).
func (c *wsClient) closed(t *testing.T, timeout time.Duration) websocket.StatusCode {
	t.Helper()
	deadline := time.After(timeout)
	for {
		select {
		case _, ok := <-c.msgs:
			if !ok {
				<-c.done
				return websocket.CloseStatus(c.err)
			}
		case <-deadline:
			t.Fatalf("connection still open after %s", timeout)
		}
	}
}

// ack waits for connection_ack.
func (c *wsClient) ack(t *testing.T) {
	t.Helper()
	if m := c.next(t, 5*time.Second); m.Type != "connection_ack" {
		t.Fatalf("want connection_ack, got %s %s", m.Type, m.Payload)
	}
}

// subscribe starts operation id.
func (c *wsClient) subscribe(t *testing.T, id, query string, vars apptest.Vars) {
	t.Helper()
	typ := "subscribe"
	if c.protocol == legacyWS {
		typ = "start"
	}
	c.send(t, wsMessage{ID: id, Type: typ, Payload: mustJSON(t, map[string]any{"query": query, "variables": vars})})
}

// data is the next result of a subscription, decoded into out.
func (c *wsClient) data(t *testing.T, id string, out any) {
	t.Helper()
	m := c.next(t, 5*time.Second)
	if (m.Type != "next" && m.Type != "data") || m.ID != id {
		t.Fatalf("want a result of %s, got %s %s %s", id, m.Type, m.ID, m.Payload)
	}
	var r struct {
		Data   json.RawMessage
		Errors []apptest.GQLError
	}
	if err := json.Unmarshal(m.Payload, &r); err != nil || len(r.Errors) > 0 {
		t.Fatalf("result %s: %v %+v", m.Payload, err, r.Errors)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatalf("decoding %s: %v", r.Data, err)
	}
}

// refused asserts operation id ends with an error of code.
func (c *wsClient) refused(t *testing.T, id, code string) {
	t.Helper()
	m := c.next(t, 5*time.Second)
	var errs []apptest.GQLError
	switch m.Type {
	case "error": // graphql-transport-ws: the payload is the error list
		if err := json.Unmarshal(m.Payload, &errs); err != nil {
			t.Fatalf("error payload %s: %v", m.Payload, err)
		}
	case "next", "data":
		var r struct{ Errors []apptest.GQLError }
		if err := json.Unmarshal(m.Payload, &r); err != nil {
			t.Fatal(err)
		}
		errs = r.Errors
	default:
		t.Fatalf("want an error for %s, got %s %s", id, m.Type, m.Payload)
	}
	if m.ID != id || len(errs) == 0 || errs[0].Code() != code {
		t.Fatalf("want %s for %s, got %s %s", code, id, m.ID, m.Payload)
	}
	if m.Type != "error" { // a result with errors, then the end of the operation
		if m := c.next(t, 5*time.Second); m.Type != "complete" || m.ID != id {
			t.Fatalf("want complete for %s, got %s %s", id, m.Type, m.Payload)
		}
	}
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// live connects as the user of role with graphql-transport-ws and waits for
// the server to accept the token.
func live(t *testing.T, env *apptest.Env, role string) *wsClient {
	t.Helper()
	token := env.As(t, role).Token
	c := dialWS(t, wsURL(env.URL), transportWS, map[string]any{"authorization": "Bearer " + token}, nil)
	c.ack(t)
	return c
}

// subscribers waits until the broker holds n live subscriptions, so that
// a change made next is certain to be delivered.
func subscribers(t *testing.T, env *apptest.Env, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for env.Broker.Subscribers() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d live subscriptions, want %d", env.Broker.Subscribers(), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// endLive waits, when the test ends, for the subscriptions of its
// connections to end before the database goes away. Call it before
// connecting: cleanups run last first.
func endLive(t *testing.T, env *apptest.Env) {
	t.Cleanup(func() { subscribers(t, env, 0) })
}

const eventFields = `id action subjectType orderId actorName`

type eventView struct {
	ID, Action, SubjectType, OrderID, ActorName string
}

// TestSubscription_OrderEvents: a real graphql-transport-ws client receives
// the timeline events of an order it may read, as they are committed and
// in their order; a rep subscribing to another rep's order is refused.
func TestSubscription_OrderEvents(t *testing.T) {
	w := newWorld(t)
	env := w.env
	o := w.createConfirmed(t, 1, 0)

	endLive(t, env)
	rep := live(t, env, "SALES_REP")
	rep2 := live(t, env, "REP2")
	manager := live(t, env, "SALES_MANAGER")
	// The subscription outlives the connection's first operation.
	sub := `subscription($id: ID!) { orderEvents(orderId: $id) { ` + eventFields + ` } }`
	rep.subscribe(t, "1", sub, apptest.Vars{"id": o.ID})
	manager.subscribe(t, "m", sub, apptest.Vars{"id": o.ID})
	rep2.subscribe(t, "1", sub, apptest.Vars{"id": o.ID})
	rep2.refused(t, "1", "NOT_FOUND")
	subscribers(t, env, 2)

	before := lastEventID(t, env)
	must(t, mutate(t, env.As(t, "FINANCE"), "recordPayment", `mutation($o: ID!) { recordPayment(input: {orderId: $o,
		amount: "129.00", method: BANK_TRANSFER, providerReference: "bank-1"}) { errors { code message } } }`,
		apptest.Vars{"o": o.ID}, nil))

	// Every event the payment committed for the order, in order.
	want := env.DB.Client.AuditEvent.Query().Where(auditevent.OrderID(atoi(t, o.ID)), auditevent.IDGT(before)).
		Order(ent.Asc(auditevent.FieldID)).AllX(env.Sys)
	if len(want) == 0 {
		t.Fatal("recordPayment recorded no event of the order")
	}
	for _, c := range []*wsClient{rep, manager} {
		id := "1"
		if c == manager {
			id = "m"
		}
		for _, e := range want {
			var got struct{ OrderEvents eventView }
			c.data(t, id, &got)
			if got.OrderEvents.ID != apptest.ID(e.ID) || got.OrderEvents.Action != e.Action || got.OrderEvents.OrderID != o.ID {
				t.Fatalf("event %+v, want %d %s", got.OrderEvents, e.ID, e.Action)
			}
		}
		c.quiet(t, 50*time.Millisecond)
	}
	if !strings.HasPrefix(want[0].Action, "payment.") {
		t.Errorf("first event %s, want a payment event", want[0].Action)
	}
	rep2.quiet(t, 100*time.Millisecond)

	// Completing the operation ends the subscription and nothing else.
	rep.send(t, wsMessage{ID: "1", Type: "complete"})
	subscribers(t, env, 1)
	rep.subscribe(t, "2", sub, apptest.Vars{"id": o.ID})
	subscribers(t, env, 2)
}

// TestSubscription_RefusesBadTokens: the token rides in connection_init;
// without a valid one the server closes the connection (4403), whatever
// the origin, and a connection that never authenticates is closed after
// the init timeout.
func TestSubscription_RefusesBadTokens(t *testing.T) {
	env := apptest.New(t)
	url := wsURL(env.URL)
	for name, init := range map[string]map[string]any{
		"bad token":     {"authorization": "Bearer not-a-token"},
		"no token":      {},
		"not bearer":    {"Authorization": env.As(t, "ADMIN").Token},
		"expired token": {"token": expiredToken(t, env)},
	} {
		c := dialWS(t, url, transportWS, init, nil)
		if code := c.closed(t, 5*time.Second); code != 4403 {
			t.Errorf("%s: close status %d, want 4403", name, code)
		}
	}

	// The token may also come as "token" (origins: TestWebsocketOrigin).
	c := dialWS(t, url, transportWS, map[string]any{"token": env.As(t, "ADMIN").Token}, nil)
	c.ack(t)
	// A cookie or header token does not authenticate a websocket: only the
	// init payload does.
	header := http.Header{"Authorization": {"Bearer " + env.As(t, "ADMIN").Token}}
	c = dialWS(t, url, transportWS, map[string]any{}, header)
	if code := c.closed(t, 5*time.Second); code != 4403 {
		t.Errorf("header token: close status %d, want 4403", code)
	}
}

// expiredToken is an access token of the test secret that expired.
func expiredToken(t *testing.T, env *apptest.Env) string {
	t.Helper()
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", auth.MinSecretLen)), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tok, exp, err := tokens.Issue(auth.Subject{UserID: env.Users["ADMIN"].ID, Session: "ended"})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Until(exp) + 1100*time.Millisecond)
	return tok
}

// TestSubscription_NotificationAdded: the rep is told live when a manager
// confirms their order; another rep hears nothing of it. The older
// graphql-ws protocol works as well.
func TestSubscription_NotificationAdded(t *testing.T) {
	w := newWorld(t)
	env := w.env
	endLive(t, env)
	rep := live(t, env, "SALES_REP")
	rep2 := live(t, env, "REP2")
	old := dialWS(t, wsURL(env.URL), legacyWS, map[string]any{"authorization": "Bearer " + env.As(t, "SALES_REP").Token}, nil)
	old.ack(t)
	sub := `subscription { notificationAdded { id kind title readAt recipient { id } order { id number } } }`
	rep.subscribe(t, "n", sub, nil)
	rep2.subscribe(t, "n", sub, nil)
	old.subscribe(t, "old", sub, nil)
	subscribers(t, env, 3)

	o := w.createConfirmed(t, 1, 0)
	type note struct {
		NotificationAdded struct {
			ID, Kind, Title string
			ReadAt          *time.Time
			Recipient       struct{ ID string }
			Order           *struct{ ID, Number string }
		}
	}
	for _, c := range []*wsClient{rep, old} {
		id := "n"
		if c == old {
			id = "old"
		}
		var got note
		c.data(t, id, &got)
		n := got.NotificationAdded
		if n.Kind != "order.confirmed" || n.ReadAt != nil || n.Recipient.ID != apptest.ID(env.Users["SALES_REP"].ID) ||
			n.Order == nil || n.Order.ID != o.ID || !strings.Contains(n.Title, o.Number) {
			t.Fatalf("%s: notification %+v", c.protocol, n)
		}
		c.quiet(t, 50*time.Millisecond)
	}
	rep2.quiet(t, 100*time.Millisecond)
}

// cappedAuth makes every access token expire within ttl.
type cappedAuth struct {
	httpapi.Authenticator
	ttl time.Duration
}

func (a cappedAuth) Viewer(ctx context.Context, token string) (*auth.Viewer, time.Time, error) {
	v, exp, err := a.Authenticator.Viewer(ctx, token)
	if limit := time.Now().Add(a.ttl); err == nil && exp.After(limit) {
		exp = limit
	}
	return v, exp, err
}

// shortLived serves the app of env a second time, with a 300 ms init
// timeout and access tokens that expire after ttl.
func shortLived(t *testing.T, env *apptest.Env, ttl time.Duration) string {
	t.Helper()
	resolver := &graph.Resolver{Client: env.DB.Client, Accounts: env.Accounts, Customers: env.Customers,
		Stock: env.Stock, Orders: env.Orders, Complaints: env.Complaints, Reports: env.Reports, Broker: env.Broker}
	h := httpapi.New(httpapi.Config{Log: slog.New(slog.DiscardHandler), Auth: cappedAuth{env.Accounts, ttl},
		Resolver: resolver, Ready: env.DB.Ping, Limits: guard.DefaultLimits(), Broker: env.Broker,
		WebsocketInitTimeout: 300 * time.Millisecond})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return wsURL(srv.URL)
}

// TestSubscription_Timeouts: a connection that sends nothing is closed
// after the init timeout, and an authenticated one when its token expires.
func TestSubscription_Timeouts(t *testing.T) {
	env := apptest.New(t)
	const ttl = 700 * time.Millisecond
	url := shortLived(t, env, ttl)
	endLive(t, env)

	start := time.Now()
	silent := dialWS(t, url, transportWS, nil, nil)
	if code := silent.closed(t, 3*time.Second); code != websocket.StatusProtocolError {
		t.Errorf("silent connection: close status %d, want %d", code, websocket.StatusProtocolError)
	}
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Errorf("silent connection closed after %s, before the init timeout", d)
	}

	start = time.Now()
	c := dialWS(t, url, transportWS, map[string]any{"authorization": "Bearer " + env.As(t, "SUPPORT").Token}, nil)
	c.ack(t)
	c.subscribe(t, "n", `subscription { notificationAdded { id } }`, nil)
	subscribers(t, env, 1)
	c.closed(t, ttl+3*time.Second)
	if d := time.Since(start); d < ttl-100*time.Millisecond {
		t.Errorf("connection closed after %s, before its token expired (%s)", d, ttl)
	}
	subscribers(t, env, 0) // the subscription ended with the connection
}

func atoi(t *testing.T, id string) int {
	t.Helper()
	var n int
	if err := json.Unmarshal([]byte(id), &n); err != nil {
		t.Fatalf("id %q: %v", id, err)
	}
	return n
}

// lastEventID is the newest audit event's id (0 when there is none).
func lastEventID(t *testing.T, env *apptest.Env) int {
	t.Helper()
	e, err := env.DB.Client.AuditEvent.Query().Order(ent.Desc(auditevent.FieldID)).First(env.Sys)
	if ent.IsNotFound(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return e.ID
}
