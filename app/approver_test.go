package app_test

import (
	"fmt"
	"reflect"
	"testing"

	"orderdesk/app/apptest"
)

// The approver tests: what a person deciding a cancellation sees — the
// effect of a pending request, computed when read, which its execution
// then performs; approve and reject as dry runs, which write nothing; the
// inbox item's amount.

const apEffectFields = `kind executes needsManagerApproval needsFinanceApproval statusAfter requestStatusAfter
	totalAfter { amount } amountRefunded { amount currency } amountCancelled { amount } quantityReleased
	releases { sku quantity } lines { orderLineId quantity } createsReorder`

type apEffect struct {
	Kind                                       string
	Executes                                   bool
	NeedsManagerApproval, NeedsFinanceApproval bool
	StatusAfter, RequestStatusAfter            string
	TotalAfter                                 struct{ Amount string }
	AmountRefunded                             struct{ Amount, Currency string }
	AmountCancelled                            struct{ Amount string }
	QuantityReleased                           int
	Releases                                   []struct {
		Sku      string
		Quantity int
	}
	Lines          []cxLineQuantity
	CreatesReorder bool
}

type apRecord struct {
	ID, Status                      string
	Version                         int
	AmountRefunded, AmountCancelled struct{ Amount string }
	QuantityReleased                int
	Effect                          *apEffect
}

const apRecordFields = `id status version amountRefunded { amount } amountCancelled { amount } quantityReleased
	effect { ` + apEffectFields + ` }`

type apPayload struct {
	Cancellation *apRecord
	Preview      *apEffect
}

// apDecide runs approve/rejectOrderCancellation as role with in.
func apDecide(t *testing.T, c *apptest.Client, field string, in apptest.Vars) apPayload {
	t.Helper()
	var p apPayload
	must(t, mutate(t, c, field, fmt.Sprintf(`mutation($in: CancellationDecisionInput!) {
		%s(input: $in) { cancellation { %s } preview { %s } errors { code field message } } }`,
		field, apRecordFields, apEffectFields), apptest.Vars{"in": in}, &p))
	return p
}

// apRecordOf reads a cancellation request as role.
func apRecordOf(t *testing.T, w *world, role, id string) apRecord {
	t.Helper()
	var out struct{ Node apRecord }
	w.env.As(t, role).MustDo(t, `query($id: ID!) { node(id: $id) { ... on CancellationRecord { `+apRecordFields+` } } }`,
		apptest.Vars{"id": id}, &out)
	return out.Node
}

// apFingerprint counts the rows of the tables an action writes and sums
// the versions of the versioned ones: a dry run must leave it as it was.
func apFingerprint(t *testing.T, env *apptest.Env) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"orders", "order_lines", "payments", "ledger_entries", "stock_items",
		"stock_movements", "cancellation_records", "audit_events", "notifications", "idempotency_keys"} {
		var n int64
		if err := env.DB.SQL.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatalf("counting %s: %v", table, err)
		}
		out[table] = n
	}
	for _, table := range []string{"orders", "payments", "stock_items", "cancellation_records"} {
		var n int64
		if err := env.DB.SQL.QueryRow("SELECT COALESCE(SUM(version), 0) FROM " + table).Scan(&n); err != nil {
			t.Fatalf("versions of %s: %v", table, err)
		}
		out[table+".versions"] = n
	}
	var reserved, onHand int64
	if err := env.DB.SQL.QueryRow("SELECT COALESCE(SUM(reserved), 0), COALESCE(SUM(on_hand), 0) FROM stock_items").
		Scan(&reserved, &onHand); err != nil {
		t.Fatal(err)
	}
	out["stock.reserved"], out["stock.onHand"] = reserved, onHand
	return out
}

func apUnchanged(t *testing.T, env *apptest.Env, before map[string]int64, what string) {
	t.Helper()
	if after := apFingerprint(t, env); !reflect.DeepEqual(after, before) {
		t.Fatalf("%s changed the database:\n before %v\n after  %v", what, before, after)
	}
}

// apInboxAmount is the amount of the inbox item of the cancellation for
// role, and whether the item is there.
func apInboxAmount(t *testing.T, w *world, role, cancellationID string) (*struct{ Amount, Currency string }, bool) {
	t.Helper()
	var out struct {
		OpenExceptions struct {
			Edges []struct {
				Node struct {
					Kind    string
					Subject struct{ ID string }
					Amount  *struct{ Amount, Currency string }
				}
			}
		}
	}
	w.env.As(t, role).MustDo(t, `{ openExceptions(first: 50) { edges { node { kind subject { id } amount { amount currency } } } } }`,
		nil, &out)
	for _, e := range out.OpenExceptions.Edges {
		if e.Node.Kind == "CANCELLATION_PENDING" && e.Node.Subject.ID == cancellationID {
			return e.Node.Amount, true
		}
	}
	return nil, false
}

