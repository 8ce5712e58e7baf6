package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"orderdesk/app"
	"orderdesk/app/apptest"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/graph/guard"
	"orderdesk/order"
	"orderdesk/store/storetest"
)

// logLines keeps what the server logs.
type logLines struct {
	mu    sync.Mutex
	lines []string
}

func (l *logLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, strings.Split(strings.TrimSpace(string(p)), "\n")...)
	return len(p), nil
}

// check fails the test for every error-level line (an internal error) and
// every line repeating more than max characters of the input s.
func (l *logLines) check(t *testing.T, s string, max int) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, line := range l.lines {
		if strings.Contains(line, `"level":"ERROR"`) {
			t.Errorf("logged as an internal error: %.300s", line)
		}
		if s != "" && strings.Contains(line, prefix(s, max+1)) {
			t.Errorf("a log line repeats more than %d characters of the input: %.300s", max, line)
		}
	}
	l.lines = nil
}

func prefix(s string, n int) string {
	r := []rune(s)
	if len(r) > n {
		r = r[:n]
	}
	return string(r)
}

// hygieneEnv is the API over a fresh database, as apptest.New starts it,
// but logging into logs, with one ADMIN user and one stock item.
type hygieneEnv struct {
	*apptest.Env
	logs  *logLines
	admin *apptest.Client
	item  string // id of the stock item "H-1"
}

func newHygieneEnv(t *testing.T) *hygieneEnv {
	t.Helper()
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", auth.MinSecretLen)), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	logs := &logLines{}
	a := app.New(storetest.New(t), app.Options{Log: slog.New(slog.NewJSONHandler(logs, nil)), Tokens: tokens,
		BcryptCost: bcrypt.MinCost, Currency: "EUR", Limits: guard.DefaultLimits(), Policy: order.DefaultPolicy})
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	env := &apptest.Env{App: a, URL: srv.URL, Users: map[string]*ent.User{},
		Sys: auth.NewContext(context.Background(), auth.System("test"))}
	env.Users["ADMIN"] = env.CreateUser(t, "admin@test.local", auth.Admin)
	h := &hygieneEnv{Env: env, logs: logs, admin: env.As(t, "ADMIN")}
	var out struct {
		CreateStockItem struct{ StockItem struct{ ID string } }
	}
	h.admin.MustDo(t, `mutation { createStockItem(input: {sku: "H-1", name: "Hygiene", unitPrice: "1.00"}) {
		stockItem { id } } }`, nil, &out)
	h.item = out.CreateStockItem.StockItem.ID
	return h
}

// raw posts body as it is, with the admin's token.
func (h *hygieneEnv) raw(t *testing.T, body string) raw {
	t.Helper()
	return send(t, http.MethodPost, h.URL+"/graphql", strings.NewReader(body), map[string]string{
		"Content-Type": "application/json", "Authorization": "Bearer " + h.admin.Token})
}

// state is what a refused request must not change: the stock items and
// the first one's stock on hand.
func (h *hygieneEnv) state(t *testing.T) string {
	t.Helper()
	var out struct {
		StockItems struct{ TotalCount int }
		Node       struct{ OnHand int }
	}
	h.admin.MustDo(t, `query($id: ID!) { stockItems { totalCount } node(id: $id) { ... on StockItem { onHand } } }`,
		apptest.Vars{"id": h.item}, &out)
	return fmt.Sprintf("%d stock items, %d on hand", out.StockItems.TotalCount, out.Node.OnHand)
}

// refusedInput asserts that r is one top-level BAD_USER_INPUT error with a
// short message that starts with the argument path field, and that
// nothing was resolved.
func refusedInput(t *testing.T, r apptest.Response, field string) {
	t.Helper()
	if len(r.Errors) != 1 {
		t.Fatalf("want one error, got status %d, errors %+v, data %s", r.Status, r.Errors, r.Data)
	}
	e := r.Errors[0]
	if e.Code() != "BAD_USER_INPUT" {
		t.Errorf("code %q, want BAD_USER_INPUT (message %q)", e.Code(), e.Message)
	}
	if !strings.HasPrefix(e.Message, field+": ") {
		t.Errorf("message %q does not start with the argument path %q", e.Message, field)
	}
	if n := utf8.RuneCountInString(e.Message); n > 160 {
		t.Errorf("message of %d characters: %.200s…", n, e.Message)
	}
	var data map[string]any
	_ = json.Unmarshal(r.Data, &data)
	for k, v := range data {
		if v != nil {
			t.Errorf("a refused operation resolved %s: %v", k, v)
		}
	}
}

