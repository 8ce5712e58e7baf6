package app_test

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"orderdesk/account"
	"orderdesk/app"
	"orderdesk/app/apptest"
	"orderdesk/auth"
	"orderdesk/httpapi"
	"orderdesk/store/storetest"
)

// from is an anonymous client whose requests come, through the trusted
// proxy, from addr.
func from(env *apptest.Env, t *testing.T, addr string) *apptest.Client {
	c := env.As(t, "")
	c.Header = http.Header{"X-Forwarded-For": {addr}}
	return c
}

func behindProxy(t *testing.T) *apptest.Env {
	return apptest.NewWith(t, storetest.New(t), app.Options{Edge: httpapi.Edge{
		TrustedProxies: httpapi.Proxies{netip.MustParsePrefix("127.0.0.1/32")}}})
}

func firstCode(s sessionPayload) string {
	if len(s.Errors) == 0 {
		return ""
	}
	return s.Errors[0].Code
}

// TestLoginThrottle_PunishesTheAttacker: a stranger in the office (behind
// the same proxy address) sprays made-up emails and guesses at the
// manager's password; the manager and finance still sign in with their
// right passwords, while the stranger's guesses are refused.
func TestLoginThrottle_PunishesTheAttacker(t *testing.T) {
	env := behindProxy(t)
	office := "203.0.113.7"
	attacker := from(env, t, office)
	for i := range 32 {
		if s := login(t, attacker, fmt.Sprintf("nobody%d@test.local", i), "wrong-password-x"); firstCode(s) != "INVALID_CREDENTIALS" {
			t.Fatalf("made-up email %d: %+v", i, s.Errors)
		}
	}
	manager, finance := env.Users["SALES_MANAGER"].Email, env.Users["FINANCE"].Email
	for _, email := range []string{manager, finance} {
		if s := login(t, from(env, t, office), email, apptest.Password); s.Session == nil {
			t.Fatalf("%s with the right password after the spray: %+v", email, s.Errors)
		}
	}
	// Past the address's allowance, the address gets no free guess at the
	// manager's account: the second wrong password in a row is refused
	// unchecked, and so is the right one until the back-off ends.
	if s := login(t, attacker, manager, "wrong-password-x"); firstCode(s) != "INVALID_CREDENTIALS" {
		t.Fatalf("first guess: %+v", s.Errors)
	}
	if s := login(t, attacker, manager, "wrong-password-y"); firstCode(s) != "TOO_MANY_ATTEMPTS" {
		t.Fatalf("second guess from the sprayed address: %+v, want TOO_MANY_ATTEMPTS", s.Errors)
	}
	// The manager at home, another address, is not slowed at all.
	if s := login(t, from(env, t, "198.51.100.20"), manager, apptest.Password); s.Session == nil {
		t.Fatalf("the manager from another address: %+v", s.Errors)
	}
}

// TestLoginThrottle_OneAccountFromOneAddress: five wrong passwords for one
// account from one address are free; the sixth attempt waits, even with
// the right password; the same account from another address is not slowed.
func TestLoginThrottle_OneAccountFromOneAddress(t *testing.T) {
	env := behindProxy(t)
	victim := env.Users["SUPPORT"].Email
	guesser := from(env, t, "192.0.2.1")
	for i := range 5 {
		if s := login(t, guesser, victim, "wrong-password-x"); firstCode(s) != "INVALID_CREDENTIALS" {
			t.Fatalf("guess %d: %+v", i+1, s.Errors)
		}
	}
	if s := login(t, guesser, victim, apptest.Password); firstCode(s) != "TOO_MANY_ATTEMPTS" {
		t.Fatalf("after 5 failures: %+v, want TOO_MANY_ATTEMPTS", s.Errors)
	}
	if s := login(t, from(env, t, "192.0.2.2"), victim, apptest.Password); s.Session == nil {
		t.Fatalf("from another address: %+v", s.Errors)
	}
}

// TestLoginThrottle_SharedByReplicas: two servers over one database count
// the same failures, so a second replica does not double the allowance.
func TestLoginThrottle_SharedByReplicas(t *testing.T) {
	a := behindProxy(t)
	b := a.Replica(t, app.Options{Edge: httpapi.Edge{TrustedProxies: httpapi.Proxies{netip.MustParsePrefix("127.0.0.1/32")}}})
	victim := a.Users["AUDITOR"].Email
	replicas := []*apptest.Client{from(a, t, "192.0.2.9"), from(b, t, "192.0.2.9")}
	for i := range 5 {
		login(t, replicas[i%2], victim, "wrong-password-x")
	}
	for i, c := range replicas {
		if s := login(t, c, victim, "wrong-password-x"); firstCode(s) != "TOO_MANY_ATTEMPTS" {
			t.Errorf("replica %d after 5 failures spread over both: %+v", i, s.Errors)
		}
	}
}

