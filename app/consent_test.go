package app_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"orderdesk/app"
	"orderdesk/app/apptest"
	"orderdesk/order"
	"orderdesk/store/storetest"
)

// The customer's consent to a cancellation (征得客户同意): a requested
// cancellation that moves money can go to the customer's confirmation page
// before anyone approves it — when the requester asks, or when policy asks
// it of every one the customer did not ask for themselves.

type consentView struct {
	ID, Status              string
	CustomerDecision        *string
	CustomerDecisionAddress *string
	ManagerApprovedBy       *cxRef
	AmountRefunded          struct{ Amount string }
	Effect                  *struct{ AmountRefunded struct{ Amount string } }
	NeedsFinanceApproval    bool
	NeedsManagerApproval    bool
}

const consentFields = `id status customerDecision customerDecisionAddress managerApprovedBy { id }
	amountRefunded { amount } effect { amountRefunded { amount } } needsFinanceApproval needsManagerApproval`

const consentRequest = `mutation($in: CancelOrderInput!) { requestOrderCancellation(input: $in) {
	cancellation { ` + consentFields + ` } ` + userErrors + ` } }`

// consentWorld is a world whose policy asks the customer's consent to
// cancellations that refund money they did not ask for.
func consentWorld(t *testing.T) *world {
	t.Helper()
	p := order.DefaultPolicy
	p.CancellationConsent = true
	w := newWorldOn(t, apptest.NewWith(t, storetest.New(t), app.Options{Policy: p}))
	w.reachCustomer(t, "buyer@acme.test", "en")
	return w
}

// requestCancel asks, as role, to cancel order o's first line by q (all of
// the order when q is 0) with the given extra input.
func (w *world) requestCancel(t *testing.T, role string, o orderView, q int, reason string, extra apptest.Vars) (consentView, []apptest.UserError) {
	t.Helper()
	in := apptest.Vars{"orderId": o.ID, "reasonCode": reason, "resolution": "REFUND"}
	if q > 0 {
		in["lines"] = []apptest.Vars{{"orderLineId": o.Lines[0].ID, "quantity": q}}
	}
	for k, v := range extra {
		in[k] = v
	}
	var p struct{ Cancellation consentView }
	errs := mutate(t, w.env.As(t, role), "requestOrderCancellation", consentRequest, apptest.Vars{"in": in}, &p)
	return p.Cancellation, errs
}

func (w *world) consent(t *testing.T, id string) consentView {
	t.Helper()
	var out struct{ Node consentView }
	w.env.As(t, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on CancellationRecord { `+consentFields+` } } }`,
		apptest.Vars{"id": id}, &out)
	return out.Node
}

// consentLink is the confirmation link in the latest notice asking the
// customer about a cancellation of order o, and that notice's body.
func (w *world) consentLink(t *testing.T, orderID string) (string, string) {
	t.Helper()
	var link, body string
	for _, n := range w.notices(t, "SALES_REP", orderID) {
		if n.Kind == "CANCELLATION_AWAITING_CUSTOMER" {
			body = n.Message.Body
			link = regexp.MustCompile(`https?://\S+/confirm/\S+`).FindString(body)
		}
	}
	if !strings.HasPrefix(link, w.env.URL+"/confirm/") {
		t.Fatalf("no confirmation link for the cancellation of %s: %q", orderID, link)
	}
	return link, body
}

const (
	consentApprove = `mutation($c: ID!) { approveOrderCancellation(input: {cancellationId: $c}) { cancellation { status } ` + userErrors + ` } }`
	consentReject  = `mutation($c: ID!) { rejectOrderCancellation(input: {cancellationId: $c, note: "sent by mistake"}) { ` + userErrors + ` } }`
)