// TestHygiene_MalformedScalars: a malformed ID, Time or Decimal, inline or
// in a variable, is the client's error (BAD_USER_INPUT naming the
// argument), never an internal one, and is not logged.
func TestHygiene_MalformedScalars(t *testing.T) {
	h := newHygieneEnv(t)
	const stats = `cancellationStats(from: $f, to: "2026-02-01T00:00:00Z", groupBy: REASON) { key }`
	const create = `createStockItem(input: {sku: "H-2", name: "Probe", unitPrice: $p}) { stockItem { id } errors { code } }`
	long := strings.Repeat("9", 300)
	tests := []struct {
		name, query string
		vars        apptest.Vars
		field       string
	}{
		{"IDLiteral", `{ node(id: "abc") { id } }`, nil, "id"},
		{"IDVariable", `query($id: ID!) { node(id: $id) { id } }`, apptest.Vars{"id": "12a"}, "id"},
		{"IDFloat", `query($id: ID!) { node(id: $id) { id } }`, apptest.Vars{"id": 4.5}, "id"},
		{"IDOverflow", `query($id: ID!) { node(id: $id) { id } }`, apptest.Vars{"id": "99999999999999999999"}, "id"},
		{"IDNegative", `query($id: ID!) { node(id: $id) { id } }`, apptest.Vars{"id": "-1"}, "id"},
		{"IDInList", `query($id: ID!) { nodes(ids: ["1", $id]) { id } }`, apptest.Vars{"id": "x"}, "ids.1"},
		{"IDInInputLiteral", `mutation { receiveStock(input: {stockItemId: "1x", quantity: 1}) { errors { code } } }`, nil, "input.stockItemId"},
		{"IDInInputVariable", `mutation($in: ReceiveStockInput!) { receiveStock(input: $in) { errors { code } } }`,
			apptest.Vars{"in": apptest.Vars{"stockItemId": "one", "quantity": 1}}, "input.stockItemId"},
		{"TimeLiteral", `{ cancellationStats(from: "yesterday", to: "2026-02-01T00:00:00Z", groupBy: REASON) { key } }`, nil, "from"},
		{"TimeVariable", `query($f: Time!) { ` + stats + ` }`, apptest.Vars{"f": "2026-13-01T00:00:00Z"}, "from"},
		{"TimeNumber", `query($f: Time!) { ` + stats + ` }`, apptest.Vars{"f": 1767225600}, "from"},
		{"TimeEmpty", `query($f: Time!) { ` + stats + ` }`, apptest.Vars{"f": ""}, "from"},
		{"TimeBeyondYear9999", `query($f: Time!) { ` + stats + ` }`, apptest.Vars{"f": "9999-12-31T23:00:00-05:00"}, "from"},
		{"TimeInWhere", `{ customers(where: {createdAtGT: "2026-01-01"}) { totalCount } }`, nil, "where.createdAtGT"},
		{"DecimalLiteral", `mutation { createStockItem(input: {sku: "H-2", name: "Probe", unitPrice: "abc"}) { errors { code } } }`, nil, "input.unitPrice"},
		{"DecimalFloatLiteral", `mutation { createStockItem(input: {sku: "H-2", name: "Probe", unitPrice: 12.5}) { errors { code } } }`, nil, "input.unitPrice"},
		{"DecimalVariable", `mutation($p: Decimal!) { ` + create + ` }`, apptest.Vars{"p": "1,50"}, "input.unitPrice"},
		{"DecimalNumber", `mutation($p: Decimal!) { ` + create + ` }`, apptest.Vars{"p": 12.5}, "input.unitPrice"},
		{"DecimalExponent", `mutation($p: Decimal!) { ` + create + ` }`, apptest.Vars{"p": "1e3"}, "input.unitPrice"},
		{"DecimalTooLong", `mutation($p: Decimal!) { ` + create + ` }`, apptest.Vars{"p": long}, "input.unitPrice"},
		{"MoneyAmount", `mutation($o: ID!) { recordPayment(input: {orderId: $o, amount: "12.5.0", method: CARD}) { errors { code } } }`,
			apptest.Vars{"o": "1"}, "input.amount"},
		{"Cursor", `{ customers(after: "not-a-cursor") { totalCount } }`, nil, "after"},
		{"EnumCase", `query($c: OrderChannel!) { orders(where: {channel: $c}) { totalCount } }`, apptest.Vars{"c": "web"}, "where.channel"},
	}
	before := h.state(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.admin.Do(t, tt.query, tt.vars)
			refusedInput(t, r, tt.field)
			if strings.Contains(r.Errors[0].Message, long[:20]) {
				t.Errorf("the message repeats the value: %.200s", r.Errors[0].Message)
			}
			h.logs.check(t, long, 64)
		})
	}
	if after := h.state(t); after != before {
		t.Errorf("%s before the refused requests, %s after", before, after)
	}
	t.Run("OK", func(t *testing.T) {
		ok(t, h.admin.Do(t, `query($f: Time!) { `+stats+` }`, apptest.Vars{"f": "2026-01-01T00:00:00.5+01:00"}))
		ok(t, h.admin.Do(t, `query($id: ID!) { node(id: $id) { id } }`, apptest.Vars{"id": h.item}))
		ok(t, h.admin.Do(t, `{ node(id: `+h.item+`) { id } }`, nil))
		h.logs.check(t, "", 0)
	})
}

