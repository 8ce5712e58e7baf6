package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"orderdesk/app/apptest"
	"orderdesk/ent"
	"orderdesk/ent/auditevent"
	"orderdesk/ent/outboxevent"
	"orderdesk/webhook"
)

// receiver is an integrator's webhook endpoint: it checks every message's
// signature with the Standard Webhooks project's own library (not ours),
// keeps what it received, and answers as told.
type receiver struct {
	t       *testing.T
	ln      net.Listener
	srv     *http.Server
	addr    string
	mu      sync.Mutex
	secrets []string
	got     []message
	fail    int // answer 500 to this many more messages
	// during, when set, runs while a message is being received.
	during func()
}

type message struct {
	ID   string
	Type string
	Body map[string]any
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{t: t}
	r.up()
	t.Cleanup(r.down)
	return r
}

func (r *receiver) URL() string { return "http://" + r.addr + "/hooks" }

// up starts listening — on the same address as before, after down.
func (r *receiver) up() {
	addr := r.addr
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		r.t.Fatal(err)
	}
	r.ln, r.addr = ln, ln.Addr().String()
	r.srv = &http.Server{Handler: http.HandlerFunc(r.serve)}
	go func() { _ = r.srv.Serve(ln) }()
}

func (r *receiver) down() { _ = r.srv.Close() }

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	secrets, during := r.secrets, r.during
	r.mu.Unlock()
	if during != nil {
		during()
	}
	for _, s := range secrets {
		wh, err := standardwebhooks.NewWebhook(s)
		if err != nil {
			r.t.Errorf("secret %q: %v", s, err)
			return
		}
		if err := wh.Verify(body, req.Header); err != nil {
			r.t.Errorf("message %s does not verify with %s…: %v", req.Header.Get("webhook-id"), s[:10], err)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
	}
	var m message
	var env struct {
		ID, Type string
		Data     map[string]any
	}
	if err := json.Unmarshal(body, &env); err != nil {
		r.t.Errorf("message body: %v\n%s", err, body)
	}
	m.ID, m.Type, m.Body = req.Header.Get("webhook-id"), env.Type, env.Data
	if env.ID != m.ID {
		r.t.Errorf("body id %q, header %q", env.ID, m.ID)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail > 0 {
		r.fail--
		http.Error(w, "try later", http.StatusInternalServerError)
		return
	}
	r.got = append(r.got, m)
	w.WriteHeader(http.StatusNoContent)
}

// messages is what the receiver accepted, in order.
func (r *receiver) messages() []message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

type endpointView struct {
	ID, URL             string
	EventTypes          []string
	Active              bool
	ConsecutiveFailures int
	FlaggedAt           *string
}

const endpointFields = `id url eventTypes active consecutiveFailures flaggedAt`

type deliveryView struct {
	ID, Status, EventType, EventID, Payload string
	Attempts                                int
	LastStatusCode                          *int
	LastError                               string
	DeliveredAt                             *string
}

const deliveryFields = `id status eventType eventId payload attempts lastStatusCode lastError deliveredAt`

// subscribe has an integrator add r as an endpoint for types; the
// receiver checks signatures with the secret it got.
func (w *world) subscribe(t *testing.T, r *receiver, types ...string) endpointView {
	t.Helper()
	var p struct {
		Endpoint endpointView
		Secret   string
	}
	must(t, mutate(t, w.env.As(t, "INTEGRATOR"), "createWebhookEndpoint", `mutation($u: String!, $t: [String!]) {
		createWebhookEndpoint(input: {url: $u, eventTypes: $t, description: "ERP"}) { endpoint { `+endpointFields+` } secret `+userErrors+` } }`,
		apptest.Vars{"u": r.URL(), "t": types}, &p))
	if !strings.HasPrefix(p.Secret, "whsec_") {
		t.Fatalf("secret %q", p.Secret)
	}
	r.mu.Lock()
	r.secrets = []string{p.Secret}
	r.mu.Unlock()
	return p.Endpoint
}

func (w *world) deliveries(t *testing.T, endpointID string) []deliveryView {
	t.Helper()
	var out struct {
		WebhookDeliveries struct{ Edges []struct{ Node deliveryView } }
	}
	w.env.As(t, "INTEGRATOR").MustDo(t, `query($e: ID!) { webhookDeliveries(endpointId: $e, first: 100) { edges { node { `+
		deliveryFields+` } } } }`, apptest.Vars{"e": endpointID}, &out)
	var ds []deliveryView
	for _, e := range out.WebhookDeliveries.Edges {
		ds = append(ds, e.Node)
	}
	return ds
}

// relay makes one round of the webhook relay at the relay's clock.
func (w *world) relay(t *testing.T) int {
	t.Helper()
	n, err := w.env.Relay.Round(context.Background())
	if err != nil {
		t.Logf("relay round: %v", err)
	}
	return n
}

// later moves the relay's clock forward by d.
func (w *world) later(d time.Duration) {
	now := w.env.Relay.Now()
	w.env.Relay.Now = func() time.Time { return now.Add(d) }
}

// voidPaid has an order confirmed, paid and voided: cancel and refund in
// one action.
func (w *world) voidPaid(t *testing.T) orderView {
	t.Helper()
	o := w.createConfirmed(t, 1, 2)
	w.pay(t, o.ID, o.Total.Amount)
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "voidOrder", `mutation($o: ID!) { voidOrder(input: {orderId: $o,
		reasonCode: DUPLICATE_ORDER}) { `+userErrors+` } }`, apptest.Vars{"o": o.ID}, nil))
	return o
}