// TestLoginThrottle_UntrustedForwardedFor: a client that is not a trusted
// proxy cannot choose its address by sending X-Forwarded-For.
func TestLoginThrottle_UntrustedForwardedFor(t *testing.T) {
	env := apptest.New(t) // no trusted proxies
	victim := env.Users["WAREHOUSE"].Email
	for i := range 5 {
		login(t, from(env, t, fmt.Sprintf("192.0.2.%d", 100+i)), victim, "wrong-password-x")
	}
	if s := login(t, from(env, t, "192.0.2.200"), victim, "wrong-password-x"); firstCode(s) != "TOO_MANY_ATTEMPTS" {
		t.Fatalf("a forged X-Forwarded-For reset the throttle: %+v", s.Errors)
	}
}

// TestCost_Nodes: nodes(ids:) is charged per id and capped.
func TestCost_Nodes(t *testing.T) {
	env := apptest.New(t)
	admin := env.As(t, "ADMIN")
	id := apptest.ID(env.Users["ADMIN"].ID)
	ids := func(n int) []string { return slices.Repeat([]string{id}, n) }
	q := `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on User { email } } }`
	if r := admin.Do(t, q, apptest.Vars{"ids": ids(3)}); len(r.Errors) > 0 {
		t.Fatalf("3 ids: %+v", r.Errors)
	}
	if r := admin.Do(t, q, apptest.Vars{"ids": ids(101)}); fmt.Sprint(r.Codes()) != "[BAD_USER_INPUT]" ||
		!strings.Contains(r.Errors[0].Message, "exceeds the limit of 100") {
		t.Fatalf("101 ids: %+v, want BAD_USER_INPUT naming the limit", r.Errors)
	}
	// 100 ids each with a page of 50 orders is 5,000 order loads.
	nested := `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Customer { orders(first: 50) { edges { node { id } } } } } }`
	if r := admin.Do(t, nested, apptest.Vars{"ids": ids(100)}); fmt.Sprint(r.Codes()) != "[COMPLEXITY_LIMIT_EXCEEDED]" {
		t.Fatalf("100 ids × 50 orders: %+v, want COMPLEXITY_LIMIT_EXCEEDED", r.Errors)
	}
}

// TestCost_MutationsPerOperation: a mutation that moves money or stock is
// alone in its operation; others are bounded in number. Nothing of a
// refused operation runs.
func TestCost_MutationsPerOperation(t *testing.T) {
	env := apptest.New(t)
	wh := env.As(t, "WAREHOUSE")
	var item struct {
		CreateStockItem struct{ StockItem struct{ ID string } }
	}
	wh.MustDo(t, `mutation { createStockItem(input: {sku: "EDGE-1", name: "Edge", unitPrice: "1.00"}) { stockItem { id } } }`, nil, &item)
	itemID := item.CreateStockItem.StockItem.ID
	receive := func(alias string) string {
		return fmt.Sprintf(`%s: receiveStock(input: {stockItemId: $id, quantity: 1}) { errors { code } }`, alias)
	}
	r := wh.Do(t, `mutation($id: ID!) { `+receive("a")+" "+receive("b")+` }`, apptest.Vars{"id": itemID})
	if fmt.Sprint(r.Codes()) != "[MUTATION_LIMIT_EXCEEDED]" || !strings.Contains(r.Errors[0].Message, "receiveStock") {
		t.Fatalf("two receiveStock: %+v, want MUTATION_LIMIT_EXCEEDED naming it", r.Errors)
	}
	var stock struct {
		Node struct{ OnHand int }
	}
	wh.MustDo(t, `query($id: ID!) { node(id: $id) { ... on StockItem { onHand } } }`, apptest.Vars{"id": itemID}, &stock)
	if stock.Node.OnHand != 0 {
		t.Fatalf("on hand %d after a refused operation, want 0", stock.Node.OnHand)
	}
	if r := wh.Do(t, `mutation($id: ID!) { `+receive("a")+` }`, apptest.Vars{"id": itemID}); len(r.Errors) > 0 {
		t.Fatalf("one receiveStock: %+v", r.Errors)
	}
	read := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, `m%d: logout(input: {refreshToken: "unknown"}) { ok } `, i)
		}
		return "mutation { " + b.String() + "}"
	}
	if r := wh.Do(t, read(6), nil); fmt.Sprint(r.Codes()) != "[MUTATION_LIMIT_EXCEEDED]" {
		t.Fatalf("6 mutations: %+v, want MUTATION_LIMIT_EXCEEDED", r.Errors)
	}
}

