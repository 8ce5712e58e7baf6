package order

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/returnorder"
	"orderdesk/ent/shipment"
	"orderdesk/ent/shipmentline"
	"orderdesk/fault"
	"orderdesk/notify"
	"orderdesk/payment"
	"orderdesk/postal"
)

// ExceptionRequest reports a delivery problem of a shipment.
type ExceptionRequest struct {
	ShipmentID     int
	Status         string // DELAYED, LOST, DAMAGED, REFUSED, WRONG_ADDRESS
	Note           string
	IdempotencyKey string `json:"-"`
}

var exceptionStatuses = []shipment.Status{shipment.StatusDELAYED, shipment.StatusLOST, shipment.StatusDAMAGED,
	shipment.StatusREFUSED, shipment.StatusWRONG_ADDRESS}

// ReportShipmentException marks a shipment in transit (or delivered, for
// damage found on arrival) with a delivery problem (seed 002 物流配送异常).
// The owner, the warehouse and the managers are told. Needs
// shipment:exception.
func (s *Service) ReportShipmentException(ctx context.Context, r ExceptionRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.ShipmentException); err != nil {
		return nil, err
	}
	var errs fault.List
	note := errs.Text("input.note", r.Note, 2000, true)
	if !slices.Contains(exceptionStatuses, shipment.Status(r.Status)) {
		errs.Add(fault.Invalid, "input.status", "must be DELAYED, LOST, DAMAGED, REFUSED or WRONG_ADDRESS")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "reportShipmentException", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, sh, err := holdChild(ctx, s, tx, ReportException, "input.shipmentId", "shipment", shipments(tx, r.ShipmentID))
		if err != nil {
			return nil, err
		}
		switch {
		case openException(sh):
			return nil, fault.New(fault.InvalidTransition, "input.shipmentId", "the shipment has an open %s exception; resolve it first", sh.Status)
		case sh.Status == shipment.StatusDELIVERED && r.Status != string(shipment.StatusDAMAGED):
			return nil, fault.New(fault.InvalidTransition, "input.status", "a delivered shipment can only be reported DAMAGED")
		}
		from := sh.Status
		if sh, err = tx.Shipment.UpdateOne(sh).SetStatus(shipment.Status(r.Status)).SetExceptionNote(note).
			SetExceptionReportedAt(l.Now).ClearExceptionResolvedAt().ClearExceptionResolution().AddVersion(1).Save(ctx); err != nil {
			return nil, err
		}
		if err := l.audit(ctx, audit.Event{Action: "shipment.exception_reported", SubjectType: "Shipment", SubjectID: sh.ID,
			From: string(from), To: string(sh.Status), Reason: note}); err != nil {
			return nil, err
		}
		o := l.Order
		err = l.notify(ctx, new(notify.Recipients).User(o.OwnerID).Role(auth.Warehouse, auth.SalesManager), notify.Notice{
			Kind: "shipment.exception", Title: fmt.Sprintf("Shipment of %s %s", o.Number, strings.ToLower(strings.ReplaceAll(r.Status, "_", " "))),
			Body: note, SubjectType: "Shipment", SubjectID: sh.ID})
		return &Result{Shipment: sh, Order: o}, err
	})
}

func openException(sh *ent.Shipment) bool {
	return sh.ExceptionReportedAt != nil && sh.ExceptionResolvedAt == nil
}

// ResolveExceptionRequest settles a shipment exception.
type ResolveExceptionRequest struct {
	ShipmentID     int
	Resolution     string // RESHIPPED, ADDRESS_CORRECTED, RETURNED, REFUNDED
	Address        *postal.Address
	Note           string
	IdempotencyKey string `json:"-"`
}