func types(ms []message) []string {
	var ts []string
	for _, m := range ms {
		ts = append(ts, m.Type)
	}
	return ts
}

// TestWebhook_CancelAndRefundReachTheReceiverOnce: every event of a void
// with its refund and stock released reaches the endpoint once, signed,
// in the order it committed, with the order as the action left it; a
// second round sends nothing again; the deliveries say how each went.
func TestWebhook_CancelAndRefundReachTheReceiverOnce(t *testing.T) {
	w := newWorld(t)
	r := newReceiver(t)
	ep := w.subscribe(t, r, "order.*", "payment.*", "cancellation.*", "stock.*")
	// Another receiver takes only the void itself, whose event comes after
	// the one of the void's events that stores the order.
	voids := newReceiver(t)
	w.subscribe(t, voids, "order.voided")
	o := w.voidPaid(t)
	w.relay(t)
	got := r.messages()
	ids := map[string]bool{}
	for _, m := range got {
		if ids[m.ID] {
			t.Fatalf("event %s received twice", m.ID)
		}
		ids[m.ID] = true
	}
	ts := types(got)
	for _, want := range []string{"order.created", "order.confirmed", "payment.captured", "cancellation.requested",
		"payment.refunded", "stock.moved", "order.voided"} {
		if !slices.Contains(ts, want) {
			t.Fatalf("no %s among %v", want, ts)
		}
	}
	if slices.Index(ts, "order.confirmed") > slices.Index(ts, "order.voided") {
		t.Fatalf("out of order: %v", ts)
	}
	voided := got[slices.Index(ts, "order.voided")]
	order, _ := voided.Body["order"].(map[string]any)
	if order == nil {
		t.Fatalf("order.voided carries no order: %v", voided.Body)
	}
	if order["id"] != o.ID || order["status"] != "VOIDED" || order["number"] != o.Number ||
		order["refundable"].(map[string]any)["amount"] != "0.00" {
		t.Fatalf("order.voided shows the order as %v", order)
	}
	// Every event of the void shows the order as the void left it.
	for _, m := range got[slices.Index(ts, "cancellation.requested"):] {
		if !reflect.DeepEqual(m.Body["order"], order) {
			t.Fatalf("%s shows the order as %v, order.voided as %v", m.Type, m.Body["order"], order)
		}
	}
	if only := voids.messages(); len(only) != 1 || !reflect.DeepEqual(only[0].Body["order"], order) {
		t.Fatalf("the receiver of order.voided alone got %+v", only)
	}
	if w.relay(t); len(r.messages()) != len(got) {
		t.Fatalf("a second round sent %d more", len(r.messages())-len(got))
	}
	ds := w.deliveries(t, ep.ID)
	if len(ds) != len(got) {
		t.Fatalf("%d deliveries for %d messages", len(ds), len(got))
	}
	for _, d := range ds {
		if d.Status != "SUCCEEDED" || d.Attempts != 1 || d.LastStatusCode == nil || *d.LastStatusCode != 204 || !ids[d.EventID] ||
			!strings.Contains(d.Payload, d.EventID) {
			t.Fatalf("delivery %+v", d)
		}
	}
}

