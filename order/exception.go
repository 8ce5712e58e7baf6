package order

import (
	"context"
	"fmt"
	"strings"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/returnorder"
	"orderdesk/ent/shipment"
	"orderdesk/ent/shipmentline"
	"orderdesk/fault"
	"orderdesk/notify"
	"orderdesk/payment"
	"orderdesk/postal"
	"orderdesk/store"
)

// ExceptionRequest reports a delivery problem of a shipment.
type ExceptionRequest struct {
	ShipmentID     int
	Status         string // DELAYED, LOST, DAMAGED, REFUSED, WRONG_ADDRESS
	Note           string
	IdempotencyKey string `json:"-"`
}

// ExceptionResult is what an exception action produced.
type ExceptionResult struct {
	Shipment    *ent.Shipment
	Order       *ent.Order
	Replacement *ent.Order
	Return      *ent.ReturnOrder
	Refunds     []*ent.Payment
}

var exceptionStatuses = []shipment.Status{shipment.StatusDELAYED, shipment.StatusLOST, shipment.StatusDAMAGED,
	shipment.StatusREFUSED, shipment.StatusWRONG_ADDRESS}

// ReportShipmentException marks a shipment in transit (or delivered, for
// damage found on arrival) with a delivery problem (seed 002 物流配送异常).
// The owner, the warehouse and the managers are told. Needs
// shipment:exception.
func (s *Service) ReportShipmentException(ctx context.Context, r ExceptionRequest) (*ExceptionResult, error) {
	if _, err := auth.Require(ctx, auth.ShipmentException); err != nil {
		return nil, err
	}
	var errs fault.List
	note := errs.Text("input.note", r.Note, 2000, true)
	if !containsStatus(exceptionStatuses, shipment.Status(r.Status)) {
		errs.Add(fault.Invalid, "input.status", "must be DELAYED, LOST, DAMAGED, REFUSED or WRONG_ADDRESS")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.runException(ctx, "reportShipmentException", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*ExceptionResult, error) {
		o, sh, err := lockShipment(ctx, tx, r.ShipmentID)
		if err != nil {
			return nil, err
		}
		open := sh.ExceptionReportedAt != nil && sh.ExceptionResolvedAt == nil
		switch {
		case open:
			return nil, fault.New(fault.InvalidTransition, "input.shipmentId", "the shipment has an open %s exception; resolve it first", sh.Status)
		case sh.Status == shipment.StatusDELIVERED && r.Status != string(shipment.StatusDAMAGED):
			return nil, fault.New(fault.InvalidTransition, "input.status", "a delivered shipment can only be reported DAMAGED")
		case Terminal(o.Status):
			return nil, check(o.Status, Return)
		}
		from := sh.Status
		if sh, err = tx.Shipment.UpdateOne(sh).SetStatus(shipment.Status(r.Status)).SetExceptionNote(note).
			SetExceptionReportedAt(s.now()).ClearExceptionResolvedAt().ClearExceptionResolution().AddVersion(1).Save(ctx); err != nil {
			return nil, err
		}
		id := o.ID
		if err := audit.Record(ctx, tx, audit.Event{Action: "shipment.exception_reported", SubjectType: "Shipment", SubjectID: sh.ID,
			OrderID: &id, From: string(from), To: string(sh.Status), Reason: note}); err != nil {
			return nil, err
		}
		err = notify.Send(ctx, tx, new(notify.Recipients).User(o.OwnerID).Role(auth.Warehouse, auth.SalesManager), notify.Notice{
			Kind: "shipment.exception", Title: fmt.Sprintf("Shipment of %s %s", o.Number, strings.ToLower(strings.ReplaceAll(r.Status, "_", " "))),
			Body: note, SubjectType: "Shipment", SubjectID: sh.ID, OrderID: &id})
		return &ExceptionResult{Shipment: sh, Order: o}, err
	})
}

