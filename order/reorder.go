package order

import (
	"context"
	"fmt"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/change"
	"orderdesk/ent"
	"orderdesk/ent/orderline"
	"orderdesk/fault"
	"orderdesk/money"
)

// ReorderRequest re-creates a closed order as a new draft. Lines, when
// given, replace the old order's lines.
type ReorderRequest struct {
	OrderID        int
	Lines          []LineRequest
	Notes          *string
	IdempotencyKey string `json:"-"`
}

// Reorder creates a new DRAFT from a cancelled, voided or rejected order
// (seed 000 step 5): same customer, channel and address, the same lines and
// prices unless new lines are given. The new order points back at the old
// one, which stays unchanged. Needs order:reorder and order:create.
func (s *Service) Reorder(ctx context.Context, r ReorderRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.OrderReorder, auth.OrderCreate); err != nil {
		return nil, err
	}
	if r.Lines != nil {
		var errs fault.List
		s.checkLineCount(&errs, len(r.Lines))
		if err := errs.Err(); err != nil {
			return nil, err
		}
	}
	return s.run(ctx, "reorder", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		old, err := lock(ctx, tx, r.OrderID)
		if err != nil {
			return nil, err
		}
		if err := check(old.Status, Reorder); err != nil {
			return nil, err
		}
		lines, err := tx.OrderLine.Query().Where(orderline.OrderID(old.ID)).Order(ent.Asc(orderline.FieldPosition)).All(ctx)
		if err != nil {
			return nil, err
		}
		var o *ent.Order
		if r.Lines != nil {
			if o, err = s.newDraftFrom(ctx, tx, old); err == nil {
				o, err = s.writeLines(ctx, tx, o, r.Lines)
			}
		} else {
			all := make([]change.LineQuantity, len(lines))
			for i, l := range lines {
				all[i] = change.LineQuantity{OrderLineID: l.ID, Quantity: l.Quantity}
			}
			o, err = s.reorderTx(ctx, tx, old, lines, all)
		}
		if err != nil {
			return nil, err
		}
		if r.Notes != nil {
			if o, err = tx.Order.UpdateOne(o).SetNotes(*r.Notes).Save(ctx); err != nil {
				return nil, err
			}
		}
		return &Result{Order: old, NewOrder: o}, nil
	})
}

// reorderTx creates a draft for the given quantities of the old order's
// lines, at the old prices, linked to the old order.
func (s *Service) reorderTx(ctx context.Context, tx *ent.Tx, old *ent.Order, lines []*ent.OrderLine, qty []change.LineQuantity) (*ent.Order, error) {
	o, err := s.newDraftFrom(ctx, tx, old)
	if err != nil {
		return nil, err
	}
	byID := map[int]*ent.OrderLine{}
	for _, l := range lines {
		byID[l.ID] = l
	}
	reqs := make([]LineRequest, 0, len(qty))
	for _, x := range qty {
		l := byID[x.OrderLineID]
		unit, disc := money.Format(l.UnitPriceMinor, l.Currency), money.Format(l.DiscountMinor, l.Currency)
		reqs = append(reqs, LineRequest{StockItemID: l.StockItemID, Quantity: x.Quantity, UnitPrice: &unit, Discount: &disc})
	}
	return s.writeLines(ctx, tx, o, reqs)
}

func (s *Service) newDraftFrom(ctx context.Context, tx *ent.Tx, old *ent.Order) (*ent.Order, error) {
	number, err := NextNumber(ctx, tx, "SO", s.now().Year())
	if err != nil {
		return nil, err
	}
	create := tx.Order.Create().SetNumber(number).SetCustomerID(old.CustomerID).SetNillableOwnerID(old.OwnerID).
		SetChannel(old.Channel).SetCurrency(old.Currency).SetReorderedFromID(old.ID).
		SetNotes(fmt.Sprintf("Re-created from %s.", old.Number)).SetNillableRequestedDeliveryDate(old.RequestedDeliveryDate)
	if old.ShippingAddress != nil {
		create.SetShippingAddress(old.ShippingAddress)
	}
	o, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	oldID, newID := old.ID, o.ID
	if err := audit.Record(ctx, tx, audit.Event{Action: "order.created", SubjectType: "Order", SubjectID: o.ID,
		OrderID: &newID, To: string(o.Status), Reason: "re-created from " + old.Number,
		After: map[string]any{"number": o.Number, "reorderedFrom": old.Number}}); err != nil {
		return nil, err
	}
	return o, audit.Record(ctx, tx, audit.Event{Action: "order.reordered", SubjectType: "Order", SubjectID: old.ID,
		OrderID: &oldID, After: map[string]any{"newOrder": o.Number, "newOrderId": o.ID}})
}