// TestWebhook_SharedOrderAcrossBatches: when the relay dispatches one
// event at a time, each event of a void that shares its order finds it in
// an event an earlier batch dispatched, and still arrives whole.
func TestWebhook_SharedOrderAcrossBatches(t *testing.T) {
	w := newWorld(t)
	r := newReceiver(t)
	w.subscribe(t, r, "cancellation.*", "payment.*", "stock.*", "order.voided")
	w.env.Relay.Batch = 1
	w.voidPaid(t)
	w.relay(t)
	got := r.messages()
	ts := types(got)
	first := slices.Index(ts, "cancellation.requested")
	voided := slices.Index(ts, "order.voided")
	if first < 0 || voided < first+2 {
		t.Fatalf("the void's events: %v", ts)
	}
	want, _ := got[voided].Body["order"].(map[string]any)
	if want == nil || want["status"] != "VOIDED" {
		t.Fatalf("order.voided shows the order as %v", got[voided].Body["order"])
	}
	for _, m := range got[first:] {
		if !reflect.DeepEqual(m.Body["order"], want) {
			t.Fatalf("%s shows the order as %v, order.voided as %v", m.Type, m.Body["order"], want)
		}
	}
}

// TestWebhook_RetriesAndADownReceiver: a receiver answering 500 gets the
// message again after the backoff; one that is down for a while gets
// everything, in order, when it is back; given up after the last retry,
// the delivery is FAILED and the endpoint flagged after FlagAfter such.
func TestWebhook_RetriesAndADownReceiver(t *testing.T) {
	w := newWorld(t)
	r := newReceiver(t)
	ep := w.subscribe(t, r, "order.*")
	r.fail = 2
	o := w.createConfirmed(t, 1, 0)
	w.relay(t)
	if n := len(r.messages()); n != 0 {
		t.Fatalf("%d accepted while the receiver answers 500", n)
	}
	w.later(time.Minute)
	w.relay(t) // second attempt: 500 again
	w.later(10 * time.Minute)
	w.relay(t)
	got := types(r.messages())
	if !slices.Equal(got, []string{"order.created", "order.submitted", "order.confirmed"}) {
		t.Fatalf("after the retries: %v", got)
	}
	for _, d := range w.deliveries(t, ep.ID) {
		if d.EventType == "order.created" && (d.Attempts != 3 || d.Status != "SUCCEEDED") {
			t.Fatalf("the retried delivery: %+v", d)
		}
	}

	// The void's first delivery is answered 500; then the receiver goes
	// down, and the retry finds nobody: its last status code is gone with
	// the answer, not kept from the attempt before.
	r.fail = 1
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "voidOrder", `mutation($o: ID!) { voidOrder(input: {orderId: $o,
		reasonCode: ENTRY_ERROR}) { `+userErrors+` } }`, apptest.Vars{"o": o.ID}, nil))
	w.relay(t)
	r.down()
	w.later(time.Minute)
	w.relay(t)
	var pending *deliveryView
	for _, d := range w.deliveries(t, ep.ID) {
		if d.Status == "PENDING" && d.Attempts == 2 {
			pending = &d
		}
	}
	if pending == nil || pending.LastError == "" || pending.LastStatusCode != nil {
		t.Fatalf("the retry while the receiver is down: %+v, want PENDING after 2 attempts, an error and no status code", pending)
	}
	r.up()
	for range 4 {
		w.later(3 * time.Hour)
		w.relay(t)
	}
	if got := types(r.messages()); !slices.Contains(got, "order.voided") {
		t.Fatalf("after the receiver came back: %v", got)
	}

	w.env.Relay.Retries = []time.Duration{time.Second}
	w.env.Relay.FlagAfter = 1
	r.fail = 100
	w.createConfirmed(t, 1, 0)
	for range 3 {
		w.later(time.Hour)
		w.relay(t)
	}
	failed := 0
	for _, d := range w.deliveries(t, ep.ID) {
		if d.Status == "FAILED" {
			failed++
		}
	}
	var e struct{ Node endpointView }
	w.env.As(t, "INTEGRATOR").MustDo(t, `query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { `+endpointFields+` } } }`,
		apptest.Vars{"id": ep.ID}, &e)
	if failed == 0 || e.Node.FlaggedAt == nil || e.Node.ConsecutiveFailures < 1 {
		t.Fatalf("given up: %d failed, endpoint %+v", failed, e.Node)
	}
}

