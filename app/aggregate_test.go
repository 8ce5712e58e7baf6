package app_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"orderdesk/app/apptest"
	"orderdesk/ent/auditevent"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/ent/ledgerentry"
)

// Rules that belong to the order, not to one action: each test here is a
// way money or stock once leaked because one action forgot a check.

const (
	qCreateReturn = `mutation($o: ID!, $l: ID!, $q: Int!, $res: ReturnOrderResolution) { createReturn(input: {orderId: $o,
		lines: [{orderLineId: $l, quantity: $q, reason: DEFECTIVE}], resolution: $res}) {
		return { id status lines { id } } ` + userErrors + ` } }`
	qApproveReturn = `mutation($r: ID!) { approveReturn(input: {returnId: $r}) { ` + userErrors + ` } }`
	qReceiveReturn = `mutation($r: ID!, $l: ID!, $q: Int!) { receiveReturn(input: {returnId: $r,
		lines: [{returnLineId: $l, restocked: $q, damaged: 0}]}) { ` + userErrors + ` } }`
	qRefundReturn = `mutation($r: ID!) { refundReturn(input: {returnId: $r}) { amountRefunded { amount } ` + userErrors + ` } }`
	qRefundAmount = `mutation($id: ID!, $a: Decimal!) { refundPayment(input: {orderId: $id, amount: $a, reason: "goodwill"}) { ` + userErrors + ` } }`
	qReport       = `mutation($s: ID!, $st: ShipmentExceptionStatus!) { reportShipmentException(input: {shipmentId: $s, status: $st, note: "carrier"}) { ` + userErrors + ` } }`
	qResolve      = `mutation($s: ID!, $r: ShipmentExceptionResolution!) { resolveShipmentException(input: {shipmentId: $s, resolution: $r}) {
		replacementOrder { id kind status lines { quantityReserved } } refunds { amount { amount } } ` + userErrors + ` } }`
	qCorrectLine = `mutation($id: ID!, $v: Int!, $line: CorrectionLineInput!, $ok: Boolean) { correctOrder(input: {orderId: $id,
		expectedVersion: $v, errorType: PRICE, cause: ENTRY_ERROR, lines: [$line], customerConfirmed: $ok}) {
		correction { id status severity } preview { severity applies } ` + userErrors + ` } }`
)

// returnReceived takes the whole first line of a delivered, paid order
// back: requested, approved, received and restocked.
func returnReceived(t *testing.T, w *world, o orderView, qty int) string {
	t.Helper()
	var p struct {
		Return struct {
			ID    string
			Lines []struct{ ID string }
		}
	}
	must(t, mutate(t, lcClient(t, w, "SUPPORT"), "createReturn", qCreateReturn,
		apptest.Vars{"o": o.ID, "l": o.Lines[0].ID, "q": qty}, &p))
	must(t, lcDo(t, w, "SALES_MANAGER", "approveReturn", qApproveReturn, apptest.Vars{"r": p.Return.ID}))
	must(t, lcDo(t, w, "WAREHOUSE", "receiveReturn", qReceiveReturn,
		apptest.Vars{"r": p.Return.ID, "l": p.Return.Lines[0].ID, "q": qty}))
	return p.Return.ID
}

