package httpapi_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	"golang.org/x/crypto/bcrypt"

	"orderdesk/app"
	"orderdesk/app/apptest"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/graph/guard"
	"orderdesk/order"
	"orderdesk/store"
	"orderdesk/store/storetest"
	"orderdesk/telemetry"
)

const telMetricsToken = "metrics-token-for-tests"

// telLog is a log the server writes to while the test reads it.
type telLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *telLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// requestLine is the "request" line of the request with the id, waiting
// for it: the line is written after the response is sent.
func (l *telLog) requestLine(t *testing.T, id string) (map[string]any, string) {
	t.Helper()
	var line map[string]any
	var raw string
	telEventually(t, "the log line of request "+id, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		sc := bufio.NewScanner(bytes.NewReader(l.buf.Bytes()))
		for sc.Scan() {
			var m map[string]any
			if json.Unmarshal(sc.Bytes(), &m) == nil && m["msg"] == "request" && m["request_id"] == id {
				line, raw = m, sc.Text()
				return true
			}
		}
		return false
	})
	return line, raw
}

func telEventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// telEnv starts the API as apptest.New does, with its log kept, /metrics
// served to telMetricsToken, and tracing (SQL included) when tracing is
// not nil.
func telEnv(t *testing.T, tracing *telemetry.Tracing) (*apptest.Env, *telLog) {
	t.Helper()
	driver, dsn := storetest.NewDSN(t)
	db, err := store.OpenWith(driver, dsn, store.Options{OpenSQL: tracing.OpenSQL})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", auth.MinSecretLen)), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	logs := &telLog{}
	a := app.New(db, app.Options{Log: slog.New(slog.NewJSONHandler(logs, nil)), Tokens: tokens,
		BcryptCost: bcrypt.MinCost, Currency: "EUR", Limits: guard.DefaultLimits(), Policy: order.DefaultPolicy,
		MetricsToken: telMetricsToken, Tracing: tracing})
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	env := &apptest.Env{App: a, URL: srv.URL, Users: map[string]*ent.User{},
		Sys: auth.NewContext(context.Background(), auth.System("test"))}
	for _, r := range auth.Roles {
		env.Users[string(r)] = env.CreateUser(t, strings.ToLower(string(r))+"@test.local", r)
	}
	return env, logs
}

// telScrape reads /metrics with the token: series → value.
func telScrape(t *testing.T, env *apptest.Env) map[string]float64 {
	t.Helper()
	r := send(t, http.MethodGet, env.URL+"/metrics", nil, map[string]string{"Authorization": "Bearer " + telMetricsToken})
	if r.Status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", r.Status, r.Body)
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("series %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

// telWantSeries waits until every series has its value: a request is
// counted just after its response is sent.
func telWantSeries(t *testing.T, env *apptest.Env, want map[string]float64) {
	t.Helper()
	var got map[string]float64
	ok := func() bool {
		got = telScrape(t, env)
		for k, v := range want {
			if got[k] != v {
				return false
			}
		}
		return true
	}
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}
			return
		}
	}
}

// telDo posts a GraphQL request with a request id, as the client of token.
func telDo(t *testing.T, env *apptest.Env, token, id, query string, vars map[string]any) apptest.Response {
	t.Helper()
	return post(t, env, token, query, vars, map[string]string{"X-Request-ID": id}).gql(t)
}

// telMust is telDo failing the test on any error, top-level or payload.
func telMust(t *testing.T, env *apptest.Env, token, query string, vars map[string]any) map[string]json.RawMessage {
	t.Helper()
	r := telDo(t, env, token, "", query, vars)
	var data map[string]struct {
		Errors []apptest.UserError
	}
	if len(r.Errors) > 0 || json.Unmarshal(r.Data, &data) != nil {
		t.Fatalf("%s: %+v %s", query, r.Errors, r.Data)
	}
	for field, p := range data {
		if len(p.Errors) > 0 {
			t.Fatalf("%s: payload errors %+v", field, p.Errors)
		}
	}
	var out map[string]json.RawMessage
	_ = json.Unmarshal(r.Data, &out)
	return out
}

