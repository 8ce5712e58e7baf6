package order

import (
	"context"
	"fmt"
	"slices"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/contact"
	"orderdesk/ent"
	entcontact "orderdesk/ent/contact"
	"orderdesk/ent/privacy"
	"orderdesk/ent/shipment"
	"orderdesk/fault"
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
		l, err := s.hold(ctx, tx, r.OrderID, Ship, "input.orderId")
		if err != nil {
			return nil, err
		}
		want, err := shipQuantities(l.Lines, r.Lines)
		if err != nil {
			return nil, err
		}
		o := l.Order
		create := tx.Shipment.Create().SetOrderID(o.ID).SetCarrier(carrier).SetTrackingNumber(tracking).
			SetNillableShippedByID(auth.FromContext(ctx).ActorID()).SetShippedAt(l.Now)
		if o.ShippingAddress != nil {
			create.SetAddress(o.ShippingAddress)
		}
		sh, err := create.Save(ctx)
		if err != nil {
			return nil, err
		}
		id := o.ID
		var moves []stock.Movement
		var shipped []*ent.ShipmentLineCreate
		if err := l.changeQuantities(ctx, func(n *ent.OrderLine) bool {
			q := want[n.ID]
			if q == 0 {
				return false
			}
			m := stock.Ship(n.StockItemID, q)
			m.OrderID, m.Reason = &id, "shipment "+fmt.Sprint(sh.ID)
			moves = append(moves, m)
			// The shipped units leave the reservation; a line reserved for
			// fewer (it cannot be, after review) would fail the CHECK.
			n.QuantityShipped += q
			n.QuantityReserved -= q
			shipped = append(shipped, tx.ShipmentLine.Create().SetShipmentID(sh.ID).SetOrderLineID(n.ID).SetQuantity(q))
			return true
		}); err != nil {
			return nil, err
		}
		if _, err := stock.ApplyAll(ctx, tx, moves); err != nil {
			return nil, err
		}
		if err := tx.ShipmentLine.CreateBulk(shipped...).Exec(ctx); err != nil {
			return nil, err
		}
		done := !slices.ContainsFunc(l.Lines, func(line *ent.OrderLine) bool { return unshipped(line) > 0 })
		if done {
			// Nothing is left to cancel or correct: what still waited for a
			// decision can no longer be carried out.
			if err := l.closeRequests(ctx, "everything has shipped", 0); err != nil {
				return nil, err
			}
			err = l.transition(ctx, Shipped, "order.shipped", "", func(o *ent.Order) { o.ShippedAt = &l.Now })
		} else if err = l.touch(ctx, nil); err == nil {
			err = l.audit(ctx, audit.Event{Action: "order.partially_shipped", SubjectType: "Order", SubjectID: o.ID})
		}
		if err != nil {
			return nil, err
		}
		if err := l.audit(ctx, audit.Event{Action: "shipment.created", SubjectType: "Shipment", SubjectID: sh.ID,
			To: string(sh.Status), After: map[string]any{"carrier": carrier, "trackingNumber": tracking, "quantities": want}}); err != nil {
			return nil, err
		}
		return &Result{Order: l.Order, Shipment: sh}, s.invoiceAtShipment(ctx, l)
	})
}

// shipQuantities resolves the requested quantities per line id: all that is
// open when none are given, else each given line within what is open.
func shipQuantities(lines []*ent.OrderLine, req []LineQuantity) (map[int]int, error) {
	open := map[int]int{}
	for _, l := range lines {
		open[l.ID] = unshipped(l)
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
		l, err := s.hold(ctx, tx, r.OrderID, Deliver, "input.orderId")
		if err != nil {
			return nil, err
		}
		if err := l.checkVersion(r.ExpectedVersion); err != nil {
			return nil, err
		}
		if err := l.deliverShipments(ctx); err != nil {
			return nil, err
		}
		if err := l.transition(ctx, Delivered, "order.delivered", "", func(o *ent.Order) { o.DeliveredAt = &l.Now }); err != nil {
			return nil, err
		}
		return &Result{Order: l.Order}, s.scheduleAfterDelivery(ctx, l)
	})
}