// TestAggregate_FinishedOrdersChangeNoMore: an order completes only when
// settled with nothing open; once COMPLETED, neither a return refund nor a
// shipment exception nor a refund moves its money or its version.
func TestAggregate_FinishedOrdersChangeNoMore(t *testing.T) {
	w := newWorld(t)
	o, shipment := w.paidShipped(t, 2, 0)
	must(t, lcDo(t, w, "WAREHOUSE", "markOrderDelivered", qDeliver, apptest.Vars{"id": o.ID}))
	ret := returnReceived(t, w, o, 1)

	// The return credited one drill (129.00): it is due back, and the
	// return is still open, so the order cannot complete.
	o = w.order(t, o.ID)
	if o.Outstanding.Amount != "0.00" || o.Refundable.Amount != "258.00" {
		t.Fatalf("after the return: outstanding %s refundable %s", o.Outstanding.Amount, o.Refundable.Amount)
	}
	if contains(o.AvailableActions, "COMPLETE") {
		t.Errorf("COMPLETE offered with a received return and money due back: %v", o.AvailableActions)
	}
	errs := lcDo(t, w, "SALES_MANAGER", "completeOrder", qComplete, apptest.Vars{"id": o.ID})
	wantCode(t, errs, "NOT_ALLOWED")
	if !strings.Contains(errs[0].Message, "129.00 is due back") {
		t.Errorf("completion refused with %q, want the amount due back", errs[0].Message)
	}

	var refunded struct{ AmountRefunded struct{ Amount string } }
	must(t, mutate(t, lcClient(t, w, "FINANCE"), "refundReturn", qRefundReturn, apptest.Vars{"r": ret}, &refunded))
	if refunded.AmountRefunded.Amount != "129.00" {
		t.Fatalf("return refunded %s, want 129.00", refunded.AmountRefunded.Amount)
	}
	o = w.order(t, o.ID)
	if !contains(o.AvailableActions, "COMPLETE") {
		t.Fatalf("settled with nothing open, COMPLETE is not offered: %v", o.AvailableActions)
	}
	must(t, lcDo(t, w, "SALES_MANAGER", "completeOrder", qComplete, apptest.Vars{"id": o.ID}))
	done := w.order(t, o.ID)

	// Nothing reaches a completed order any more.
	wantCode(t, lcDo(t, w, "FINANCE", "refundPayment", qRefundAmount, apptest.Vars{"id": o.ID, "a": "1.00"}), "INVALID_TRANSITION")
	wantCode(t, lcDo(t, w, "WAREHOUSE", "reportShipmentException", qReport, apptest.Vars{"s": shipment, "st": "DAMAGED"}), "INVALID_TRANSITION")
	wantCode(t, lcDo(t, w, "SUPPORT", "createReturn", qCreateReturn, apptest.Vars{"o": o.ID, "l": o.Lines[0].ID, "q": 1}), "INVALID_TRANSITION")
	wantCode(t, lcDo(t, w, "SALES_MANAGER", "closeReturn", `mutation($r: ID!) { closeReturn(input: {returnId: $r}) { `+userErrors+` } }`,
		apptest.Vars{"r": ret}), "INVALID_TRANSITION")
	if after := w.order(t, o.ID); after.Version != done.Version || after.Refundable != done.Refundable {
		t.Errorf("the completed order moved: version %d → %d, refundable %s → %s", done.Version, after.Version,
			done.Refundable.Amount, after.Refundable.Amount)
	}
	assertInvariants(t, w.env)
}

// TestAggregate_CorrectionsKeepShippedGoods: shipped units are the floor of
// a correction — their product and price stay, and the quantity cannot go
// below them — each refusal a field error, never an internal one.
func TestAggregate_CorrectionsKeepShippedGoods(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 10, 0)
	must(t, lcDo(t, w, "WAREHOUSE", "shipOrder", `mutation($id: ID!, $l: ID!) { shipOrder(input: {orderId: $id, carrier: "DHL",
		lines: [{orderLineId: $l, quantity: 6}]}) { `+userErrors+` } }`, apptest.Vars{"id": o.ID, "l": o.Lines[0].ID}))
	o = w.order(t, o.ID)
	correct := func(line apptest.Vars) []apptest.UserError {
		line["orderLineId"] = o.Lines[0].ID
		return lcDo(t, w, "SALES_MANAGER", "correctOrder", qCorrectLine,
			apptest.Vars{"id": o.ID, "v": o.Version, "line": line, "ok": true})
	}
	for _, c := range []struct {
		name  string
		line  apptest.Vars
		field string
	}{
		{"swap the product", apptest.Vars{"stockItemId": w.glovesID}, "input.lines.0.stockItemId"},
		{"below what shipped", apptest.Vars{"quantity": 5}, "input.lines.0.quantity"},
		{"reprice shipped units", apptest.Vars{"unitPrice": "120.00"}, "input.lines.0.unitPrice"},
	} {
		errs := correct(c.line)
		if len(errs) == 0 || errs[0].Code != "INVALID" || errs[0].Field == nil || *errs[0].Field != c.field {
			t.Errorf("%s: %+v, want INVALID on %s", c.name, errs, c.field)
		}
	}
	// Down to what shipped is fine: the 4 unshipped units are released.
	must(t, correct(apptest.Vars{"quantity": 6}))
	after := w.order(t, o.ID)
	if l := after.Lines[0]; l.Sku != "DRL-100" || l.Quantity != 6 || l.QuantityShipped != 6 || l.QuantityReserved != 0 {
		t.Errorf("line after the correction: %+v", l)
	}
	if _, reserved := w.available(t, w.drillID); reserved != 0 {
		t.Errorf("drills reserved %d after the correction, want 0", reserved)
	}
	assertInvariants(t, w.env)
}