// TestOutage_AuthenticationIsUnavailableNotSignedOut: while the database
// is cut off, a signed-in request is answered 503 SERVICE_UNAVAILABLE with
// Retry-After — never UNAUTHENTICATED — and login too; when the database is
// back, the same token works.
func TestOutage_AuthenticationIsUnavailableNotSignedOut(t *testing.T) {
	db, line := storetest.NewBehindLine(t)
	env := apptest.NewWith(t, db, app.Options{})
	rep := env.As(t, "SALES_REP")
	time.Sleep(account.ViewerTTL + 100*time.Millisecond) // the viewer is no longer cached: the request must read it
	line.Cut()
	r := rep.Do(t, `{ me { role } }`, nil)
	if r.Status != http.StatusServiceUnavailable || fmt.Sprint(r.Codes()) != "[SERVICE_UNAVAILABLE]" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("signed-in request during the outage: %d %+v Retry-After %q, want 503 SERVICE_UNAVAILABLE", r.Status, r.Errors, r.Header.Get("Retry-After"))
	}
	anon := env.As(t, "")
	if r := anon.Do(t, loginMutation, apptest.Vars{"e": env.Users["ADMIN"].Email, "p": apptest.Password}); fmt.Sprint(r.Codes()) != "[SERVICE_UNAVAILABLE]" {
		t.Fatalf("login during the outage: %+v, want SERVICE_UNAVAILABLE", r.Errors)
	}
	line.Mend(t)
	var me struct{ Me struct{ Role string } }
	rep.MustDo(t, `{ me { role } }`, nil, &me)
	if me.Me.Role != "SALES_REP" {
		t.Fatalf("after the outage: %+v", me)
	}
}

// TestSubscriptionOverPOST: a subscription sent as a plain request is
// refused at once instead of holding the connection.
func TestSubscriptionOverPOST(t *testing.T) {
	env := apptest.New(t)
	r := env.As(t, "ADMIN").Do(t, `subscription { notificationAdded { id } }`, nil)
	if len(r.Errors) != 1 || !strings.Contains(r.Errors[0].Message, "websocket") {
		t.Fatalf("subscription over POST: %+v, want an error pointing to websockets", r.Errors)
	}
}

// TestAccessTokenEndsWithItsSession: logout and a password change end the
// session's access token at once, not at its expiry; another session of
// the same user is untouched by a logout.
func TestAccessTokenEndsWithItsSession(t *testing.T) {
	env := apptest.New(t)
	anon := env.As(t, "")
	email := env.Users["SALES_REP"].Email
	signIn := func() (*apptest.Client, string) {
		s := login(t, anon, email, apptest.Password)
		c := env.As(t, "")
		c.Token = s.Session.AccessToken
		return c, s.Session.RefreshToken
	}
	works := func(c *apptest.Client) bool { return len(c.Do(t, `{ me { role } }`, nil).Errors) == 0 }

	phone, phoneRefresh := signIn()
	laptop, _ := signIn()
	anon.MustDo(t, `mutation($t: String!) { logout(input: {refreshToken: $t}) { ok } }`, apptest.Vars{"t": phoneRefresh}, nil)
	if r := phone.Do(t, `{ me { role } }`, nil); fmt.Sprint(r.Codes()) != "[UNAUTHENTICATED]" {
		t.Fatalf("access token after logout: %+v, want UNAUTHENTICATED", r.Errors)
	}
	if !works(laptop) {
		t.Fatal("logging out the phone ended the laptop's session")
	}
	var out struct {
		ChangePassword struct{ Errors []apptest.UserError }
	}
	laptop.MustDo(t, `mutation { changePassword(input: {currentPassword: "`+apptest.Password+`", newPassword: "a-new-password-42"}) { errors { code } } }`, nil, &out)
	if len(out.ChangePassword.Errors) > 0 {
		t.Fatal(out.ChangePassword.Errors)
	}
	if works(laptop) {
		t.Fatal("the access token still works after the password change")
	}
}

// TestIntrospection: anonymous callers cannot introspect the schema unless
// it is opened — they are told to sign in, whichever way the document asks —
// and signed-in ones can.
func TestIntrospection(t *testing.T) {
	q := `{ __schema { queryType { name } } }`
	closed := apptest.New(t)
	for _, doc := range []string{q, `{ __type(name: "Order") { name } }`,
		`query { ... on Query { __schema { types { name } } } }`, `query { ...s } fragment s on Query { __type(name: "Order") { name } }`} {
		r := closed.As(t, "").Do(t, doc, nil)
		if len(r.Errors) != 1 || r.Errors[0].Code() != "UNAUTHENTICATED" || r.Data != nil && string(r.Data) != "null" {
			t.Fatalf("anonymous %s: %+v %s", doc, r.Errors, r.Data)
		}
	}
	if r := closed.As(t, "").Do(t, `{ __typename }`, nil); len(r.Errors) > 0 {
		t.Fatalf("anonymous __typename: %+v", r.Errors)
	}
	if r := closed.As(t, "AUDITOR").Do(t, q, nil); len(r.Errors) > 0 {
		t.Fatalf("signed-in introspection: %+v", r.Errors)
	}
	open := apptest.NewWith(t, storetest.New(t), app.Options{Edge: httpapi.Edge{OpenIntrospection: true}})
	if r := open.As(t, "").Do(t, q, nil); len(r.Errors) > 0 {
		t.Fatalf("opened introspection, anonymous: %+v", r.Errors)
	}
}