// ResolveShipmentException settles an open exception. RESHIPPED sends the
// shipment's goods again as a no-charge replacement order, CONFIRMED with
// its stock reserved at once (or refused, saying what is short); goods that
// were delivered intact are never re-shipped. ADDRESS_CORRECTED fixes the
// address of the shipment and order and puts the shipment back in transit.
// RETURNED opens an approved return of the goods (REFUSED_DELIVERY or
// DAMAGED_IN_TRANSIT). REFUNDED credits the customer the goods' value and
// pays back what that makes due. Needs shipment:exception, and
// refund:execute for REFUNDED (finance settles refunds without it).
func (s *Service) ResolveShipmentException(ctx context.Context, r ResolveExceptionRequest) (*Result, error) {
	perm := auth.ShipmentException
	if r.Resolution == string(shipment.ExceptionResolutionREFUNDED) {
		perm = auth.RefundExecute
	}
	v, err := auth.Require(ctx, perm)
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
	case shipment.ExceptionResolutionRESHIPPED, shipment.ExceptionResolutionRETURNED, shipment.ExceptionResolutionREFUNDED:
	default:
		errs.Add(fault.Invalid, "input.resolution", "must be RESHIPPED, ADDRESS_CORRECTED, RETURNED or REFUNDED")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "resolveShipmentException", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, sh, err := holdChild(ctx, s, tx, ResolveException, "input.shipmentId", "shipment", shipments(tx, r.ShipmentID))
		if err != nil {
			return nil, err
		}
		if !openException(sh) {
			return nil, fault.New(fault.InvalidTransition, "input.shipmentId", "the shipment has no open exception")
		}
		sls, err := tx.ShipmentLine.Query().Where(shipmentline.ShipmentID(sh.ID)).All(ctx)
		if err != nil {
			return nil, err
		}
		goods := make([]LineQuantity, len(sls))
		for i, sl := range sls {
			goods[i] = LineQuantity{OrderLineID: sl.OrderLineID, Quantity: sl.Quantity}
		}
		res := &Result{}
		upd := tx.Shipment.UpdateOne(sh).SetExceptionResolution(shipment.ExceptionResolution(r.Resolution)).
			SetExceptionResolvedAt(l.Now).AddVersion(1)
		what := strings.ToLower(string(sh.Status))
		switch shipment.ExceptionResolution(r.Resolution) {
		case shipment.ExceptionResolutionRESHIPPED:
			if sh.Status == shipment.StatusDELIVERED {
				return nil, fault.New(fault.InvalidTransition, "input.resolution", "the goods were delivered; they are not sent again")
			}
			if res.NewOrder, err = s.replacement(ctx, l, goods, fmt.Sprintf("re-ship of %s shipment %d", what, sh.ID), true); err != nil {
				return nil, err
			}
			upd.SetReplacementOrderID(res.NewOrder.ID)
		case shipment.ExceptionResolutionADDRESS_CORRECTED:
			upd.SetAddress(r.Address).SetStatus(shipment.StatusIN_TRANSIT)
			if err := l.touch(ctx, func(o *ent.Order) { o.ShippingAddress = r.Address }); err != nil {
				return nil, err
			}
		case shipment.ExceptionResolutionRETURNED:
			reason := "REFUSED_DELIVERY"
			if sh.Status == shipment.StatusDAMAGED {
				reason = "DAMAGED_IN_TRANSIT"
			}
			req := CreateReturnRequest{OrderID: l.Order.ID, ShipmentID: &sh.ID, Note: "shipment exception: " + sh.ExceptionNote}
			for _, g := range goods {
				req.Lines = append(req.Lines, ReturnLineRequest{OrderLineID: g.OrderLineID, Quantity: g.Quantity, Reason: reason})
			}
			rr, err := s.openReturn(ctx, l, req, clip.Runes(req.Note, 2000))
			if err != nil {
				return nil, err
			}
			// The carrier brings the goods back: no customer request to review.
			if res.Return, err = tx.ReturnOrder.UpdateOne(rr.Return).SetStatus(returnorder.StatusAPPROVED).
				SetDecidedAt(l.Now).SetNillableDecidedByID(v.ActorID()).SetDecisionNote("approved with the shipment exception").
				Save(ctx); err != nil {
				return nil, err
			}
		case shipment.ExceptionResolutionREFUNDED:
			if res.Refunds, err = l.creditGoods(ctx, goods, "shipment "+what+": "+sh.ExceptionNote); err != nil {
				return nil, err
			}
		}
		if sh, err = upd.Save(ctx); err != nil {
			return nil, err
		}
		if err := l.audit(ctx, audit.Event{Action: "shipment.exception_resolved", SubjectType: "Shipment", SubjectID: sh.ID,
			To: string(sh.Status), Reason: strings.TrimSpace(r.Resolution + " " + note)}); err != nil {
			return nil, err
		}
		o := l.Order
		err = l.notify(ctx, new(notify.Recipients).User(o.OwnerID).Role(auth.Warehouse), notify.Notice{
			Kind: "shipment.exception_resolved", Title: fmt.Sprintf("Shipment exception of %s resolved: %s", o.Number, strings.ToLower(r.Resolution)),
			Body: note, SubjectType: "Shipment", SubjectID: sh.ID})
		res.Shipment, res.Order = sh, o
		return res, err
	})
}

// creditGoods credits the customer the value of goods they will not get
// and refunds what that makes due back.
func (l *Locked) creditGoods(ctx context.Context, goods []LineQuantity, why string) ([]*ent.Payment, error) {
	value, err := quantitiesValue(l.Lines, goods)
	if err != nil {
		return nil, amountError("input.resolution", err)
	}
	o := l.Order
	if value > 0 {
		if err := payment.Credit(ctx, l.tx, o, value, why); err != nil {
			return nil, err
		}
	}
	var refunds []*ent.Payment
	if due := min(value, payment.RefundDue(o)); due > 0 {
		if refunds, err = l.refund(ctx, payment.RefundRequest{Amount: due, Reason: why}); err != nil {
			return nil, err
		}
	}
	return refunds, l.touch(ctx, nil)
}
