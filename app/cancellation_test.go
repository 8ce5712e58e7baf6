package app_test

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"orderdesk/app/apptest"
	"orderdesk/auth"
	"orderdesk/ent/cancellationrecord"
	entnotification "orderdesk/ent/notification"
	"orderdesk/ent/user"
)

// The cancellation tests drive order/cancel.go through GraphQL: void,
// cancellation requests with manager and finance approval, the direct
// cancelOrder path, partial cancellations, shipped goods and the REORDER
// resolution. Their helpers carry a cx prefix so that they do not collide
// with the helpers of the package's other test files.

// cxRecordFields are the fields of a CancellationRecord the tests read.
const cxRecordFields = `id kind scope status reasonCode resolution needsManagerApproval needsFinanceApproval
	quantityReleased amountRefunded { amount } amountCancelled { amount } decisionNote
	lines { orderLineId quantity }
	requestedBy { id } managerApprovedBy { id } financeApprovedBy { id } decidedBy { id } newOrder { id }`

// cxPayloadFields is the selection of a CancellationPayload.
const cxPayloadFields = `order { ` + orderFields + ` }
	cancellation { ` + cxRecordFields + ` }
	newOrder { id status }
	preview { kind executes needsManagerApproval needsFinanceApproval statusAfter totalAfter { amount }
		amountRefunded { amount } amountCancelled { amount } quantityReleased lines { orderLineId quantity } createsReorder }
	errors { code field message }`

type cxRef struct{ ID string }

type cxLineQuantity struct {
	OrderLineID string
	Quantity    int
}

type cxRecord struct {
	ID, Kind, Scope, Status, ReasonCode, Resolution string
	NeedsManagerApproval, NeedsFinanceApproval      bool
	QuantityReleased                                int
	AmountRefunded, AmountCancelled                 struct{ Amount string }
	DecisionNote                                    *string
	Lines                                           []cxLineQuantity
	RequestedBy, ManagerApprovedBy                  *cxRef
	FinanceApprovedBy, DecidedBy, NewOrder          *cxRef
}

type cxPreview struct {
	Kind                                        string
	Executes                                    bool
	NeedsManagerApproval, NeedsFinanceApproval  bool
	StatusAfter                                 string
	TotalAfter, AmountRefunded, AmountCancelled struct{ Amount string }
	QuantityReleased                            int
	Lines                                       []cxLineQuantity
	CreatesReorder                              bool
}

type cxPayload struct {
	Order        orderView
	Cancellation *cxRecord
	NewOrder     *struct{ ID, Status string }
	Preview      *cxPreview
}

var cxInputType = map[string]string{
	"requestOrderCancellation": "CancelOrderInput",
	"cancelOrder":              "CancelOrderInput",
	"voidOrder":                "VoidOrderInput",
	"approveOrderCancellation": "CancellationDecisionInput",
	"rejectOrderCancellation":  "CancellationDecisionInput",
}

// cx runs one of the cancellation mutations with the given input and
// returns its payload and payload errors.
func cx(t *testing.T, c *apptest.Client, field string, in apptest.Vars) (cxPayload, []apptest.UserError) {
	t.Helper()
	var p cxPayload
	errs := mutate(t, c, field, fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { %s } }`,
		cxInputType[field], field, cxPayloadFields), apptest.Vars{"in": in}, &p)
	return p, errs
}

// cxMust is cx that fails the test on payload errors.
func cxMust(t *testing.T, c *apptest.Client, field string, in apptest.Vars) cxPayload {
	t.Helper()
	p, errs := cx(t, c, field, in)
	must(t, errs)
	return p
}

// cxWantError fails unless errs holds an error of code, on field when
// field is not "", whose message contains text when text is not "".
func cxWantError(t *testing.T, errs []apptest.UserError, code, field, text string) {
	t.Helper()
	for _, e := range errs {
		if e.Code != code {
			continue
		}
		if field != "" && (e.Field == nil || *e.Field != field) {
			continue
		}
		if text != "" && !strings.Contains(e.Message, text) {
			continue
		}
		return
	}
	t.Fatalf("want payload error %s (field %q, message containing %q), got %+v", code, field, text, errs)
}

// cxForbidden fails unless the query is refused with a top-level FORBIDDEN.
func cxForbidden(t *testing.T, c *apptest.Client, field string, in apptest.Vars) {
	t.Helper()
	r := c.Do(t, fmt.Sprintf(`mutation($in: %s!) { %s(input: $in) { errors { code } } }`, cxInputType[field], field),
		apptest.Vars{"in": in})
	if !slices.Contains(r.Codes(), "FORBIDDEN") {
		t.Fatalf("%s: want FORBIDDEN, got %+v %s", field, r.Errors, r.Data)
	}
}

// cxPay records a captured card payment as FINANCE and returns its id.
func cxPay(t *testing.T, w *world, orderID, amount string) string {
	t.Helper()
	var p struct{ Payment struct{ ID, Status string } }
	must(t, mutate(t, w.env.As(t, "FINANCE"), "recordPayment", `mutation($o: ID!, $a: Decimal!) {
		recordPayment(input: {orderId: $o, amount: $a, method: CARD, providerReference: "card-1"}) {
		payment { id status } errors { code field message } } }`, apptest.Vars{"o": orderID, "a": amount}, &p))
	if p.Payment.Status != "CAPTURED" {
		t.Fatalf("payment %+v", p.Payment)
	}
	return p.Payment.ID
}

// cxDetail is what the tests read of an order beyond orderFields.
type cxDetail struct {
	ID, Status    string
	Version       int
	Total         struct{ Amount string }
	PaymentStatus string
	ReorderedFrom *cxRef
	Reorders      []cxRef
	Lines         []struct {
		Sku                                           string
		Quantity, QuantityReserved, QuantityCancelled int
		UnitPrice, ListPrice                          struct{ Amount string }
	}
	Payments []struct {
		ID, Kind, Status string
		Amount, Refunded struct{ Amount string }
		RefundOf         *cxRef
		Cancellation     *cxRef
	}
	LedgerEntries []struct {
		Kind   string
		Amount struct{ Amount string }
	}
	Cancellations []cxRecord
	Events        []struct{ Action string }
}

func cxDetailOf(t *testing.T, w *world, id string) cxDetail {
	t.Helper()
	var out struct{ Node cxDetail }
	w.env.As(t, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order {
		id status version total { amount } paymentStatus reorderedFrom { id } reorders { id }
		lines { sku quantity quantityReserved quantityCancelled unitPrice { amount } listPrice { amount } }
		payments { id kind status amount { amount } refunded { amount } refundOf { id } cancellation { id } }
		ledgerEntries { kind amount { amount } }
		cancellations { `+cxRecordFields+` }
		events { action } } } }`, apptest.Vars{"id": id}, &out)
	if out.Node.ID != id {
		t.Fatalf("order %s not found: %+v", id, out.Node)
	}
	return out.Node
}

func (d cxDetail) actions() []string {
	var as []string
	for _, e := range d.Events {
		as = append(as, e.Action)
	}
	return as
}

// cxLine is the line of an order with the given SKU.
func cxLine(t *testing.T, o orderView, sku string) (id string, quantity, reserved, cancelled, shipped int) {
	t.Helper()
	for _, l := range o.Lines {
		if l.Sku == sku {
			return l.ID, l.Quantity, l.QuantityReserved, l.QuantityCancelled, l.QuantityShipped
		}
	}
	t.Fatalf("order %s has no %s line: %+v", o.ID, sku, o.Lines)
	return "", 0, 0, 0, 0
}

func cxAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return n
}