// TestWebhook_RelayDiesMidDelivery: a relay that dies after the receiver
// took a message but before recording it leaves the delivery to be taken
// again when its lease ends; the receiver gets it again under the same
// webhook-id, so nothing is lost and a receiver that drops repeats sees
// it once.
func TestWebhook_RelayDiesMidDelivery(t *testing.T) {
	w := newWorld(t)
	r := newReceiver(t)
	ep := w.subscribe(t, r, "order.created")
	w.createConfirmed(t, 1, 0)
	ctx, kill := context.WithCancel(context.Background())
	r.during = kill // the relay dies while the message is on its way
	_, _ = w.env.Relay.Round(ctx)
	r.during = nil
	ds := w.deliveries(t, ep.ID)
	if len(ds) != 1 || ds[0].Status != "PENDING" {
		t.Fatalf("after the relay died: %+v", ds)
	}
	w.relay(t)
	if n := len(r.messages()); n > 1 {
		t.Fatalf("taken again before its lease ended: %d", n)
	}
	w.later(2 * w.env.Relay.Lease)
	w.relay(t)
	got := r.messages()
	if len(got) == 0 || got[len(got)-1].ID != ds[0].EventID {
		t.Fatalf("after the lease: %+v", got)
	}
	if d := w.deliveries(t, ep.ID)[0]; d.Status != "SUCCEEDED" {
		t.Fatalf("redelivered: %+v", d)
	}
}

// TestWebhook_ManageRotateRedeliver: bad endpoints are refused with what
// is wrong; during a rotation messages carry both signatures; a
// redelivery sends the event again under its id; an inactive endpoint
// gets nothing; only administrators and integrators manage webhooks.
func TestWebhook_ManageRotateRedeliver(t *testing.T) {
	w := newWorld(t)
	r := newReceiver(t)
	create := `mutation($u: String!, $t: [String!]) { createWebhookEndpoint(input: {url: $u, eventTypes: $t}) { ` + userErrors + ` } }`
	integrator := w.env.As(t, "INTEGRATOR")
	for _, c := range []struct{ url, typ string }{
		{"ftp://example.com/x", "order.*"}, {"http://10.1.2.3/hooks", "order.*"}, {"http://user:pw@example.com/", "order.*"},
		{"https://example.com/hooks", "user.*"}, {"https://example.com/hooks", "order"},
	} {
		wantCode(t, mutate(t, integrator, "createWebhookEndpoint", create, apptest.Vars{"u": c.url, "t": []string{c.typ}}, nil), "INVALID")
	}
	if res := w.env.As(t, "SALES_REP").Do(t, create, apptest.Vars{"u": r.URL()}); len(res.Errors) == 0 {
		t.Fatal("a sales rep created a webhook endpoint")
	}

	ep := w.subscribe(t, r, "order.created")
	old := r.secrets[0]
	var rot struct{ Secret string }
	must(t, mutate(t, integrator, "rotateWebhookSecret", `mutation($id: ID!) { rotateWebhookSecret(input: {id: $id}) { secret `+
		userErrors+` } }`, apptest.Vars{"id": ep.ID}, &rot))
	r.secrets = []string{old, rot.Secret} // each must verify the message alone
	w.createConfirmed(t, 1, 0)
	w.relay(t)
	if n := len(r.messages()); n != 1 {
		t.Fatalf("%d messages during the rotation", n)
	}
	r.secrets = []string{rot.Secret}
	d := w.deliveries(t, ep.ID)[0]
	var p struct{ Delivery deliveryView }
	must(t, mutate(t, integrator, "redeliverWebhook", `mutation($d: ID!) { redeliverWebhook(input: {deliveryId: $d}) { delivery { `+
		deliveryFields+` } `+userErrors+` } }`, apptest.Vars{"d": d.ID}, &p))
	w.relay(t)
	got := r.messages()
	if p.Delivery.Status != "PENDING" || len(got) != 2 || got[1].ID != d.EventID {
		t.Fatalf("redelivered %+v: %+v", p.Delivery, got)
	}

	must(t, mutate(t, integrator, "updateWebhookEndpoint", `mutation($id: ID!) { updateWebhookEndpoint(input: {id: $id, active: false}) { `+
		userErrors+` } }`, apptest.Vars{"id": ep.ID}, nil))
	w.createConfirmed(t, 1, 0)
	w.relay(t)
	if n := len(r.messages()); n != 2 {
		t.Fatalf("an inactive endpoint got %d messages", n-2)
	}
	must(t, mutate(t, w.env.As(t, "ADMIN"), "deleteWebhookEndpoint", `mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) { deletedId `+
		userErrors+` } }`, apptest.Vars{"id": ep.ID}, nil))
}

