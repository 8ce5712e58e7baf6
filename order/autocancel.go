package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/orderline"
	"orderdesk/ent/predicate"
	"orderdesk/store"
)

// AutoCancelBatch bounds the orders one sweep cancels.
const AutoCancelBatch = 100

// AutoCancelOverdue cancels CONFIRMED orders that are still unpaid past
// their payment due time, with reason PAYMENT_TIMEOUT, as the system. Each
// order is cancelled in its own transaction that locks the order and checks
// the conditions again, so sweeps running at once on several servers cancel
// each order once: the loser sees the order CANCELLED and skips it. It
// returns how many orders it cancelled, and the failures of the others
// joined (one failing order does not stop the sweep).
func (s *Service) AutoCancelOverdue(ctx context.Context) (int, error) {
	ctx = auth.NewContext(ctx, auth.System("payment-timeout"))
	now := s.now()
	due, err := s.client.Order.Query().Where(overdue(now)...).
		Order(ent.Asc(entorder.FieldPaymentDueAt)).Limit(AutoCancelBatch).IDs(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var failures []error
	for _, id := range due {
		done := false
		err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
			done = false
			o, err := tx.Order.Query().Where(append(overdue(now), entorder.ID(id))...).Modify(store.ForUpdate).Only(ctx)
			if ent.IsNotFound(err) {
				return nil // paid, shipped or cancelled meanwhile
			}
			if err != nil {
				return err
			}
			_, err = s.request(ctx, tx, cancellationrecord.KindCANCEL, true, CancelRequest{OrderID: o.ID,
				ReasonCode: string(cancellationrecord.ReasonCodePAYMENT_TIMEOUT),
				Note:       "unpaid at the payment due time " + o.PaymentDueAt.Format(time.RFC3339)})
			done = err == nil
			return err
		})
		if err != nil {
			failures = append(failures, fmt.Errorf("order %d: %w", id, err))
			continue
		}
		if done {
			n++
		}
	}
	return n, errors.Join(failures...)
}

// overdue selects confirmed orders past their payment due time with no
// captured money and nothing shipped.
func overdue(now time.Time) []predicate.Order {
	return []predicate.Order{
		entorder.StatusEQ(Confirmed),
		entorder.PaymentDueAtLT(now),
		entorder.CapturedMinor(0),
		entorder.Not(entorder.HasLinesWith(orderline.QuantityShippedGT(0))),
	}
}