// TestConsent_PolicySendsARefundToTheCustomerFirst (seeds 000/003, goods
// out of stock on a paid order): under the policy the rep's request waits
// for the customer — no approval, no second request meanwhile — and their
// page shows the quantities, totals and refund the execution would make;
// accepted, the request goes to the manager and finance as usual and
// executes with exactly that refund.
func TestConsent_PolicySendsARefundToTheCustomerFirst(t *testing.T) {
	w := consentWorld(t)
	o := w.createConfirmed(t, 2, 0)
	w.pay(t, o.ID, "258.00")
	c, errs := w.requestCancel(t, "SALES_REP", o, 1, "OUT_OF_STOCK", nil)
	must(t, errs)
	if c.Status != "AWAITING_CUSTOMER" || c.Effect == nil || c.Effect.AmountRefunded.Amount != "129.00" || c.ManagerApprovedBy != nil {
		t.Fatalf("requested under the policy: %+v", c)
	}
	link, body := w.consentLink(t, o.ID)
	for _, want := range []string{o.Number, "goods are out of stock", "DRL-100 Drill × 1", "258.00", "we would refund 129.00"} {
		if !strings.Contains(body, want) {
			t.Fatalf("the notice lacks %q:\n%s", want, body)
		}
	}
	wantCode(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "approveOrderCancellation", consentApprove, apptest.Vars{"c": c.ID}, nil), "INVALID_TRANSITION")
	_, errs = w.requestCancel(t, "SALES_REP", o, 1, "OUT_OF_STOCK", nil)
	wantCode(t, errs, "INVALID_TRANSITION")

	code, page1 := page(t, link, "")
	for _, want := range []string{o.Number, "DRL-100 Drill", "<td>2</td><td>1</td>", "258.00 EUR", "129.00 EUR",
		"We refund you 129.00 EUR", "Accept the cancellation", "Keep my order"} {
		if code != http.StatusOK || !strings.Contains(page1, want) {
			t.Fatalf("page %d lacks %q:\n%s", code, want, page1)
		}
	}
	if code, body := page(t, link, "accept"); code != http.StatusOK || !strings.Contains(body, "you accepted the cancellation") {
		t.Fatalf("accepting: %d\n%s", code, body)
	}
	got := w.consent(t, c.ID)
	if got.Status != "REQUESTED" || got.CustomerDecision == nil || *got.CustomerDecision != "ACCEPTED" ||
		got.CustomerDecisionAddress == nil || *got.CustomerDecisionAddress != "127.0.0.1" || !got.NeedsFinanceApproval {
		t.Fatalf("after the customer accepted: %+v", got)
	}
	if code, _ := page(t, link, "decline"); code != http.StatusConflict {
		t.Fatalf("a second decision with the same link: %d", code)
	}
	if !hasEvent(t, w, o.ID, "cancellation.customer_accepted") || !hasEvent(t, w, o.ID, "cancellation.sent_to_customer") {
		t.Error("the customer's step is not on the timeline")
	}
	var p struct{ Cancellation struct{ Status string } }
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "approveOrderCancellation", consentApprove, apptest.Vars{"c": c.ID}, &p))
	must(t, mutate(t, w.env.As(t, "FINANCE"), "approveOrderCancellation", consentApprove, apptest.Vars{"c": c.ID}, &p))
	after := w.order(t, o.ID)
	if p.Cancellation.Status != "EXECUTED" || w.consent(t, c.ID).AmountRefunded.Amount != "129.00" ||
		after.Total.Amount != "129.00" || after.Lines[0].QuantityCancelled != 1 {
		t.Fatalf("approved: %+v, order %+v", p, after)
	}
}

// TestConsent_PolicyLeavesAloneWhatTheCustomerAsked: under the policy, a
// cancellation the customer asked for (by its reason, or a logged contact)
// goes straight to the approvers, and one that moves no money executes at
// once as before.
func TestConsent_PolicyLeavesAloneWhatTheCustomerAsked(t *testing.T) {
	w := consentWorld(t)
	o := w.createConfirmed(t, 2, 0)
	w.pay(t, o.ID, "258.00")
	c, errs := w.requestCancel(t, "SALES_REP", o, 1, "CUSTOMER_REQUEST", nil)
	must(t, errs)
	if c.Status != "REQUESTED" {
		t.Fatalf("the customer's own request: %+v", c)
	}
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "rejectOrderCancellation", consentReject, apptest.Vars{"c": c.ID}, nil))

	agreed, errs := w.logContact(t, "SALES_REP", apptest.Vars{"orderId": o.ID, "summary": "客户同意取消一台"})
	must(t, errs)
	if c, errs = w.requestCancel(t, "SALES_REP", o, 1, "OUT_OF_STOCK", apptest.Vars{"customerContactId": agreed.ID}); len(errs) > 0 || c.Status != "REQUESTED" {
		t.Fatalf("agreed in a logged contact: %+v %v", c, errs)
	}
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "rejectOrderCancellation", consentReject, apptest.Vars{"c": c.ID}, nil))

	unpaid := w.createConfirmed(t, 1, 0)
	if c, errs = w.requestCancel(t, "SALES_REP", unpaid, 0, "OUT_OF_STOCK", nil); len(errs) > 0 || c.Status != "EXECUTED" {
		t.Fatalf("no money moves: %+v %v", c, errs)
	}
	for _, n := range append(w.notices(t, "SALES_REP", o.ID), w.notices(t, "SALES_REP", unpaid.ID)...) {
		if n.Kind == "CANCELLATION_AWAITING_CUSTOMER" {
			t.Fatalf("the customer was asked: %+v", n)
		}
	}
}

