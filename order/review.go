package order

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/orderline"
	"orderdesk/ent/stockitem"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notify"
	"orderdesk/payment"
	"orderdesk/stock"
)

// ConfirmRequest reviews an order. A manager (order:review:override) may
// pass OverrideReason to accept a failed price or credit check.
type ConfirmRequest struct {
	OrderID         int
	ExpectedVersion *int64
	OverrideReason  string
	IdempotencyKey  string `json:"-"`
}

// Confirm runs the review of seed 002 on a PENDING_REVIEW order: stock is
// reserved for every line (never oversold: each reservation is a guarded
// update), prices are within the allowed discount of the list price, the
// customer's credit limit covers this order and their other open unpaid
// ones, and the requested delivery date is feasible. Every failed check is
// returned (INSUFFICIENT_STOCK, PRICE_CHECK_FAILED, CREDIT_LIMIT_EXCEEDED,
// DELIVERY_DATE_INFEASIBLE) and nothing changes; the order stays in review
// for a correction, an override or a rejection. Needs order:review.
func (s *Service) Confirm(ctx context.Context, r ConfirmRequest) (*Result, error) {
	v, err := auth.Require(ctx, auth.OrderReview)
	if err != nil {
		return nil, err
	}
	override := strings.TrimSpace(r.OverrideReason)
	if override != "" && !v.Can(auth.OrderReviewOverride) {
		return nil, fault.New(fault.Forbidden, "", "only a sales manager may override review checks (needs %s)", auth.OrderReviewOverride)
	}
	return s.run(ctx, "confirmOrder", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		o, err := lock(ctx, tx, r.OrderID)
		if err != nil {
			return nil, err
		}
		if err := check(o.Status, Confirm); err != nil {
			return nil, err
		}
		if err := checkVersion(o, r.ExpectedVersion); err != nil {
			return nil, err
		}
		lines, err := tx.OrderLine.Query().Where(orderline.OrderID(o.ID)).Order(ent.Asc(orderline.FieldPosition)).All(ctx)
		if err != nil {
			return nil, err
		}
		var failed fault.List
		if err := reserve(ctx, tx, o, lines, &failed); err != nil {
			return nil, err
		}
		// A no-charge replacement has nothing to price or to give credit for.
		var overridable fault.List
		if o.Kind != entorder.KindREPLACEMENT {
			if err := s.checkPrices(ctx, tx, lines, &overridable); err != nil {
				return nil, err
			}
			if err := checkCredit(ctx, tx, o, &overridable); err != nil {
				return nil, err
			}
		}
		if d := o.RequestedDeliveryDate; d != nil && d.Before(s.now().Add(s.policy.DeliveryLeadTime)) {
			failed.Add(fault.DeliveryDateInfeas, "requestedDeliveryDate", "delivery on %s is earlier than the lead time of %s allows",
				d.Format("2006-01-02"), s.policy.DeliveryLeadTime)
		}
		if override == "" {
			failed = append(failed, overridable...)
		}
		if len(failed) > 0 {
			return nil, failed
		}
		now := s.now()
		reason := ""
		if len(overridable) > 0 {
			reason = "override: " + override + " (" + overridable.Error() + ")"
		}
		o, err = s.transition(ctx, tx, o, Confirmed, "order.confirmed", reason, func(u *ent.OrderUpdateOne) {
			u.SetConfirmedAt(now)
			if o.PaymentDueAt == nil && s.policy.PaymentTerms > 0 {
				u.SetPaymentDueAt(now.Add(s.policy.PaymentTerms))
			}
		})
		if err != nil {
			return nil, err
		}
		id := o.ID
		err = notify.Send(ctx, tx, new(notify.Recipients).User(o.OwnerID).Role(auth.Warehouse), notify.Notice{
			Kind: "order.confirmed", Title: "Order " + o.Number + " confirmed", SubjectType: "Order", SubjectID: o.ID, OrderID: &id,
			Body: "Stock is reserved; the order can be picked and shipped."})
		return &Result{Order: o}, err
	})
}

