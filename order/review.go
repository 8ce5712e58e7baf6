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
	"orderdesk/ent/privacy"
	"orderdesk/ent/stockitem"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notice"
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
// for a correction, an override or a rejection, held (holdForReview) and
// in the inbox until then. Needs order:review.
func (s *Service) Confirm(ctx context.Context, r ConfirmRequest) (*Result, error) {
	v, err := auth.Require(ctx, auth.OrderReview)
	if err != nil {
		return nil, err
	}
	override := strings.TrimSpace(r.OverrideReason)
	if override != "" && !v.Can(auth.OrderReviewOverride) {
		return nil, fault.New(fault.Forbidden, "", "only a sales manager may override review checks (needs %s)", auth.OrderReviewOverride)
	}
	res, err := s.run(ctx, "confirmOrder", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, err := s.hold(ctx, tx, r.OrderID, Confirm, "input.orderId")
		if err != nil {
			return nil, err
		}
		if err := l.checkVersion(r.ExpectedVersion); err != nil {
			return nil, err
		}
		return s.confirm(ctx, l, override)
	})
	// A failed review holds the order: recorded for the inbox.
	if failed, ok := fault.Expected(err); ok {
		if herr := s.holdForReview(ctx, r.OrderID, failed); herr != nil {
			return nil, herr
		}
	}
	return res, err
}

// confirm runs the review on the held order and confirms it, or returns
// every failed check. A no-charge replacement has nothing to price or give
// credit for.
func (s *Service) confirm(ctx context.Context, l *Locked, override string) (*Result, error) {
	var failed fault.List
	if err := l.reserve(ctx, &failed); err != nil {
		return nil, err
	}
	var overridable fault.List
	if l.Order.Kind != entorder.KindREPLACEMENT {
		if err := s.checkPrices(ctx, l.tx, l.Lines, "lines", &overridable); err != nil {
			return nil, err
		}
		if err := checkCredit(ctx, l, payment.Outstanding(l.Order), &overridable); err != nil {
			return nil, err
		}
	}
	if d := l.Order.RequestedDeliveryDate; d != nil && d.Before(l.Now.Add(s.policy.DeliveryLeadTime)) {
		failed.Add(fault.DeliveryDateInfeas, "requestedDeliveryDate", "delivery on %s is earlier than the lead time of %s allows",
			d.Format("2006-01-02"), s.policy.DeliveryLeadTime)
	}
	if override == "" {
		failed = append(failed, overridable...)
	}
	if len(failed) > 0 {
		return nil, failed
	}
	reason := ""
	if len(overridable) > 0 {
		reason = "override: " + override + " (" + overridable.Error() + ")"
	}
	err := l.transition(ctx, Confirmed, "order.confirmed", reason, func(o *ent.Order) {
		o.ConfirmedAt = &l.Now
		if o.PaymentDueAt == nil && s.policy.PaymentTerms > 0 {
			due := l.Now.Add(s.policy.PaymentTerms)
			o.PaymentDueAt = &due
		}
	})
	if err != nil {
		return nil, err
	}
	o := l.Order
	if err := l.tellCustomer(ctx, notice.OrderConfirmed, "", 0,
		map[string]string{"total": money.Format(o.TotalMinor, o.Currency)}); err != nil {
		return nil, err
	}
	err = l.notify(ctx, new(notify.Recipients).User(o.OwnerID).Role(auth.Warehouse), notify.Notice{
		Kind: "order.confirmed", Title: "Order " + o.Number + " confirmed", SubjectType: "Order", SubjectID: o.ID,
		Body: "Stock is reserved; the order can be picked and shipped."})
	return &Result{Order: o}, err
}

// reserve reserves what is open and not yet reserved of every held line,
// one movement per stock item (stock.ApplyAll locks the items in id order,
// so concurrent confirmations never deadlock). Short items are added to
// failed, one error per item, and then nothing is reserved.
func (l *Locked) reserve(ctx context.Context, failed *fault.List) error {
	byItem := map[int]int{}
	for _, line := range l.Lines {
		byItem[line.StockItemID] += unshipped(line) - line.QuantityReserved
	}
	items := make([]int, 0, len(byItem))
	for id, q := range byItem {
		if q > 0 {
			items = append(items, id)
		}
	}
	slices.Sort(items)
	id := l.Order.ID
	moves := make([]stock.Movement, len(items))
	for i, item := range items {
		moves[i] = stock.Reserve(item, byItem[item])
		moves[i].OrderID, moves[i].Reason = &id, "order confirmed"
	}
	if _, err := stock.ApplyAll(ctx, l.tx, moves); err != nil {
		fe, ok := fault.Expected(err)
		if !ok {
			return err
		}
		for _, e := range fe {
			failed.Add(e.Code, "lines", "%s", e.Message)
		}
		return nil
	}
	return l.changeQuantities(ctx, func(n *ent.OrderLine) bool {
		open := unshipped(n)
		changed := open != n.QuantityReserved
		n.QuantityReserved = open
		return changed
	})
}