// TestAggregate_CorrectionsFollowThePricePolicy: a price below the allowed
// discount is as severe in a correction as at review, and so is a change
// of more than the policy's share of the total.
func TestAggregate_CorrectionsFollowThePricePolicy(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 0, 16) // 16 × 6.50 = 104.00
	rep := lcClient(t, w, "SALES_REP")
	try := func(line apptest.Vars, confirmed bool) (struct {
		Correction struct{ ID, Status, Severity string }
	}, []apptest.UserError) {
		var p struct {
			Correction struct{ ID, Status, Severity string }
		}
		line["orderLineId"] = o.Lines[0].ID
		errs := mutate(t, rep, "correctOrder", qCorrectLine, apptest.Vars{"id": o.ID, "v": o.Version, "line": line, "ok": confirmed}, &p)
		return p, errs
	}
	// 6.50 → 0.01: the total drops by 103.84, under nothing but the price policy.
	_, errs := try(apptest.Vars{"unitPrice": "0.01"}, false)
	wantCode(t, errs, "APPROVAL_REQUIRED")
	if !strings.Contains(errs[0].Message, "price outside the policy") {
		t.Errorf("severe because %q, want the price policy named", errs[0].Message)
	}
	p, errs := try(apptest.Vars{"unitPrice": "0.01"}, true)
	must(t, errs)
	if p.Correction.Severity != "SEVERE" || p.Correction.Status != "PENDING_APPROVAL" {
		t.Errorf("a rep's price cut below the policy: %+v, want SEVERE and PENDING_APPROVAL", p.Correction)
	}
	if got := w.order(t, o.ID); got.Total.Amount != "104.00" {
		t.Errorf("the pending correction changed the total to %s", got.Total.Amount)
	}
	must(t, lcDo(t, w, "SALES_MANAGER", "rejectCorrection", `mutation($c: ID!) { rejectCorrection(input: {correctionId: $c, note: "no"}) { `+userErrors+` } }`,
		apptest.Vars{"c": p.Correction.ID}))

	// 16 → 14 units: 13.00 off 104.00 is 12.5 %, above the 10 % share.
	_, errs = try(apptest.Vars{"quantity": 14}, false)
	wantCode(t, errs, "APPROVAL_REQUIRED")
	if !strings.Contains(errs[0].Message, "10.00 %") {
		t.Errorf("severe because %q, want the share named", errs[0].Message)
	}
	// 16 → 15 units: 6.50 off, 6.25 %: minor, applied at once.
	p, errs = try(apptest.Vars{"quantity": 15}, false)
	must(t, errs)
	if p.Correction.Severity != "MINOR" || p.Correction.Status != "APPLIED" {
		t.Errorf("a small correction: %+v", p.Correction)
	}
	assertInvariants(t, w.env)
}

