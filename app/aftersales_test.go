package app_test

import (
	"strings"
	"testing"

	"orderdesk/app/apptest"
	"orderdesk/auth"
	entnotification "orderdesk/ent/notification"
	"orderdesk/ent/user"
)

// paidShipped makes a confirmed order of drills and gloves, paid in full
// and shipped, and returns it with its shipment id.
func (w *world) paidShipped(t *testing.T, drills, gloves int) (orderView, string) {
	t.Helper()
	o := w.createConfirmed(t, drills, gloves)
	must(t, mutate(t, w.env.As(t, "FINANCE"), "recordPayment", `mutation($o: ID!, $a: Decimal!) {
		recordPayment(input: {orderId: $o, amount: $a, method: CARD}) { errors { code field message } } }`,
		apptest.Vars{"o": o.ID, "a": o.Total.Amount}, nil))
	var sh struct{ Shipment struct{ ID string } }
	must(t, mutate(t, w.env.As(t, "WAREHOUSE"), "shipOrder", `mutation($o: ID!) { shipOrder(input: {orderId: $o, carrier: "DHL", trackingNumber: "JD01"}) {
		shipment { id } errors { code field message } } }`, apptest.Vars{"o": o.ID}, &sh))
	return w.order(t, o.ID), sh.Shipment.ID
}

// notified counts the notifications of a kind for members of a role.
func notified(t *testing.T, env *apptest.Env, kind string, role auth.Role) int {
	t.Helper()
	return env.DB.Client.Notification.Query().Where(entnotification.Kind(kind),
		entnotification.HasRecipientWith(user.RoleEQ(user.Role(role)))).CountX(env.Sys)
}