// cxRecipients lists, sorted, the recipients of the notifications of kind
// about a cancellation record (one entry per notification).
func cxRecipients(t *testing.T, env *apptest.Env, cancellationID, kind string) []int {
	t.Helper()
	var ids []int
	for _, n := range env.DB.Client.Notification.Query().Where(entnotification.SubjectType("CancellationRecord"),
		entnotification.SubjectID(cxAtoi(t, cancellationID)), entnotification.Kind(kind)).AllX(env.Sys) {
		ids = append(ids, n.RecipientID)
	}
	slices.Sort(ids)
	return ids
}

// cxNoticesOfOrder counts the notifications about an order.
func cxNoticesOfOrder(t *testing.T, env *apptest.Env, orderID string) int {
	t.Helper()
	return env.DB.Client.Notification.Query().Where(entnotification.OrderID(cxAtoi(t, orderID))).CountX(env.Sys)
}

// cxUsers lists the active users of the roles.
func cxUsers(t *testing.T, env *apptest.Env, roles ...auth.Role) []int {
	t.Helper()
	rs := make([]user.Role, len(roles))
	for i, r := range roles {
		rs[i] = user.Role(r)
	}
	return env.DB.Client.User.Query().Where(user.RoleIn(rs...), user.Active(true)).IDsX(env.Sys)
}

// cxSet merges id lists into a sorted list without duplicates, leaving out
// the ids in but.
func cxSet(but []int, lists ...[]int) []int {
	var out []int
	for _, l := range lists {
		for _, id := range l {
			if !slices.Contains(but, id) && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	slices.Sort(out)
	return out
}

func cxWantRecipients(t *testing.T, what string, got, want []int) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: notified users %v, want %v", what, got, want)
	}
}

// cxRecords counts the cancellation records of an order.
func cxRecords(t *testing.T, env *apptest.Env, orderID string) int {
	t.Helper()
	return env.DB.Client.CancellationRecord.Query().Where(cancellationrecord.OrderID(cxAtoi(t, orderID))).CountX(env.Sys)
}

// cxMinor reads a decimal amount with two decimals as cents.
func cxMinor(t *testing.T, amount string) int {
	t.Helper()
	return cxAtoi(t, strings.Replace(amount, ".", "", 1))
}

func cxRefIs(r *cxRef, id string) bool { return r != nil && r.ID == id }

func cxUserID(env *apptest.Env, role string) string { return apptest.ID(env.Users[role].ID) }

// TestScenario_Seed001PaidOrderVoided (seed 001, 作废): an order entered in
// error is voided after it was paid in full. A dry run previews exactly
// what happens and changes nothing; the void releases every reservation,
// refunds the charge, tells the owner, finance and the warehouse, and
// leaves an order nothing can change any more.
func TestScenario_Seed001PaidOrderVoided(t *testing.T) {
	w := newWorld(t)
	env := w.env
	// Second finance and warehouse users: the notice goes to every member.
	env.Users["FINANCE2"] = env.CreateUser(t, "finance2@test.local", auth.Finance)
	env.Users["WAREHOUSE2"] = env.CreateUser(t, "warehouse2@test.local", auth.Warehouse)
	o := w.createConfirmed(t, 2, 10)
	if o.Total.Amount != "323.00" {
		t.Fatalf("order total %s", o.Total.Amount)
	}
	chargeID := cxPay(t, w, o.ID, "323.00")
	manager := env.As(t, "SALES_MANAGER")

	before := cxDetailOf(t, w, o.ID)
	if before.Status != "CONFIRMED" || before.PaymentStatus != "PAID" || len(before.Payments) != 1 || len(before.LedgerEntries) != 1 {
		t.Fatalf("paid order before the void: %+v", before)
	}
	drillsOnHand, drillsReserved := w.available(t, w.drillID)
	glovesOnHand, glovesReserved := w.available(t, w.glovesID)
	if drillsReserved != 2 || glovesReserved != 10 {
		t.Fatalf("reserved before the void: drills %d, gloves %d", drillsReserved, glovesReserved)
	}
	noticesBefore := cxNoticesOfOrder(t, env, o.ID)

	// Dry run: the preview, and no change at all.
	in := apptest.Vars{"orderId": o.ID, "reasonCode": "ENTRY_ERROR", "note": "entered twice"}
	dry := apptest.Vars{"dryRun": true}
	for k, v := range in {
		dry[k] = v
	}
	p := cxMust(t, manager, "voidOrder", dry)
	pv := p.Preview
	if pv == nil || pv.Kind != "VOID" || !pv.Executes || pv.NeedsManagerApproval || pv.NeedsFinanceApproval ||
		pv.StatusAfter != "VOIDED" || pv.AmountRefunded.Amount != "323.00" || pv.AmountCancelled.Amount != "0.00" ||
		pv.QuantityReleased != 12 || pv.TotalAfter.Amount != "0.00" || len(pv.Lines) != 2 || pv.CreatesReorder {
		t.Fatalf("dry-run preview: %+v", pv)
	}
	if p.Cancellation != nil || p.Order.Status != "CONFIRMED" || p.Order.Version != before.Version {
		t.Fatalf("dry-run payload: cancellation %+v, order %+v", p.Cancellation, p.Order)
	}
	after := cxDetailOf(t, w, o.ID)
	if after.Status != "CONFIRMED" || after.Version != before.Version || after.PaymentStatus != "PAID" ||
		len(after.Payments) != 1 || after.Payments[0].Refunded.Amount != "0.00" || len(after.LedgerEntries) != 1 ||
		len(after.Cancellations) != 0 {
		t.Fatalf("the dry run changed the order: %+v", after)
	}
	if on, res := w.available(t, w.drillID); on != drillsOnHand || res != drillsReserved {
		t.Fatalf("the dry run moved drills: onHand %d reserved %d", on, res)
	}
	if on, res := w.available(t, w.glovesID); on != glovesOnHand || res != glovesReserved {
		t.Fatalf("the dry run moved gloves: onHand %d reserved %d", on, res)
	}
	if n := cxNoticesOfOrder(t, env, o.ID); n != noticesBefore {
		t.Fatalf("the dry run sent %d notifications", n-noticesBefore)
	}
	if cxRecords(t, env, o.ID) != 0 {
		t.Fatal("the dry run left a cancellation record")
	}

	// The void itself.
	in["idempotencyKey"] = "void-seed-001"
	p = cxMust(t, manager, "voidOrder", in)
	rec := p.Cancellation
	if p.Order.Status != "VOIDED" || p.Order.PaymentStatus != "REFUNDED" || p.Order.Outstanding.Amount != "0.00" ||
		p.Order.Refundable.Amount != "0.00" {
		t.Fatalf("voided order: %+v", p.Order)
	}
	if rec == nil || rec.Kind != "VOID" || rec.Scope != "FULL" || rec.Status != "EXECUTED" || rec.ReasonCode != "ENTRY_ERROR" ||
		rec.AmountRefunded.Amount != "323.00" || rec.AmountCancelled.Amount != "0.00" || rec.QuantityReleased != 12 ||
		!cxRefIs(rec.RequestedBy, cxUserID(env, "SALES_MANAGER")) {
		t.Fatalf("void record: %+v", rec)
	}
	for _, l := range p.Order.Lines {
		if l.QuantityReserved != 0 || l.QuantityCancelled != l.Quantity {
			t.Errorf("line %s after the void: %+v", l.Sku, l)
		}
	}
	if pv := p.Preview; pv == nil || !pv.Executes || pv.StatusAfter != "VOIDED" || pv.AmountRefunded.Amount != "323.00" || pv.QuantityReleased != 12 {
		t.Errorf("preview of the executed void: %+v", p.Preview)
	}

	d := cxDetailOf(t, w, o.ID)
	var refunds int
	for _, pay := range d.Payments {
		switch pay.Kind {
		case "CHARGE":
			if pay.ID != chargeID || pay.Status != "CAPTURED" || pay.Refunded.Amount != "323.00" {
				t.Errorf("charge after the void: %+v", pay)
			}
		case "REFUND":
			refunds++
			if pay.Status != "CAPTURED" || pay.Amount.Amount != "323.00" || !cxRefIs(pay.RefundOf, chargeID) ||
				!cxRefIs(pay.Cancellation, rec.ID) {
				t.Errorf("refund: %+v", pay)
			}
		}
	}
	if refunds != 1 {
		t.Errorf("want one refund, payments %+v", d.Payments)
	}
	ledger := map[string]string{}
	for _, e := range d.LedgerEntries {
		ledger[e.Kind] = e.Amount.Amount
	}
	if len(d.LedgerEntries) != 2 || ledger["CHARGE_CAPTURED"] != "323.00" || ledger["REFUND"] != "-323.00" {
		t.Errorf("ledger: %+v", d.LedgerEntries)
	}
	if on, res := w.available(t, w.drillID); on != drillsOnHand || res != 0 {
		t.Errorf("drills after the void: onHand %d reserved %d", on, res)
	}
	if on, res := w.available(t, w.glovesID); on != glovesOnHand || res != 0 {
		t.Errorf("gloves after the void: onHand %d reserved %d", on, res)
	}
	for _, a := range []string{"cancellation.requested", "order.voided", "payment.refunded"} {
		if !slicesContain(d.actions(), a) {
			t.Errorf("timeline lacks %s: %v", a, d.actions())
		}
	}
	// The owner, every finance and every warehouse user; not the manager
	// who voided it.
	cxWantRecipients(t, "order.voided", cxRecipients(t, env, rec.ID, "order.voided"),
		cxSet(nil, []int{env.Users["SALES_REP"].ID}, cxUsers(t, env, auth.Finance), cxUsers(t, env, auth.Warehouse)))

	// A retry with the same key returns the void and refunds nothing again.
	again := cxMust(t, manager, "voidOrder", in)
	if again.Cancellation == nil || again.Cancellation.ID != rec.ID {
		t.Errorf("retried void: %+v", again.Cancellation)
	}
	if d2 := cxDetailOf(t, w, o.ID); len(d2.Payments) != 2 || len(d2.Cancellations) != 1 {
		t.Errorf("the retry moved money: %+v", d2.Payments)
	}

	// Nothing changes a voided order any more.
	voided := w.order(t, o.ID)
	finance, warehouse := env.As(t, "FINANCE"), env.As(t, "WAREHOUSE")
	wantCode(t, mutate(t, finance, "recordPayment", `mutation($o: ID!) { recordPayment(input: {orderId: $o, amount: "1.00", method: CASH}) {
		errors { code field message } } }`, apptest.Vars{"o": o.ID}, nil), "INVALID_TRANSITION")
	wantCode(t, mutate(t, warehouse, "shipOrder", `mutation($o: ID!) { shipOrder(input: {orderId: $o, carrier: "DHL"}) {
		errors { code field message } } }`, apptest.Vars{"o": o.ID}, nil), "INVALID_TRANSITION")
	_, errs := cx(t, manager, "cancelOrder", apptest.Vars{"orderId": o.ID, "reasonCode": "CUSTOMER_REQUEST"})
	wantCode(t, errs, "INVALID_TRANSITION")
	_, errs = cx(t, manager, "requestOrderCancellation", apptest.Vars{"orderId": o.ID, "reasonCode": "CUSTOMER_REQUEST"})
	wantCode(t, errs, "INVALID_TRANSITION")
	_, errs = cx(t, manager, "voidOrder", apptest.Vars{"orderId": o.ID, "reasonCode": "DUPLICATE_ORDER"})
	wantCode(t, errs, "INVALID_TRANSITION")
	wantCode(t, mutate(t, manager, "updateDraftOrder", `mutation($o: ID!, $v: Int!) { updateDraftOrder(input: {orderId: $o, expectedVersion: $v, notes: "x"}) {
		errors { code field message } } }`, apptest.Vars{"o": o.ID, "v": voided.Version}, nil), "INVALID_TRANSITION")
	wantCode(t, mutate(t, finance, "refundPayment", `mutation($o: ID!) { refundPayment(input: {orderId: $o, amount: "1.00", reason: "goodwill"}) {
		errors { code field message } } }`, apptest.Vars{"o": o.ID}, nil), "INVALID_TRANSITION")
	final := w.order(t, o.ID)
	if final.Version != voided.Version || final.Status != "VOIDED" {
		t.Errorf("a refused mutation changed the voided order: %+v", final)
	}
	if !slices.Equal(final.AvailableActions, []string{"REORDER"}) {
		t.Errorf("ADMIN's actions on a voided order: %v, want [REORDER]", final.AvailableActions)
	}
	assertInvariants(t, env)
}