// TestAggregate_LongChineseNotes: a void with the longest note allowed, in
// Chinese, goes through on every database; the ledger keeps a clipped but
// valid text.
func TestAggregate_LongChineseNotes(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 1, 0)
	must(t, lcDo(t, w, "FINANCE", "recordPayment", qPay, apptest.Vars{"id": o.ID, "a": o.Total.Amount}))
	note := strings.Repeat("客户重复下单需作废", 222) + "客户" // 2,000 characters, 6,000 bytes
	var p struct {
		Cancellation struct{ Status string }
	}
	must(t, mutate(t, lcClient(t, w, "SALES_MANAGER"), "voidOrder", `mutation($id: ID!, $n: String!) {
		voidOrder(input: {orderId: $id, reasonCode: OTHER, note: $n}) { cancellation { status } `+userErrors+` } }`,
		apptest.Vars{"id": o.ID, "n": note}, &p))
	if p.Cancellation.Status != "EXECUTED" {
		t.Fatalf("void: %+v", p)
	}
	entries := w.env.DB.Client.LedgerEntry.Query().Where(ledgerentry.KindEQ(ledgerentry.KindREFUND)).AllX(w.env.Sys)
	if len(entries) != 1 {
		t.Fatalf("%d refund entries, want 1", len(entries))
	}
	if d := entries[0].Description; !utf8.ValidString(d) || utf8.RuneCountInString(d) != 500 {
		t.Errorf("ledger description: valid %t, %d characters; want valid, clipped to 500", utf8.ValidString(d), utf8.RuneCountInString(d))
	}
	assertInvariants(t, w.env)
}

