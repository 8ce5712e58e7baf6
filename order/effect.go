package order

import (
	"context"
	"slices"

	entsql "entgo.io/ent/dialect/sql"

	"orderdesk/change"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/ent/privacy"
	"orderdesk/ent/stockitem"
	"orderdesk/fault"
	"orderdesk/payment"
	"orderdesk/stock"
)

// Release is reserved stock a cancellation gives back: one line's stock
// item and the quantity released.
type Release struct {
	StockItemID int
	Sku         string
	Quantity    int
}

// effect is what executing a cancellation request does to an order, worked
// out before anything is written: execute applies it, and a request that
// awaits a decision shows it (pendingPreview, CancellationEffect). There is
// no other arithmetic of a cancellation.
type effect struct {
	scope []change.LineQuantity
	full  bool
	// next holds the lines the cancellation changes, as it leaves them.
	next     map[int]*ent.OrderLine
	releases []stock.Movement
	released []Release
	// after is the order with the totals the cancellation leaves; its
	// money columns are still those before it.
	after  ent.Order
	refund int64 // captured money above what is then due
	lapsed int64 // pending charges cancelled
	to     Status
}

// planCancellation works out the effect of executing rec on order o with
// its lines (by position) and charges as they are now. The scope is
// resolved again: goods may have shipped since the request.
func planCancellation(o *ent.Order, lines []*ent.OrderLine, charges []*ent.Payment, rec *ent.CancellationRecord) (*effect, error) {
	scope, full, err := cancelScope(lines, requestedLines(rec))
	if err != nil {
		return nil, err
	}
	e := &effect{scope: scope, full: full, next: map[int]*ent.OrderLine{}}
	cancel := map[int]int{}
	for _, x := range scope {
		cancel[x.OrderLineID] = x.Quantity
	}
	id, recID := o.ID, rec.ID
	after := make([]*ent.OrderLine, len(lines))
	for i, line := range lines {
		after[i] = line
		q, ok := cancel[line.ID]
		if !ok {
			continue
		}
		n := *line
		if rel := min(q, n.QuantityReserved); rel > 0 {
			m := stock.Release(n.StockItemID, rel)
			m.OrderID, m.CancellationID, m.Reason = &id, &recID, string(rec.Kind)+" "+string(rec.ReasonCode)
			e.releases = append(e.releases, m)
			e.released = append(e.released, Release{StockItemID: n.StockItemID, Sku: n.Sku, Quantity: rel})
			n.QuantityReserved -= rel
		}
		n.QuantityCancelled += q
		e.next[n.ID], after[i] = &n, &n
	}
	e.after = *o
	if e.after.SubtotalMinor, e.after.DiscountMinor, e.after.TotalMinor, err = totals(after); err != nil {
		return nil, amountError("input.lines", err)
	}
	e.refund = payment.RefundDue(&e.after)
	// Pending charges lapse when nothing is left to pay for, or when
	// collecting them would take more than is then due (after the refund).
	refundable := payment.Refundable(&e.after) - e.refund
	if pending := payment.Pending(charges); pending > 0 && (full || refundable+pending > payment.Due(&e.after)) {
		e.lapsed = pending
	}
	e.to = o.Status
	switch {
	case full && rec.Kind == cancellationrecord.KindVOID:
		e.to = Voided
	case full:
		e.to = Cancelled
	case !slices.ContainsFunc(after, func(x *ent.OrderLine) bool { return unshipped(x) > 0 }):
		e.to = Shipped // the rest had shipped already
	}
	return e, nil
}

// plan is the effect of executing rec on the held order.
func (l *Locked) plan(ctx context.Context, rec *ent.CancellationRecord) (*effect, error) {
	charges, err := l.chargeList(ctx)
	if err != nil {
		return nil, err
	}
	return planCancellation(l.Order, l.Lines, charges, rec)
}

// quantityReleased is how many units the effect puts back in stock.
func (e *effect) quantityReleased() int {
	n := 0
	for _, r := range e.released {
		n += r.Quantity
	}
	return n
}

