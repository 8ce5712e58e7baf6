package order

import (
	"context"
	"fmt"
	"orderdesk/change"
	"strings"

	"orderdesk/auth"
	"orderdesk/ent"
	entpayment "orderdesk/ent/payment"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notify"
	"orderdesk/payment"
)

// RecordPaymentRequest records money from the customer.
type RecordPaymentRequest struct {
	OrderID        int
	Amount         string
	Method         string
	Pending        bool
	Reference      string
	IdempotencyKey string `json:"-"`
}

// RecordPayment records a charge on an order that takes payments: captured
// by default, or pending (to be captured, or failed, later). The amount is
// in the order's currency and at most what is outstanding. Needs
// payment:record.
func (s *Service) RecordPayment(ctx context.Context, r RecordPaymentRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.PaymentRecord); err != nil {
		return nil, err
	}
	var errs fault.List
	if entpayment.MethodValidator(entpayment.Method(r.Method)) != nil {
		errs.Add(fault.Invalid, "input.method", "is not a payment method")
	}
	ref := errs.Text("input.providerReference", r.Reference, 200, false)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "recordPayment", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, err := s.hold(ctx, tx, r.OrderID, Pay, "input.orderId")
		if err != nil {
			return nil, err
		}
		amount, err := money.Parse(r.Amount, l.Order.Currency)
		if err != nil {
			return nil, fault.New(fault.Invalid, "input.amount", "%s", err.Error())
		}
		p, err := payment.Charge(ctx, tx, l.Order, payment.ChargeRequest{Amount: amount,
			Method: entpayment.Method(r.Method), Pending: r.Pending, Reference: ref})
		if err != nil {
			return nil, err
		}
		err = l.touch(ctx, nil)
		return &Result{Order: l.Order, Payment: p}, err
	})
}

// PaymentActionRequest acts on one payment.
type PaymentActionRequest struct {
	PaymentID      int
	Reason         string
	IdempotencyKey string `json:"-"`
}

// CapturePayment captures a pending charge. Needs payment:record.
func (s *Service) CapturePayment(ctx context.Context, r PaymentActionRequest) (*Result, error) {
	return s.paymentAction(ctx, "capturePayment", CapturePayment, auth.PaymentRecord, r, false,
		func(ctx context.Context, l *Locked, p *ent.Payment) (*ent.Payment, error) {
			return payment.Capture(ctx, l.tx, l.Order, p)
		})
}

// FailPayment marks a pending charge failed, with the reason the provider
// gave. The owner and finance are told. Needs payment:record.
func (s *Service) FailPayment(ctx context.Context, r PaymentActionRequest) (*Result, error) {
	return s.paymentAction(ctx, "failPayment", FailPayment, auth.PaymentRecord, r, true,
		func(ctx context.Context, l *Locked, p *ent.Payment) (*ent.Payment, error) {
			p, err := payment.Fail(ctx, l.tx, l.Order, p, strings.TrimSpace(r.Reason))
			if err != nil {
				return nil, err
			}
			return p, l.notify(ctx, new(notify.Recipients).User(l.Order.OwnerID).Role(auth.Finance), notify.Notice{
				Kind: "payment.failed", Title: "Payment for " + l.Order.Number + " failed", Body: r.Reason,
				SubjectType: "Payment", SubjectID: p.ID})
		})
}

// CancelPayment cancels a charge (seed 000: "the order's payment was
// cancelled"): a pending one lapses; a captured one is reversed. The order
// shows the cancelled payment and its reason. Needs payment:cancel.
func (s *Service) CancelPayment(ctx context.Context, r PaymentActionRequest) (*Result, error) {
	return s.paymentAction(ctx, "cancelPayment", CancelPayment, auth.PaymentCancel, r, true,
		func(ctx context.Context, l *Locked, p *ent.Payment) (*ent.Payment, error) {
			p, err := payment.Cancel(ctx, l.tx, l.Order, p, strings.TrimSpace(r.Reason), nil)
			if err != nil {
				return nil, err
			}
			return p, l.notify(ctx, new(notify.Recipients).User(l.Order.OwnerID).Role(auth.Finance), notify.Notice{
				Kind: "payment.cancelled", Title: "Payment for " + l.Order.Number + " cancelled", Body: r.Reason,
				SubjectType: "Payment", SubjectID: p.ID})
		})
}