// TestWebhook_RetentionSweep: events dispatched longer ago than the
// retention go with their settled deliveries; one whose delivery is still
// pending, and recent ones, stay.
func TestWebhook_RetentionSweep(t *testing.T) {
	w := newWorld(t)
	r := newReceiver(t)
	ep := w.subscribe(t, r, "order.created")
	w.createConfirmed(t, 1, 0)
	w.relay(t) // delivered
	r.fail = 100
	w.createConfirmed(t, 1, 0)
	w.relay(t) // pending
	if n := len(w.deliveries(t, ep.ID)); n != 2 {
		t.Fatalf("%d deliveries", n)
	}
	if n, err := w.env.Relay.Sweep(context.Background(), time.Now()); err != nil || n != 0 {
		t.Fatalf("swept %d recent events: %v", n, err)
	}
	n, err := w.env.Relay.Sweep(context.Background(), time.Now().Add(webhook.Retention+time.Hour))
	ds := w.deliveries(t, ep.ID)
	if err != nil || n == 0 || len(ds) != 1 || ds[0].Status != "PENDING" {
		t.Fatalf("swept %d (%v); left %+v", n, err, ds)
	}
}

// TestOutbox_OnlyWhatCommits: a dry run and a refused action put nothing
// in the outbox; a void that commits puts its events there (order.voided
// among them), no more than the audit events of its transaction.
func TestOutbox_OnlyWhatCommits(t *testing.T) {
	w := newWorld(t)
	env := w.env
	w.subscribe(t, newReceiver(t)) // takes every type
	o := w.createConfirmed(t, 1, 0)
	w.pay(t, o.ID, "129.00")
	events := func() []*ent.OutboxEvent {
		return env.DB.Client.OutboxEvent.Query().Order(ent.Asc(outboxevent.FieldID)).AllX(env.Sys)
	}
	before := len(events())
	rep := env.As(t, "SALES_REP")
	must(t, mutate(t, rep, "requestOrderCancellation", `mutation($o: ID!) { requestOrderCancellation(input: {orderId: $o,
		reasonCode: CUSTOMER_REQUEST, dryRun: true}) { `+userErrors+` } }`, apptest.Vars{"o": o.ID}, nil))
	errs := mutate(t, rep, "cancelOrder", `mutation($o: ID!) { cancelOrder(input: {orderId: $o, reasonCode: CUSTOMER_REQUEST}) {
		`+userErrors+` } }`, apptest.Vars{"o": o.ID}, nil)
	if len(errs) != 1 || errs[0].Code != "APPROVAL_REQUIRED" {
		t.Fatalf("cancelling a paid order without approval: %+v", errs)
	}
	if n := len(events()); n != before {
		t.Fatalf("%d outbox events after a dry run and a refusal, want %d", n, before)
	}
	lastAudit := lastEventID(t, env)
	must(t, mutate(t, env.As(t, "SALES_MANAGER"), "voidOrder", `mutation($o: ID!) { voidOrder(input: {orderId: $o,
		reasonCode: ENTRY_ERROR}) { `+userErrors+` } }`, apptest.Vars{"o": o.ID}, nil))
	added := events()[before:]
	audits := env.DB.Client.AuditEvent.Query().Where(auditevent.IDGT(lastAudit)).Order(ent.Asc(auditevent.FieldID)).AllX(env.Sys)
	if len(added) == 0 || len(added) > len(audits) {
		t.Fatalf("the void put %d events in the outbox for %d audit events", len(added), len(audits))
	}
	// The void's events carry one snapshot of the order between them: the
	// first stores it, the others share it (the relay completes those an
	// endpoint takes; here none does).
	holders := 0
	for i, e := range added {
		if e.OrderID == nil {
			continue
		}
		if _, has := e.Data["order"]; has == e.SharesOrder || (i == 0 && e.SharesOrder) {
			t.Fatalf("event %d (%s): order stored %t, shares the order %t", i, e.Type, has, e.SharesOrder)
		} else if has {
			holders++
		}
	}
	if holders != 1 {
		t.Fatalf("%d of the void's %d events store the order, want 1", holders, len(added))
	}
	for _, e := range added {
		if e.Type == "order.voided" {
			return
		}
	}
	t.Fatalf("no order.voided among %d outbox events", len(added))
}

