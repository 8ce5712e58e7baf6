package order

import (
	"context"
	"strings"
	"testing"
	"time"

	"orderdesk/auth"
	"orderdesk/ent"
	entorder "orderdesk/ent/order"
	entpayment "orderdesk/ent/payment"
	_ "orderdesk/ent/runtime" // privacy policies and hooks
	"orderdesk/payment"
	"orderdesk/store"
	"orderdesk/store/storetest"
)

// TestRefundUnsavedFailsTheCommit: a refund leaves the order's refunded
// amount to the action's save; an action that refunded and never saved
// fails at commit, and nothing of it stays.
func TestRefundUnsavedFailsTheCommit(t *testing.T) {
	db := storetest.New(t)
	ctx := store.WithNow(auth.NewContext(context.Background(), auth.System("test")), time.Now().UTC())
	c := db.Client
	cust := c.Customer.Create().SetName("Acme").SetCurrency("EUR").SaveX(ctx)
	o := c.Order.Create().SetNumber("SO-TEST-1").SetCustomerID(cust.ID).SetCurrency("EUR").
		SetChannel(entorder.ChannelWEB).SetStatus(entorder.StatusCONFIRMED).SetCapturedMinor(1000).SaveX(ctx)
	c.Payment.Create().SetOrderID(o.ID).SetKind(entpayment.KindCHARGE).SetAmountMinor(1000).SetCurrency("EUR").
		SetMethod(entpayment.MethodCARD).SetStatus(entpayment.StatusCAPTURED).SaveX(ctx)
	s := New(c, DefaultPolicy)
	refund := func(save bool) error {
		return store.WithTx(ctx, c, func(tx *ent.Tx) error {
			l, err := s.hold(ctx, tx, o.ID, Refund, "input.orderId")
			if err != nil {
				return err
			}
			if _, err := l.refund(ctx, payment.RefundRequest{Amount: 400, Reason: "test"}); err != nil {
				return err
			}
			if save {
				return l.touch(ctx, nil)
			}
			return nil
		})
	}
	if err := refund(false); err == nil || !strings.Contains(err.Error(), "never saved") {
		t.Fatalf("a refund left unsaved committed: %v", err)
	}
	if n := c.Payment.Query().Where(entpayment.KindEQ(entpayment.KindREFUND)).CountX(ctx); n != 0 {
		t.Fatalf("%d refunds stayed", n)
	}
	if err := refund(true); err != nil {
		t.Fatal(err)
	}
	if got := c.Order.GetX(ctx, o.ID); got.RefundedMinor != 400 {
		t.Fatalf("refunded %d, want 400", got.RefundedMinor)
	}
}