// TestAggregate_AmountsAreBounded: prices beyond the bound are a field
// error, not a negative total; a line's total counts only what is billed.
func TestAggregate_AmountsAreBounded(t *testing.T) {
	w := newWorld(t)
	huge := "50000000000000000.00"
	var p struct{ Order *orderView }
	errs := mutate(t, lcClient(t, w, "SALES_REP"), "createOrder", `mutation($in: CreateOrderInput!) {
		createOrder(input: $in) { order { id } `+userErrors+` } }`, apptest.Vars{"in": apptest.Vars{"customerId": w.customerID,
		"channel": "WEB", "lines": []apptest.Vars{lcLine(w.drillID, 1, huge), lcLine(w.glovesID, 1, huge)}}}, &p)
	if len(errs) != 2 || *errs[0].Field != "input.lines.0.unitPrice" || *errs[1].Field != "input.lines.1.unitPrice" || p.Order != nil {
		t.Fatalf("huge prices: %+v, order %v; want INVALID on both unit prices and no order", errs, p.Order)
	}

	o := w.createConfirmed(t, 3, 0)
	must(t, lcDo(t, w, "SALES_MANAGER", "cancelOrder", `mutation($id: ID!, $l: ID!) { cancelOrder(input: {orderId: $id,
		reasonCode: CUSTOMER_REQUEST, lines: [{orderLineId: $l, quantity: 1}]}) { `+userErrors+` } }`,
		apptest.Vars{"id": o.ID, "l": o.Lines[0].ID}))
	var out struct {
		Node struct {
			Total struct{ Amount string }
			Lines []struct{ LineTotal struct{ Amount string } }
		}
	}
	lcClient(t, w, "SALES_MANAGER").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { total { amount } lines { lineTotal { amount } } } } }`,
		apptest.Vars{"id": o.ID}, &out)
	if out.Node.Total.Amount != "258.00" || out.Node.Lines[0].LineTotal.Amount != "258.00" {
		t.Errorf("after cancelling 1 of 3 drills: total %s, line total %s; want both 258.00", out.Node.Total.Amount, out.Node.Lines[0].LineTotal.Amount)
	}
	assertInvariants(t, w.env)
}

// TestAggregate_ShipmentExceptionsFinishTheJob: a delay that ends in
// delivery leaves nothing open and nothing to re-ship; a lost shipment is
// re-shipped as a confirmed, reserved replacement the warehouse ships at
// once; finance refunds damaged goods.
func TestAggregate_ShipmentExceptionsFinishTheJob(t *testing.T) {
	w := newWorld(t)
	wh := lcClient(t, w, "WAREHOUSE")

	delayed, sh := w.paidShipped(t, 1, 0)
	must(t, lcDo(t, w, "WAREHOUSE", "reportShipmentException", qReport, apptest.Vars{"s": sh, "st": "DELAYED"}))
	must(t, lcDo(t, w, "WAREHOUSE", "markOrderDelivered", qDeliver, apptest.Vars{"id": delayed.ID}))
	var got struct {
		Node struct{ Status, ExceptionResolution string }
	}
	wh.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Shipment { status exceptionResolution } } }`, apptest.Vars{"id": sh}, &got)
	if got.Node.Status != "DELIVERED" || got.Node.ExceptionResolution != "DELIVERED" {
		t.Errorf("delayed then delivered: %+v", got.Node)
	}
	wantCode(t, lcDo(t, w, "WAREHOUSE", "resolveShipmentException", qResolve, apptest.Vars{"s": sh, "r": "RESHIPPED"}), "INVALID_TRANSITION")
	if d := w.order(t, delayed.ID); !contains(d.AvailableActions, "COMPLETE") {
		t.Errorf("a delivered, paid order whose delay resolved itself cannot complete: %v", d.AvailableActions)
	}

	lost, sh2 := w.paidShipped(t, 2, 0)
	must(t, lcDo(t, w, "WAREHOUSE", "reportShipmentException", qReport, apptest.Vars{"s": sh2, "st": "LOST"}))
	var r struct {
		ReplacementOrder struct {
			ID, Kind, Status string
			Lines            []struct{ QuantityReserved int }
		}
	}
	must(t, mutate(t, wh, "resolveShipmentException", qResolve, apptest.Vars{"s": sh2, "r": "RESHIPPED"}, &r))
	if ro := r.ReplacementOrder; ro.Status != "CONFIRMED" || len(ro.Lines) != 1 || ro.Lines[0].QuantityReserved != 2 {
		t.Fatalf("re-ship of a lost shipment: %+v, want a CONFIRMED replacement with 2 reserved", ro)
	}
	must(t, lcDo(t, w, "WAREHOUSE", "shipOrder", qShipAll, apptest.Vars{"id": r.ReplacementOrder.ID}))
	_ = lost

	damaged, sh3 := w.paidShipped(t, 1, 0)
	must(t, lcDo(t, w, "WAREHOUSE", "reportShipmentException", qReport, apptest.Vars{"s": sh3, "st": "DAMAGED"}))
	var refund struct {
		Refunds []struct{ Amount struct{ Amount string } }
	}
	must(t, mutate(t, lcClient(t, w, "FINANCE"), "resolveShipmentException", qResolve, apptest.Vars{"s": sh3, "r": "REFUNDED"}, &refund))
	if len(refund.Refunds) != 1 || refund.Refunds[0].Amount.Amount != "129.00" {
		t.Errorf("finance refunding damaged goods: %+v", refund)
	}
	if d := w.order(t, damaged.ID); d.Outstanding.Amount != "0.00" || d.Refundable.Amount != "0.00" {
		t.Errorf("after refunding the damaged goods: outstanding %s refundable %s", d.Outstanding.Amount, d.Refundable.Amount)
	}
	assertInvariants(t, w.env)
}