// TestEmptyWritesCheckPermission: an update that changes nothing is still
// a write, refused to roles that may not write: it would bump the version
// and leave an audit event.
func TestEmptyWritesCheckPermission(t *testing.T) {
	env := apptest.New(t)
	f := permissionFixture(t, env)
	for _, c := range []struct {
		query string
		vars  apptest.Vars
		allow []string
	}{
		{`mutation($id: ID!) { updateCustomer(input: {id: $id, expectedVersion: 1}) { errors { code } } }`,
			apptest.Vars{"id": f.customerID}, customerWriter},
		{`mutation($id: ID!) { updateStockItem(input: {id: $id, expectedVersion: 1}) { errors { code } } }`,
			apptest.Vars{"id": f.stockItemID}, stockWriter},
	} {
		for _, role := range rolesOf(auth.Roles) {
			want := "FORBIDDEN"
			if slices.Contains(c.allow, role) {
				want = "ALLOWED"
			}
			if got := access(env.As(t, role).Do(t, c.query, c.vars)); got != want {
				t.Errorf("%s as %s: %s, want %s", c.query, role, got, want)
			}
		}
	}
}

// TestStockMovements_HideOtherRepsOrders: a rep reading an item's stock
// ledger sees receipts and their own orders' movements, never another
// rep's order; a manager sees them all.
func TestStockMovements_HideOtherRepsOrders(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 1, 0) // SALES_REP's customer
	q := `query($id: ID!) { node(id: $id) { ... on StockItem { movements(first: 50) { edges { node { kind orderId note } } } } } }`
	type ledger struct {
		Node struct {
			Movements struct {
				Edges []struct {
					Node struct {
						Kind    string
						OrderID *string
					}
				}
			}
		}
	}
	read := func(role string) (orders []string, all int) {
		var out ledger
		w.env.As(t, role).MustDo(t, q, apptest.Vars{"id": w.drillID}, &out)
		for _, e := range out.Node.Movements.Edges {
			if e.Node.OrderID != nil {
				orders = append(orders, *e.Node.OrderID)
			}
		}
		return orders, len(out.Node.Movements.Edges)
	}
	if orders, _ := read("SALES_REP"); !slices.Contains(orders, o.ID) {
		t.Fatalf("the order's own rep does not see its movement: %v", orders)
	}
	if orders, all := read("REP2"); len(orders) > 0 || all == 0 {
		t.Fatalf("another rep sees order movements %v (of %d), want receipts only", orders, all)
	}
	if orders, _ := read("SALES_MANAGER"); !slices.Contains(orders, o.ID) {
		t.Fatalf("the manager does not see the order's movement: %v", orders)
	}
}

// TestReadyz_Draining: /readyz answers 200 while serving and 503 once the
// server has begun to shut down.
func TestReadyz_Draining(t *testing.T) {
	env := apptest.New(t)
	status := func() int {
		res, err := http.Get(env.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := status(); s != http.StatusOK {
		t.Fatalf("serving: %d", s)
	}
	env.Drain()
	if s := status(); s != http.StatusServiceUnavailable {
		t.Fatalf("draining: %d, want 503", s)
	}
}

// TestWebsocketOrigin: browsers may open websockets from the API's own
// origin and the configured ones only; clients sending no Origin may.
func TestWebsocketOrigin(t *testing.T) {
	env := apptest.NewWith(t, storetest.New(t), app.Options{Edge: httpapi.Edge{Origins: []string{"https://crm.example.com"}}})
	for _, c := range []struct {
		origin string
		ok     bool
	}{
		{"", true},
		{"https://crm.example.com", true},
		{env.URL, true},
		{"https://evil.example", false},
		{"http://crm.example.com", false},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		header := http.Header{}
		if c.origin != "" {
			header.Set("Origin", c.origin)
		}
		conn, res, err := websocket.Dial(ctx, wsURL(env.URL), &websocket.DialOptions{Subprotocols: []string{transportWS}, HTTPHeader: header})
		cancel()
		if conn != nil {
			_ = conn.CloseNow()
		}
		if (err == nil) != c.ok {
			status := 0
			if res != nil {
				status = res.StatusCode
			}
			t.Errorf("Origin %q: err %v (status %d), want accepted=%v", c.origin, err, status, c.ok)
		}
	}
}