// TestOutbox_OnlyWhatSomeEndpointTakes: an action writes to the outbox the
// events some active endpoint takes and no others: none while no endpoint
// exists, those of an endpoint's types, all once one takes every type;
// switching that one off and deleting the other narrow it again. What is
// written still carries the order whole to the endpoint.
func TestOutbox_OnlyWhatSomeEndpointTakes(t *testing.T) {
	w := newWorld(t)
	integrator := w.env.As(t, "INTEGRATOR")
	last := func() int {
		e, err := w.env.DB.Client.OutboxEvent.Query().Order(ent.Desc(outboxevent.FieldID)).First(w.env.Sys)
		if ent.IsNotFound(err) {
			return 0
		}
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	// written: the types a paid order's creation, payment and void write.
	written := func() []string {
		before := last()
		w.voidPaid(t)
		var ts []string
		for _, e := range w.env.DB.Client.OutboxEvent.Query().Where(outboxevent.IDGT(before)).
			Order(ent.Asc(outboxevent.FieldID)).AllX(w.env.Sys) {
			ts = append(ts, e.Type)
		}
		return ts
	}
	onlyPayments := func(step string, ts []string) {
		t.Helper()
		if !slices.Contains(ts, "payment.captured") || !slices.Contains(ts, "payment.refunded") {
			t.Fatalf("%s: %v, want payment.captured and payment.refunded", step, ts)
		}
		for _, x := range ts {
			if !strings.HasPrefix(x, "payment.") {
				t.Fatalf("%s: %s written among %v, which only payment.* is taken", step, x, ts)
			}
		}
	}
	if ts := written(); len(ts) != 0 {
		t.Fatalf("no endpoint: %v written", ts)
	}
	payments := newReceiver(t)
	paymentsEP := w.subscribe(t, payments, "payment.*")
	onlyPayments("an endpoint of payment.*", written())
	every := w.subscribe(t, newReceiver(t))
	ts := written()
	for _, want := range []string{"order.created", "order.confirmed", "payment.captured", "cancellation.requested",
		"payment.refunded", "stock.moved", "order.voided"} {
		if !slices.Contains(ts, want) {
			t.Fatalf("an endpoint of every type: no %s among %v", want, ts)
		}
	}
	must(t, mutate(t, integrator, "updateWebhookEndpoint", `mutation($id: ID!) { updateWebhookEndpoint(input: {id: $id, active: false}) {
		`+userErrors+` } }`, apptest.Vars{"id": every.ID}, nil))
	onlyPayments("the endpoint of every type switched off", written())
	// The endpoint of payment.* gets every payment event written for it,
	// each with its order.
	w.relay(t)
	must(t, mutate(t, integrator, "deleteWebhookEndpoint", `mutation($id: ID!) { deleteWebhookEndpoint(input: {id: $id}) {
		`+userErrors+` } }`, apptest.Vars{"id": paymentsEP.ID}, nil))
	if ts := written(); len(ts) != 0 {
		t.Fatalf("the endpoint of payment.* deleted, the other off: %v written", ts)
	}
	got := payments.messages()
	if len(got) != 6 {
		t.Fatalf("the endpoint of payment.* got %v, want 3 captures and 3 refunds", types(got))
	}
	for _, m := range got {
		if order, _ := m.Body["order"].(map[string]any); order == nil || order["number"] == nil {
			t.Fatalf("%s carries the order as %v", m.Type, m.Body["order"])
		}
	}
}

// TestOutbox_WithoutTheInterestEverythingIsWritten: should the webhook
// interest's row be missing (the migrations insert it), actions write all
// their events, and the next change to the endpoints makes it again.
func TestOutbox_WithoutTheInterestEverythingIsWritten(t *testing.T) {
	w := newWorld(t)
	if _, err := w.env.DB.SQL.Exec("DELETE FROM webhook_interests"); err != nil {
		t.Fatal(err)
	}
	count := func() int { return w.env.DB.Client.OutboxEvent.Query().CountX(w.env.Sys) }
	w.voidPaid(t)
	if n := count(); n == 0 {
		t.Fatal("no interest row: nothing written")
	}
	w.subscribe(t, newReceiver(t), "payment.refunded")
	if n := w.env.DB.Client.WebhookInterest.Query().CountX(w.env.Sys); n != 1 {
		t.Fatalf("%d interest rows after an endpoint was created, want 1", n)
	}
	before := count()
	w.voidPaid(t)
	added := w.env.DB.Client.OutboxEvent.Query().Order(ent.Desc(outboxevent.FieldID)).Limit(count() - before).AllX(w.env.Sys)
	if len(added) != 1 || added[0].Type != "payment.refunded" {
		t.Fatalf("then a void wrote %d events (%v), want its payment.refunded alone", len(added), added)
	}
}