// reserve reserves the open quantity of every line, in stock item order so
// that concurrent confirmations lock items in one order and never deadlock.
// Short items are added to failed, one error per item.
func reserve(ctx context.Context, tx *ent.Tx, o *ent.Order, lines []*ent.OrderLine, failed *fault.List) error {
	byItem := map[int]int{}
	for _, l := range lines {
		byItem[l.StockItemID] += l.Quantity - l.QuantityCancelled - l.QuantityShipped - l.QuantityReserved
	}
	items := make([]int, 0, len(byItem))
	for id, q := range byItem {
		if q > 0 {
			items = append(items, id)
		}
	}
	slices.Sort(items)
	id := o.ID
	for _, item := range items {
		m := stock.Reserve(item, byItem[item])
		m.OrderID, m.Reason = &id, "order confirmed"
		if _, err := stock.Apply(ctx, tx, m); err != nil {
			if fe, ok := fault.Expected(err); ok {
				for _, e := range fe {
					failed.Add(e.Code, "lines", "%s", e.Message)
				}
				continue
			}
			return err
		}
	}
	if len(*failed) > 0 {
		return nil
	}
	for _, l := range lines {
		open := l.Quantity - l.QuantityCancelled - l.QuantityShipped
		if open != l.QuantityReserved {
			if err := tx.OrderLine.UpdateOne(l).SetQuantityReserved(open).Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPrices: each line's net unit price lies between the list price less
// the allowed discount and the list price itself.
func (s *Service) checkPrices(ctx context.Context, tx *ent.Tx, lines []*ent.OrderLine, failed *fault.List) error {
	ids := make([]int, len(lines))
	for i, l := range lines {
		ids[i] = l.StockItemID
	}
	items, err := tx.StockItem.Query().Where(stockitem.IDIn(ids...)).All(ctx)
	if err != nil {
		return err
	}
	list := map[int]int64{}
	for _, it := range items {
		list[it.ID] = it.UnitPriceMinor
	}
	for i, l := range lines {
		lp := list[l.StockItemID]
		net := l.UnitPriceMinor - l.DiscountMinor
		floor := lp - lp*s.policy.MaxDiscountBP/10_000
		switch {
		case net < floor:
			failed.Add(fault.PriceCheckFailed, fmt.Sprintf("lines.%d", i),
				"%s: net price %s is below the list price %s less the allowed %d.%02d %% discount (%s)",
				l.Sku, money.Format(net, l.Currency), money.Format(lp, l.Currency),
				s.policy.MaxDiscountBP/100, s.policy.MaxDiscountBP%100, money.Format(floor, l.Currency))
		case net > lp:
			failed.Add(fault.PriceCheckFailed, fmt.Sprintf("lines.%d", i),
				"%s: net price %s is above the list price %s", l.Sku, money.Format(net, l.Currency), money.Format(lp, l.Currency))
		}
	}
	return nil
}

// openStatuses are the statuses of orders whose unpaid amount counts
// against the customer's credit.
var openStatuses = []entorder.Status{Confirmed, Shipped, Delivered}

// checkCredit: the customer's other open orders' outstanding amounts plus
// this order's must stay within the credit limit.
func checkCredit(ctx context.Context, tx *ent.Tx, o *ent.Order, failed *fault.List) error {
	c, err := tx.Customer.Get(ctx, o.CustomerID)
	if err != nil {
		return err
	}
	others, err := tx.Order.Query().Where(entorder.CustomerID(o.CustomerID), entorder.IDNEQ(o.ID),
		entorder.StatusIn(openStatuses...)).All(ctx)
	if err != nil {
		return err
	}
	var open int64
	for _, x := range others {
		open += payment.Outstanding(x)
	}
	need := open + payment.Outstanding(o)
	if need > c.CreditLimitMinor {
		failed.Add(fault.CreditLimitExceeded, "customer",
			"%s: open unpaid orders %s plus this order %s make %s, above the credit limit %s",
			c.Name, money.Format(open, o.Currency), money.Format(payment.Outstanding(o), o.Currency),
			money.Format(need, o.Currency), money.Format(c.CreditLimitMinor, o.Currency))
	}
	return nil
}

// RejectRequest rejects an order in review.
type RejectRequest struct {
	OrderID        int
	ReasonCode     string
	Note           string
	IdempotencyKey string `json:"-"`
}

// Reject ends a PENDING_REVIEW order as REJECTED with a reason code. Needs
// order:review. The owner is told.
func (s *Service) Reject(ctx context.Context, r RejectRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.OrderReview); err != nil {
		return nil, err
	}
	note, err := checkReason(r.ReasonCode, r.Note)
	if err != nil {
		return nil, err
	}
	return s.run(ctx, "rejectOrder", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		o, err := lock(ctx, tx, r.OrderID)
		if err != nil {
			return nil, err
		}
		if err := check(o.Status, Reject); err != nil {
			return nil, err
		}
		o, err = s.transition(ctx, tx, o, Rejected, "order.rejected", reasonText(r.ReasonCode, note), func(u *ent.OrderUpdateOne) {
			u.SetClosedAt(s.now()).SetStatusReason(r.ReasonCode).SetStatusNote(note)
		})
		if err != nil {
			return nil, err
		}
		id := o.ID
		err = notify.Send(ctx, tx, new(notify.Recipients).User(o.OwnerID), notify.Notice{
			Kind: "order.rejected", Title: "Order " + o.Number + " rejected", Body: reasonText(r.ReasonCode, note),
			SubjectType: "Order", SubjectID: o.ID, OrderID: &id})
		return &Result{Order: o}, err
	})
}

// checkReason validates a reason code and its note (OTHER needs one).
func checkReason(code, note string) (string, error) {
	var errs fault.List
	if cancellationrecord.ReasonCodeValidator(cancellationrecord.ReasonCode(code)) != nil {
		errs.Add(fault.Invalid, "input.reasonCode", "is not a reason code")
	}
	note = errs.Text("input.note", note, 2000, code == "OTHER")
	return note, errs.Err()
}

func reasonText(code, note string) string {
	if note == "" {
		return code
	}
	return code + ": " + note
}