// TestScenario_Seed001GoodsComeBack: a shipped order's goods come back —
// return requested, approved, received with part restocked and part
// damaged, refunded; warehouse and finance told; the stock ledger stays
// consistent.
func TestScenario_Seed001GoodsComeBack(t *testing.T) {
	w := newWorld(t)
	o, _ := w.paidShipped(t, 3, 0)
	onHandBefore, _ := w.available(t, w.drillID)
	support, manager := w.env.As(t, "SUPPORT"), w.env.As(t, "SALES_MANAGER")

	var ret struct {
		Return struct {
			ID, Number, Status string
			Lines              []struct{ ID string }
		}
	}
	// More than shipped cannot come back.
	wantCode(t, mutate(t, support, "createReturn", `mutation($o: ID!, $l: ID!) { createReturn(input: {orderId: $o,
		lines: [{orderLineId: $l, quantity: 4, reason: DEFECTIVE}]}) { errors { code field message } } }`,
		apptest.Vars{"o": o.ID, "l": o.Lines[0].ID}, nil), "INVALID")
	must(t, mutate(t, support, "createReturn", `mutation($o: ID!, $l: ID!) { createReturn(input: {orderId: $o,
		lines: [{orderLineId: $l, quantity: 3, reason: DEFECTIVE, note: "motor stops"}]}) {
		return { id number status lines { id } } errors { code field message } } }`,
		apptest.Vars{"o": o.ID, "l": o.Lines[0].ID}, &ret))
	if ret.Return.Status != "REQUESTED" {
		t.Fatalf("return: %+v", ret.Return)
	}
	// What is under a return cannot be returned twice.
	wantCode(t, mutate(t, support, "createReturn", `mutation($o: ID!, $l: ID!) { createReturn(input: {orderId: $o,
		lines: [{orderLineId: $l, quantity: 1, reason: DEFECTIVE}]}) { errors { code field message } } }`,
		apptest.Vars{"o": o.ID, "l": o.Lines[0].ID}, nil), "INVALID")

	must(t, mutate(t, manager, "approveReturn", `mutation($r: ID!) { approveReturn(input: {returnId: $r}) { errors { code message } } }`,
		apptest.Vars{"r": ret.Return.ID}, nil))
	if n := notified(t, w.env, "return.approved", auth.Warehouse); n == 0 {
		t.Error("the warehouse was not told of the approved return")
	}
	// Receiving must account for every unit.
	wantCode(t, mutate(t, w.env.As(t, "WAREHOUSE"), "receiveReturn", `mutation($r: ID!, $l: ID!) { receiveReturn(input: {returnId: $r,
		lines: [{returnLineId: $l, restocked: 1, damaged: 1}]}) { errors { code field message } } }`,
		apptest.Vars{"r": ret.Return.ID, "l": ret.Return.Lines[0].ID}, nil), "INVALID")
	must(t, mutate(t, w.env.As(t, "WAREHOUSE"), "receiveReturn", `mutation($r: ID!, $l: ID!) { receiveReturn(input: {returnId: $r,
		lines: [{returnLineId: $l, restocked: 2, damaged: 1}]}) { errors { code field message } } }`,
		apptest.Vars{"r": ret.Return.ID, "l": ret.Return.Lines[0].ID}, nil))
	if onHand, _ := w.available(t, w.drillID); onHand != onHandBefore+2 {
		t.Fatalf("onHand %d after restocking 2 of 3, want %d (damaged goods are not restocked)", onHand, onHandBefore+2)
	}
	if n := notified(t, w.env, "return.received", auth.Finance); n == 0 {
		t.Error("finance was not told of the received return")
	}

	var refund struct {
		Return         struct{ Status string }
		Refunds        []struct{ Amount struct{ Amount string } }
		AmountRefunded *struct{ Amount string }
	}
	finance := w.env.As(t, "FINANCE")
	must(t, mutate(t, finance, "refundReturn", `mutation($r: ID!) { refundReturn(input: {returnId: $r, dryRun: true}) {
		return { status } refunds { amount { amount } } amountRefunded { amount } errors { code message } } }`,
		apptest.Vars{"r": ret.Return.ID}, &refund))
	if refund.Return.Status != "RECEIVED" || refund.AmountRefunded == nil || refund.AmountRefunded.Amount != "387.00" {
		t.Fatalf("dry-run refund: %+v", refund)
	}
	must(t, mutate(t, finance, "refundReturn", `mutation($r: ID!) { refundReturn(input: {returnId: $r}) {
		return { status } refunds { amount { amount } } errors { code message } } }`, apptest.Vars{"r": ret.Return.ID}, &refund))
	if refund.Return.Status != "REFUNDED" || len(refund.Refunds) != 1 || refund.Refunds[0].Amount.Amount != "387.00" {
		t.Fatalf("refund: %+v", refund)
	}
	if after := w.order(t, o.ID); after.PaymentStatus != "REFUNDED" {
		t.Fatalf("order after the refund: %+v", after)
	}
	must(t, mutate(t, manager, "closeReturn", `mutation($r: ID!) { closeReturn(input: {returnId: $r}) { errors { code message } } }`,
		apptest.Vars{"r": ret.Return.ID}, nil))
	// Everything came back and was refunded: nothing is owed, the order closes.
	must(t, mutate(t, w.env.As(t, "WAREHOUSE"), "markOrderDelivered", `mutation($o: ID!) { markOrderDelivered(input: {orderId: $o}) { errors { code message } } }`,
		apptest.Vars{"o": o.ID}, nil))
	must(t, mutate(t, manager, "completeOrder", `mutation($o: ID!) { completeOrder(input: {orderId: $o}) { errors { code message } } }`,
		apptest.Vars{"o": o.ID}, nil))
	assertInvariants(t, w.env)
}