// TestApprover_PendingEffectIsWhatExecutes: a partial cancellation of a
// paid order waits for a manager and finance. While it waits, the request
// shows its effect (refund, releases, status after), the same before and
// after the manager's approval; the inbox item carries the refund; dry
// runs of both approvals and of a rejection report what they would do and
// write nothing (the clients sign in before, as signing in writes); finance's real approval then does exactly what the
// effect said, and the effect is gone.
func TestApprover_PendingEffectIsWhatExecutes(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 2, 10) // 258.00 + 65.00
	cxPay(t, w, o.ID, "323.00")
	gloves := o.Lines[1]

	var req struct{ Cancellation apRecord }
	must(t, mutate(t, w.env.As(t, "SALES_REP"), "requestOrderCancellation", `mutation($o: ID!, $l: ID!) {
		requestOrderCancellation(input: {orderId: $o, reasonCode: OUT_OF_STOCK, lines: [{orderLineId: $l, quantity: 10}]}) {
		cancellation { `+apRecordFields+` } errors { code field message } } }`,
		apptest.Vars{"o": o.ID, "l": gloves.ID}, &req))
	rec := req.Cancellation
	if rec.Status != "REQUESTED" || rec.AmountRefunded.Amount != "0.00" || rec.QuantityReleased != 0 {
		t.Fatalf("request %+v", rec)
	}
	want := apEffect{Kind: "CANCEL", NeedsManagerApproval: true, NeedsFinanceApproval: true,
		StatusAfter: "CONFIRMED", RequestStatusAfter: "REQUESTED", QuantityReleased: 10,
		Lines: []cxLineQuantity{{OrderLineID: gloves.ID, Quantity: 10}}}
	want.TotalAfter.Amount, want.AmountRefunded.Amount, want.AmountRefunded.Currency = "258.00", "65.00", "EUR"
	want.AmountCancelled.Amount = "0.00"
	want.Releases = append(want.Releases, struct {
		Sku      string
		Quantity int
	}{"GLV-M", 10})
	if rec.Effect == nil || !reflect.DeepEqual(*rec.Effect, want) {
		t.Fatalf("effect of the new request:\n got %+v\nwant %+v", rec.Effect, want)
	}
	for _, role := range []string{"SALES_MANAGER", "FINANCE", "AUDITOR"} {
		if got := apRecordOf(t, w, role, rec.ID); got.Effect == nil || !reflect.DeepEqual(*got.Effect, want) {
			t.Errorf("effect read by %s:\n got %+v\nwant %+v", role, got.Effect, want)
		}
	}
	for _, role := range []string{"SALES_MANAGER", "FINANCE"} {
		amount, ok := apInboxAmount(t, w, role, rec.ID)
		if !ok || amount == nil || amount.Amount != "65.00" || amount.Currency != "EUR" {
			t.Errorf("inbox amount for %s: %v %+v, want 65.00 EUR", role, ok, amount)
		}
	}

	manager, finance := w.env.As(t, "SALES_MANAGER"), w.env.As(t, "FINANCE")
	t.Run("DryRunsWriteNothing", func(t *testing.T) {
		before := apFingerprint(t, w.env)
		// The manager's approval would leave finance's to give.
		p := apDecide(t, manager, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID, "dryRun": true})
		if p.Preview == nil || p.Preview.Executes || p.Preview.RequestStatusAfter != "APPROVED" ||
			p.Preview.NeedsManagerApproval || !p.Preview.NeedsFinanceApproval || p.Preview.AmountRefunded.Amount != "65.00" {
			t.Errorf("manager's dry-run approval: %+v", p.Preview)
		}
		if p.Cancellation == nil || p.Cancellation.Status != "REQUESTED" || p.Cancellation.Version != rec.Version {
			t.Errorf("dry run shows the request as %+v, want it as it is", p.Cancellation)
		}
		apUnchanged(t, w.env, before, "a dry-run approval")
		p = apDecide(t, manager, "rejectOrderCancellation",
			apptest.Vars{"cancellationId": rec.ID, "note": "we have gloves", "dryRun": true})
		if p.Preview == nil || p.Preview.RequestStatusAfter != "REJECTED" || p.Preview.Executes ||
			p.Preview.StatusAfter != "CONFIRMED" || p.Preview.AmountRefunded.Amount != "0.00" {
			t.Errorf("dry-run rejection: %+v", p.Preview)
		}
		apUnchanged(t, w.env, before, "a dry-run rejection")
		if got := apRecordOf(t, w, "SALES_MANAGER", rec.ID); got.Status != "REQUESTED" || got.Version != rec.Version {
			t.Fatalf("after dry runs the request is %+v", got)
		}
	})

	apDecide(t, manager, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	approved := apRecordOf(t, w, "FINANCE", rec.ID)
	wantApproved := want
	wantApproved.NeedsManagerApproval, wantApproved.RequestStatusAfter = false, "APPROVED"
	if approved.Status != "APPROVED" || approved.Effect == nil || !reflect.DeepEqual(*approved.Effect, wantApproved) {
		t.Fatalf("approved by the manager: %+v\n effect %+v\n want %+v", approved, approved.Effect, wantApproved)
	}

	before := apFingerprint(t, w.env)
	dry := apDecide(t, finance, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID, "dryRun": true})
	apUnchanged(t, w.env, before, "finance's dry-run approval")
	if dry.Preview == nil || !dry.Preview.Executes || dry.Preview.RequestStatusAfter != "EXECUTED" {
		t.Fatalf("finance's dry-run approval would not execute: %+v", dry.Preview)
	}
	if dry.Cancellation == nil || dry.Cancellation.Status != "APPROVED" {
		t.Fatalf("finance's dry run shows the request as %+v", dry.Cancellation)
	}

	_, reservedBefore := w.available(t, w.glovesID)
	done := apDecide(t, finance, "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	c := done.Cancellation
	if c == nil || c.Status != "EXECUTED" || c.Effect != nil {
		t.Fatalf("executed: %+v", c)
	}
	// What the pending request showed is what the execution did.
	if c.AmountRefunded.Amount != want.AmountRefunded.Amount || c.QuantityReleased != want.QuantityReleased ||
		c.AmountCancelled.Amount != want.AmountCancelled.Amount {
		t.Errorf("executed %+v, the effect said %+v", c, want)
	}
	if p := done.Preview; p == nil || !reflect.DeepEqual(p.Releases, want.Releases) || p.TotalAfter != want.TotalAfter ||
		p.StatusAfter != want.StatusAfter || p.AmountRefunded != want.AmountRefunded {
		t.Errorf("execution's preview %+v, the effect said %+v", done.Preview, want)
	}
	dryWant := wantApproved
	dryWant.Executes, dryWant.NeedsFinanceApproval, dryWant.RequestStatusAfter = true, false, "EXECUTED"
	if !reflect.DeepEqual(*dry.Preview, dryWant) || !reflect.DeepEqual(*done.Preview, dryWant) {
		t.Errorf("dry run and execution differ:\n dry  %+v\n done %+v\n want %+v", *dry.Preview, *done.Preview, dryWant)
	}
	if _, reserved := w.available(t, w.glovesID); reservedBefore-reserved != 10 {
		t.Errorf("gloves reserved %d → %d, want 10 released", reservedBefore, reserved)
	}
	if after := w.order(t, o.ID); after.Total.Amount != "258.00" || after.Refundable.Amount != "258.00" {
		t.Errorf("order after: %+v", after)
	}
	if _, ok := apInboxAmount(t, w, "FINANCE", rec.ID); ok {
		t.Errorf("the executed request is still in the inbox")
	}
}

