// Package payment moves an order's money: charges, their capture, failure
// and cancellation, and refunds. Each movement writes the payment row, a
// ledger entry and an audit event, and updates the order's money caches, all
// in the caller's transaction, with the order row locked by the caller. It
// knows nothing of the order lifecycle: the caller decides whether money
// may move now.
package payment

import (
	"context"
	"fmt"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/ledgerentry"
	entpayment "orderdesk/ent/payment"
	"orderdesk/fault"
	"orderdesk/money"
)

// Status is an order's payment status, derived from its money.
type Status string

const (
	Unpaid            Status = "UNPAID"
	PartiallyPaid     Status = "PARTIALLY_PAID"
	Paid              Status = "PAID"
	PartiallyRefunded Status = "PARTIALLY_REFUNDED"
	Refunded          Status = "REFUNDED"
)

// StatusOf derives the payment status of an order.
func StatusOf(o *ent.Order) Status {
	net := o.CapturedMinor - o.RefundedMinor
	switch {
	case o.RefundedMinor > 0 && net == 0:
		return Refunded
	case o.RefundedMinor > 0:
		return PartiallyRefunded
	case o.CapturedMinor == 0:
		return Unpaid
	case net >= o.TotalMinor:
		return Paid
	default:
		return PartiallyPaid
	}
}

// Outstanding is what the customer still owes.
func Outstanding(o *ent.Order) int64 {
	return max(0, o.TotalMinor-(o.CapturedMinor-o.RefundedMinor))
}

// Refundable is what can still be refunded: captured minus refunded.
func Refundable(o *ent.Order) int64 { return o.CapturedMinor - o.RefundedMinor }

// Method is how a charge was paid.
type Method = entpayment.Method

// ChargeRequest records money from the customer.
type ChargeRequest struct {
	Amount    int64
	Method    Method
	Pending   bool // not yet captured (e.g. a card authorisation, a transfer announced)
	Reference string
}

// Charge records a charge, captured or pending. Pending and captured charges
// together may not exceed the order total (PAYMENT_EXCEEDS_OUTSTANDING).
func Charge(ctx context.Context, tx *ent.Tx, o *ent.Order, r ChargeRequest) (*ent.Payment, error) {
	if r.Amount <= 0 {
		return nil, fault.New(fault.Invalid, "input.amount", "must be positive")
	}
	pending, err := Pending(ctx, tx, o.ID)
	if err != nil {
		return nil, err
	}
	if open := Outstanding(o) - pending; r.Amount > open {
		return nil, fault.New(fault.PaymentExceeds, "input.amount", "%s exceeds the outstanding %s",
			money.Format(r.Amount, o.Currency), money.Format(max(open, 0), o.Currency))
	}
	now := time.Now().UTC()
	create := tx.Payment.Create().SetOrderID(o.ID).SetKind(entpayment.KindCHARGE).
		SetAmountMinor(r.Amount).SetCurrency(o.Currency).SetMethod(r.Method).
		SetProviderReference(r.Reference).SetNillableRecordedByID(auth.FromContext(ctx).ActorID())
	if r.Pending {
		create.SetStatus(entpayment.StatusPENDING)
	} else {
		create.SetStatus(entpayment.StatusCAPTURED).SetCapturedAt(now)
	}
	p, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	if r.Pending {
		return p, record(ctx, tx, o, p, "payment.recorded", "", 0)
	}
	return p, capture(ctx, tx, o, p)
}

// Pending is the total of the order's pending charges.
func Pending(ctx context.Context, tx *ent.Tx, orderID int) (int64, error) {
	var rows []struct{ Sum int64 }
	err := tx.Payment.Query().Where(entpayment.OrderID(orderID), entpayment.KindEQ(entpayment.KindCHARGE),
		entpayment.StatusEQ(entpayment.StatusPENDING)).
		Aggregate(ent.As(ent.Sum(entpayment.FieldAmountMinor), "sum")).Scan(ctx, &rows)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	return rows[0].Sum, nil
}

// Capture completes a pending charge.
func Capture(ctx context.Context, tx *ent.Tx, o *ent.Order, p *ent.Payment) (*ent.Payment, error) {
	if p.Kind != entpayment.KindCHARGE || p.Status != entpayment.StatusPENDING {
		return nil, fault.New(fault.InvalidTransition, "input.paymentId", "only a pending charge can be captured; this one is %s", p.Status)
	}
	p, err := tx.Payment.UpdateOne(p).SetStatus(entpayment.StatusCAPTURED).SetCapturedAt(time.Now().UTC()).AddVersion(1).Save(ctx)
	if err != nil {
		return nil, err
	}
	return p, capture(ctx, tx, o, p)
}