// TestScenario_Seed004PriceEntryError: a price typed wrongly is corrected
// with the customer's confirmation; the record shows before and after and
// the refund due; a severe correction waits for a manager.
func TestScenario_Seed004PriceEntryError(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 2, 10) // 2 × 129.00 + 10 × 6.50 = 323.00
	must(t, mutate(t, w.env.As(t, "FINANCE"), "recordPayment", `mutation($o: ID!) {
		recordPayment(input: {orderId: $o, amount: "323.00", method: CARD}) { errors { code field message } } }`,
		apptest.Vars{"o": o.ID}, nil))
	rep := w.env.As(t, "SALES_REP")
	o = w.order(t, o.ID)
	gloves := o.Lines[1].ID

	const correct = `mutation($o: ID!, $v: Int!, $l: ID!, $p: Decimal!, $dry: Boolean, $ok: Boolean) {
		correctOrder(input: {orderId: $o, expectedVersion: $v, errorType: PRICE, cause: ENTRY_ERROR,
			lines: [{orderLineId: $l, unitPrice: $p}], note: "typed 6.50 instead of 5.50", dryRun: $dry,
			customerConfirmed: $ok, customerConfirmationNote: "confirmed by phone"}) {
		correction { id severity status diff { field before after } moneyEffect refundDue { amount } totalBefore { amount } totalAfter { amount } }
		preview { severity applies moneyEffect refundDue { amount } totalAfter { amount } diff { field before after } }
		order { version total { amount } }
		errors { code field message } } }`
	type corr struct {
		Correction *struct {
			ID, Severity, Status, MoneyEffect  string
			Diff                               []struct{ Field, Before, After string }
			RefundDue, TotalBefore, TotalAfter struct{ Amount string }
		}
		Preview struct {
			Severity, MoneyEffect string
			Applies               bool
			RefundDue, TotalAfter struct{ Amount string }
		}
		Order struct {
			Version int
			Total   struct{ Amount string }
		}
	}
	var dry corr
	must(t, mutate(t, rep, "correctOrder", correct, apptest.Vars{"o": o.ID, "v": o.Version, "l": gloves, "p": "5.50", "dry": true}, &dry))
	if dry.Correction != nil || dry.Preview.Severity != "MINOR" || !dry.Preview.Applies || dry.Preview.RefundDue.Amount != "10.00" ||
		dry.Preview.TotalAfter.Amount != "313.00" || dry.Order.Version != o.Version {
		t.Fatalf("dry run: %+v", dry)
	}
	// A stale version is refused.
	wantCode(t, mutate(t, rep, "correctOrder", correct, apptest.Vars{"o": o.ID, "v": o.Version - 1, "l": gloves, "p": "5.50"}, nil), "VERSION_CONFLICT")

	var done corr
	must(t, mutate(t, rep, "correctOrder", correct, apptest.Vars{"o": o.ID, "v": o.Version, "l": gloves, "p": "5.50", "ok": true}, &done))
	c := done.Correction
	if c == nil || c.Status != "APPLIED" || c.MoneyEffect != "REFUND_DUE" || c.RefundDue.Amount != "10.00" ||
		c.TotalBefore.Amount != "323.00" || c.TotalAfter.Amount != "313.00" || len(c.Diff) != 1 ||
		c.Diff[0].Before != "6.50" || c.Diff[0].After != "5.50" {
		t.Fatalf("applied correction: %+v", c)
	}
	if n := notified(t, w.env, "order.corrected", auth.Finance); n == 0 {
		t.Error("finance was not told of the refund due")
	}

	// Halving the drill price moves the total by 129.00, above the 100.00
	// threshold: severe, needs the customer's confirmation, then a manager.
	o = w.order(t, o.ID)
	drill := o.Lines[0].ID
	wantCode(t, mutate(t, rep, "correctOrder", correct, apptest.Vars{"o": o.ID, "v": o.Version, "l": drill, "p": "64.50"}, nil), "APPROVAL_REQUIRED")
	var severe corr
	must(t, mutate(t, rep, "correctOrder", correct, apptest.Vars{"o": o.ID, "v": o.Version, "l": drill, "p": "64.50", "ok": true}, &severe))
	if severe.Correction.Severity != "SEVERE" || severe.Correction.Status != "PENDING_APPROVAL" || severe.Order.Total.Amount != "313.00" {
		t.Fatalf("severe correction: %+v", severe)
	}
	var inbox struct {
		OpenExceptions struct {
			Edges []struct{ Node struct{ Kind string } }
		}
	}
	manager := w.env.As(t, "SALES_MANAGER")
	manager.MustDo(t, `{ openExceptions(category: INTERNAL) { edges { node { kind } } } }`, nil, &inbox)
	if len(inbox.OpenExceptions.Edges) != 1 || inbox.OpenExceptions.Edges[0].Node.Kind != "CORRECTION_PENDING" {
		t.Fatalf("inbox: %+v", inbox)
	}
	var approved struct {
		Correction struct{ Status, MoneyEffect string }
		Order      struct{ Total struct{ Amount string } }
	}
	must(t, mutate(t, manager, "approveCorrection", `mutation($c: ID!) { approveCorrection(input: {correctionId: $c}) {
		correction { status moneyEffect } order { total { amount } } errors { code message } } }`,
		apptest.Vars{"c": severe.Correction.ID}, &approved))
	if approved.Correction.Status != "APPLIED" || approved.Order.Total.Amount != "184.00" || approved.Correction.MoneyEffect != "REFUND_DUE" {
		t.Fatalf("approved: %+v", approved)
	}
	// The timeline keeps both corrections with before and after.
	var corrections struct {
		Node struct{ Corrections []struct{ Status string } }
	}
	w.env.As(t, "AUDITOR").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { corrections { status } } } }`,
		apptest.Vars{"id": o.ID}, &corrections)
	if len(corrections.Node.Corrections) != 2 {
		t.Fatalf("order.corrections: %+v", corrections)
	}
	assertInvariants(t, w.env)
}

// TestCorrectionAdjustsReservations: raising a line's quantity reserves
// more, failing cleanly when stock is short; a product swap moves the
// reservation to the new product.
func TestCorrectionAdjustsReservations(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 2, 10)
	manager := w.env.As(t, "SALES_MANAGER")
	const q = `mutation($o: ID!, $v: Int!, $l: ID!, $n: Int, $item: ID) { correctOrder(input: {orderId: $o, expectedVersion: $v,
		errorType: QUANTITY, cause: HUMAN_ERROR, lines: [{orderLineId: $l, quantity: $n, stockItemId: $item}], customerConfirmed: true}) {
		order { version } errors { code field message } } }`
	wantCode(t, mutate(t, manager, "correctOrder", q, apptest.Vars{"o": o.ID, "v": o.Version, "l": o.Lines[0].ID, "n": 11}, nil), "INSUFFICIENT_STOCK")
	if _, reserved := w.available(t, w.drillID); reserved != 2 {
		t.Fatalf("a failed correction changed the reservation: %d", reserved)
	}
	must(t, mutate(t, manager, "correctOrder", q, apptest.Vars{"o": o.ID, "v": o.Version, "l": o.Lines[0].ID, "n": 5}, nil))
	if _, reserved := w.available(t, w.drillID); reserved != 5 {
		t.Fatalf("drills reserved %d, want 5", reserved)
	}
	o = w.order(t, o.ID)
	// Swap the gloves line for drills: 10 drills would exceed the stock, so 3.
	must(t, mutate(t, manager, "correctOrder", q, apptest.Vars{"o": o.ID, "v": o.Version, "l": o.Lines[1].ID, "n": 3, "item": w.drillID}, nil))
	if _, reserved := w.available(t, w.drillID); reserved != 8 {
		t.Fatalf("drills reserved %d after the swap, want 8", reserved)
	}
	if _, reserved := w.available(t, w.glovesID); reserved != 0 {
		t.Fatalf("gloves still reserved after the swap: %d", reserved)
	}
	assertInvariants(t, w.env)
}

// TestDeliveryExceptions: a lost shipment is re-shipped as a no-charge
// replacement and a refused one comes back through a return; both appear
// in and leave openExceptions.
func TestDeliveryExceptions(t *testing.T) {
	w := newWorld(t)
	warehouse, manager := w.env.As(t, "WAREHOUSE"), w.env.As(t, "SALES_MANAGER")
	inboxKinds := func() map[string]int {
		var out struct {
			OpenExceptions struct {
				Edges []struct{ Node struct{ Kind string } }
			}
		}
		manager.MustDo(t, `{ openExceptions(category: LOGISTICS) { edges { node { kind } } } }`, nil, &out)
		kinds := map[string]int{}
		for _, e := range out.OpenExceptions.Edges {
			kinds[e.Node.Kind]++
		}
		return kinds
	}
	const report = `mutation($s: ID!, $st: ShipmentExceptionStatus!) { reportShipmentException(input: {shipmentId: $s, status: $st, note: "carrier report"}) {
		shipment { status } errors { code field message } } }`
	const resolve = `mutation($s: ID!, $r: ShipmentExceptionResolution!) { resolveShipmentException(input: {shipmentId: $s, resolution: $r}) {
		shipment { status exceptionResolution } replacementOrder { id kind status total { amount } } return { id status }
		errors { code field message } } }`

	lost, lostShipment := w.paidShipped(t, 1, 0)
	refused, refusedShipment := w.paidShipped(t, 0, 5)
	must(t, mutate(t, warehouse, "reportShipmentException", report, apptest.Vars{"s": lostShipment, "st": "LOST"}, nil))
	must(t, mutate(t, warehouse, "reportShipmentException", report, apptest.Vars{"s": refusedShipment, "st": "REFUSED"}, nil))
	if k := inboxKinds(); k["SHIPMENT_EXCEPTION"] != 2 {
		t.Fatalf("inbox after two exceptions: %v", k)
	}
	if n := notified(t, w.env, "shipment.exception", auth.SalesManager); n != 2 {
		t.Errorf("managers told of %d exceptions, want 2", n)
	}

	onHand, _ := w.available(t, w.drillID)
	var reship struct {
		ReplacementOrder struct {
			ID, Kind, Status string
			Total            struct{ Amount string }
		}
	}
	must(t, mutate(t, warehouse, "resolveShipmentException", resolve, apptest.Vars{"s": lostShipment, "r": "RESHIPPED"}, &reship))
	// The re-ship is a no-charge replacement, confirmed at once with its
	// stock reserved: the warehouse can ship it straight away.
	if r := reship.ReplacementOrder; r.Kind != "REPLACEMENT" || r.Status != "CONFIRMED" || r.Total.Amount != "0.00" {
		t.Fatalf("replacement: %+v", reship)
	}
	if on, reserved := w.available(t, w.drillID); on != onHand || reserved != 1 {
		t.Fatalf("after the re-ship: onHand %d reserved %d", on, reserved)
	}

	var back struct {
		Return struct{ ID, Status string }
	}
	must(t, mutate(t, warehouse, "resolveShipmentException", resolve, apptest.Vars{"s": refusedShipment, "r": "RETURNED"}, &back))
	if back.Return.Status != "APPROVED" {
		t.Fatalf("return of the refused goods: %+v", back)
	}
	k := inboxKinds()
	if k["SHIPMENT_EXCEPTION"] != 0 {
		t.Fatalf("resolved exceptions still in the inbox: %v", k)
	}
	var inv struct {
		OpenExceptions struct {
			Edges []struct {
				Node struct {
					Kind  string
					Order struct{ ID string }
				}
			}
		}
	}
	warehouse.MustDo(t, `{ openExceptions(category: INVENTORY) { edges { node { kind order { id } } } } }`, nil, &inv)
	if len(inv.OpenExceptions.Edges) != 1 || inv.OpenExceptions.Edges[0].Node.Kind != "RETURN_TO_RECEIVE" ||
		inv.OpenExceptions.Edges[0].Node.Order.ID != refused.ID {
		t.Fatalf("warehouse inbox: %+v", inv)
	}
	// Resolving twice is refused.
	wantCode(t, mutate(t, warehouse, "resolveShipmentException", resolve, apptest.Vars{"s": lostShipment, "r": "RESHIPPED"}, nil), "INVALID_TRANSITION")
	_ = lost
	assertInvariants(t, w.env)
}

// TestCorrection_ContactEmailIsChecked: a corrected email is an address of
// at most 254 characters, as on the customer itself; a longer one is
// refused with the field named and changes nothing.
func TestCorrection_ContactEmailIsChecked(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 1, 0)
	rep := w.env.As(t, "SALES_REP")
	const correct = `mutation($o: ID!, $v: Int!, $e: String!) {
		correctOrder(input: {orderId: $o, expectedVersion: $v, errorType: CUSTOMER_INFO, cause: ENTRY_ERROR,
			customerContact: {email: $e}}) { correction { status diff { field after } } errors { code field message } } }`
	long := strings.Repeat("a", 243) + "@example.test" // 256 characters
	for _, email := range []string{long, "not an address"} {
		errs := mutate(t, rep, "correctOrder", correct, apptest.Vars{"o": o.ID, "v": o.Version, "e": email}, nil)
		if len(errs) == 0 || errs[0].Code != "INVALID" || errs[0].Field == nil || *errs[0].Field != "input.customerContact.email" {
			t.Errorf("email of %d characters: %+v, want INVALID on input.customerContact.email", len(email), errs)
		}
	}
	if v := w.order(t, o.ID).Version; v != o.Version {
		t.Errorf("refused corrections changed the order: version %d, want %d", v, o.Version)
	}
	var done struct {
		Correction struct {
			Diff []struct{ Field, After string }
		}
	}
	must(t, mutate(t, rep, "correctOrder", correct, apptest.Vars{"o": o.ID, "v": o.Version, "e": " Buyer@Acme.test"}, &done))
	if d := done.Correction.Diff; len(d) != 1 || d[0].Field != "customer.email" || d[0].After != "buyer@acme.test" {
		t.Errorf("diff %+v, want customer.email to become buyer@acme.test, as stored", d)
	}
}
