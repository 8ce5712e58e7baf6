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

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/ledgerentry"
	entorder "orderdesk/ent/order"
	entpayment "orderdesk/ent/payment"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/store"
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

// The one arithmetic of an order's money, on the caches the order row keeps
// (each kept in the transaction that moves the money):
//
//	due     = total − credited      what the customer pays for what they keep
//	paid    = captured − refunded   what the company holds (Refundable)
//	balance = due − paid            > 0 the customer owes (Outstanding),
//	                                < 0 money is due back (RefundDue)
//
// A refund that settles a balance below zero (after a cancellation or a
// correction lowered the total) leaves due alone; a refund beyond it is a
// concession and credits the customer the same amount, so refunds never
// make a customer owe more.

// Due is what the customer pays for what they keep: total − credited.
func Due(o *ent.Order) int64 { return o.TotalMinor - o.CreditedMinor }

// Refundable is what can still be refunded: captured minus refunded.
func Refundable(o *ent.Order) int64 { return o.CapturedMinor - o.RefundedMinor }

// Outstanding is what the customer still owes.
func Outstanding(o *ent.Order) int64 { return max(0, Due(o)-Refundable(o)) }

// RefundDue is what the company holds beyond what is due and owes back.
func RefundDue(o *ent.Order) int64 { return max(0, Refundable(o)-Due(o)) }

// StatusOf derives the payment status of an order.
func StatusOf(o *ent.Order) Status {
	paid := Refundable(o)
	switch {
	case o.RefundedMinor > 0 && paid == 0:
		return Refunded
	case o.RefundedMinor > 0:
		return PartiallyRefunded
	case o.CapturedMinor == 0:
		return Unpaid
	case paid >= Due(o):
		return Paid
	default:
		return PartiallyPaid
	}
}

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
	charges, err := Charges(ctx, tx, o.ID)
	if err != nil {
		return nil, err
	}
	if open := Outstanding(o) - Pending(charges); r.Amount > open {
		return nil, fault.New(fault.PaymentExceeds, "input.amount", "%s exceeds the outstanding %s",
			money.Format(r.Amount, o.Currency), money.Format(max(open, 0), o.Currency))
	}
	now := store.Now(ctx)
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

// Charges reads the order's charges, oldest first: what Pending, Refund
// and CancelPending work on, read once by an action that moves money more
// than once. Those functions keep the list current.
func Charges(ctx context.Context, tx *ent.Tx, orderID int) ([]*ent.Payment, error) {
	return tx.Payment.Query().Where(entpayment.OrderID(orderID), entpayment.KindEQ(entpayment.KindCHARGE)).
		Order(ent.Asc(entpayment.FieldID)).All(ctx)
}

// Pending is the total of the pending charges.
func Pending(charges []*ent.Payment) int64 {
	var sum int64
	for _, c := range charges {
		if c.Status == entpayment.StatusPENDING {
			sum += c.AmountMinor
		}
	}
	return sum
}

// Capture completes a pending charge.
func Capture(ctx context.Context, tx *ent.Tx, o *ent.Order, p *ent.Payment) (*ent.Payment, error) {
	if p.Kind != entpayment.KindCHARGE || p.Status != entpayment.StatusPENDING {
		return nil, fault.New(fault.InvalidTransition, "input.paymentId", "only a pending charge can be captured; this one is %s", p.Status)
	}
	now := store.Now(ctx)
	if err := tx.Payment.Update().Where(entpayment.ID(p.ID)).SetStatus(entpayment.StatusCAPTURED).SetCapturedAt(now).
		AddVersion(1).Exec(ctx); err != nil {
		return nil, err
	}
	p.Status, p.CapturedAt, p.Version, p.UpdatedAt = entpayment.StatusCAPTURED, &now, p.Version+1, now
	return p, capture(ctx, tx, o, p)
}

func capture(ctx context.Context, tx *ent.Tx, o *ent.Order, p *ent.Payment) error {
	if err := tx.Order.Update().Where(entorder.ID(o.ID)).AddCapturedMinor(p.AmountMinor).Exec(ctx); err != nil {
		return err
	}
	o.CapturedMinor += p.AmountMinor
	if err := ledger(ctx, tx, o, entry{kind: ledgerentry.KindCHARGE_CAPTURED, amount: p.AmountMinor,
		desc: fmt.Sprintf("%s charge captured", p.Method), payment: p}); err != nil {
		return err
	}
	return record(ctx, tx, o, p, "payment.captured", "", p.AmountMinor)
}