func capture(ctx context.Context, tx *ent.Tx, o *ent.Order, p *ent.Payment) error {
	if err := tx.Order.UpdateOneID(o.ID).AddCapturedMinor(p.AmountMinor).Exec(ctx); err != nil {
		return err
	}
	o.CapturedMinor += p.AmountMinor
	if err := ledger(ctx, tx, o, p, ledgerentry.KindCHARGE_CAPTURED, p.AmountMinor,
		fmt.Sprintf("%s charge captured", p.Method)); err != nil {
		return err
	}
	return record(ctx, tx, o, p, "payment.captured", "", p.AmountMinor)
}

// Fail marks a pending charge failed (declined card, bounced transfer).
func Fail(ctx context.Context, tx *ent.Tx, o *ent.Order, p *ent.Payment, reason string) (*ent.Payment, error) {
	if p.Kind != entpayment.KindCHARGE || p.Status != entpayment.StatusPENDING {
		return nil, fault.New(fault.InvalidTransition, "input.paymentId", "only a pending charge can fail; this one is %s", p.Status)
	}
	p, err := tx.Payment.UpdateOne(p).SetStatus(entpayment.StatusFAILED).SetFailureReason(clip.Runes(reason, 2000)).
		SetFailedAt(time.Now().UTC()).AddVersion(1).Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := ledger(ctx, tx, o, p, ledgerentry.KindPAYMENT_FAILED, 0, "charge failed: "+reason); err != nil {
		return nil, err
	}
	return p, record(ctx, tx, o, p, "payment.failed", reason, 0)
}

// Cancel cancels a charge: a pending one simply lapses; a captured one with
// nothing refunded against it is reversed, which takes its amount off the
// order's captured total with a ledger entry reversing the capture.
func Cancel(ctx context.Context, tx *ent.Tx, o *ent.Order, p *ent.Payment, reason string, cancellationID *int) (*ent.Payment, error) {
	if p.Kind != entpayment.KindCHARGE {
		return nil, fault.New(fault.InvalidTransition, "input.paymentId", "a refund cannot be cancelled")
	}
	switch {
	case p.Status == entpayment.StatusPENDING:
	case p.Status == entpayment.StatusCAPTURED && p.RefundedMinor == 0:
		if Refundable(o) < p.AmountMinor {
			return nil, fault.New(fault.RefundExceeds, "input.paymentId", "the order has refunds against this money; refund instead")
		}
	case p.Status == entpayment.StatusCAPTURED:
		return nil, fault.New(fault.InvalidTransition, "input.paymentId", "part of this charge was refunded; refund the rest instead")
	default:
		return nil, fault.New(fault.InvalidTransition, "input.paymentId", "a %s charge cannot be cancelled", p.Status)
	}
	wasCaptured := p.Status == entpayment.StatusCAPTURED
	p, err := tx.Payment.UpdateOne(p).SetStatus(entpayment.StatusCANCELLED).SetCancelReason(clip.Runes(reason, 2000)).
		SetCancelledAt(time.Now().UTC()).SetNillableCancellationID(cancellationID).AddVersion(1).Save(ctx)
	if err != nil {
		return nil, err
	}
	amount := int64(0)
	if wasCaptured {
		amount = -p.AmountMinor
		if err := tx.Order.UpdateOneID(o.ID).AddCapturedMinor(amount).Exec(ctx); err != nil {
			return nil, err
		}
		o.CapturedMinor += amount
	}
	if err := ledger(ctx, tx, o, p, ledgerentry.KindPAYMENT_CANCELLED, amount, "charge cancelled: "+reason); err != nil {
		return nil, err
	}
	return p, record(ctx, tx, o, p, "payment.cancelled", reason, amount)
}

// CancelPending cancels every pending charge of the order and returns the
// total that will not be collected.
func CancelPending(ctx context.Context, tx *ent.Tx, o *ent.Order, reason string, cancellationID *int) (int64, error) {
	pending, err := tx.Payment.Query().Where(entpayment.OrderID(o.ID), entpayment.KindEQ(entpayment.KindCHARGE),
		entpayment.StatusEQ(entpayment.StatusPENDING)).Order(ent.Asc(entpayment.FieldID)).All(ctx)
	if err != nil {
		return 0, err
	}
	var total int64
	for _, p := range pending {
		if _, err := Cancel(ctx, tx, o, p, reason, cancellationID); err != nil {
			return 0, err
		}
		total += p.AmountMinor
	}
	return total, nil
}