// TestHygiene_IntInputs: an Int is a JSON integer within 32 bits. A numeric
// string, a float (even 5.0) and a value beyond 32 bits are refused as
// BAD_USER_INPUT, and nothing is booked.
func TestHygiene_IntInputs(t *testing.T) {
	h := newHygieneEnv(t)
	top := `mutation($q: Int!) { receiveStock(input: {stockItemId: "` + h.item + `", quantity: $q}) { errors { code field } } }`
	nested := `mutation($in: ReceiveStockInput!) { receiveStock(input: $in) { errors { code field } } }`
	body := func(query, vars string) string {
		q, _ := json.Marshal(query)
		return `{"query":` + string(q) + `,"variables":` + vars + `}`
	}
	before := h.state(t)
	tests := []struct {
		name, body, field string
	}{
		{"ErrStringTopLevel", body(top, `{"q":"5"}`), "input.quantity"},
		{"ErrStringNested", body(nested, `{"in":{"stockItemId":"`+h.item+`","quantity":"5"}}`), "input.quantity"},
		{"ErrIntegralFloatTopLevel", body(top, `{"q":5.0}`), "$q"},
		{"ErrIntegralFloatNested", body(nested, `{"in":{"stockItemId":"`+h.item+`","quantity":5.0}}`), "$in.quantity"},
		{"ErrExponent", body(top, `{"q":5e0}`), "$q"},
		{"ErrFraction", body(nested, `{"in":{"stockItemId":"`+h.item+`","quantity":5.5}}`), "$in.quantity"},
		{"ErrBeyond32BitsTopLevel", body(top, `{"q":2147483648}`), "input.quantity"},
		{"ErrBeyond32BitsNested", body(nested, `{"in":{"stockItemId":"`+h.item+`","quantity":-2147483649}}`), "input.quantity"},
		{"ErrBeyond64Bits", body(nested, `{"in":{"stockItemId":"`+h.item+`","quantity":99999999999999999999}}`), "$in.quantity"},
		{"ErrBeyond32BitsLiteral", body(`mutation { receiveStock(input: {stockItemId: "`+h.item+`", quantity: 3000000000}) { errors { code } } }`, `{}`), "input.quantity"},
		{"ErrPageSizeString", body(`query($n: Int) { customers(first: $n) { totalCount } }`, `{"n":"5"}`), "first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedInput(t, h.raw(t, tt.body).gql(t), tt.field)
		})
	}
	if after := h.state(t); after != before {
		t.Errorf("%s before the refused requests, %s after", before, after)
	}
	h.logs.check(t, "", 0)

	t.Run("OKInt32Max", func(t *testing.T) {
		// The scalar takes it; the domain's range check answers in the payload.
		var out struct {
			ReceiveStock struct{ Errors []apptest.UserError }
		}
		h.admin.MustDo(t, top, apptest.Vars{"q": 2147483647}, &out)
		if errs := out.ReceiveStock.Errors; len(errs) != 1 || errs[0].Code != "INVALID" {
			t.Errorf("payload errors %+v, want one INVALID", errs)
		}
	})
	t.Run("OK", func(t *testing.T) {
		r := h.raw(t, body(nested, `{"in":{"stockItemId":"`+h.item+`","quantity":5}}`)).gql(t)
		ok(t, r)
		if got := h.state(t); got == before {
			t.Errorf("receiving 5 left %s", got)
		}
	})
}