// Fail marks a pending charge failed (declined card, bounced transfer).
func Fail(ctx context.Context, tx *ent.Tx, o *ent.Order, p *ent.Payment, reason string) (*ent.Payment, error) {
	if p.Kind != entpayment.KindCHARGE || p.Status != entpayment.StatusPENDING {
		return nil, fault.New(fault.InvalidTransition, "input.paymentId", "only a pending charge can fail; this one is %s", p.Status)
	}
	now, reason := store.Now(ctx), clip.Runes(reason, 2000)
	if err := tx.Payment.Update().Where(entpayment.ID(p.ID)).SetStatus(entpayment.StatusFAILED).SetFailureReason(reason).
		SetFailedAt(now).AddVersion(1).Exec(ctx); err != nil {
		return nil, err
	}
	p.Status, p.FailureReason, p.FailedAt, p.Version, p.UpdatedAt = entpayment.StatusFAILED, reason, &now, p.Version+1, now
	if err := ledger(ctx, tx, o, entry{kind: ledgerentry.KindPAYMENT_FAILED, desc: "charge failed: " + reason, payment: p}); err != nil {
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
	now, why := store.Now(ctx), clip.Runes(reason, 2000)
	if err := tx.Payment.Update().Where(entpayment.ID(p.ID)).SetStatus(entpayment.StatusCANCELLED).SetCancelReason(why).
		SetCancelledAt(now).SetNillableCancellationID(cancellationID).AddVersion(1).Exec(ctx); err != nil {
		return nil, err
	}
	p.Status, p.CancelReason, p.CancelledAt, p.Version, p.UpdatedAt = entpayment.StatusCANCELLED, why, &now, p.Version+1, now
	if cancellationID != nil {
		p.CancellationID = cancellationID
	}
	e := entry{kind: ledgerentry.KindPAYMENT_CANCELLED, desc: "charge cancelled: " + reason, payment: p}
	if wasCaptured {
		e.amount = -p.AmountMinor
		if err := tx.Order.Update().Where(entorder.ID(o.ID)).AddCapturedMinor(e.amount).Exec(ctx); err != nil {
			return nil, err
		}
		o.CapturedMinor += e.amount
		// The entry reverses the capture's entry, which it names.
		captured, err := tx.LedgerEntry.Query().Where(ledgerentry.PaymentID(p.ID),
			ledgerentry.KindEQ(ledgerentry.KindCHARGE_CAPTURED)).OnlyID(ctx)
		if err != nil {
			return nil, fmt.Errorf("the capture entry of payment %d: %w", p.ID, err)
		}
		e.reverses = &captured
	}
	amount := e.amount
	if err := ledger(ctx, tx, o, e); err != nil {
		return nil, err
	}
	return p, record(ctx, tx, o, p, "payment.cancelled", reason, amount)
}

// CancelPending cancels every pending charge of the order (of charges, as
// Charges read them) and returns the total that will not be collected.
func CancelPending(ctx context.Context, tx *ent.Tx, o *ent.Order, charges []*ent.Payment, reason string, cancellationID *int) (int64, error) {
	var total int64
	for _, p := range charges {
		if p.Status != entpayment.StatusPENDING {
			continue
		}
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
// holds under concurrent requests too. What it pays beyond the refund due
// is a concession, credited to the customer (Credit), so that a refund
// never makes the customer owe more. It raises o's refunded amount in
// memory only: the caller, holding the order, saves it.
func Refund(ctx context.Context, tx *ent.Tx, o *ent.Order, charges []*ent.Payment, r RefundRequest) ([]*ent.Payment, error) {
	if r.Amount <= 0 {
		return nil, fault.New(fault.Invalid, "input.amount", "must be positive")
	}
	if r.Amount > Refundable(o) {
		return nil, fault.New(fault.RefundExceeds, "input.amount", "%s exceeds the refundable %s",
			money.Format(r.Amount, o.Currency), money.Format(Refundable(o), o.Currency))
	}
	if concession := r.Amount - RefundDue(o); concession > 0 {
		if err := Credit(ctx, tx, o, concession, "refund beyond what was due: "+r.Reason); err != nil {
			return nil, err
		}
	}
	left := r.Amount
	var refunds []*ent.Payment
	for i := len(charges) - 1; i >= 0; i-- { // newest first
		c := charges[i]
		part := min(left, c.AmountMinor-c.RefundedMinor)
		if c.Status != entpayment.StatusCAPTURED || part <= 0 {
			continue
		}
		if err := tx.Payment.Update().Where(entpayment.ID(c.ID)).AddRefundedMinor(part).AddVersion(1).Exec(ctx); err != nil {
			return nil, err
		}
		c.RefundedMinor, c.Version = c.RefundedMinor+part, c.Version+1
		ref, err := tx.Payment.Create().SetOrderID(o.ID).SetKind(entpayment.KindREFUND).
			SetAmountMinor(part).SetCurrency(o.Currency).SetMethod(c.Method).
			SetStatus(entpayment.StatusCAPTURED).SetCapturedAt(store.Now(ctx)).
			SetRefundOfID(c.ID).SetNillableRecordedByID(auth.FromContext(ctx).ActorID()).
			SetNillableCancellationID(r.CancellationID).SetNillableReturnOrderID(r.ReturnOrderID).
			Save(ctx)
		if err != nil {
			return nil, err
		}
		o.RefundedMinor += part // written by the caller's save of the order
		if err := ledger(ctx, tx, o, entry{kind: ledgerentry.KindREFUND, amount: -part, desc: "refund: " + r.Reason, payment: ref}); err != nil {
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

// Credit lowers what the customer owes by amount, for goods they did not
// keep or get (a received return, a lost shipment) or a concession, with a
// CREDIT_NOTE ledger entry (negative: the receivable shrinks; cash entries
// are the others) and an audit event.
func Credit(ctx context.Context, tx *ent.Tx, o *ent.Order, amount int64, reason string) error {
	if amount <= 0 {
		return fmt.Errorf("credit of %d", amount)
	}
	credited, err := money.Add(o.CreditedMinor, amount)
	if err != nil || credited > o.TotalMinor {
		return fault.New(fault.Invalid, "", "a credit of %s would exceed the order total %s",
			money.Format(amount, o.Currency), money.Format(o.TotalMinor, o.Currency))
	}
	if err := tx.Order.Update().Where(entorder.ID(o.ID)).AddCreditedMinor(amount).Exec(ctx); err != nil {
		return err
	}
	o.CreditedMinor = credited
	if err := ledger(ctx, tx, o, entry{kind: ledgerentry.KindCREDIT_NOTE, amount: -amount, desc: "credit: " + reason}); err != nil {
		return err
	}
	id, neg := o.ID, -amount
	return audit.Record(ctx, tx, audit.Event{Action: "order.credited", SubjectType: "Order", SubjectID: o.ID,
		OrderID: &id, Reason: reason, Amount: &neg, Currency: o.Currency,
		After: map[string]any{"credited": money.Format(credited, o.Currency)}})
}

// entry is one ledger entry to write.
type entry struct {
	kind     ledgerentry.Kind
	amount   int64
	desc     string
	payment  *ent.Payment // nil for credit notes
	reverses *int
}

func ledger(ctx context.Context, tx *ent.Tx, o *ent.Order, e entry) error {
	c := tx.LedgerEntry.Create().SetOrderID(o.ID).SetKind(e.kind).SetAmountMinor(e.amount).
		SetCurrency(o.Currency).SetDescription(clip.Runes(e.desc, 500)).SetNillableReversesID(e.reverses).
		SetNillableActorID(auth.FromContext(ctx).ActorID())
	if e.payment != nil {
		c.SetPaymentID(e.payment.ID)
	}
	return c.Exec(ctx)
}

func record(ctx context.Context, tx *ent.Tx, o *ent.Order, p *ent.Payment, action, reason string, amount int64) error {
	id := o.ID
	return audit.Record(ctx, tx, audit.Event{Action: action, SubjectType: "Payment", SubjectID: p.ID,
		OrderID: &id, To: string(p.Status), Reason: reason, Amount: &amount, Currency: o.Currency,
		After: map[string]any{"kind": p.Kind, "method": p.Method, "amount": money.Format(p.AmountMinor, o.Currency),
			"reference": p.ProviderReference}})
}
