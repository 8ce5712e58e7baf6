package order

import (
	"context"
	"fmt"
	"slices"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/orderline"
	"orderdesk/ent/returnline"
	"orderdesk/ent/returnorder"
	"orderdesk/ent/shipment"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/payment"
	"orderdesk/stock"
)

// ShipRequest ships some or all of an order's open quantities.
type ShipRequest struct {
	OrderID        int
	Carrier        string
	TrackingNumber string
	Lines          []LineQuantity // empty: everything still open
	IdempotencyKey string         `json:"-"`
}

// Ship records a shipment of a CONFIRMED order: SHIPMENT movements take the
// goods out of onHand and out of the reservation. The order becomes SHIPPED
// when nothing is left to ship; a partial shipment leaves it CONFIRMED.
// Needs order:fulfil.
func (s *Service) Ship(ctx context.Context, r ShipRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.OrderFulfil); err != nil {
		return nil, err
	}
	var errs fault.List
	carrier := errs.Text("input.carrier", r.Carrier, 100, true)
	tracking := errs.Text("input.trackingNumber", r.TrackingNumber, 100, false)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "shipOrder", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		o, err := lock(ctx, tx, r.OrderID)
		if err != nil {
			return nil, err
		}
		if err := check(o.Status, Ship); err != nil {
			return nil, err
		}
		lines, err := tx.OrderLine.Query().Where(orderline.OrderID(o.ID)).Order(ent.Asc(orderline.FieldID)).All(ctx)
		if err != nil {
			return nil, err
		}
		want, err := shipQuantities(lines, r.Lines)
		if err != nil {
			return nil, err
		}
		create := tx.Shipment.Create().SetOrderID(o.ID).SetCarrier(carrier).SetTrackingNumber(tracking).
			SetNillableShippedByID(auth.FromContext(ctx).ActorID()).SetShippedAt(s.now())
		if o.ShippingAddress != nil {
			create.SetAddress(o.ShippingAddress)
		}
		sh, err := create.Save(ctx)
		if err != nil {
			return nil, err
		}
		// Stock items in id order, as everywhere, so locks never cross.
		slices.SortFunc(lines, func(a, b *ent.OrderLine) int { return a.StockItemID - b.StockItemID })
		id := o.ID
		for _, l := range lines {
			q := want[l.ID]
			if q == 0 {
				continue
			}
			m := stock.Ship(l.StockItemID, q)
			m.OrderID, m.Reason = &id, "shipment "+fmt.Sprint(sh.ID)
			if _, err := stock.Apply(ctx, tx, m); err != nil {
				return nil, err
			}
			if err := tx.OrderLine.UpdateOne(l).AddQuantityShipped(q).AddQuantityReserved(-q).Exec(ctx); err != nil {
				return nil, err
			}
			if err := tx.ShipmentLine.Create().SetShipmentID(sh.ID).SetOrderLineID(l.ID).SetQuantity(q).Exec(ctx); err != nil {
				return nil, err
			}
		}
		done := true
		for _, l := range lines {
			done = done && l.QuantityShipped+want[l.ID]+l.QuantityCancelled == l.Quantity
		}
		if done {
			o, err = s.transition(ctx, tx, o, Shipped, "order.shipped", "", func(u *ent.OrderUpdateOne) { u.SetShippedAt(s.now()) })
		} else {
			o, err = touch(ctx, tx, o, nil)
			if err == nil {
				err = audit.Record(ctx, tx, audit.Event{Action: "order.partially_shipped", SubjectType: "Order",
					SubjectID: o.ID, OrderID: &id})
			}
		}
		if err != nil {
			return nil, err
		}
		err = audit.Record(ctx, tx, audit.Event{Action: "shipment.created", SubjectType: "Shipment", SubjectID: sh.ID,
			OrderID: &id, To: string(sh.Status), After: map[string]any{"carrier": carrier, "trackingNumber": tracking, "quantities": want}})
		return &Result{Order: o, Shipment: sh}, err
	})
}

