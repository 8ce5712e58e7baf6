package order

import (
	"context"
	"strings"
	"time"

	"orderdesk/audit"
	"orderdesk/clip"
	"orderdesk/ent"
	entorder "orderdesk/ent/order"
	"orderdesk/fault"
	"orderdesk/store"
)

// reviewHolds are the review checks that hold an order, in the order
// review runs them, and the code each fails with.
var reviewHolds = []struct {
	code fault.Code
	hold entorder.ReviewHold
}{
	{fault.InsufficientStock, entorder.ReviewHoldSTOCK},
	{fault.PriceCheckFailed, entorder.ReviewHoldPRICE},
	{fault.CreditLimitExceeded, entorder.ReviewHoldCREDIT},
	{fault.DeliveryDateInfeas, entorder.ReviewHoldDELIVERY_DATE},
}

// holdOf is the hold the failed checks put an order on — the first that
// failed — and the note naming every failure; "" when none is a review
// check.
func holdOf(failed []*fault.Error) (entorder.ReviewHold, string) {
	var hold entorder.ReviewHold
	var msgs []string
	for _, h := range reviewHolds {
		for _, e := range failed {
			if e.Code != h.code {
				continue
			}
			if hold == "" {
				hold = h.hold
			}
			msgs = append(msgs, e.Message)
		}
	}
	note := strings.Join(msgs, "; ")
	return hold, clip.Marked(note, 2000)
}

// holdForReview records on an order still in review that its review
// failed (Order.reviewHold, reviewHoldNote, reviewHeldAt), in a
// transaction of its own: the failed confirmation changed nothing else.
// The order stays held — in the inbox — until it is confirmed or rejected;
// a later failed review records its own checks. Nothing is written when
// the failures are none of review's checks or the order left review
// meanwhile.
func (s *Service) holdForReview(ctx context.Context, orderID int, failed []*fault.Error) error {
	hold, note := holdOf(failed)
	if hold == "" {
		return nil
	}
	return store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		ctx := audit.Batch(store.WithNow(ctx, time.Now().UTC()))
		l, err := s.hold(ctx, tx, orderID, Confirm, "input.orderId")
		if _, expected := fault.Expected(err); err != nil && expected {
			return nil
		}
		if err != nil {
			return err
		}
		o := l.Order
		if o.ReviewHold != nil && *o.ReviewHold == hold && o.ReviewHoldNote == note {
			return nil
		}
		if err := tx.Order.UpdateOneID(o.ID).SetReviewHold(hold).SetReviewHoldNote(note).
			SetReviewHeldAt(l.Now).Exec(ctx); err != nil {
			return err
		}
		if err := l.audit(ctx, audit.Event{Action: "order.review_held", SubjectType: "Order", SubjectID: o.ID,
			Reason: note, After: map[string]any{"reviewHold": hold}}); err != nil {
			return err
		}
		return audit.Flush(ctx, tx)
	})
}