func (s *Service) paymentAction(ctx context.Context, op string, a Action, perm auth.Permission, r PaymentActionRequest, needReason bool,
	act func(context.Context, *Locked, *ent.Payment) (*ent.Payment, error)) (*Result, error) {
	if _, err := auth.Require(ctx, perm); err != nil {
		return nil, err
	}
	var errs fault.List
	errs.Text("input.reason", r.Reason, 2000, needReason)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, op, r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, p, err := holdChild(ctx, s, tx, a, "input.paymentId", "payment", payments(tx, r.PaymentID))
		if err != nil {
			return nil, err
		}
		if p, err = act(ctx, l, p); err != nil {
			return nil, err
		}
		err = l.touch(ctx, nil)
		return &Result{Order: l.Order, Payment: p}, err
	})
}

// RefundRequest gives money back: an amount, or the value of line
// quantities (net unit price × quantity).
type RefundRequest struct {
	OrderID        int
	Amount         *string
	Lines          []LineQuantity
	Reason         string
	IdempotencyKey string `json:"-"`
}

// LineQuantity is a quantity of one order line.
type LineQuantity = change.LineQuantity

// RefundPayment refunds part or all of what was captured on an order. The
// refund never exceeds captured minus already refunded, also when requests
// race: the order row is locked while the refundable amount is checked and
// changed. Needs refund:execute. The owner is told.
func (s *Service) RefundPayment(ctx context.Context, r RefundRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.RefundExecute); err != nil {
		return nil, err
	}
	var errs fault.List
	reason := errs.Text("input.reason", r.Reason, 2000, true)
	if (r.Amount == nil) == (len(r.Lines) == 0) {
		errs.Add(fault.Invalid, "input", "give either amount or lines")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "refundPayment", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, err := s.hold(ctx, tx, r.OrderID, Refund, "input.orderId")
		if err != nil {
			return nil, err
		}
		o := l.Order
		var amount int64
		if r.Amount != nil {
			if amount, err = money.Parse(*r.Amount, o.Currency); err != nil {
				return nil, fault.New(fault.Invalid, "input.amount", "%s", err.Error())
			}
		} else if amount, err = l.quantitiesValue(r.Lines); err != nil {
			return nil, err
		}
		refunds, err := l.refund(ctx, payment.RefundRequest{Amount: amount, Reason: reason})
		if err != nil {
			return nil, err
		}
		if err := l.touch(ctx, nil); err != nil {
			return nil, err
		}
		o = l.Order
		err = l.notify(ctx, new(notify.Recipients).User(o.OwnerID), notify.Notice{
			Kind: "payment.refunded", Title: fmt.Sprintf("%s refunded on %s", money.Format(amount, o.Currency), o.Number),
			Body: reason, SubjectType: "Order", SubjectID: o.ID})
		return &Result{Order: o, Refunds: refunds}, err
	})
}

// quantitiesValue is the value of line quantities of the held order given
// in a request (input.lines), each within what the customer pays for.
func (l *Locked) quantitiesValue(lq []LineQuantity) (int64, error) {
	var errs fault.List
	for i, x := range lq {
		line := l.line(x.OrderLineID)
		switch {
		case line == nil:
			errs.Add(fault.NotFound, fmt.Sprintf("input.lines.%d.orderLineId", i), "not a line of this order")
		case x.Quantity < 1 || x.Quantity > billable(line):
			errs.Add(fault.Invalid, fmt.Sprintf("input.lines.%d.quantity", i), "must be between 1 and %d", billable(line))
		}
	}
	if err := errs.Err(); err != nil {
		return 0, err
	}
	v, err := quantitiesValue(l.Lines, lq)
	return v, amountError("input.lines", err)
}
