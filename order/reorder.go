package order

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/change"
	"orderdesk/ent"
	"orderdesk/ent/privacy"
	"orderdesk/ent/stockitem"
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
	var errs fault.List
	if r.Lines != nil {
		s.checkLineCount(&errs, len(r.Lines))
	}
	if r.Notes != nil { // as createOrder's and updateDraftOrder's notes
		notes := errs.Text("input.notes", *r.Notes, 4000, false)
		r.Notes = &notes
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "reorder", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		old, err := s.hold(ctx, tx, r.OrderID, Reorder, "input.orderId")
		if err != nil {
			return nil, err
		}
		var o *ent.Order
		if r.Lines != nil {
			var nl *Locked
			if nl, err = s.newDraftFrom(ctx, old, ""); err == nil {
				if err = s.writeLines(ctx, nl, r.Lines); err == nil {
					err = nl.saveTotals(ctx)
				}
				o = nl.Order
			}
		} else {
			all := make([]change.LineQuantity, len(old.Lines))
			for i, l := range old.Lines {
				all[i] = change.LineQuantity{OrderLineID: l.ID, Quantity: l.Quantity}
			}
			o, err = s.reorderOf(ctx, old, all, "input.orderId")
		}
		if err != nil {
			return nil, err
		}
		if r.Notes != nil {
			if o, err = tx.Order.UpdateOne(o).SetNotes(*r.Notes).Save(ctx); err != nil {
				return nil, err
			}
		}
		return &Result{Order: old.Order, NewOrder: o}, nil
	})
}

// reorderOf creates a draft for the given quantities of the held order's
// lines, at the old prices, linked to the old order. Products no longer
// sold are left out, and the draft's notes say so; when none is left the
// re-order fails on field.
func (s *Service) reorderOf(ctx context.Context, old *Locked, qty []change.LineQuantity, field string) (*ent.Order, error) {
	ids := make([]int, 0, len(qty))
	for _, x := range qty {
		ids = append(ids, old.line(x.OrderLineID).StockItemID)
	}
	sold, err := old.tx.StockItem.Query().Where(stockitem.IDIn(ids...), stockitem.Active(true)).IDs(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return nil, err
	}
	var reqs []LineRequest
	var gone []string
	for _, x := range qty {
		l := old.line(x.OrderLineID)
		if !slices.Contains(sold, l.StockItemID) {
			gone = append(gone, l.Sku)
			continue
		}
		unit, disc := money.Format(l.UnitPriceMinor, l.Currency), money.Format(l.DiscountMinor, l.Currency)
		reqs = append(reqs, LineRequest{StockItemID: l.StockItemID, Quantity: x.Quantity, UnitPrice: &unit, Discount: &disc})
	}
	if len(reqs) == 0 {
		return nil, fault.New(fault.Invalid, field, "nothing can be re-ordered: %s no longer sold", strings.Join(gone, ", "))
	}
	note := ""
	if len(gone) > 0 {
		note = " Left out, no longer sold: " + strings.Join(gone, ", ") + "."
	}
	nl, err := s.newDraftFrom(ctx, old, note)
	if err != nil {
		return nil, err
	}
	if err := s.writeLines(ctx, nl, reqs); err != nil {
		return nil, err
	}
	return nl.Order, nl.saveTotals(ctx)
}

// newDraftFrom creates the draft that re-creates the held order, with note
// added to its notes.
func (s *Service) newDraftFrom(ctx context.Context, old *Locked, note string) (*Locked, error) {
	tx, o := old.tx, old.Order
	number, err := NextNumber(ctx, tx, "SO", old.Now.Year())
	if err != nil {
		return nil, err
	}
	create := tx.Order.Create().SetNumber(number).SetCustomerID(o.CustomerID).SetNillableOwnerID(o.OwnerID).
		SetChannel(o.Channel).SetCurrency(o.Currency).SetReorderedFromID(o.ID).
		SetNotes(fmt.Sprintf("Re-created from %s.%s", o.Number, note)).SetNillableRequestedDeliveryDate(o.RequestedDeliveryDate)
	if o.ShippingAddress != nil {
		create.SetShippingAddress(o.ShippingAddress)
	}
	n, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	nl := s.adopt(ctx, tx, n)
	if err := nl.audit(ctx, audit.Event{Action: "order.created", SubjectType: "Order", SubjectID: n.ID,
		To: string(n.Status), Reason: "re-created from " + o.Number,
		After: map[string]any{"number": n.Number, "reorderedFrom": o.Number}}); err != nil {
		return nil, err
	}
	return nl, old.audit(ctx, audit.Event{Action: "order.reordered", SubjectType: "Order", SubjectID: o.ID,
		After: map[string]any{"newOrder": n.Number, "newOrderId": n.ID}})
}