// TestAggregate_SmallerRules: a re-order leaves out what is no longer sold;
// a rejection records the state it left; finance decides only what awaits
// finance; a reversing ledger entry names the entry it reverses; one
// business action has one "now".
func TestAggregate_SmallerRules(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 1, 2)
	var item struct{ Node struct{ Version int } }
	admin := lcClient(t, w, "ADMIN")
	admin.MustDo(t, `query($id: ID!) { node(id: $id) { ... on StockItem { version } } }`, apptest.Vars{"id": w.drillID}, &item)
	must(t, mutate(t, admin, "updateStockItem", `mutation($id: ID!, $v: Int!) { updateStockItem(input: {id: $id, expectedVersion: $v, active: false}) {
		`+userErrors+` } }`, apptest.Vars{"id": w.drillID, "v": item.Node.Version}, nil))
	var c struct {
		Cancellation struct{ Status string }
		NewOrder     struct {
			Notes string
			Lines []struct{ Sku string }
		}
	}
	must(t, mutate(t, lcClient(t, w, "SALES_MANAGER"), "cancelOrder", `mutation($id: ID!) { cancelOrder(input: {orderId: $id,
		reasonCode: CUSTOMER_REQUEST, resolution: REORDER}) { cancellation { status } newOrder { notes lines { sku } } `+userErrors+` } }`,
		apptest.Vars{"id": o.ID}, &c))
	if c.Cancellation.Status != "EXECUTED" || len(c.NewOrder.Lines) != 1 || c.NewOrder.Lines[0].Sku != "GLV-M" ||
		!strings.Contains(c.NewOrder.Notes, "DRL-100") {
		t.Errorf("re-order with a discontinued product: %+v", c)
	}

	// A request approved by the manager, awaiting finance, rejected by
	// finance: the audit event says it left APPROVED.
	paid := w.createConfirmed(t, 0, 2)
	must(t, lcDo(t, w, "FINANCE", "recordPayment", qPay, apptest.Vars{"id": paid.ID, "a": paid.Total.Amount}))
	var req struct{ Cancellation struct{ ID, Status string } }
	must(t, mutate(t, lcClient(t, w, "SALES_REP"), "requestOrderCancellation", `mutation($id: ID!) { requestOrderCancellation(input: {orderId: $id,
		reasonCode: CUSTOMER_REQUEST}) { cancellation { id status } `+userErrors+` } }`, apptest.Vars{"id": paid.ID}, &req))
	decide := func(role, field, note string) []apptest.UserError {
		return lcDo(t, w, role, field, `mutation($c: ID!, $n: String) { `+field+`(input: {cancellationId: $c, note: $n}) { `+userErrors+` } }`,
			apptest.Vars{"c": req.Cancellation.ID, "n": note})
	}
	must(t, decide("SALES_MANAGER", "approveOrderCancellation", ""))
	must(t, decide("FINANCE", "rejectOrderCancellation", "refund already agreed otherwise"))
	id := ccID(t, req.Cancellation.ID)
	ev := w.env.DB.Client.AuditEvent.Query().Where(auditevent.Action("cancellation.rejected"), auditevent.SubjectID(id)).OnlyX(w.env.Sys)
	if ev.FromStatus != string(cancellationrecord.StatusAPPROVED) {
		t.Errorf("rejection recorded from %q, want APPROVED", ev.FromStatus)
	}
	// An unpaid order's request needs no finance: finance may not reject it.
	unpaid := w.createConfirmed(t, 0, 1)
	must(t, mutate(t, lcClient(t, w, "SUPPORT"), "requestOrderCancellation", `mutation($id: ID!) { requestOrderCancellation(input: {orderId: $id,
		reasonCode: CUSTOMER_REQUEST}) { cancellation { id status } `+userErrors+` } }`, apptest.Vars{"id": unpaid.ID}, &req))
	wantCode(t, decide("FINANCE", "rejectOrderCancellation", "not mine"), "NOT_ALLOWED")

	// cancelPayment of a captured charge reverses its capture entry, and
	// every row the action wrote carries one time.
	charged := w.createConfirmed(t, 0, 1)
	var pay struct{ Payment struct{ ID string } }
	must(t, mutate(t, lcClient(t, w, "FINANCE"), "recordPayment", `mutation($id: ID!, $a: Decimal!) { recordPayment(input: {orderId: $id,
		amount: $a, method: CARD}) { payment { id } `+userErrors+` } }`, apptest.Vars{"id": charged.ID, "a": charged.Total.Amount}, &pay))
	must(t, lcDo(t, w, "FINANCE", "cancelPayment", `mutation($p: ID!) { cancelPayment(input: {paymentId: $p, reason: "card charged twice"}) { `+userErrors+` } }`,
		apptest.Vars{"p": pay.Payment.ID}))
	var led struct {
		Node struct {
			UpdatedAt     string
			LedgerEntries []struct {
				ID, Kind, CreatedAt string
				Reverses            *struct{ ID, Kind string }
			}
			Payments []struct{ UpdatedAt string }
		}
	}
	lcClient(t, w, "FINANCE").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { updatedAt
		ledgerEntries { id kind createdAt reverses { id kind } } payments { updatedAt } } } }`, apptest.Vars{"id": charged.ID}, &led)
	var reversal, capture string
	for _, e := range led.Node.LedgerEntries {
		switch e.Kind {
		case "CHARGE_CAPTURED":
			capture = e.ID
		case "PAYMENT_CANCELLED":
			if e.Reverses == nil {
				t.Fatalf("the reversal names no entry: %+v", e)
			}
			reversal = e.Reverses.ID
			if e.CreatedAt != led.Node.UpdatedAt || led.Node.Payments[0].UpdatedAt != e.CreatedAt {
				t.Errorf("one cancellation, several times: ledger %s, order %s, payment %s", e.CreatedAt, led.Node.UpdatedAt, led.Node.Payments[0].UpdatedAt)
			}
		}
	}
	if reversal == "" || reversal != capture {
		t.Errorf("reversal reverses %q, want the capture entry %q", reversal, capture)
	}
	assertInvariants(t, w.env)
}

// TestAggregate_ShippingTheRestDecidesRequests: a cancellation request for
// units that then ship can no longer be carried out; shipping the last
// units closes it, so nothing waits on the order and it can complete.
func TestAggregate_ShippingTheRestDecidesRequests(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 2, 0)
	must(t, lcDo(t, w, "WAREHOUSE", "shipOrder", `mutation($id: ID!, $l: ID!) { shipOrder(input: {orderId: $id, carrier: "DHL",
		lines: [{orderLineId: $l, quantity: 1}]}) { `+userErrors+` } }`, apptest.Vars{"id": o.ID, "l": o.Lines[0].ID}))
	var req struct{ Cancellation struct{ ID, Status string } }
	must(t, mutate(t, lcClient(t, w, "SUPPORT"), "requestOrderCancellation", `mutation($id: ID!, $l: ID!) { requestOrderCancellation(input: {orderId: $id,
		reasonCode: CUSTOMER_REQUEST, lines: [{orderLineId: $l, quantity: 1}]}) { cancellation { id status } `+userErrors+` } }`,
		apptest.Vars{"id": o.ID, "l": o.Lines[0].ID}, &req))
	if req.Cancellation.Status != "REQUESTED" {
		t.Fatalf("request: %+v", req)
	}
	must(t, lcDo(t, w, "WAREHOUSE", "shipOrder", qShipAll, apptest.Vars{"id": o.ID}))
	var got struct {
		Node struct{ Status, DecisionNote string }
	}
	lcClient(t, w, "SALES_MANAGER").MustDo(t, `query($id: ID!) { node(id: $id) { ... on CancellationRecord { status decisionNote } } }`,
		apptest.Vars{"id": req.Cancellation.ID}, &got)
	if got.Node.Status != "REJECTED" || !strings.Contains(got.Node.DecisionNote, "shipped") {
		t.Errorf("the request after the last units shipped: %+v", got.Node)
	}
	must(t, lcDo(t, w, "WAREHOUSE", "markOrderDelivered", qDeliver, apptest.Vars{"id": o.ID}))
	must(t, lcDo(t, w, "FINANCE", "recordPayment", qPay, apptest.Vars{"id": o.ID, "a": o.Total.Amount}))
	must(t, lcDo(t, w, "SALES_MANAGER", "completeOrder", qComplete, apptest.Vars{"id": o.ID}))
	assertInvariants(t, w.env)
}