// shipQuantities resolves the requested quantities per line id: all that is
// open when none are given, else each given line within what is open.
func shipQuantities(lines []*ent.OrderLine, req []LineQuantity) (map[int]int, error) {
	open := map[int]int{}
	for _, l := range lines {
		open[l.ID] = l.Quantity - l.QuantityCancelled - l.QuantityShipped
	}
	want := map[int]int{}
	if len(req) == 0 {
		for id, q := range open {
			if q > 0 {
				want[id] = q
			}
		}
	}
	var errs fault.List
	for i, x := range req {
		field := fmt.Sprintf("input.lines.%d", i)
		q, ok := open[x.OrderLineID]
		switch {
		case !ok:
			errs.Add(fault.NotFound, field+".orderLineId", "not a line of this order")
		case x.Quantity < 1 || want[x.OrderLineID]+x.Quantity > q:
			errs.Add(fault.Invalid, field+".quantity", "must be between 1 and %d, what is left to ship", q-want[x.OrderLineID])
		default:
			want[x.OrderLineID] += x.Quantity
		}
	}
	if len(want) == 0 && len(errs) == 0 {
		errs.Add(fault.InvalidTransition, "input.lines", "nothing is left to ship")
	}
	return want, errs.Err()
}

// MarkDelivered records that the goods of a SHIPPED order arrived: its
// shipments in transit become DELIVERED and so does the order. Needs
// order:fulfil.
func (s *Service) MarkDelivered(ctx context.Context, r TransitionRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.OrderFulfil); err != nil {
		return nil, err
	}
	return s.run(ctx, "markOrderDelivered", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		o, err := lock(ctx, tx, r.OrderID)
		if err != nil {
			return nil, err
		}
		if err := check(o.Status, Deliver); err != nil {
			return nil, err
		}
		if err := checkVersion(o, r.ExpectedVersion); err != nil {
			return nil, err
		}
		now := s.now()
		if err := tx.Shipment.Update().Where(shipment.OrderID(o.ID), shipment.StatusIn(shipment.StatusIN_TRANSIT, shipment.StatusDELAYED)).
			SetStatus(shipment.StatusDELIVERED).SetDeliveredAt(now).AddVersion(1).Exec(ctx); err != nil {
			return nil, err
		}
		o, err = s.transition(ctx, tx, o, Delivered, "order.delivered", "", func(u *ent.OrderUpdateOne) { u.SetDeliveredAt(now) })
		return &Result{Order: o}, err
	})
}

// Complete closes a DELIVERED order that is fully paid. Needs order:complete.
func (s *Service) Complete(ctx context.Context, r TransitionRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.OrderComplete); err != nil {
		return nil, err
	}
	return s.run(ctx, "completeOrder", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		o, err := lock(ctx, tx, r.OrderID)
		if err != nil {
			return nil, err
		}
		if err := check(o.Status, Finish); err != nil {
			return nil, err
		}
		if err := checkVersion(o, r.ExpectedVersion); err != nil {
			return nil, err
		}
		// Goods that came back are not owed: a returned and refunded order
		// completes like a paid one.
		back, err := returnedValue(ctx, tx, o.ID)
		if err != nil {
			return nil, err
		}
		if out := payment.Outstanding(o) - back; out > 0 {
			return nil, fault.New(fault.NotAllowed, "", "the order is not fully paid: %s outstanding", money.Format(out, o.Currency))
		}
		o, err = s.transition(ctx, tx, o, Completed, "order.completed", "", func(u *ent.OrderUpdateOne) { u.SetCompletedAt(s.now()) })
		return &Result{Order: o}, err
	})
}

// returnedValue is the value of the goods of the order's received returns.
func returnedValue(ctx context.Context, tx *ent.Tx, orderID int) (int64, error) {
	rls, err := tx.ReturnLine.Query().Where(returnline.HasReturnOrderWith(returnorder.OrderID(orderID),
		returnorder.StatusIn(returnorder.StatusRECEIVED, returnorder.StatusREFUNDED, returnorder.StatusCLOSED))).
		WithOrderLine().All(ctx)
	return returnValue(rls), err
}