// scheduleAfterDelivery schedules the post-delivery follow-up (客户回访) of
// the held order for its rep (the customer's owner when the order has
// none) when the policy asks for one; an order without a rep gets none.
func (s *Service) scheduleAfterDelivery(ctx context.Context, l *Locked) error {
	after := s.policy.AfterDeliveryFollowUp
	if after <= 0 {
		return nil
	}
	o := l.Order
	rep := o.OwnerID
	if rep == nil {
		// The customer is read as the system: the warehouse marks orders
		// delivered and need not see the customer's owner.
		cu, err := l.tx.Customer.Get(privacy.DecisionContext(ctx, privacy.Allow), o.CustomerID)
		if err != nil {
			return err
		}
		rep = cu.OwnerID
	}
	if rep == nil {
		return nil
	}
	_, err := contact.Schedule(ctx, l.tx, contact.ScheduleRequest{Origin: entcontact.OriginAFTER_DELIVERY,
		CustomerID: o.CustomerID, OrderID: &o.ID, FollowUpAt: l.Now.Add(after), AssigneeID: *rep,
		Summary: "Post-delivery follow-up (客户回访) of " + o.Number + ": ask whether all arrived well and how satisfied the customer is"})
	return err
}

// deliverShipments marks the order's shipments in transit DELIVERED. A
// delayed shipment that arrived after all is delivered too, and its
// exception resolved as DELIVERED: nothing is left to re-ship or refund.
func (l *Locked) deliverShipments(ctx context.Context) error {
	if err := l.tx.Shipment.Update().Where(shipment.OrderID(l.Order.ID), shipment.StatusEQ(shipment.StatusIN_TRANSIT)).
		SetStatus(shipment.StatusDELIVERED).SetDeliveredAt(l.Now).AddVersion(1).Exec(ctx); err != nil {
		return err
	}
	delayed, err := l.tx.Shipment.Query().Where(shipment.OrderID(l.Order.ID), shipment.StatusEQ(shipment.StatusDELAYED)).
		Order(ent.Asc(shipment.FieldID)).All(ctx)
	if err != nil {
		return err
	}
	for _, sh := range delayed {
		u := l.tx.Shipment.UpdateOne(sh).SetStatus(shipment.StatusDELIVERED).SetDeliveredAt(l.Now).AddVersion(1)
		if sh.ExceptionReportedAt != nil && sh.ExceptionResolvedAt == nil {
			u.SetExceptionResolution(shipment.ExceptionResolutionDELIVERED).SetExceptionResolvedAt(l.Now)
		}
		if err := u.Exec(ctx); err != nil {
			return err
		}
		if err := l.audit(ctx, audit.Event{Action: "shipment.exception_resolved", SubjectType: "Shipment", SubjectID: sh.ID,
			From: string(sh.Status), To: string(shipment.StatusDELIVERED), Reason: "DELIVERED: the delayed goods arrived"}); err != nil {
			return err
		}
	}
	return nil
}

// Complete closes a DELIVERED order that is settled — nothing owed either
// way — with nothing open on it: no return, shipment exception, request or
// pending payment (the Finish guards). Needs order:complete.
func (s *Service) Complete(ctx context.Context, r TransitionRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.OrderComplete); err != nil {
		return nil, err
	}
	return s.run(ctx, "completeOrder", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, err := s.hold(ctx, tx, r.OrderID, Finish, "input.orderId")
		if err != nil {
			return nil, err
		}
		if err := l.checkVersion(r.ExpectedVersion); err != nil {
			return nil, err
		}
		err = l.transition(ctx, Completed, "order.completed", "", func(o *ent.Order) { o.CompletedAt = &l.Now })
		return &Result{Order: l.Order}, err
	})
}