func containsStatus(xs []shipment.Status, x shipment.Status) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// ResolveExceptionRequest settles a shipment exception.
type ResolveExceptionRequest struct {
	ShipmentID     int
	Resolution     string // RESHIPPED, ADDRESS_CORRECTED, RETURNED, REFUNDED
	Address        *postal.Address
	Note           string
	IdempotencyKey string `json:"-"`
}

// ResolveShipmentException settles an open exception: RESHIPPED creates a
// no-charge replacement order of the shipment's goods (its confirmation
// takes the stock again); ADDRESS_CORRECTED fixes the address of the
// shipment and order and puts the shipment back in transit; RETURNED opens
// an approved return of the goods (reason REFUSED_DELIVERY or
// DAMAGED_IN_TRANSIT); REFUNDED refunds the goods' value (needs
// refund:execute). Needs shipment:exception.
func (s *Service) ResolveShipmentException(ctx context.Context, r ResolveExceptionRequest) (*ExceptionResult, error) {
	v, err := auth.Require(ctx, auth.ShipmentException)
	if err != nil {
		return nil, err
	}
	var errs fault.List
	note := errs.Text("input.note", r.Note, 2000, false)
	switch shipment.ExceptionResolution(r.Resolution) {
	case shipment.ExceptionResolutionADDRESS_CORRECTED:
		if r.Address == nil {
			errs.Add(fault.Invalid, "input.address", "is required to correct the address")
		}
		checkAddress(&errs, r.Address)
	case shipment.ExceptionResolutionREFUNDED:
		if !v.Can(auth.RefundExecute) {
			return nil, fault.New(fault.Forbidden, "", "refunding needs %s", auth.RefundExecute)
		}
	case shipment.ExceptionResolutionRESHIPPED, shipment.ExceptionResolutionRETURNED:
	default:
		errs.Add(fault.Invalid, "input.resolution", "is not a resolution")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.runException(ctx, "resolveShipmentException", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*ExceptionResult, error) {
		o, sh, err := lockShipment(ctx, tx, r.ShipmentID)
		if err != nil {
			return nil, err
		}
		if sh.ExceptionReportedAt == nil || sh.ExceptionResolvedAt != nil {
			return nil, fault.New(fault.InvalidTransition, "input.shipmentId", "the shipment has no open exception")
		}
		sls, err := tx.ShipmentLine.Query().Where(shipmentline.ShipmentID(sh.ID)).WithOrderLine().All(ctx)
		if err != nil {
			return nil, err
		}
		var goods []LineQuantity
		var value int64
		for _, sl := range sls {
			goods = append(goods, LineQuantity{OrderLineID: sl.OrderLineID, Quantity: sl.Quantity})
			value += int64(sl.Quantity) * (sl.Edges.OrderLine.UnitPriceMinor - sl.Edges.OrderLine.DiscountMinor)
		}
		res := &ExceptionResult{}
		upd := tx.Shipment.UpdateOne(sh).SetExceptionResolution(shipment.ExceptionResolution(r.Resolution)).
			SetExceptionResolvedAt(s.now()).AddVersion(1)
		switch shipment.ExceptionResolution(r.Resolution) {
		case shipment.ExceptionResolutionRESHIPPED:
			if res.Replacement, err = s.replacement(ctx, tx, o, goods, fmt.Sprintf("re-ship of %s shipment %d", strings.ToLower(string(sh.Status)), sh.ID)); err != nil {
				return nil, err
			}
			upd.SetReplacementOrderID(res.Replacement.ID)
		case shipment.ExceptionResolutionADDRESS_CORRECTED:
			upd.SetAddress(r.Address).SetStatus(shipment.StatusIN_TRANSIT)
			if o, err = touch(ctx, tx, o, func(u *ent.OrderUpdateOne) { u.SetShippingAddress(r.Address) }); err != nil {
				return nil, err
			}
		case shipment.ExceptionResolutionRETURNED:
			reason := "REFUSED_DELIVERY"
			if sh.Status == shipment.StatusDAMAGED {
				reason = "DAMAGED_IN_TRANSIT"
			}
			req := CreateReturnRequest{OrderID: o.ID, ShipmentID: &sh.ID, Note: "shipment exception: " + sh.ExceptionNote}
			for _, g := range goods {
				req.Lines = append(req.Lines, ReturnLineRequest{OrderLineID: g.OrderLineID, Quantity: g.Quantity, Reason: reason})
			}
			rr, err := s.openReturn(ctx, tx, o, req, req.Note)
			if err != nil {
				return nil, err
			}
			// The carrier brings the goods back: no customer request to review.
			if res.Return, err = tx.ReturnOrder.UpdateOne(rr.Return).SetStatus(returnorder.StatusAPPROVED).
				SetDecidedAt(s.now()).SetNillableDecidedByID(v.ActorID()).SetDecisionNote("approved with the shipment exception").
				Save(ctx); err != nil {
				return nil, err
			}
			o = rr.Order
		case shipment.ExceptionResolutionREFUNDED:
			amount := min(value, payment.Refundable(o))
			if amount <= 0 {
				return nil, fault.New(fault.RefundExceeds, "input.resolution", "nothing is refundable on %s", o.Number)
			}
			if res.Refunds, err = payment.Refund(ctx, tx, o, payment.RefundRequest{Amount: amount,
				Reason: "shipment " + strings.ToLower(string(sh.Status)) + ": " + sh.ExceptionNote}); err != nil {
				return nil, err
			}
			if o, err = touch(ctx, tx, o, nil); err != nil {
				return nil, err
			}
		}
		if sh, err = upd.Save(ctx); err != nil {
			return nil, err
		}
		id := o.ID
		if err := audit.Record(ctx, tx, audit.Event{Action: "shipment.exception_resolved", SubjectType: "Shipment", SubjectID: sh.ID,
			OrderID: &id, To: string(sh.Status), Reason: strings.TrimSpace(r.Resolution + " " + note)}); err != nil {
			return nil, err
		}
		err = notify.Send(ctx, tx, new(notify.Recipients).User(o.OwnerID).Role(auth.Warehouse), notify.Notice{
			Kind: "shipment.exception_resolved", Title: fmt.Sprintf("Shipment exception of %s resolved: %s", o.Number, strings.ToLower(r.Resolution)),
			Body: note, SubjectType: "Shipment", SubjectID: sh.ID, OrderID: &id})
		res.Shipment, res.Order = sh, o
		return res, err
	})
}

func lockShipment(ctx context.Context, tx *ent.Tx, id int) (*ent.Order, *ent.Shipment, error) {
	sh, err := tx.Shipment.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil, fault.New(fault.NotFound, "input.shipmentId", "no such shipment")
	}
	if err != nil {
		return nil, nil, err
	}
	o, err := lock(ctx, tx, sh.OrderID)
	if err != nil {
		return nil, nil, err
	}
	sh, err = tx.Shipment.Query().Where(shipment.ID(id)).Modify(store.ForUpdate).Only(ctx)
	return o, sh, err
}

func (s *Service) runException(ctx context.Context, op, key string, req any, fn func(ctx context.Context, tx *ent.Tx) (*ExceptionResult, error)) (*ExceptionResult, error) {
	res, err := s.run(ctx, op, key, req, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		r, err := fn(ctx, tx)
		if err != nil {
			return nil, err
		}
		return &Result{Order: r.Order, Shipment: r.Shipment, NewOrder: r.Replacement, Return: r.Return, Refunds: r.Refunds}, nil
	})
	if err != nil {
		return nil, err
	}
	return &ExceptionResult{Shipment: res.Shipment, Order: res.Order, Replacement: res.NewOrder, Return: res.Return, Refunds: res.Refunds}, nil
}
