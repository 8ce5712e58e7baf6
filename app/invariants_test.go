package app_test

import (
	"fmt"
	"testing"
	"time"

	"orderdesk/app/apptest"
	"orderdesk/ent"
	"orderdesk/ent/auditevent"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/ent/ledgerentry"
	entorder "orderdesk/ent/order"
	entpayment "orderdesk/ent/payment"
	"orderdesk/ent/stockmovement"
)

// assertInvariants checks DESIGN.md's invariants over the whole database:
//   - stock: each item's onHand and reserved equal the sums of its
//     movements' deltas, 0 ≤ reserved ≤ onHand, and reserved equals the
//     open reservations of its order lines;
//   - money: per order refunded ≤ captured, the caches equal the payments,
//     the cash ledger balances with them and the credit notes with
//     credited; every capture, refund and cancellation of a charge has a
//     ledger entry and an audit event;
//   - an executed cancellation says what it did: its refunded amount is
//     the sum of the refunds made for it, its cancelled amount that of the
//     charges it cancelled, and its released quantity that of the stock
//     it put back;
//   - a closed order changes no more: nothing of it — the order, its
//     payments, shipments, returns, corrections, requests — was written
//     after it closed. Every row a business action writes carries the
//     action's one clock reading, so "after" is exact.
func assertInvariants(t *testing.T, env *apptest.Env) {
	t.Helper()
	ctx, db := env.Sys, env.DB.Client
	lineReserved := map[int]int{}
	for _, l := range db.OrderLine.Query().AllX(ctx) {
		lineReserved[l.StockItemID] += l.QuantityReserved
	}
	for _, it := range db.StockItem.Query().WithMovements().AllX(ctx) {
		var on, res int
		for _, m := range it.Edges.Movements {
			on += m.OnHandDelta
			res += m.ReservedDelta
		}
		if it.OnHand != on || it.Reserved != res || it.Reserved < 0 || it.Reserved > it.OnHand {
			t.Errorf("stock %s: onHand %d (movements %d), reserved %d (movements %d)", it.Sku, it.OnHand, on, it.Reserved, res)
		}
		if it.Reserved != lineReserved[it.ID] {
			t.Errorf("stock %s: reserved %d, but its order lines hold %d", it.Sku, it.Reserved, lineReserved[it.ID])
		}
	}
	assertCancellationsTold(t, env)
	orders := db.Order.Query().WithPayments().WithLedgerEntries().WithShipments().WithReturns().
		WithCorrections().WithCancellations().AllX(ctx)
	for _, o := range orders {
		assertMoney(t, env, o)
		assertClosed(t, o)
	}
}

func assertCancellationsTold(t *testing.T, env *apptest.Env) {
	t.Helper()
	ctx, db := env.Sys, env.DB.Client
	type did struct {
		refunded, cancelled int64
		released            int
	}
	done := map[int]*did{}
	of := func(id int) *did {
		if done[id] == nil {
			done[id] = &did{}
		}
		return done[id]
	}
	for _, p := range db.Payment.Query().Where(entpayment.CancellationIDNotNil()).AllX(ctx) {
		switch {
		case p.Kind == entpayment.KindREFUND:
			of(*p.CancellationID).refunded += p.AmountMinor
		case p.Kind == entpayment.KindCHARGE && p.Status == entpayment.StatusCANCELLED:
			of(*p.CancellationID).cancelled += p.AmountMinor
		}
	}
	for _, m := range db.StockMovement.Query().Where(stockmovement.CancellationIDNotNil(),
		stockmovement.KindEQ(stockmovement.KindRELEASE)).AllX(ctx) {
		of(*m.CancellationID).released += m.Quantity
	}
	for _, c := range db.CancellationRecord.Query().Where(cancellationrecord.StatusEQ(cancellationrecord.StatusEXECUTED)).AllX(ctx) {
		d := of(c.ID)
		if c.AmountRefundedMinor != d.refunded || c.AmountCancelledMinor != d.cancelled || c.QuantityReleased != d.released {
			t.Errorf("cancellation %d says %d refunded, %d cancelled, %d released; its rows say %d, %d, %d",
				c.ID, c.AmountRefundedMinor, c.AmountCancelledMinor, c.QuantityReleased, d.refunded, d.cancelled, d.released)
		}
	}
}