// TestConsent_AskedByAManagerThenDecided: without the policy a request may
// still be sent (askCustomer). A manager sending their own request has
// approved it: the customer's acceptance executes it at once where finance
// need not agree. A refusal rejects it and changes nothing; staff may
// withdraw one still with the customer, and voiding the order closes it;
// either way its link decides nothing more.
func TestConsent_AskedByAManagerThenDecided(t *testing.T) {
	w := newWorld(t)
	w.reachCustomer(t, "buyer@acme.test", "zh-CN")
	manager := apptest.ID(w.env.Users["SALES_MANAGER"].ID)

	unpaid := w.createConfirmed(t, 1, 0)
	c, errs := w.requestCancel(t, "SALES_MANAGER", unpaid, 0, "PRICE_ERROR", apptest.Vars{"askCustomer": true})
	must(t, errs)
	if c.Status != "AWAITING_CUSTOMER" {
		t.Fatalf("asked by a manager: %+v", c)
	}
	link, body := w.consentLink(t, unpaid.ID)
	if !strings.Contains(body, "价格有误") || !strings.Contains(body, "征得您的同意后我们才会取消") {
		t.Fatalf("the notice is not in the customer's language:\n%s", body)
	}
	if code, body := page(t, link, "accept"); code != http.StatusOK || !strings.Contains(body, "您已同意取消") {
		t.Fatalf("accepting: %d\n%s", code, body)
	}
	if got, o := w.consent(t, c.ID), w.order(t, unpaid.ID); got.Status != "EXECUTED" || o.Status != "CANCELLED" {
		t.Fatalf("accepted, needing no other approval: %+v, order %s", got, o.Status)
	}
	if onHand, reserved := w.available(t, w.drillID); onHand != 10 || reserved != 0 {
		t.Fatalf("stock after the cancellation: %d on hand, %d reserved", onHand, reserved)
	}

	paid := w.createConfirmed(t, 1, 0)
	w.pay(t, paid.ID, "129.00")
	c, errs = w.requestCancel(t, "SALES_MANAGER", paid, 0, "OUT_OF_STOCK", apptest.Vars{"askCustomer": true})
	must(t, errs)
	if c.Status != "AWAITING_CUSTOMER" || c.ManagerApprovedBy == nil || c.ManagerApprovedBy.ID != manager {
		t.Fatalf("a manager's own request sent to the customer: %+v", c)
	}
	link, _ = w.consentLink(t, paid.ID)
	if code, body := page(t, link, "decline"); code != http.StatusOK || !strings.Contains(body, "您已拒绝取消") {
		t.Fatalf("declining: %d\n%s", code, body)
	}
	if got, o := w.consent(t, c.ID), w.order(t, paid.ID); got.Status != "REJECTED" || *got.CustomerDecision != "DECLINED" ||
		o.Status != "CONFIRMED" || o.Refundable.Amount != "129.00" {
		t.Fatalf("declined: %+v, order %+v", got, o)
	}
	if !hasEvent(t, w, paid.ID, "cancellation.customer_declined") {
		t.Error("the refusal is not on the timeline")
	}

	c, errs = w.requestCancel(t, "SALES_REP", paid, 0, "OUT_OF_STOCK", apptest.Vars{"askCustomer": true})
	must(t, errs)
	link, _ = w.consentLink(t, paid.ID)
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "rejectOrderCancellation", consentReject, apptest.Vars{"c": c.ID}, nil))
	if code, body := page(t, link, ""); code != http.StatusOK || !strings.Contains(body, "此取消已无需您确认") || strings.Contains(body, `id="accept"`) {
		t.Fatalf("a withdrawn request's page: %d\n%s", code, body)
	}
	if code, _ := page(t, link, "accept"); code != http.StatusConflict {
		t.Fatalf("accepting a withdrawn request: %d", code)
	}

	c, errs = w.requestCancel(t, "SALES_REP", paid, 0, "OUT_OF_STOCK", apptest.Vars{"askCustomer": true})
	must(t, errs)
	link, _ = w.consentLink(t, paid.ID)
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "voidOrder", `mutation($o: ID!) { voidOrder(input: {orderId: $o,
		reasonCode: DUPLICATE_ORDER}) { `+userErrors+` } }`, apptest.Vars{"o": paid.ID}, nil))
	if got := w.consent(t, c.ID); got.Status != "REJECTED" {
		t.Fatalf("a request with the customer when the order was voided: %+v", got)
	}
	if code, _ := page(t, link, "accept"); code != http.StatusConflict {
		t.Fatalf("accepting on a voided order: %d", code)
	}
}

// TestConsent_Refusals: askCustomer is for requests only, and not for an
// agreement already recorded.
func TestConsent_Refusals(t *testing.T) {
	w := newWorld(t)
	w.reachCustomer(t, "buyer@acme.test", "en")
	o := w.createConfirmed(t, 1, 0)
	wantCode(t, mutate(t, w.env.As(t, "SALES_REP"), "cancelOrder", `mutation($o: ID!) { cancelOrder(input: {orderId: $o,
		reasonCode: OUT_OF_STOCK, askCustomer: true}) { `+userErrors+` } }`, apptest.Vars{"o": o.ID}, nil), "INVALID")
	agreed, errs := w.logContact(t, "SALES_REP", apptest.Vars{"orderId": o.ID, "summary": "agreed on the phone"})
	must(t, errs)
	_, errs = w.requestCancel(t, "SALES_REP", o, 0, "OUT_OF_STOCK", apptest.Vars{"askCustomer": true, "customerContactId": agreed.ID})
	wantCode(t, errs, "INVALID")
	if got := w.order(t, o.ID); got.Status != "CONFIRMED" {
		t.Fatalf("a refused request changed the order: %+v", got)
	}
	for _, n := range w.notices(t, "SALES_REP", o.ID) {
		if n.Kind == "CANCELLATION_AWAITING_CUSTOMER" {
			t.Fatalf("a refused request asked the customer: %+v", n)
		}
	}
}