// telID is the id at path (object keys) in a payload.
func telID(t *testing.T, raw json.RawMessage, path ...string) string {
	t.Helper()
	var v any
	_ = json.Unmarshal(raw, &v)
	for _, k := range path {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	s, ok := v.(string)
	if !ok {
		t.Fatalf("no %v in %s", path, raw)
	}
	return s
}

// TestMetrics_Requests: GraphQL requests are counted by operation and
// outcome (ok or the error code), with "unknown" for a document that did
// not parse, other requests by route and status; each is timed; the
// runtime, process and pool collectors are there.
func TestMetrics_Requests(t *testing.T) {
	env, _ := telEnv(t, nil)
	admin := env.As(t, "ADMIN").Token
	ok(t, telDo(t, env, admin, "", `query Viewer { me { role } }`, nil))
	refused(t, telDo(t, env, "", "", `query Viewer { me { role } }`, nil), "UNAUTHENTICATED")
	parse := telDo(t, env, admin, "", `query Broken {`, nil)
	if len(parse.Errors) == 0 {
		t.Fatalf("a broken document was accepted: %s", parse.Data)
	}
	parseCode := parse.Errors[0].Code()
	send(t, http.MethodGet, env.URL+"/healthz", nil, nil)

	telWantSeries(t, env, map[string]float64{
		`orderdesk_requests_total{operation="Viewer",outcome="ok"}`:                 1,
		`orderdesk_requests_total{operation="Viewer",outcome="UNAUTHENTICATED"}`:    1,
		`orderdesk_requests_total{operation="unknown",outcome="` + parseCode + `"}`: 1,
		`orderdesk_requests_total{operation="anonymous",outcome="ok"}`:              1, // the login of env.As
		`orderdesk_requests_total{operation="/healthz",outcome="200"}`:              1,
		`orderdesk_request_duration_seconds_count{operation="Viewer"}`:              2,
		// The scrape itself is in flight.
		`orderdesk_requests_in_flight`: 1,
	})
	s := telScrape(t, env)
	for _, series := range []string{"go_goroutines", "process_resident_memory_bytes",
		`go_sql_open_connections{db_name="orderdesk"}`, "orderdesk_tx_retries_total"} {
		if _, ok := s[series]; !ok {
			t.Errorf("no series %s", series)
		}
	}
}

// TestMetrics_BusinessCounters: cancelling, voiding, capturing and
// refunding through the API move the business counters once each, after
// the transaction commits; a dry run, rolled back, moves nothing.
func TestMetrics_BusinessCounters(t *testing.T) {
	env, _ := telEnv(t, nil)
	admin, manager := env.As(t, "ADMIN").Token, env.As(t, "SALES_MANAGER").Token
	rep, finance := env.As(t, "SALES_REP").Token, env.As(t, "FINANCE").Token
	item := telID(t, telMust(t, env, admin, `mutation { createStockItem(input: {sku: "DRL-100", name: "Drill", unitPrice: "129.00"}) {
		stockItem { id } errors { code message } } }`, nil)["createStockItem"], "stockItem", "id")
	telMust(t, env, env.As(t, "WAREHOUSE").Token, `mutation($i: ID!) { receiveStock(input: {stockItemId: $i, quantity: 10}) {
		errors { code message } } }`, map[string]any{"i": item})
	customer := telID(t, telMust(t, env, admin, `mutation($rep: ID!) { createCustomer(input: {name: "Acme", creditLimit: "10000.00",
		ownerId: $rep, shippingAddress: {line1: "1 Main St", city: "Berlin", country: "DE"}}) { customer { id } errors { code message } } }`,
		map[string]any{"rep": apptest.ID(env.Users["SALES_REP"].ID)})["createCustomer"], "customer", "id")
	draft := func() string {
		return telID(t, telMust(t, env, rep, `mutation($c: ID!, $i: ID!) { createOrder(input: {customerId: $c, channel: WEB,
			lines: [{stockItemId: $i, quantity: 1}]}) { order { id } errors { code message } } }`,
			map[string]any{"c": customer, "i": item})["createOrder"], "order", "id")
	}
	const cancel = `mutation CancelOrder($o: ID!, $dry: Boolean) { cancelOrder(input: {orderId: $o, reasonCode: CUSTOMER_REQUEST, dryRun: $dry}) {
		errors { code message } } }`

	cancelled := draft()
	telMust(t, env, manager, cancel, map[string]any{"o": cancelled, "dry": true})
	telWantSeries(t, env, map[string]float64{`orderdesk_requests_total{operation="CancelOrder",outcome="ok"}`: 1})
	if s := telScrape(t, env); s[`orderdesk_orders_closed_total{status="cancelled"}`] != 0 {
		t.Fatalf("a dry run counted as a cancellation")
	}
	telMust(t, env, manager, cancel, map[string]any{"o": cancelled})
	telMust(t, env, admin, `mutation($o: ID!) { voidOrder(input: {orderId: $o, reasonCode: ENTRY_ERROR}) { errors { code message } } }`,
		map[string]any{"o": draft()})

	paid := draft()
	telMust(t, env, rep, `mutation($o: ID!) { submitOrder(input: {orderId: $o}) { errors { code message } } }`, map[string]any{"o": paid})
	telMust(t, env, manager, `mutation($o: ID!) { confirmOrder(input: {orderId: $o}) { errors { code message } } }`, map[string]any{"o": paid})
	telMust(t, env, finance, `mutation($o: ID!) { recordPayment(input: {orderId: $o, amount: "129.00", method: CARD}) {
		errors { code message } } }`, map[string]any{"o": paid})
	telMust(t, env, finance, `mutation($o: ID!) { refundPayment(input: {orderId: $o, amount: "10.50", reason: "goodwill"}) {
		errors { code message } } }`, map[string]any{"o": paid})

	telWantSeries(t, env, map[string]float64{
		`orderdesk_orders_closed_total{status="cancelled"}`:              1,
		`orderdesk_orders_closed_total{status="voided"}`:                 1,
		`orderdesk_audit_events_total{action="order.cancelled"}`:         1,
		`orderdesk_audit_events_total{action="order.created"}`:           3,
		`orderdesk_payments_captured_total{currency="EUR"}`:              1,
		`orderdesk_captured_minor_total{currency="EUR"}`:                 12900,
		`orderdesk_refunds_total{currency="EUR"}`:                        1,
		`orderdesk_refunded_minor_total{currency="EUR"}`:                 1050,
		`orderdesk_requests_total{operation="CancelOrder",outcome="ok"}`: 2,
	})
}

// TestMetrics_Protected: /metrics answers only the bearer of the token,
// and is not there at all without one.
func TestMetrics_Protected(t *testing.T) {
	env, _ := telEnv(t, nil)
	for name, header := range map[string]map[string]string{
		"NoToken":    nil,
		"WrongToken": {"Authorization": "Bearer " + telMetricsToken + "x"},
		"NotBearer":  {"Authorization": telMetricsToken},
	} {
		t.Run(name, func(t *testing.T) {
			r := send(t, http.MethodGet, env.URL+"/metrics", nil, header)
			if r.Status != http.StatusUnauthorized || bytes.Contains(r.Body, []byte("orderdesk_")) {
				t.Errorf("status %d, body %.80s", r.Status, r.Body)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		if s := telScrape(t, env); len(s) == 0 {
			t.Error("no series")
		}
	})
	t.Run("NotMountedWithoutToken", func(t *testing.T) {
		plain := apptest.New(t)
		if r := send(t, http.MethodGet, plain.URL+"/metrics", nil, nil); r.Status != http.StatusNotFound {
			t.Errorf("status %d, want 404", r.Status)
		}
	})
}

// TestProfiles_Protected: Go's profiles answer the bearer of the metrics
// token (a real heap profile and a CPU profile of a second), nobody else,
// and are not there at all without a token.
func TestProfiles_Protected(t *testing.T) {
	env, _ := telEnv(t, nil)
	bearer := map[string]string{"Authorization": "Bearer " + telMetricsToken}
	for _, path := range []string{"/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/profile?seconds=1"} {
		if r := send(t, http.MethodGet, env.URL+path, nil, map[string]string{"Authorization": "Bearer wrong"}); r.Status != http.StatusUnauthorized {
			t.Errorf("%s with a wrong token: status %d, want 401", path, r.Status)
		}
	}
	for _, path := range []string{"/debug/pprof/heap", "/debug/pprof/profile?seconds=1"} {
		r := send(t, http.MethodGet, env.URL+path, nil, bearer)
		// A profile is gzipped protobuf: it starts with gzip's magic bytes.
		if r.Status != http.StatusOK || !bytes.HasPrefix(r.Body, []byte{0x1f, 0x8b}) {
			t.Errorf("%s: status %d, body %.40q", path, r.Status, r.Body)
		}
	}
	plain := apptest.New(t)
	if r := send(t, http.MethodGet, plain.URL+"/debug/pprof/heap", nil, nil); r.Status != http.StatusNotFound {
		t.Errorf("without a metrics token: status %d, want 404", r.Status)
	}
}

// TestRequestLog_Fields: the request's log line names the GraphQL
// operation, the viewer and the response's error codes, never the
// variables or the document; without tracing it has no trace id.
func TestRequestLog_Fields(t *testing.T) {
	env, logs := telEnv(t, nil)
	admin := env.As(t, "ADMIN").Token
	const marker = "SECRET-MARKER-4711"
	telDo(t, env, admin, "log-failed", `query FindNode($id: ID!) { node(id: $id) { id } }`, map[string]any{"id": marker})
	line, raw := logs.requestLine(t, "log-failed")
	if line["operation"] != "FindNode" || line["user_id"] != float64(env.Users["ADMIN"].ID) {
		t.Errorf("operation %v, user_id %v: %s", line["operation"], line["user_id"], raw)
	}
	if codes, _ := line["error_codes"].([]any); len(codes) == 0 {
		t.Errorf("no error codes: %s", raw)
	}
	if strings.Contains(raw, marker) || strings.Contains(raw, "node(") {
		t.Errorf("the line carries the variables or the document: %s", raw)
	}
	if _, ok := line["trace_id"]; ok {
		t.Errorf("a trace id without tracing: %s", raw)
	}

	telDo(t, env, "", "log-anonymous", `query Viewer { me { role } }`, nil)
	line, raw = logs.requestLine(t, "log-anonymous")
	if _, ok := line["user_id"]; ok || line["operation"] != "Viewer" {
		t.Errorf("anonymous request: %s", raw)
	}
	if codes, _ := line["error_codes"].([]any); len(codes) != 1 || codes[0] != "UNAUTHENTICATED" {
		t.Errorf("error codes %v: %s", line["error_codes"], raw)
	}

	telDo(t, env, admin, "log-ok", `query Viewer { me { role } }`, nil)
	line, raw = logs.requestLine(t, "log-ok")
	if _, ok := line["error_codes"]; ok || line["operation"] != "Viewer" {
		t.Errorf("successful request: %s", raw)
	}
}

// TestTracing_OneTrace: one GraphQL request is one trace — the HTTP span,
// the operation's, a resolver's and SQL statements' below it — whose id is
// on the request's log line; a traceparent sent by the caller is
// continued.
func TestTracing_OneTrace(t *testing.T) {
	spans := tracetest.NewInMemoryExporter()
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(spans))
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	env, logs := telEnv(t, telemetry.NewTracing(provider))
	admin := env.As(t, "ADMIN").Token

	ok(t, telDo(t, env, admin, "traced", `query Customers { customers(first: 5) { totalCount } }`, nil))
	line, raw := logs.requestLine(t, "traced")
	traceID, _ := line["trace_id"].(string)
	if traceID == "" {
		t.Fatalf("no trace id on the log line: %s", raw)
	}
	var got tracetest.SpanStubs
	telEventually(t, "the HTTP span", func() bool {
		got = spansOf(spans.GetSpans(), traceID)
		return findSpan(got, "POST /graphql") != nil
	})
	root := findSpan(got, "POST /graphql")
	op := findSpan(got, "query Customers")
	resolver := findSpan(got, "Query.customers")
	if op == nil || resolver == nil {
		t.Fatalf("spans of the trace: %v", spanNames(got))
	}
	if op.Parent.SpanID() != root.SpanContext.SpanID() || resolver.Parent.SpanID() != op.SpanContext.SpanID() {
		t.Errorf("want HTTP → operation → resolver, got %v", spanNames(got))
	}
	sqlUnderResolver := false
	for _, s := range got {
		if strings.HasPrefix(s.Name, "sql.") && descends(got, s, resolver) {
			sqlUnderResolver = true
		}
	}
	if !sqlUnderResolver {
		t.Errorf("no SQL span under the resolver: %v", spanNames(got))
	}

	const parent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	r := post(t, env, admin, `query Viewer { me { role } }`, nil, map[string]string{"traceparent": parent, "X-Request-ID": "continued"})
	ok(t, r.gql(t))
	line, raw = logs.requestLine(t, "continued")
	if line["trace_id"] != "0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("the caller's trace was not continued: %s", raw)
	}
}

// TestTracing_Websocket: a websocket upgrades through the traced handler
// (its writer still hijacks), and an open connection is not a request in
// flight.
func TestTracing_Websocket(t *testing.T) {
	provider := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewInMemoryExporter()))
	t.Cleanup(func() { _ = provider.Shutdown(context.Background()) })
	env, _ := telEnv(t, telemetry.NewTracing(provider))
	token := env.As(t, "ADMIN").Token
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(env.URL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	if err := wsjson.Write(ctx, conn, map[string]any{"type": "connection_init", "payload": map[string]any{"token": token}}); err != nil {
		t.Fatal(err)
	}
	var ack struct{ Type string }
	if err := wsjson.Read(ctx, conn, &ack); err != nil || ack.Type != "connection_ack" {
		t.Fatalf("want connection_ack, got %+v (%v)", ack, err)
	}
	telWantSeries(t, env, map[string]float64{"orderdesk_requests_in_flight": 1}) // the scrape alone
}

func spansOf(all tracetest.SpanStubs, traceID string) tracetest.SpanStubs {
	var out tracetest.SpanStubs
	for _, s := range all {
		if s.SpanContext.TraceID().String() == traceID {
			out = append(out, s)
		}
	}
	return out
}

func findSpan(spans tracetest.SpanStubs, name string) *tracetest.SpanStub {
	for i := range spans {
		if spans[i].Name == name {
			return &spans[i]
		}
	}
	return nil
}

// descends reports whether s is below ancestor in the trace.
func descends(spans tracetest.SpanStubs, s tracetest.SpanStub, ancestor *tracetest.SpanStub) bool {
	byID := map[trace.SpanID]tracetest.SpanStub{}
	for _, x := range spans {
		byID[x.SpanContext.SpanID()] = x
	}
	for p := s.Parent.SpanID(); p.IsValid(); p = byID[p].Parent.SpanID() {
		if p == ancestor.SpanContext.SpanID() {
			return true
		}
		if _, ok := byID[p]; !ok {
			return false
		}
	}
	return false
}

func spanNames(spans tracetest.SpanStubs) []string {
	var names []string
	for _, s := range spans {
		names = append(names, s.Name)
	}
	return names
}