// of makes the effect's stock movements those of cancellation recID: it
// was planned before the record was created.
func (e *effect) of(recID int) {
	for i := range e.releases {
		e.releases[i].CancellationID = &recID
	}
}

// preview shows the effect of rec, which awaits a decision, on order o.
func (e *effect) preview(o *ent.Order, rec *ent.CancellationRecord) *Preview {
	p := previewOf(o, rec, e.to)
	p.TotalAfter, p.AmountRefunded, p.AmountCancelled = e.after.TotalMinor, e.refund, e.lapsed
	p.QuantityReleased, p.Releases, p.Lines = 0, e.released, e.scope
	for _, r := range e.released {
		p.QuantityReleased += r.Quantity
	}
	return p
}

// pendingPreview is what a cancellation request that awaits approval would
// do if it were executed now, when wanted (a dry run, or a client asking
// for the preview); nil otherwise. Planning it reads the order's payments,
// which nothing else in a request or a non-final approval needs.
func (l *Locked) pendingPreview(ctx context.Context, rec *ent.CancellationRecord, wanted bool) (*Preview, error) {
	if !wanted {
		return nil, nil
	}
	e, err := l.plan(ctx, rec)
	if err != nil {
		return nil, err
	}
	return e.preview(l.Order, rec), nil
}

// CancellationEffect is what executing rec would do now, while it awaits a
// decision (the customer's or an approver's); nil once it is decided, or
// when it can no longer be carried out as it stands (e.g. everything has
// shipped since). It reads the order, its lines and charges as they are,
// without locking them, in one query, and sees all of them whatever the
// viewer may read: the effect of a request the viewer may see does not
// depend on what else they may see.
func (s *Service) CancellationEffect(ctx context.Context, rec *ent.CancellationRecord) (*Preview, error) {
	if !isOpenCancellation(rec.Status) {
		return nil, nil
	}
	o, err := s.effectOrder(privacy.DecisionContext(ctx, privacy.Allow), rec.OrderID, false)
	if err != nil {
		return nil, err
	}
	return effectOf(o, rec)
}

// effectOf is the effect of rec on o, read with its lines and charges;
// nil when it can no longer be carried out as it stands.
func effectOf(o *ent.Order, rec *ent.CancellationRecord) (*Preview, error) {
	e, err := planCancellation(o, o.Edges.Lines, o.Edges.Payments, rec)
	if err != nil {
		if _, expected := fault.Expected(err); expected {
			return nil, nil
		}
		return nil, err
	}
	return e.preview(o, rec), nil
}

// Substitutes are the stock items to offer instead of a line's own item
// while that is short — the open quantity of the line not yet reserved
// exceeds what is available: the item's declared substitutes that are
// active and have at least the line's open quantity available. None when
// the item is not short. One query, through the viewer's privacy.
func (s *Service) Substitutes(ctx context.Context, line *ent.OrderLine) ([]*ent.StockItem, error) {
	open := unshipped(line)
	if open-line.QuantityReserved <= 0 {
		return []*ent.StockItem{}, nil
	}
	item, err := s.client.StockItem.Query().Where(stockitem.ID(line.StockItemID)).
		WithSubstitutes(func(q *ent.StockItemQuery) {
			q.Where(stockitem.Active(true), func(sel *entsql.Selector) {
				sel.Where(entsql.ExprP(sel.C(stockitem.FieldOnHand)+" - "+sel.C(stockitem.FieldReserved)+" >= ?", open))
			}).Order(ent.Asc(stockitem.FieldSku))
		}).Only(ctx)
	if ent.IsNotFound(err) {
		return []*ent.StockItem{}, nil
	}
	if err != nil {
		return nil, err
	}
	if item.OnHand-item.Reserved >= open-line.QuantityReserved {
		return []*ent.StockItem{}, nil
	}
	return item.Edges.Substitutes, nil
}