// TestCancellationNeedsApproval (seed 003, 退单): a sales rep asks to cancel a
// paid order; a manager turns the first request down, approves the second,
// and finance's approval executes it.
func TestCancellationNeedsApproval(t *testing.T) {
	w := newWorld(t)
	env := w.env
	env.Users["FINANCE2"] = env.CreateUser(t, "finance2@test.local", auth.Finance)
	o := w.createConfirmed(t, 2, 10)
	cxPay(t, w, o.ID, "323.00")
	before := w.order(t, o.ID)
	rep, manager, finance := env.As(t, "SALES_REP"), env.As(t, "SALES_MANAGER"), env.As(t, "FINANCE")
	repID := env.Users["SALES_REP"].ID
	in := apptest.Vars{"orderId": o.ID, "reasonCode": "CUSTOMER_REQUEST", "note": "customer no longer needs it"}

	// The request waits for a manager and, as money goes back, finance.
	p := cxMust(t, rep, "requestOrderCancellation", in)
	rec := p.Cancellation
	if rec == nil || rec.Status != "REQUESTED" || !rec.NeedsManagerApproval || !rec.NeedsFinanceApproval || rec.Scope != "FULL" ||
		rec.ManagerApprovedBy != nil || rec.FinanceApprovedBy != nil || rec.AmountRefunded.Amount != "0.00" || rec.QuantityReleased != 0 ||
		!cxRefIs(rec.RequestedBy, apptest.ID(repID)) {
		t.Fatalf("request: %+v", rec)
	}
	// The preview states what approval would bring about.
	if pv := p.Preview; pv == nil || pv.Executes || !pv.NeedsManagerApproval || !pv.NeedsFinanceApproval || pv.StatusAfter != "CANCELLED" ||
		pv.AmountRefunded.Amount != "323.00" || pv.QuantityReleased != 12 {
		t.Errorf("preview of the request: %+v", p.Preview)
	}
	unchanged := func(when string) {
		t.Helper()
		now := w.order(t, o.ID)
		if now.Status != "CONFIRMED" || now.Version != before.Version || now.PaymentStatus != "PAID" || now.Refundable.Amount != "323.00" {
			t.Fatalf("%s: the order changed: %+v", when, now)
		}
		if _, res := w.available(t, w.drillID); res != 2 {
			t.Fatalf("%s: drills reserved %d", when, res)
		}
	}
	unchanged("after the request")
	cxWantRecipients(t, "cancellation.requested", cxRecipients(t, env, rec.ID, "cancellation.requested"),
		cxSet(nil, cxUsers(t, env, auth.SalesManager), cxUsers(t, env, auth.Finance)))

	// The rep may not approve; nobody asks twice.
	cxForbidden(t, rep, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	cxForbidden(t, env.As(t, "WAREHOUSE"), "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	_, errs := cx(t, rep, "requestOrderCancellation", in)
	wantCode(t, errs, "INVALID_TRANSITION")
	if n := cxRecords(t, env, o.ID); n != 1 {
		t.Fatalf("%d cancellation records after a refused second request", n)
	}

	// Rejecting needs a note.
	_, errs = cx(t, manager, "rejectOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	cxWantError(t, errs, "INVALID", "input.note", "")
	p = cxMust(t, manager, "rejectOrderCancellation", apptest.Vars{"cancellationId": rec.ID, "note": "the goods are already packed"})
	if r := p.Cancellation; r == nil || r.Status != "REJECTED" || r.DecisionNote == nil || *r.DecisionNote != "the goods are already packed" ||
		!cxRefIs(r.DecidedBy, cxUserID(env, "SALES_MANAGER")) {
		t.Fatalf("rejection: %+v", p.Cancellation)
	}
	cxWantRecipients(t, "cancellation.rejected", cxRecipients(t, env, rec.ID, "cancellation.rejected"), []int{repID})
	unchanged("after the rejection")
	_, errs = cx(t, finance, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	wantCode(t, errs, "INVALID_TRANSITION")

	// Asked again, the manager approves: finance is still missing.
	p = cxMust(t, rep, "requestOrderCancellation", in)
	rec = p.Cancellation
	if rec == nil || rec.Status != "REQUESTED" || !rec.NeedsManagerApproval || !rec.NeedsFinanceApproval {
		t.Fatalf("second request: %+v", rec)
	}
	p = cxMust(t, manager, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	if r := p.Cancellation; r == nil || r.Status != "APPROVED" || !cxRefIs(r.ManagerApprovedBy, cxUserID(env, "SALES_MANAGER")) ||
		r.FinanceApprovedBy != nil || r.AmountRefunded.Amount != "0.00" {
		t.Fatalf("manager approval: %+v", p.Cancellation)
	}
	unchanged("after the manager's approval")
	if d := cxDetailOf(t, w, o.ID); len(d.Payments) != 1 {
		t.Fatalf("money moved before finance approved: %+v", d.Payments)
	}
	_, errs = cx(t, manager, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	wantCode(t, errs, "NOT_ALLOWED")
	_, errs = cx(t, rep, "requestOrderCancellation", in)
	wantCode(t, errs, "INVALID_TRANSITION")

	// Finance's approval executes it.
	p = cxMust(t, finance, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	r := p.Cancellation
	if r == nil || r.Status != "EXECUTED" || !cxRefIs(r.FinanceApprovedBy, cxUserID(env, "FINANCE")) ||
		r.AmountRefunded.Amount != "323.00" || r.QuantityReleased != 12 {
		t.Fatalf("finance approval: %+v", r)
	}
	if p.Order.Status != "CANCELLED" || p.Order.PaymentStatus != "REFUNDED" || p.Order.Refundable.Amount != "0.00" {
		t.Fatalf("cancelled order: %+v", p.Order)
	}
	if _, res := w.available(t, w.drillID); res != 0 {
		t.Errorf("drills still reserved: %d", res)
	}
	if _, res := w.available(t, w.glovesID); res != 0 {
		t.Errorf("gloves still reserved: %d", res)
	}
	d := cxDetailOf(t, w, o.ID)
	var refunded []string
	for _, pay := range d.Payments {
		if pay.Kind == "REFUND" {
			refunded = append(refunded, pay.Amount.Amount)
			if !cxRefIs(pay.Cancellation, rec.ID) {
				t.Errorf("refund not linked to the cancellation: %+v", pay)
			}
		}
	}
	if !slices.Equal(refunded, []string{"323.00"}) {
		t.Errorf("refunds %v, want [323.00]", refunded)
	}
	// The rep, finance (but the approver, who acted) and the warehouse.
	cxWantRecipients(t, "cancellation.executed", cxRecipients(t, env, rec.ID, "cancellation.executed"),
		cxSet([]int{env.Users["FINANCE"].ID}, []int{repID}, cxUsers(t, env, auth.Finance), cxUsers(t, env, auth.Warehouse)))
	_, errs = cx(t, env.As(t, "FINANCE2"), "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	wantCode(t, errs, "INVALID_TRANSITION")
	assertInvariants(t, env)
}

// TestManagerRequestAutoApproves: a requester who holds order:cancel:approve
// gives the manager's approval by asking; finance must still agree, and
// the requester cannot give it even when their role could (ADMIN).
func TestManagerRequestAutoApproves(t *testing.T) {
	w := newWorld(t)
	env := w.env
	env.Users["MANAGER2"] = env.CreateUser(t, "manager2@test.local", auth.SalesManager)
	env.Users["FINANCE2"] = env.CreateUser(t, "finance2@test.local", auth.Finance)
	manager, finance := env.As(t, "SALES_MANAGER"), env.As(t, "FINANCE")

	o := w.createConfirmed(t, 2, 10)
	cxPay(t, w, o.ID, "323.00")
	p := cxMust(t, manager, "requestOrderCancellation", apptest.Vars{"orderId": o.ID, "reasonCode": "CUSTOMER_REQUEST"})
	rec := p.Cancellation
	if rec == nil || rec.Status != "APPROVED" || !rec.NeedsManagerApproval || !rec.NeedsFinanceApproval ||
		!cxRefIs(rec.RequestedBy, cxUserID(env, "SALES_MANAGER")) || !cxRefIs(rec.ManagerApprovedBy, cxUserID(env, "SALES_MANAGER")) ||
		rec.FinanceApprovedBy != nil || rec.AmountRefunded.Amount != "0.00" {
		t.Fatalf("manager's request: %+v", rec)
	}
	if pv := p.Preview; pv == nil || pv.Executes || pv.NeedsManagerApproval || !pv.NeedsFinanceApproval || pv.StatusAfter != "CANCELLED" ||
		pv.AmountRefunded.Amount != "323.00" {
		t.Errorf("preview of the manager's request: %+v", p.Preview)
	}
	if p.Order.Status != "CONFIRMED" || p.Order.PaymentStatus != "PAID" {
		t.Fatalf("order after the manager's request: %+v", p.Order)
	}
	// Only finance is asked now (and the owner told).
	cxWantRecipients(t, "cancellation.requested", cxRecipients(t, env, rec.ID, "cancellation.requested"),
		cxSet(nil, []int{env.Users["SALES_REP"].ID}, cxUsers(t, env, auth.Finance)))

	_, errs := cx(t, manager, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	cxWantError(t, errs, "NOT_ALLOWED", "", "you requested")
	_, errs = cx(t, env.As(t, "MANAGER2"), "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	wantCode(t, errs, "NOT_ALLOWED")
	p = cxMust(t, finance, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	if r := p.Cancellation; r == nil || r.Status != "EXECUTED" || r.AmountRefunded.Amount != "323.00" ||
		!cxRefIs(r.FinanceApprovedBy, cxUserID(env, "FINANCE")) || p.Order.Status != "CANCELLED" {
		t.Fatalf("finance approval: %+v, order %+v", p.Cancellation, p.Order)
	}

	// ADMIN holds both approvals; asking gives only the manager's (the
	// policy: "a manager asking is a manager approving"), and as requester
	// ADMIN cannot give finance's: another finance user must.
	o2 := w.createConfirmed(t, 1, 2)
	cxPay(t, w, o2.ID, o2.Total.Amount)
	admin := env.As(t, "ADMIN")
	p = cxMust(t, admin, "requestOrderCancellation", apptest.Vars{"orderId": o2.ID, "reasonCode": "PRICE_ERROR"})
	rec = p.Cancellation
	if rec == nil || rec.Status != "APPROVED" || !cxRefIs(rec.ManagerApprovedBy, cxUserID(env, "ADMIN")) ||
		rec.FinanceApprovedBy != nil || !rec.NeedsFinanceApproval {
		t.Fatalf("ADMIN's request: %+v", rec)
	}
	_, errs = cx(t, admin, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	cxWantError(t, errs, "NOT_ALLOWED", "", "you requested")
	if now := w.order(t, o2.ID); now.Status != "CONFIRMED" || now.PaymentStatus != "PAID" {
		t.Fatalf("order after ADMIN's refused approval: %+v", now)
	}
	p = cxMust(t, env.As(t, "FINANCE2"), "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	if r := p.Cancellation; r == nil || r.Status != "EXECUTED" || !cxRefIs(r.FinanceApprovedBy, cxUserID(env, "FINANCE2")) ||
		r.AmountRefunded.Amount != o2.Total.Amount || p.Order.Status != "CANCELLED" {
		t.Fatalf("FINANCE2's approval: %+v, order %+v", p.Cancellation, p.Order)
	}
	assertInvariants(t, env)
}

// TestCancelOrderDirectNeedsApproval: cancelOrder either executes at once
// or fails with APPROVAL_REQUIRED and writes nothing; support may only ask,
// and its requests need a manager even when no money is involved.
func TestCancelOrderDirectNeedsApproval(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rep, manager, support := env.As(t, "SALES_REP"), env.As(t, "SALES_MANAGER"), env.As(t, "SUPPORT")

	paid := w.createConfirmed(t, 1, 2)
	cxPay(t, w, paid.ID, paid.Total.Amount)
	before := cxDetailOf(t, w, paid.ID)
	notices := cxNoticesOfOrder(t, env, paid.ID)
	for _, c := range []*apptest.Client{rep, manager} {
		_, errs := cx(t, c, "cancelOrder", apptest.Vars{"orderId": paid.ID, "reasonCode": "CUSTOMER_REQUEST"})
		cxWantError(t, errs, "APPROVAL_REQUIRED", "", "requestOrderCancellation")
	}
	after := cxDetailOf(t, w, paid.ID)
	if after.Status != "CONFIRMED" || after.Version != before.Version || len(after.Payments) != 1 ||
		len(after.Cancellations) != 0 || len(after.Events) != len(before.Events) {
		t.Fatalf("a refused cancelOrder wrote something: %+v", after)
	}
	if cxRecords(t, env, paid.ID) != 0 || cxNoticesOfOrder(t, env, paid.ID) != notices {
		t.Fatal("a refused cancelOrder left a record or notification")
	}
	if _, res := w.available(t, w.drillID); res != 1 {
		t.Fatalf("drills reserved %d", res)
	}
	cxForbidden(t, support, "cancelOrder", apptest.Vars{"orderId": paid.ID, "reasonCode": "CUSTOMER_REQUEST"})

	// Support asks to cancel an unpaid order: a manager must approve.
	unpaid := w.createConfirmed(t, 1, 2)
	p := cxMust(t, support, "requestOrderCancellation", apptest.Vars{"orderId": unpaid.ID, "reasonCode": "CUSTOMER_REQUEST",
		"note": "customer called"})
	rec := p.Cancellation
	if rec == nil || rec.Status != "REQUESTED" || !rec.NeedsManagerApproval || rec.NeedsFinanceApproval ||
		!cxRefIs(rec.RequestedBy, cxUserID(env, "SUPPORT")) {
		t.Fatalf("support's request: %+v", rec)
	}
	if pv := p.Preview; pv == nil || pv.Executes || !pv.NeedsManagerApproval || pv.NeedsFinanceApproval {
		t.Errorf("preview of support's request: %+v", p.Preview)
	}
	if now := w.order(t, unpaid.ID); now.Status != "CONFIRMED" || now.Version != unpaid.Version {
		t.Fatalf("support's request changed the order: %+v", now)
	}
	cxWantRecipients(t, "cancellation.requested", cxRecipients(t, env, rec.ID, "cancellation.requested"),
		cxSet(nil, []int{env.Users["SALES_REP"].ID}, cxUsers(t, env, auth.SalesManager)))
	cxForbidden(t, support, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	p = cxMust(t, manager, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	if r := p.Cancellation; r == nil || r.Status != "EXECUTED" || r.AmountRefunded.Amount != "0.00" || r.QuantityReleased != 3 ||
		p.Order.Status != "CANCELLED" {
		t.Fatalf("manager's approval of support's request: %+v, order %+v", p.Cancellation, p.Order)
	}

	// By contrast the rep cancels an unpaid order directly.
	direct := w.createConfirmed(t, 1, 2)
	p = cxMust(t, rep, "cancelOrder", apptest.Vars{"orderId": direct.ID, "reasonCode": "CUSTOMER_REQUEST"})
	if r := p.Cancellation; r == nil || r.Status != "EXECUTED" || r.NeedsManagerApproval || p.Order.Status != "CANCELLED" {
		t.Fatalf("direct cancellation: %+v, order %+v", p.Cancellation, p.Order)
	}
	if _, res := w.available(t, w.drillID); res != 1 {
		t.Errorf("drills reserved %d, want 1 (the paid order's)", res)
	}
	assertInvariants(t, env)
}

// TestPartialCancellation cancels some quantities of an order: with money
// going back it needs both approvals and refunds their value; unpaid, the
// rep's request executes at once; cancelling everything open closes the
// order; more than is open is refused.
func TestPartialCancellation(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rep, manager, finance := env.As(t, "SALES_REP"), env.As(t, "SALES_MANAGER"), env.As(t, "FINANCE")

	o := w.createConfirmed(t, 4, 10)
	if o.Total.Amount != "581.00" {
		t.Fatalf("total %s", o.Total.Amount)
	}
	cxPay(t, w, o.ID, "581.00")
	drill, _, _, _, _ := cxLine(t, o, "DRL-100")
	gloves, _, _, _, _ := cxLine(t, o, "GLV-M")

	p := cxMust(t, rep, "requestOrderCancellation", apptest.Vars{"orderId": o.ID, "reasonCode": "CUSTOMER_REQUEST",
		"lines": []apptest.Vars{{"orderLineId": drill, "quantity": 2}}})
	rec := p.Cancellation
	if rec == nil || rec.Status != "REQUESTED" || rec.Scope != "PARTIAL" || !rec.NeedsManagerApproval || !rec.NeedsFinanceApproval {
		t.Fatalf("partial request: %+v", rec)
	}
	if pv := p.Preview; pv == nil || pv.Executes || pv.StatusAfter != "CONFIRMED" {
		t.Errorf("preview: %+v", p.Preview)
	}
	if r := cxMust(t, manager, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID}).Cancellation; r == nil || r.Status != "APPROVED" {
		t.Fatalf("manager approval: %+v", r)
	}
	p = cxMust(t, finance, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	r := p.Cancellation
	if r == nil || r.Status != "EXECUTED" || r.Scope != "PARTIAL" || r.AmountRefunded.Amount != "258.00" || r.QuantityReleased != 2 ||
		!slices.Equal(r.Lines, []cxLineQuantity{{drill, 2}}) {
		t.Fatalf("executed partial cancellation: %+v", r)
	}
	if p.Order.Status != "CONFIRMED" || p.Order.Total.Amount != "323.00" || p.Order.Outstanding.Amount != "0.00" ||
		p.Order.Refundable.Amount != "323.00" {
		t.Fatalf("order after the partial cancellation: %+v", p.Order)
	}
	if _, q, res, canc, _ := cxLine(t, p.Order, "DRL-100"); q != 4 || res != 2 || canc != 2 {
		t.Errorf("drill line: quantity %d reserved %d cancelled %d", q, res, canc)
	}
	if _, q, res, canc, _ := cxLine(t, p.Order, "GLV-M"); q != 10 || res != 10 || canc != 0 {
		t.Errorf("gloves line: quantity %d reserved %d cancelled %d", q, res, canc)
	}
	if _, res := w.available(t, w.drillID); res != 2 {
		t.Errorf("drills reserved %d, want 2", res)
	}
	var refunds []string
	for _, pay := range cxDetailOf(t, w, o.ID).Payments {
		if pay.Kind == "REFUND" {
			refunds = append(refunds, pay.Amount.Amount)
		}
	}
	if !slices.Equal(refunds, []string{"258.00"}) {
		t.Errorf("refunds %v, want [258.00]", refunds)
	}

	// More than is open: refused, naming the line's quantity.
	_, errs := cx(t, rep, "requestOrderCancellation", apptest.Vars{"orderId": o.ID, "reasonCode": "CUSTOMER_REQUEST",
		"lines": []apptest.Vars{{"orderLineId": drill, "quantity": 3}}})
	cxWantError(t, errs, "INVALID", "input.lines.0.quantity", "")
	_, errs = cx(t, rep, "requestOrderCancellation", apptest.Vars{"orderId": o.ID, "reasonCode": "CUSTOMER_REQUEST",
		"lines": []apptest.Vars{{"orderLineId": gloves, "quantity": 6}, {"orderLineId": gloves, "quantity": 5}}})
	cxWantError(t, errs, "INVALID", "input.lines.1.quantity", "")
	if n := cxRecords(t, env, o.ID); n != 1 {
		t.Errorf("%d cancellation records, want 1", n)
	}

	// Unpaid: the rep's partial cancellation executes at once.
	u := w.createConfirmed(t, 2, 10)
	uGloves, _, _, _, _ := cxLine(t, u, "GLV-M")
	uDrill, _, _, _, _ := cxLine(t, u, "DRL-100")
	p = cxMust(t, rep, "requestOrderCancellation", apptest.Vars{"orderId": u.ID, "reasonCode": "CUSTOMER_REQUEST",
		"lines": []apptest.Vars{{"orderLineId": uGloves, "quantity": 4}}})
	if r := p.Cancellation; r == nil || r.Status != "EXECUTED" || r.NeedsManagerApproval || r.NeedsFinanceApproval ||
		r.QuantityReleased != 4 || r.AmountRefunded.Amount != "0.00" {
		t.Fatalf("unpaid partial cancellation: %+v", r)
	}
	if p.Order.Status != "CONFIRMED" || p.Order.Total.Amount != "297.00" {
		t.Fatalf("order after the unpaid partial cancellation: %+v", p.Order)
	}
	if _, _, res, canc, _ := cxLine(t, p.Order, "GLV-M"); res != 6 || canc != 4 {
		t.Errorf("gloves line: reserved %d cancelled %d", res, canc)
	}
	if _, res := w.available(t, w.glovesID); res != 16 {
		t.Errorf("gloves reserved %d, want 16", res)
	}

	// Cancelling, line by line, everything still open closes the order.
	p = cxMust(t, rep, "requestOrderCancellation", apptest.Vars{"orderId": u.ID, "reasonCode": "CUSTOMER_REQUEST",
		"lines": []apptest.Vars{{"orderLineId": uDrill, "quantity": 2}, {"orderLineId": uGloves, "quantity": 6}}})
	if r := p.Cancellation; r == nil || r.Status != "EXECUTED" || r.Scope != "FULL" || p.Order.Status != "CANCELLED" ||
		p.Order.Total.Amount != "0.00" {
		t.Fatalf("cancelling the rest: %+v, order %+v", p.Cancellation, p.Order)
	}
	if _, res := w.available(t, w.glovesID); res != 10 {
		t.Errorf("gloves reserved %d, want 10", res)
	}
	assertInvariants(t, env)
}

// TestShippedGoodsCannotBeCancelled: shipped quantities come back only
// through a return; the open rest of a partly shipped order can be
// cancelled (with a manager's approval) and leaves it SHIPPED.
func TestShippedGoodsCannotBeCancelled(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rep, manager, warehouse := env.As(t, "SALES_REP"), env.As(t, "SALES_MANAGER"), env.As(t, "WAREHOUSE")

	o := w.createConfirmed(t, 2, 10)
	drill, _, _, _, _ := cxLine(t, o, "DRL-100")
	gloves, _, _, _, _ := cxLine(t, o, "GLV-M")
	var sh struct{ Order orderView }
	must(t, mutate(t, warehouse, "shipOrder", `mutation($o: ID!, $l: ID!) { shipOrder(input: {orderId: $o, carrier: "DHL",
		lines: [{orderLineId: $l, quantity: 1}]}) { order { `+orderFields+` } errors { code field message } } }`,
		apptest.Vars{"o": o.ID, "l": drill}, &sh))
	if sh.Order.Status != "CONFIRMED" {
		t.Fatalf("after a partial shipment: %+v", sh.Order)
	}

	full := apptest.Vars{"orderId": o.ID, "reasonCode": "CUSTOMER_REQUEST"}
	_, errs := cx(t, rep, "requestOrderCancellation", full)
	cxWantError(t, errs, "INVALID_TRANSITION", "", "createReturn")
	_, errs = cx(t, manager, "cancelOrder", full)
	cxWantError(t, errs, "INVALID_TRANSITION", "", "createReturn")
	_, errs = cx(t, rep, "requestOrderCancellation", apptest.Vars{"orderId": o.ID, "reasonCode": "CUSTOMER_REQUEST",
		"lines": []apptest.Vars{{"orderLineId": drill, "quantity": 2}}})
	cxWantError(t, errs, "INVALID", "input.lines.0.quantity", "")
	if n := cxRecords(t, env, o.ID); n != 0 {
		t.Fatalf("%d cancellation records after refused requests", n)
	}

	// The unshipped drill and all gloves: something shipped, so a manager
	// must approve.
	p := cxMust(t, rep, "requestOrderCancellation", apptest.Vars{"orderId": o.ID, "reasonCode": "OUT_OF_STOCK",
		"lines": []apptest.Vars{{"orderLineId": drill, "quantity": 1}, {"orderLineId": gloves, "quantity": 10}}})
	rec := p.Cancellation
	if rec == nil || rec.Status != "REQUESTED" || !rec.NeedsManagerApproval || rec.NeedsFinanceApproval || rec.Scope != "PARTIAL" {
		t.Fatalf("request for the open rest: %+v", rec)
	}
	p = cxMust(t, manager, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	if r := p.Cancellation; r == nil || r.Status != "EXECUTED" || r.QuantityReleased != 11 {
		t.Fatalf("approved cancellation of the open rest: %+v", p.Cancellation)
	}
	if p.Order.Status != "SHIPPED" || p.Order.Total.Amount != "129.00" {
		t.Fatalf("order after cancelling the open rest: %+v", p.Order)
	}
	if _, q, res, canc, shipped := cxLine(t, p.Order, "DRL-100"); q != 2 || res != 0 || canc != 1 || shipped != 1 {
		t.Errorf("drill line: reserved %d cancelled %d shipped %d", res, canc, shipped)
	}
	if _, _, res, canc, shipped := cxLine(t, p.Order, "GLV-M"); res != 0 || canc != 10 || shipped != 0 {
		t.Errorf("gloves line: reserved %d cancelled %d shipped %d", res, canc, shipped)
	}
	if on, res := w.available(t, w.drillID); on != 9 || res != 0 {
		t.Errorf("drills: onHand %d reserved %d, want 9 and 0", on, res)
	}
	if on, res := w.available(t, w.glovesID); on != 100 || res != 0 {
		t.Errorf("gloves: onHand %d reserved %d, want 100 and 0", on, res)
	}
	_, errs = cx(t, rep, "requestOrderCancellation", full)
	cxWantError(t, errs, "INVALID_TRANSITION", "", "createReturn")

	// A fully shipped order.
	s := w.createConfirmed(t, 1, 2)
	must(t, mutate(t, warehouse, "shipOrder", `mutation($o: ID!) { shipOrder(input: {orderId: $o, carrier: "DHL"}) {
		errors { code field message } } }`, apptest.Vars{"o": s.ID}, nil))
	if now := w.order(t, s.ID); now.Status != "SHIPPED" {
		t.Fatalf("fully shipped order: %+v", now)
	}
	_, errs = cx(t, rep, "requestOrderCancellation", apptest.Vars{"orderId": s.ID, "reasonCode": "CUSTOMER_REQUEST"})
	cxWantError(t, errs, "INVALID_TRANSITION", "", "createReturn")
	_, errs = cx(t, rep, "cancelOrder", apptest.Vars{"orderId": s.ID, "reasonCode": "CUSTOMER_REQUEST"})
	cxWantError(t, errs, "INVALID_TRANSITION", "", "createReturn")
	if n := cxRecords(t, env, s.ID); n != 0 {
		t.Errorf("%d cancellation records for a shipped order", n)
	}
	assertInvariants(t, env)
}

// TestReorderResolution: the REORDER resolution re-creates the cancelled
// quantities as a new DRAFT at the old prices, linked both ways; on a
// request that waits for approval, the draft appears when it executes.
func TestReorderResolution(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rep := env.As(t, "SALES_REP")

	o := w.createConfirmed(t, 2, 10)
	o2 := w.createConfirmed(t, 1, 2)
	drill, _, _, _, _ := cxLine(t, o, "DRL-100")
	gloves, _, _, _, _ := cxLine(t, o, "GLV-M")
	// The list price rises after the orders were taken.
	var item struct{ Node struct{ Version int } }
	env.As(t, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on StockItem { version } } }`,
		apptest.Vars{"id": w.drillID}, &item)
	must(t, mutate(t, env.As(t, "ADMIN"), "updateStockItem", `mutation($id: ID!, $v: Int!) {
		updateStockItem(input: {id: $id, expectedVersion: $v, unitPrice: "139.00"}) { errors { code field message } } }`,
		apptest.Vars{"id": w.drillID, "v": item.Node.Version}, nil))

	p := cxMust(t, rep, "requestOrderCancellation", apptest.Vars{"orderId": o.ID, "reasonCode": "CUSTOMER_REQUEST",
		"resolution": "REORDER", "lines": []apptest.Vars{{"orderLineId": drill, "quantity": 1}, {"orderLineId": gloves, "quantity": 4}}})
	rec := p.Cancellation
	if rec == nil || rec.Status != "EXECUTED" || rec.Resolution != "REORDER" || p.NewOrder == nil || p.NewOrder.Status != "DRAFT" ||
		!cxRefIs(rec.NewOrder, p.NewOrder.ID) {
		t.Fatalf("partial cancellation with REORDER: %+v, new order %+v", rec, p.NewOrder)
	}
	if pv := p.Preview; pv == nil || !pv.CreatesReorder {
		t.Errorf("preview: %+v", p.Preview)
	}
	if p.Order.Status != "CONFIRMED" || p.Order.Total.Amount != "168.00" {
		t.Errorf("old order: %+v", p.Order)
	}
	cxCheckReorder(t, w, o.ID, p.NewOrder.ID, rec.ID, map[string]int{"DRL-100": 1, "GLV-M": 4}, "155.00")

	// Paid: the request waits for approval; the draft comes with execution.
	cxPay(t, w, o2.ID, "142.00")
	p = cxMust(t, rep, "requestOrderCancellation", apptest.Vars{"orderId": o2.ID, "reasonCode": "PAYMENT_FAILED",
		"note": "charged twice", "resolution": "REORDER"})
	rec = p.Cancellation
	if rec == nil || rec.Status != "REQUESTED" || p.NewOrder != nil || rec.NewOrder != nil {
		t.Fatalf("request with REORDER: %+v, new order %+v", rec, p.NewOrder)
	}
	if pv := p.Preview; pv == nil || pv.CreatesReorder {
		t.Errorf("preview of a pending request: %+v", p.Preview)
	}
	cxMust(t, env.As(t, "SALES_MANAGER"), "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	p = cxMust(t, env.As(t, "FINANCE"), "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	if r := p.Cancellation; r == nil || r.Status != "EXECUTED" || p.NewOrder == nil || p.NewOrder.Status != "DRAFT" ||
		!cxRefIs(r.NewOrder, p.NewOrder.ID) || p.Order.Status != "CANCELLED" {
		t.Fatalf("approved cancellation with REORDER: %+v, new order %+v, order %+v", p.Cancellation, p.NewOrder, p.Order)
	}
	cxCheckReorder(t, w, o2.ID, p.NewOrder.ID, rec.ID, map[string]int{"DRL-100": 1, "GLV-M": 2}, "142.00")
	assertInvariants(t, env)
}

// cxCheckReorder checks the draft re-created from oldID by a cancellation:
// the cancelled quantities at the old order's prices, and the links
// between the orders and from the cancellation record.
func cxCheckReorder(t *testing.T, w *world, oldID, newID, cancellationID string, qty map[string]int, total string) {
	t.Helper()
	old, neu := cxDetailOf(t, w, oldID), cxDetailOf(t, w, newID)
	if neu.Status != "DRAFT" || !cxRefIs(neu.ReorderedFrom, oldID) || neu.Total.Amount != total {
		t.Errorf("new order: status %s, reorderedFrom %+v, total %s (want DRAFT, %s, %s)",
			neu.Status, neu.ReorderedFrom, neu.Total.Amount, oldID, total)
	}
	if !slices.Contains(old.Reorders, cxRef{newID}) {
		t.Errorf("old order's reorders %+v lack %s", old.Reorders, newID)
	}
	oldPrice := map[string]string{}
	for _, l := range old.Lines {
		oldPrice[l.Sku] = l.UnitPrice.Amount
	}
	if len(neu.Lines) != len(qty) {
		t.Errorf("new order's lines: %+v, want %v", neu.Lines, qty)
	}
	for _, l := range neu.Lines {
		if l.Quantity != qty[l.Sku] || l.UnitPrice.Amount != oldPrice[l.Sku] || l.QuantityReserved != 0 {
			t.Errorf("new order's %s line: quantity %d at %s (want %d at %s), reserved %d",
				l.Sku, l.Quantity, l.UnitPrice.Amount, qty[l.Sku], oldPrice[l.Sku], l.QuantityReserved)
		}
	}
	if oldPrice["DRL-100"] != "129.00" {
		t.Errorf("old drill price %s", oldPrice["DRL-100"])
	}
	found := false
	for _, c := range old.Cancellations {
		if c.ID == cancellationID {
			found = true
			if !cxRefIs(c.NewOrder, newID) {
				t.Errorf("cancellation %s's newOrder %+v, want %s", c.ID, c.NewOrder, newID)
			}
		}
	}
	if !found {
		t.Errorf("old order's cancellations %+v lack %s", old.Cancellations, cancellationID)
	}
}

// TestScenario_Seed001VoidCancelsPendingPayment: voiding an order with a
// captured and a pending charge refunds the one and cancels the other; both
// movements name the void.
func TestScenario_Seed001VoidCancelsPendingPayment(t *testing.T) {
	w := newWorld(t)
	env := w.env
	o := w.createConfirmed(t, 2, 10)
	captured := cxPay(t, w, o.ID, "100.00")
	var pend struct{ Payment struct{ ID string } }
	must(t, mutate(t, env.As(t, "FINANCE"), "recordPayment", `mutation($o: ID!) { recordPayment(input: {orderId: $o, amount: "223.00",
		method: BANK_TRANSFER, pending: true}) { payment { id } errors { code field message } } }`, apptest.Vars{"o": o.ID}, &pend))

	p := cxMust(t, env.As(t, "SALES_MANAGER"), "voidOrder", apptest.Vars{"orderId": o.ID, "reasonCode": "DUPLICATE_ORDER"})
	rec := p.Cancellation
	if rec == nil || rec.Status != "EXECUTED" || rec.AmountRefunded.Amount != "100.00" || rec.AmountCancelled.Amount != "223.00" ||
		p.Order.Status != "VOIDED" || p.Order.PaymentStatus != "REFUNDED" {
		t.Fatalf("void with a pending charge: %+v, order %+v", rec, p.Order)
	}
	for _, pay := range cxDetailOf(t, w, o.ID).Payments {
		switch {
		case pay.ID == captured:
			if pay.Status != "CAPTURED" || pay.Refunded.Amount != "100.00" {
				t.Errorf("captured charge: %+v", pay)
			}
		case pay.ID == pend.Payment.ID:
			if pay.Status != "CANCELLED" {
				t.Errorf("pending charge after the void: %+v", pay)
			}
			if !cxRefIs(pay.Cancellation, rec.ID) {
				t.Errorf("the pending charge the void cancelled does not name the void: cancellation %+v, want %s", pay.Cancellation, rec.ID)
			}
		case pay.Kind == "REFUND":
			if !cxRefIs(pay.RefundOf, captured) || !cxRefIs(pay.Cancellation, rec.ID) || pay.Amount.Amount != "100.00" {
				t.Errorf("refund: %+v", pay)
			}
		}
	}
	assertInvariants(t, env)
}

// TestCancellationApprovalFollowsMoney: a request that needed only a
// manager while nothing was paid must not refund money captured since
// without finance's approval.
func TestCancellationApprovalFollowsMoney(t *testing.T) {
	w := newWorld(t)
	env := w.env
	o := w.createConfirmed(t, 1, 2)
	rec := cxMust(t, env.As(t, "SUPPORT"), "requestOrderCancellation", apptest.Vars{"orderId": o.ID, "reasonCode": "CUSTOMER_REQUEST"}).Cancellation
	if rec == nil || rec.Status != "REQUESTED" || !rec.NeedsManagerApproval || rec.NeedsFinanceApproval {
		t.Fatalf("request on an unpaid order: %+v", rec)
	}
	cxPay(t, w, o.ID, "142.00")

	p := cxMust(t, env.As(t, "SALES_MANAGER"), "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	if r := p.Cancellation; r == nil || r.Status == "EXECUTED" || !r.NeedsFinanceApproval {
		t.Fatalf("the manager's approval alone refunded money captured after the request (policy: finance approves "+
			"when captured money goes back): %+v, order %s %s", p.Cancellation, p.Order.Status, p.Order.PaymentStatus)
	}
	if now := w.order(t, o.ID); now.Status != "CONFIRMED" || now.PaymentStatus != "PAID" {
		t.Fatalf("order after the manager's approval: %+v", now)
	}
	p = cxMust(t, env.As(t, "FINANCE"), "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	if r := p.Cancellation; r == nil || r.Status != "EXECUTED" || r.AmountRefunded.Amount != "142.00" || p.Order.Status != "CANCELLED" {
		t.Fatalf("finance's approval: %+v, order %+v", p.Cancellation, p.Order)
	}
	assertInvariants(t, env)
}

// TestCancellationRequestNotLeftPending: when the order is voided or fully
// shipped while a cancellation request waits, the request must not stay
// awaiting a decision that nobody can make: it is closed, or it can at
// least still be rejected.
func TestCancellationRequestNotLeftPending(t *testing.T) {
	w := newWorld(t)
	env := w.env
	support, manager := env.As(t, "SUPPORT"), env.As(t, "SALES_MANAGER")
	settled := func(what, orderID, recID string) {
		t.Helper()
		for _, c := range cxDetailOf(t, w, orderID).Cancellations {
			if c.ID != recID || (c.Status != "REQUESTED" && c.Status != "APPROVED") {
				continue
			}
			_, errs := cx(t, manager, "rejectOrderCancellation", apptest.Vars{"cancellationId": recID, "note": "overtaken by events"})
			if len(errs) > 0 {
				t.Errorf("%s: cancellation request %s stays %s and cannot be rejected: %+v", what, recID, c.Status, errs)
			}
		}
	}

	voided := w.createConfirmed(t, 1, 2)
	rec := cxMust(t, support, "requestOrderCancellation", apptest.Vars{"orderId": voided.ID, "reasonCode": "CUSTOMER_REQUEST"}).Cancellation
	cxMust(t, manager, "voidOrder", apptest.Vars{"orderId": voided.ID, "reasonCode": "ENTRY_ERROR"})
	settled("voided order", voided.ID, rec.ID)

	shipped := w.createConfirmed(t, 1, 2)
	rec = cxMust(t, support, "requestOrderCancellation", apptest.Vars{"orderId": shipped.ID, "reasonCode": "CUSTOMER_REQUEST"}).Cancellation
	must(t, mutate(t, env.As(t, "WAREHOUSE"), "shipOrder", `mutation($o: ID!) { shipOrder(input: {orderId: $o, carrier: "DHL"}) {
		errors { code field message } } }`, apptest.Vars{"o": shipped.ID}, nil))
	_, errs := cx(t, manager, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	cxWantError(t, errs, "INVALID_TRANSITION", "", "createReturn")
	settled("shipped order", shipped.ID, rec.ID)
	assertInvariants(t, env)
}

// TestPartialCancellationPendingCharge: after a partial cancellation the
// pending charges may not exceed what is still owed (payment.Charge's
// rule), or capturing them collects more than the order's total.
func TestPartialCancellationPendingCharge(t *testing.T) {
	w := newWorld(t)
	env := w.env
	o := w.createConfirmed(t, 2, 0)
	var pend struct{ Payment struct{ ID string } }
	must(t, mutate(t, env.As(t, "FINANCE"), "recordPayment", `mutation($o: ID!) { recordPayment(input: {orderId: $o, amount: "258.00",
		method: CARD, pending: true}) { payment { id } errors { code field message } } }`, apptest.Vars{"o": o.ID}, &pend))
	drill, _, _, _, _ := cxLine(t, o, "DRL-100")
	p := cxMust(t, env.As(t, "SALES_REP"), "requestOrderCancellation", apptest.Vars{"orderId": o.ID, "reasonCode": "CUSTOMER_REQUEST",
		"lines": []apptest.Vars{{"orderLineId": drill, "quantity": 1}}})
	if r := p.Cancellation; r == nil || r.Status != "EXECUTED" || p.Order.Total.Amount != "129.00" {
		t.Fatalf("partial cancellation: %+v, order %+v", p.Cancellation, p.Order)
	}
	var pending int
	for _, pay := range cxDetailOf(t, w, o.ID).Payments {
		if pay.Kind == "CHARGE" && pay.Status == "PENDING" {
			pending += cxMinor(t, pay.Amount.Amount)
		}
	}
	if owed := cxMinor(t, p.Order.Outstanding.Amount); pending > owed {
		t.Errorf("pending charges of %d cents left on an order that owes %d cents: capturing them collects more than its total",
			pending, owed)
	}
	assertInvariants(t, env)
}