// TestHygiene_TextInputs: NUL, invalid UTF-8, lone surrogates and U+FFFD
// (what encoding/json and the GraphQL lexer make of the two before) in a
// String input are refused naming the argument, inline or in a variable,
// and nothing is stored; Chinese text and emoji pass unchanged.
func TestHygiene_TextInputs(t *testing.T) {
	h := newHygieneEnv(t)
	create := `mutation($n: String!) { createStockItem(input: {sku: "H-2", name: $n, unitPrice: "1.00"}) { stockItem { name } errors { code } } }`
	q, _ := json.Marshal(create)
	withName := func(name string) string { return `{"query":` + string(q) + `,"variables":{"n":"` + name + `"}}` }
	literal := func(name string) string {
		q, _ := json.Marshal(`mutation { createStockItem(input: {sku: "H-3", name: "` + name + `", unitPrice: "1.00"}) { stockItem { name } } }`)
		return `{"query":` + string(q) + `}`
	}
	before := h.state(t)
	tests := []struct {
		name, body string
	}{
		{"ErrNULVariable", withName(`a\u0000b`)},
		{"ErrNULLiteral", literal(`a\u0000b`)},
		{"ErrLoneSurrogateVariable", withName(`a\ud800b`)},
		{"ErrLoneLowSurrogateVariable", withName(`a\udc00`)},
		{"ErrLoneSurrogateLiteral", literal(`a\uD800b`)},
		{"ErrInvalidUTF8Variable", withName("a\xffb")},
		{"ErrInvalidUTF8Literal", `{"query":"mutation { createStockItem(input: {sku: \"H-3\", name: \"a` + "\xc3\x28" + `\", unitPrice: \"1.00\"}) { errors { code } } }"}`},
		{"ErrReplacementCharacter", withName(`a\ufffdb`)},
		{"ErrNumber", `{"query":` + string(q) + `,"variables":{"n":5}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			refusedInput(t, h.raw(t, tt.body).gql(t), "input.name")
		})
	}
	t.Run("ErrNULInID", func(t *testing.T) {
		refusedInput(t, h.raw(t, `{"query":"query($id: ID!) { node(id: $id) { id } }","variables":{"id":"1\u0000"}}`).gql(t), "id")
	})
	if after := h.state(t); after != before {
		t.Errorf("%s before the refused requests, %s after", before, after)
	}
	h.logs.check(t, "", 0)

	t.Run("OK", func(t *testing.T) {
		var out struct {
			CreateStockItem struct{ StockItem struct{ Name string } }
		}
		r := h.raw(t, withName(`订单 \ud83d\ude00 ok`)).gql(t)
		ok(t, r)
		_ = json.Unmarshal(r.Data, &out)
		if got := out.CreateStockItem.StockItem.Name; got != "订单 😀 ok" {
			t.Errorf("stored %q", got)
		}
	})
}

// TestHygiene_NoEcho: neither an error nor a log line repeats more than a
// short prefix (64 characters) of what the client sent: not a broken
// 900 KB body, not a value gqlgen's validation quotes, not a value that
// failed to decode.
func TestHygiene_NoEcho(t *testing.T) {
	h := newHygieneEnv(t)
	big := strings.Repeat("y", 900<<10)
	chinese := strings.Repeat("订单", 500)

	short := func(t *testing.T, res raw, input string) apptest.Response {
		t.Helper()
		if len(res.Body) > 1024 {
			t.Errorf("a %d-byte response: %.300s…", len(res.Body), res.Body)
		}
		if bytes.Contains(res.Body, []byte(prefix(input, 65))) {
			t.Errorf("the response repeats more than 64 characters of the input: %.300s", res.Body)
		}
		r := res.gql(t)
		if len(r.Errors) == 0 || r.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("want BAD_USER_INPUT, got status %d, errors %+v", r.Status, r.Errors)
		}
		return r
	}

	bodies := []struct{ name, body string }{
		{"TruncatedBody", `{"query":"{ me { role } }","variables":{"x":"` + big},
		{"InvalidJSON", `{"query":"{ me { role } }","variables":{"x":"` + big + `"},}`},
		{"QueryNotAString", `{"query":5,"variables":{"x":"` + big + `"}}`},
		{"VariablesNotAnObject", `{"query":"{ me { role } }","variables":"` + big + `"}`},
		{"BodyNotAnObject", `["` + big + `"]`},
		{"HugeID", `{"query":"query($id: ID!) { node(id: $id) { id } }","variables":{"id":"1` + big + `"}}`},
		{"HugeCursor", `{"query":"query($c: Cursor) { customers(after: $c) { totalCount } }","variables":{"c":"` + big + `"}}`},
	}
	for _, tt := range bodies {
		t.Run(tt.name, func(t *testing.T) {
			res := h.raw(t, tt.body)
			if tt.name != "HugeID" && tt.name != "HugeCursor" && res.Status != http.StatusBadRequest {
				t.Errorf("status %d, want 400", res.Status)
			}
			short(t, res, big)
			h.logs.check(t, big, 64)
		})
	}

	quoted := []struct {
		name, query string
		vars        apptest.Vars
	}{
		{"EnumVariable", `query($by: CancellationStatsGroupBy!) { cancellationStats(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", groupBy: $by) { key } }`,
			apptest.Vars{"by": chinese}},
		{"StringLiteralForInt", `mutation { receiveStock(input: {stockItemId: "1", quantity: "` + chinese + `"}) { errors { code } } }`, nil},
		{"EnumStringLiteral", `{ cancellationStats(from: "2026-01-01T00:00:00Z", to: "2026-02-01T00:00:00Z", groupBy: "` + chinese + `") { key } }`, nil},
		{"UnknownField", `{ me { role ` + strings.Repeat("x", 500) + ` } }`, nil},
	}
	for _, tt := range quoted {
		t.Run(tt.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": tt.query, "variables": tt.vars})
			res := h.raw(t, string(body))
			r := res.gql(t)
			if len(r.Errors) == 0 {
				t.Fatalf("no error: %s", res.Body)
			}
			msg := r.Errors[0].Message
			if !utf8.ValidString(msg) {
				t.Errorf("message is not valid UTF-8: %q", msg)
			}
			for _, input := range []string{chinese, strings.Repeat("x", 500)} {
				if strings.Contains(msg, prefix(input, 65)) {
					t.Errorf("message repeats more than 64 characters of the input: %.300s", msg)
				}
			}
			if n := utf8.RuneCountInString(msg); n > 256+1 {
				t.Errorf("message of %d characters", n)
			}
			if !strings.Contains(msg, "…") {
				t.Errorf("message %q does not mark the cut", msg)
			}
			h.logs.check(t, chinese, 64)
		})
	}
}