// RefundRequest gives money back.
type RefundRequest struct {
	Amount         int64
	Reason         string
	CancellationID *int
	ReturnOrderID  *int
}

// Refund pays back Amount, spread over the captured charges that still have
// money to refund, newest first. It never refunds more than was captured
// (REFUND_EXCEEDS_CAPTURED); with the order row locked by the caller, this
// holds under concurrent requests too.
func Refund(ctx context.Context, tx *ent.Tx, o *ent.Order, r RefundRequest) ([]*ent.Payment, error) {
	if r.Amount <= 0 {
		return nil, fault.New(fault.Invalid, "input.amount", "must be positive")
	}
	if r.Amount > Refundable(o) {
		return nil, fault.New(fault.RefundExceeds, "input.amount", "%s exceeds the refundable %s",
			money.Format(r.Amount, o.Currency), money.Format(Refundable(o), o.Currency))
	}
	charges, err := tx.Payment.Query().Where(entpayment.OrderID(o.ID), entpayment.KindEQ(entpayment.KindCHARGE),
		entpayment.StatusEQ(entpayment.StatusCAPTURED)).Order(ent.Desc(entpayment.FieldID)).All(ctx)
	if err != nil {
		return nil, err
	}
	left := r.Amount
	var refunds []*ent.Payment
	for _, c := range charges {
		part := min(left, c.AmountMinor-c.RefundedMinor)
		if part <= 0 {
			continue
		}
		if err := tx.Payment.UpdateOne(c).AddRefundedMinor(part).AddVersion(1).Exec(ctx); err != nil {
			return nil, err
		}
		ref, err := tx.Payment.Create().SetOrderID(o.ID).SetKind(entpayment.KindREFUND).
			SetAmountMinor(part).SetCurrency(o.Currency).SetMethod(c.Method).
			SetStatus(entpayment.StatusCAPTURED).SetCapturedAt(time.Now().UTC()).
			SetRefundOfID(c.ID).SetNillableRecordedByID(auth.FromContext(ctx).ActorID()).
			SetNillableCancellationID(r.CancellationID).SetNillableReturnOrderID(r.ReturnOrderID).
			Save(ctx)
		if err != nil {
			return nil, err
		}
		if err := tx.Order.UpdateOneID(o.ID).AddRefundedMinor(part).Exec(ctx); err != nil {
			return nil, err
		}
		o.RefundedMinor += part
		if err := ledger(ctx, tx, o, ref, ledgerentry.KindREFUND, -part, "refund: "+r.Reason); err != nil {
			return nil, err
		}
		if err := record(ctx, tx, o, ref, "payment.refunded", r.Reason, -part); err != nil {
			return nil, err
		}
		refunds = append(refunds, ref)
		left -= part
		if left == 0 {
			break
		}
	}
	if left != 0 {
		return nil, fmt.Errorf("refund of order %d: %d left unallocated although refundable", o.ID, left)
	}
	return refunds, nil
}

func ledger(ctx context.Context, tx *ent.Tx, o *ent.Order, p *ent.Payment, kind ledgerentry.Kind, amount int64, desc string) error {
	return tx.LedgerEntry.Create().SetOrderID(o.ID).SetPaymentID(p.ID).SetKind(kind).
		SetAmountMinor(amount).SetCurrency(o.Currency).SetDescription(clip.Runes(desc, 500)).
		SetNillableActorID(auth.FromContext(ctx).ActorID()).Exec(ctx)
}

func record(ctx context.Context, tx *ent.Tx, o *ent.Order, p *ent.Payment, action, reason string, amount int64) error {
	id := o.ID
	return audit.Record(ctx, tx, audit.Event{Action: action, SubjectType: "Payment", SubjectID: p.ID,
		OrderID: &id, To: string(p.Status), Reason: reason, Amount: &amount, Currency: o.Currency,
		After: map[string]any{"kind": p.Kind, "method": p.Method, "amount": money.Format(p.AmountMinor, o.Currency),
			"reference": p.ProviderReference}})
}