// checkPrices: each line's net unit price lies between the list price less
// the allowed discount and the list price itself. Failures name field.N.
func (s *Service) checkPrices(ctx context.Context, tx *ent.Tx, lines []*ent.OrderLine, field string, failed *fault.List) error {
	ids := make([]int, len(lines))
	for i, l := range lines {
		ids[i] = l.StockItemID
	}
	items, err := tx.StockItem.Query().Where(stockitem.IDIn(ids...)).All(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return err
	}
	list := map[int]int64{}
	for _, it := range items {
		list[it.ID] = it.UnitPriceMinor
	}
	for i, l := range lines {
		if why := s.priceProblem(l, list[l.StockItemID]); why != "" {
			failed.Add(fault.PriceCheckFailed, fmt.Sprintf("%s.%d", field, i), "%s", why)
		}
	}
	return nil
}

// priceProblem says why a line's net price is outside the policy for list
// price lp, or "".
func (s *Service) priceProblem(l *ent.OrderLine, lp int64) string {
	n := net(l)
	floor := lp - lp*s.policy.MaxDiscountBP/10_000
	switch {
	case n < floor:
		return fmt.Sprintf("%s: net price %s is below the list price %s less the allowed %d.%02d %% discount (%s)",
			l.Sku, money.Format(n, l.Currency), money.Format(lp, l.Currency),
			s.policy.MaxDiscountBP/100, s.policy.MaxDiscountBP%100, money.Format(floor, l.Currency))
	case n > lp:
		return fmt.Sprintf("%s: net price %s is above the list price %s", l.Sku, money.Format(n, l.Currency), money.Format(lp, l.Currency))
	}
	return ""
}

// openStatuses are the statuses of orders whose unpaid amount counts
// against the customer's credit.
var openStatuses = []entorder.Status{Confirmed, Shipped, Delivered}

// checkCredit: the customer's other open orders' outstanding amounts plus
// owed, what the held order will owe, must stay within the credit limit.
// The customer is locked (hold, exposure), so two orders of one customer
// are never checked against the same limit at once.
func checkCredit(ctx context.Context, l *Locked, owed int64, failed *fault.List) error {
	c, o := l.Customer, l.Order
	others, err := l.tx.Order.Query().Where(entorder.CustomerID(c.ID), entorder.IDNEQ(o.ID),
		entorder.StatusIn(openStatuses...)).All(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return err
	}
	var open int64
	for _, x := range others {
		if open, err = money.Add(open, payment.Outstanding(x)); err != nil {
			return err
		}
	}
	need, err := money.Add(open, owed)
	if err != nil {
		return err
	}
	if need > c.CreditLimitMinor {
		failed.Add(fault.CreditLimitExceeded, "customer",
			"%s: open unpaid orders %s plus this order %s make %s, above the credit limit %s",
			c.Name, money.Format(open, o.Currency), money.Format(owed, o.Currency),
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
		l, err := s.hold(ctx, tx, r.OrderID, Reject, "input.orderId")
		if err != nil {
			return nil, err
		}
		if err := l.closeRequests(ctx, "the order was rejected", 0); err != nil {
			return nil, err
		}
		err = l.transition(ctx, Rejected, "order.rejected", reasonText(r.ReasonCode, note), func(o *ent.Order) {
			o.ClosedAt, o.StatusReason, o.StatusNote = &l.Now, r.ReasonCode, note
		})
		if err != nil {
			return nil, err
		}
		o := l.Order
		err = l.notify(ctx, new(notify.Recipients).User(o.OwnerID), notify.Notice{
			Kind: "order.rejected", Title: "Order " + o.Number + " rejected", Body: reasonText(r.ReasonCode, note),
			SubjectType: "Order", SubjectID: o.ID})
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
