package app_test

import (
	"testing"

	"orderdesk/app/apptest"
	entpayment "orderdesk/ent/payment"
)

// assertInvariants checks DESIGN.md's invariants over the whole database:
// each stock item's onHand and reserved equal the sums of its movements'
// deltas with 0 ≤ reserved ≤ onHand; per order refunded ≤ captured, the
// caches equal the payments, and the ledger balances with them.
func assertInvariants(t *testing.T, env *apptest.Env) {
	t.Helper()
	ctx, db := env.Sys, env.DB.Client
	for _, it := range db.StockItem.Query().WithMovements().AllX(ctx) {
		var on, res int
		for _, m := range it.Edges.Movements {
			on += m.OnHandDelta
			res += m.ReservedDelta
		}
		if it.OnHand != on || it.Reserved != res || it.Reserved < 0 || it.Reserved > it.OnHand {
			t.Errorf("stock %s: onHand %d (movements %d), reserved %d (movements %d)", it.Sku, it.OnHand, on, it.Reserved, res)
		}
	}
	for _, o := range db.Order.Query().WithPayments().WithLedgerEntries().AllX(ctx) {
		var captured, refunded, ledger int64
		for _, p := range o.Edges.Payments {
			switch {
			case p.Kind == entpayment.KindCHARGE && p.Status == entpayment.StatusCAPTURED:
				captured += p.AmountMinor
			case p.Kind == entpayment.KindREFUND && p.Status == entpayment.StatusCAPTURED:
				refunded += p.AmountMinor
			}
		}
		for _, l := range o.Edges.LedgerEntries {
			ledger += l.AmountMinor
		}
		if o.CapturedMinor != captured || o.RefundedMinor != refunded || refunded > captured || ledger != captured-refunded {
			t.Errorf("order %s: captured %d (payments %d), refunded %d (payments %d), ledger %d",
				o.Number, o.CapturedMinor, captured, o.RefundedMinor, refunded, ledger)
		}
	}
}