func assertMoney(t *testing.T, env *apptest.Env, o *ent.Order) {
	t.Helper()
	var captured, refunded, cash, credit int64
	for _, p := range o.Edges.Payments {
		switch {
		case p.Kind == entpayment.KindCHARGE && p.Status == entpayment.StatusCAPTURED:
			captured += p.AmountMinor
		case p.Kind == entpayment.KindREFUND && p.Status == entpayment.StatusCAPTURED:
			refunded += p.AmountMinor
		}
	}
	entries := map[int][]ledgerentry.Kind{}
	for _, l := range o.Edges.LedgerEntries {
		if l.Kind == ledgerentry.KindCREDIT_NOTE {
			credit += l.AmountMinor
			continue
		}
		cash += l.AmountMinor
		if l.PaymentID != nil {
			entries[*l.PaymentID] = append(entries[*l.PaymentID], l.Kind)
		}
	}
	if o.CapturedMinor != captured || o.RefundedMinor != refunded || refunded > captured || cash != captured-refunded {
		t.Errorf("order %s: captured %d (payments %d), refunded %d (payments %d), cash ledger %d",
			o.Number, o.CapturedMinor, captured, o.RefundedMinor, refunded, cash)
	}
	if credit != -o.CreditedMinor || o.CreditedMinor > o.TotalMinor {
		t.Errorf("order %s: credited %d of total %d, credit notes %d", o.Number, o.CreditedMinor, o.TotalMinor, credit)
	}
	for _, p := range o.Edges.Payments {
		want := map[entpayment.Status]ledgerentry.Kind{entpayment.StatusCAPTURED: ledgerentry.KindCHARGE_CAPTURED,
			entpayment.StatusCANCELLED: ledgerentry.KindPAYMENT_CANCELLED, entpayment.StatusFAILED: ledgerentry.KindPAYMENT_FAILED}[p.Status]
		if p.Kind == entpayment.KindREFUND {
			want = ledgerentry.KindREFUND
		}
		if want == "" {
			continue // pending: no money moved yet
		}
		if !hasKind(entries[p.ID], want) {
			t.Errorf("order %s: payment %d (%s %s) has no %s ledger entry (has %v)", o.Number, p.ID, p.Kind, p.Status, want, entries[p.ID])
		}
		n := env.DB.Client.AuditEvent.Query().Where(auditevent.SubjectType("Payment"), auditevent.SubjectID(p.ID)).CountX(env.Sys)
		if n == 0 {
			t.Errorf("order %s: payment %d (%s %s) has no audit event", o.Number, p.ID, p.Kind, p.Status)
		}
	}
}

func hasKind(ks []ledgerentry.Kind, k ledgerentry.Kind) bool {
	for _, x := range ks {
		if x == k {
			return true
		}
	}
	return false
}

// assertClosed: a closed order and everything it owns were last written at
// the moment it closed.
func assertClosed(t *testing.T, o *ent.Order) {
	t.Helper()
	closed := o.ClosedAt
	if o.Status == entorder.StatusCOMPLETED {
		closed = o.CompletedAt
	}
	if closed == nil {
		if o.Status == entorder.StatusCOMPLETED || o.Status == entorder.StatusCANCELLED ||
			o.Status == entorder.StatusVOIDED || o.Status == entorder.StatusREJECTED {
			t.Errorf("order %s is %s with no closing time", o.Number, o.Status)
		}
		return
	}
	written := map[string]time.Time{"the order": o.UpdatedAt}
	for _, p := range o.Edges.Payments {
		written[fmt.Sprintf("payment %d", p.ID)] = p.UpdatedAt
	}
	for _, sh := range o.Edges.Shipments {
		written[fmt.Sprintf("shipment %d", sh.ID)] = sh.UpdatedAt
	}
	for _, r := range o.Edges.Returns {
		written["return "+r.Number] = r.UpdatedAt
	}
	for _, c := range o.Edges.Corrections {
		written[fmt.Sprintf("correction %d", c.ID)] = c.UpdatedAt
	}
	for _, c := range o.Edges.Cancellations {
		written[fmt.Sprintf("cancellation %d", c.ID)] = c.UpdatedAt
	}
	for what, at := range written {
		if at.After(*closed) {
			t.Errorf("order %s closed (%s) at %s, but %s was written at %s", o.Number, o.Status, closed, what, at)
		}
	}
}