// TestApprover_PendingPaymentsLapse: a request to cancel an order whose
// payment is still pending shows the pending money it would cancel, as
// amountCancelled and as the inbox item's amount; executing it cancels
// exactly that. A decided request has no effect.
func TestApprover_PendingPaymentsLapse(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 1, 0) // 129.00
	must(t, mutate(t, w.env.As(t, "FINANCE"), "recordPayment", `mutation($o: ID!) {
		recordPayment(input: {orderId: $o, amount: "129.00", method: BANK_TRANSFER, pending: true}) {
		payment { id } errors { code field message } } }`, apptest.Vars{"o": o.ID}, nil))
	var req struct{ Cancellation apRecord }
	must(t, mutate(t, w.env.As(t, "SUPPORT"), "requestOrderCancellation", `mutation($o: ID!) {
		requestOrderCancellation(input: {orderId: $o, reasonCode: CUSTOMER_REQUEST}) {
		cancellation { `+apRecordFields+` } errors { code field message } } }`, apptest.Vars{"o": o.ID}, &req))
	rec := req.Cancellation
	e := rec.Effect
	if rec.Status != "REQUESTED" || e == nil || e.AmountCancelled.Amount != "129.00" || e.AmountRefunded.Amount != "0.00" ||
		e.QuantityReleased != 1 || e.StatusAfter != "CANCELLED" || e.TotalAfter.Amount != "0.00" || e.NeedsFinanceApproval {
		t.Fatalf("request %+v effect %+v", rec, e)
	}
	if amount, ok := apInboxAmount(t, w, "SALES_MANAGER", rec.ID); !ok || amount == nil || amount.Amount != "129.00" {
		t.Errorf("inbox amount %v %+v, want the 129.00 the cancellation stops", ok, amount)
	}
	done := apDecide(t, w.env.As(t, "SALES_MANAGER"), "approveOrderCancellation", apptest.Vars{"cancellationId": rec.ID})
	if c := done.Cancellation; c == nil || c.Status != "EXECUTED" || c.AmountCancelled.Amount != e.AmountCancelled.Amount ||
		c.QuantityReleased != e.QuantityReleased || c.Effect != nil {
		t.Fatalf("executed %+v, effect said %+v", done.Cancellation, e)
	}
}
