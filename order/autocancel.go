package order

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/orderline"
	"orderdesk/ent/predicate"
	"orderdesk/fault"
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
	due, err := s.client.Order.Query().Where(overdue(time.Now().UTC())...).
		Order(ent.Asc(entorder.FieldPaymentDueAt)).Limit(AutoCancelBatch).IDs(ctx)
	if err != nil {
		return 0, err
	}
	n := 0
	var failures []error
	for _, id := range due {
		res, err := s.run(ctx, "", "", nil, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
			l, err := s.hold(ctx, tx, id, Cancel, "")
			if fault.CodeOf(err) == fault.InvalidTransition {
				return &Result{}, nil // shipped or cancelled meanwhile
			}
			if err != nil {
				return nil, err
			}
			o := l.Order
			if !stillOverdue(l) {
				return &Result{}, nil // paid or shipped meanwhile
			}
			return s.request(ctx, l, cancellationrecord.KindCANCEL, true, CancelRequest{OrderID: o.ID,
				ReasonCode: string(cancellationrecord.ReasonCodePAYMENT_TIMEOUT),
				Note:       "unpaid at the payment due time " + o.PaymentDueAt.Format(time.RFC3339),
				Resolution: string(cancellationrecord.ResolutionNONE)})
		})
		if err != nil {
			failures = append(failures, fmt.Errorf("order %d: %w", id, err))
			continue
		}
		if res.Cancellation != nil {
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

// stillOverdue checks the held order against overdue again, now that no
// other action can change it.
func stillOverdue(l *Locked) bool {
	o := l.Order
	shipped := slices.ContainsFunc(l.Lines, func(x *ent.OrderLine) bool { return x.QuantityShipped > 0 })
	return o.Status == Confirmed && o.PaymentDueAt != nil && o.PaymentDueAt.Before(l.Now) && o.CapturedMinor == 0 && !shipped
}
