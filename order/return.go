package order

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/returnline"
	"orderdesk/ent/returnorder"
	"orderdesk/ent/shipment"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notice"
	"orderdesk/notify"
	"orderdesk/payment"
	"orderdesk/stock"
)

// ReturnLineRequest is the quantity of one order line coming back.
type ReturnLineRequest struct {
	OrderLineID int
	Quantity    int
	Reason      string
	Note        string
}

// CreateReturnRequest asks to bring shipped goods back.
type CreateReturnRequest struct {
	OrderID        int
	Lines          []ReturnLineRequest
	Resolution     string // REFUND (default), EXCHANGE or NONE
	Note           string
	ShipmentID     *int
	IdempotencyKey string `json:"-"`
}

// CreateReturn opens a return (RMA) for shipped goods of a SHIPPED or
// DELIVERED order: per line at most what was shipped and not already under
// a return. Managers are told. Needs return:request.
func (s *Service) CreateReturn(ctx context.Context, r CreateReturnRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.ReturnRequest); err != nil {
		return nil, err
	}
	var errs fault.List
	note := errs.Text("input.note", r.Note, 2000, false)
	if r.Resolution == "" {
		r.Resolution = string(returnorder.ResolutionREFUND)
	}
	if returnorder.ResolutionValidator(returnorder.Resolution(r.Resolution)) != nil {
		errs.Add(fault.Invalid, "input.resolution", "must be REFUND, EXCHANGE or NONE")
	}
	if len(r.Lines) == 0 {
		errs.Add(fault.Invalid, "input.lines", "a return needs at least one line")
	}
	for i, l := range r.Lines {
		if returnline.ReasonValidator(returnline.Reason(l.Reason)) != nil {
			errs.Add(fault.Invalid, fmt.Sprintf("input.lines.%d.reason", i), "is not a return reason")
		}
		errs.Text(fmt.Sprintf("input.lines.%d.note", i), l.Note, 500, l.Reason == "OTHER")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "createReturn", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, err := s.hold(ctx, tx, r.OrderID, Return, "input.orderId")
		if err != nil {
			return nil, err
		}
		return s.openReturn(ctx, l, r, note)
	})
}

// openReturn records a return of shipped goods of the held order: per line
// at most what shipped and is not already coming back.
func (s *Service) openReturn(ctx context.Context, l *Locked, r CreateReturnRequest, note string) (*Result, error) {
	tx, o := l.tx, l.Order
	if r.Resolution == "" {
		r.Resolution = string(returnorder.ResolutionREFUND)
	}
	if r.ShipmentID != nil {
		ok, err := tx.Shipment.Query().Where(shipment.ID(*r.ShipmentID), shipment.OrderID(o.ID)).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, fault.New(fault.NotFound, "input.shipmentId", "not a shipment of this order")
		}
	}
	var errs fault.List
	taken := map[int]int{}
	for i, x := range r.Lines {
		line := l.line(x.OrderLineID)
		if line == nil {
			errs.Add(fault.NotFound, fmt.Sprintf("input.lines.%d.orderLineId", i), "not a line of this order")
			continue
		}
		left := line.QuantityShipped - line.QuantityReturned - taken[line.ID]
		if x.Quantity < 1 || x.Quantity > left {
			errs.Add(fault.Invalid, fmt.Sprintf("input.lines.%d.quantity", i),
				"must be between 1 and %d, what was shipped and is not already being returned", max(left, 0))
			continue
		}
		taken[line.ID] += x.Quantity
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	number, err := NextNumber(ctx, tx, "RMA", l.Now.Year())
	if err != nil {
		return nil, err
	}
	v := auth.FromContext(ctx)
	ro, err := tx.ReturnOrder.Create().SetNumber(number).SetOrderID(o.ID).SetCurrency(o.Currency).
		SetResolution(returnorder.Resolution(r.Resolution)).SetNote(note).SetNillableShipmentID(r.ShipmentID).
		SetNillableRequestedByID(v.ActorID()).Save(ctx)
	if err != nil {
		return nil, err
	}
	for _, x := range r.Lines {
		if err := tx.ReturnLine.Create().SetReturnOrderID(ro.ID).SetOrderLineID(x.OrderLineID).SetQuantity(x.Quantity).
			SetReason(returnline.Reason(x.Reason)).SetNote(strings.TrimSpace(x.Note)).Exec(ctx); err != nil {
			return nil, err
		}
		if err := l.saveLine(ctx, l.line(x.OrderLineID), func(n *ent.OrderLine) { n.QuantityReturned += x.Quantity }); err != nil {
			return nil, err
		}
	}
	if err := l.touch(ctx, nil); err != nil {
		return nil, err
	}
	o = l.Order
	if err := l.audit(ctx, audit.Event{Action: "return.requested", SubjectType: "ReturnOrder", SubjectID: ro.ID,
		To: string(ro.Status), Reason: note,
		After: map[string]any{"number": ro.Number, "lines": r.Lines, "resolution": r.Resolution}}); err != nil {
		return nil, err
	}
	err = l.notify(ctx, new(notify.Recipients).User(o.OwnerID).Role(auth.SalesManager), notify.Notice{
		Kind: "return.requested", Title: "Return " + ro.Number + " requested for " + o.Number, Body: note,
		SubjectType: "ReturnOrder", SubjectID: ro.ID})
	return &Result{Return: ro, Order: o}, err
}

// ReturnDecisionRequest acts on a return.
type ReturnDecisionRequest struct {
	ReturnID       int
	Note           string
	IdempotencyKey string `json:"-"`
}

// ApproveReturn approves a requested return; the warehouse is told to
// expect the goods. Needs return:approve.
func (s *Service) ApproveReturn(ctx context.Context, r ReturnDecisionRequest) (*Result, error) {
	return s.decideReturn(ctx, "approveReturn", DecideReturn, r, returnorder.StatusAPPROVED)
}

// RejectReturn turns a requested return down with a note; its quantities
// may be returned again later. Needs return:approve.
func (s *Service) RejectReturn(ctx context.Context, r ReturnDecisionRequest) (*Result, error) {
	return s.decideReturn(ctx, "rejectReturn", DecideReturn, r, returnorder.StatusREJECTED)
}

// CloseReturn closes a received or refunded return. Needs return:approve.
func (s *Service) CloseReturn(ctx context.Context, r ReturnDecisionRequest) (*Result, error) {
	return s.decideReturn(ctx, "closeReturn", CloseReturn, r, returnorder.StatusCLOSED)
}

// returnTransitions lists the return statuses each target is reached from.
var returnTransitions = map[returnorder.Status][]returnorder.Status{
	returnorder.StatusAPPROVED: {returnorder.StatusREQUESTED},
	returnorder.StatusREJECTED: {returnorder.StatusREQUESTED},
	returnorder.StatusRECEIVED: {returnorder.StatusAPPROVED},
	returnorder.StatusREFUNDED: {returnorder.StatusRECEIVED},
	returnorder.StatusCLOSED:   {returnorder.StatusRECEIVED, returnorder.StatusREFUNDED},
}

func checkReturn(ro *ent.ReturnOrder, to returnorder.Status) error {
	if slices.Contains(returnTransitions[to], ro.Status) {
		return nil
	}
	return fault.New(fault.InvalidTransition, "input.returnId", "return %s is %s and cannot become %s", ro.Number, ro.Status, to)
}

// holdReturn holds the order of a return, then the return, and checks the
// return may move to status to.
func (s *Service) holdReturn(ctx context.Context, tx *ent.Tx, id int, a Action, to returnorder.Status) (*Locked, *ent.ReturnOrder, error) {
	l, ro, err := holdChild(ctx, s, tx, a, "input.returnId", "return", returns(tx, id))
	if err != nil {
		return nil, nil, err
	}
	return l, ro, checkReturn(ro, to)
}

func (s *Service) decideReturn(ctx context.Context, op string, a Action, r ReturnDecisionRequest, to returnorder.Status) (*Result, error) {
	v, err := auth.Require(ctx, auth.ReturnApprove)
	if err != nil {
		return nil, err
	}
	var errs fault.List
	note := errs.Text("input.note", r.Note, 2000, to == returnorder.StatusREJECTED)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, op, r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, ro, err := s.holdReturn(ctx, tx, r.ReturnID, a, to)
		if err != nil {
			return nil, err
		}
		from := ro.Status
		upd := tx.ReturnOrder.UpdateOne(ro).SetStatus(to).AddVersion(1)
		switch to {
		case returnorder.StatusCLOSED:
			upd.SetClosedAt(l.Now)
		default:
			upd.SetDecidedAt(l.Now).SetNillableDecidedByID(v.ActorID()).SetDecisionNote(note)
		}
		if ro, err = upd.Save(ctx); err != nil {
			return nil, err
		}
		if to == returnorder.StatusREJECTED {
			// The quantities are free to be returned again.
			rls, err := ro.QueryLines().All(ctx)
			if err != nil {
				return nil, err
			}
			for _, rl := range rls {
				if err := l.saveLine(ctx, l.line(rl.OrderLineID), func(n *ent.OrderLine) { n.QuantityReturned -= rl.Quantity }); err != nil {
					return nil, err
				}
			}
		}
		if err := l.audit(ctx, audit.Event{Action: "return." + strings.ToLower(string(to)), SubjectType: "ReturnOrder",
			SubjectID: ro.ID, From: string(from), To: string(to), Reason: note}); err != nil {
			return nil, err
		}
		o := l.Order
		to2 := new(notify.Recipients).User(o.OwnerID).User(ro.RequestedByID)
		if ro.Status == returnorder.StatusAPPROVED {
			to2.Role(auth.Warehouse)
		}
		if ro.Status != returnorder.StatusCLOSED {
			err = l.notify(ctx, to2, notify.Notice{Kind: "return." + strings.ToLower(string(ro.Status)),
				Title: fmt.Sprintf("Return %s %s", ro.Number, strings.ToLower(string(ro.Status))), Body: note,
				SubjectType: "ReturnOrder", SubjectID: ro.ID})
		}
		return &Result{Return: ro, Order: o}, err
	})
}

// ReceiveLine is what came back of one return line.
type ReceiveLine struct {
	ReturnLineID int
	Restocked    int
	Damaged      int
}

// ReceiveReturnRequest records the goods received.
type ReceiveReturnRequest struct {
	ReturnID       int
	Lines          []ReceiveLine
	IdempotencyKey string `json:"-"`
}

// ReceiveReturn records, for every line of an approved return, how much
// went back on the shelf (RETURN_RESTOCK movements) and how much was
// damaged (recorded, not restocked). A return for REFUND credits the
// customer the goods' value now — what they owe drops, and what they paid
// beyond it is due back (refundReturn). An EXCHANGE creates its
// replacement order now. Finance is told. Needs return:receive.
func (s *Service) ReceiveReturn(ctx context.Context, r ReceiveReturnRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.ReturnReceive); err != nil {
		return nil, err
	}
	return s.run(ctx, "receiveReturn", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, ro, err := s.holdReturn(ctx, tx, r.ReturnID, ReceiveReturn, returnorder.StatusRECEIVED)
		if err != nil {
			return nil, err
		}
		rls, err := ro.QueryLines().All(ctx)
		if err != nil {
			return nil, err
		}
		got, err := receivedQuantities(l, rls, r.Lines)
		if err != nil {
			return nil, err
		}
		id, roID := l.Order.ID, ro.ID
		restocked, damaged := 0, 0
		var back []LineQuantity
		var restocks []stock.Movement
		for _, rl := range rls {
			x := got[rl.ID]
			if x.Restocked > 0 {
				m := stock.Restock(l.line(rl.OrderLineID).StockItemID, x.Restocked)
				m.OrderID, m.ReturnOrderID, m.Reason = &id, &roID, "return "+ro.Number
				restocks = append(restocks, m)
			}
			if err := tx.ReturnLine.UpdateOne(rl).SetQuantityRestocked(x.Restocked).SetQuantityDamaged(x.Damaged).Exec(ctx); err != nil {
				return nil, err
			}
			restocked += x.Restocked
			damaged += x.Damaged
			back = append(back, LineQuantity{OrderLineID: rl.OrderLineID, Quantity: rl.Quantity})
		}
		if _, err := stock.ApplyAll(ctx, tx, restocks); err != nil {
			return nil, err
		}
		value, err := quantitiesValue(l.Lines, back)
		if err != nil {
			return nil, amountError("input.lines", err)
		}
		o := l.Order
		if ro.Resolution == returnorder.ResolutionREFUND && value > 0 {
			if err := payment.Credit(ctx, tx, o, value, "return "+ro.Number+" received"); err != nil {
				return nil, err
			}
		}
		v := auth.FromContext(ctx)
		upd := tx.ReturnOrder.UpdateOne(ro).SetStatus(returnorder.StatusRECEIVED).SetReceivedAt(l.Now).
			SetNillableReceivedByID(v.ActorID()).AddVersion(1)
		res := &Result{}
		if ro.Resolution == returnorder.ResolutionEXCHANGE {
			if res.NewOrder, err = s.replacement(ctx, l, back, "exchange for return "+ro.Number, false); err != nil {
				return nil, err
			}
			upd.SetExchangeOrderID(res.NewOrder.ID)
		}
		if ro, err = upd.Save(ctx); err != nil {
			return nil, err
		}
		if err := l.touch(ctx, nil); err != nil {
			return nil, err
		}
		o = l.Order
		if err := l.audit(ctx, audit.Event{Action: "return.received", SubjectType: "ReturnOrder", SubjectID: ro.ID,
			From: string(returnorder.StatusAPPROVED), To: string(ro.Status),
			After: map[string]any{"restocked": restocked, "damaged": damaged, "value": money.Format(value, o.Currency)}}); err != nil {
			return nil, err
		}
		if err := l.tellCustomer(ctx, notice.ReturnReceived, "ReturnOrder", ro.ID,
			map[string]string{"return": ro.Number, "quantity": strconv.Itoa(restocked + damaged)}); err != nil {
			return nil, err
		}
		err = l.notify(ctx, new(notify.Recipients).User(o.OwnerID).Role(auth.Finance), notify.Notice{
			Kind: "return.received", Title: "Return " + ro.Number + " received",
			Body:        fmt.Sprintf("%d restocked, %d damaged; value %s, due back %s.", restocked, damaged, money.Format(value, o.Currency), money.Format(payment.RefundDue(o), o.Currency)),
			SubjectType: "ReturnOrder", SubjectID: ro.ID})
		res.Return, res.Order = ro, o
		return res, err
	})
}

// receivedQuantities checks that every line of the return is given once,
// with restocked + damaged equal to its quantity.
func receivedQuantities(l *Locked, rls []*ent.ReturnLine, in []ReceiveLine) (map[int]ReceiveLine, error) {
	got := map[int]ReceiveLine{}
	var errs fault.List
	for i, x := range in {
		if _, dup := got[x.ReturnLineID]; dup {
			errs.Add(fault.Invalid, fmt.Sprintf("input.lines.%d.returnLineId", i), "given twice")
		}
		got[x.ReturnLineID] = x
	}
	seen := map[int]bool{}
	for i, rl := range rls {
		x, ok := got[rl.ID]
		sku := l.line(rl.OrderLineID).Sku
		switch {
		case !ok:
			errs.Add(fault.Invalid, "input.lines", "line %d of the return (%s) is missing", i+1, sku)
		case x.Restocked < 0 || x.Damaged < 0 || x.Restocked+x.Damaged != rl.Quantity:
			errs.Add(fault.Invalid, "input.lines", "%s: restocked + damaged must be %d", sku, rl.Quantity)
		}
		seen[rl.ID] = true
	}
	for id := range got {
		if !seen[id] {
			errs.Add(fault.NotFound, "input.lines", "return line %d is not part of this return", id)
		}
	}
	return got, errs.Err()
}

// ReturnValue is the value of the return's goods at their net unit prices.
func (s *Service) ReturnValue(ctx context.Context, ro *ent.ReturnOrder) (int64, error) {
	rls, err := s.client.ReturnLine.Query().Where(returnline.ReturnOrderID(ro.ID)).WithOrderLine().All(ctx)
	if err != nil {
		return 0, err
	}
	var sum int64
	for _, rl := range rls {
		v, err := valueOf(rl.Edges.OrderLine, rl.Quantity)
		if err != nil {
			return 0, err
		}
		if sum, err = money.Add(sum, v); err != nil {
			return 0, err
		}
	}
	return sum, nil
}

// RefundReturnRequest refunds a received return.
type RefundReturnRequest struct {
	ReturnID       int
	Amount         *string
	DryRun         bool   `json:"-"`
	IdempotencyKey string `json:"-"`
}

// RefundReturn pays back a RECEIVED return: by default what the credit of
// its goods made due back (never more than the return's value); an amount
// given may go beyond that as a concession, up to the order's refundable
// money (REFUND_EXCEEDS_CAPTURED). Needs refund:execute.
func (s *Service) RefundReturn(ctx context.Context, r RefundReturnRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.RefundExecute); err != nil {
		return nil, err
	}
	return s.runOrPreview(ctx, r.DryRun, "refundReturn", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, ro, err := s.holdReturn(ctx, tx, r.ReturnID, RefundReturn, returnorder.StatusREFUNDED)
		if err != nil {
			return nil, err
		}
		value, err := s.ReturnValue(ctx, ro)
		if err != nil {
			return nil, err
		}
		o := l.Order
		amount := min(value, payment.RefundDue(o))
		if r.Amount != nil {
			if amount, err = money.Parse(*r.Amount, o.Currency); err != nil {
				return nil, fault.New(fault.Invalid, "input.amount", "%s", err.Error())
			}
		}
		if amount <= 0 {
			return nil, fault.New(fault.RefundExceeds, "input.amount",
				"nothing is due back on %s for return %s: its credit lowered what the customer owes; close the return", o.Number, ro.Number)
		}
		roID := ro.ID
		refunds, err := l.refund(ctx, payment.RefundRequest{Amount: amount, Reason: "return " + ro.Number, ReturnOrderID: &roID})
		if err != nil {
			return nil, err
		}
		if ro, err = tx.ReturnOrder.UpdateOne(ro).SetStatus(returnorder.StatusREFUNDED).SetRefundedAt(l.Now).
			AddAmountRefundedMinor(amount).AddVersion(1).Save(ctx); err != nil {
			return nil, err
		}
		if err := l.touch(ctx, nil); err != nil {
			return nil, err
		}
		o = l.Order
		if err := l.audit(ctx, audit.Event{Action: "return.refunded", SubjectType: "ReturnOrder", SubjectID: ro.ID,
			From: string(returnorder.StatusRECEIVED), To: string(ro.Status), Amount: &amount, Currency: o.Currency}); err != nil {
			return nil, err
		}
		if err := l.tellCustomer(ctx, notice.ReturnRefunded, "ReturnOrder", ro.ID,
			map[string]string{"return": ro.Number, "refunded": money.Format(amount, o.Currency)}); err != nil {
			return nil, err
		}
		err = l.notify(ctx, new(notify.Recipients).User(o.OwnerID).User(ro.RequestedByID), notify.Notice{
			Kind: "payment.refunded", Title: fmt.Sprintf("%s refunded for return %s", money.Format(amount, o.Currency), ro.Number),
			SubjectType: "ReturnOrder", SubjectID: ro.ID})
		return &Result{Return: ro, Order: o, Refunds: refunds, AmountRefunded: &amount}, err
	})
}

// replacement creates a no-charge REPLACEMENT order of the given quantities
// of the held order's lines. Confirmed, it is CONFIRMED at once with its
// stock reserved (or fails with what is short); otherwise it waits in
// PENDING_REVIEW, where confirming it reserves the stock. Its review skips
// the price and credit checks.
func (s *Service) replacement(ctx context.Context, l *Locked, qty []LineQuantity, why string, confirmed bool) (*ent.Order, error) {
	tx, o := l.tx, l.Order
	number, err := NextNumber(ctx, tx, "SO", l.Now.Year())
	if err != nil {
		return nil, err
	}
	create := tx.Order.Create().SetNumber(number).SetKind(entorder.KindREPLACEMENT).SetCustomerID(o.CustomerID).
		SetNillableOwnerID(o.OwnerID).SetChannel(o.Channel).SetCurrency(o.Currency).SetReorderedFromID(o.ID).
		SetStatus(PendingReview).SetSubmittedAt(l.Now).SetNotes("No-charge replacement: " + why + " (" + o.Number + ").")
	if o.ShippingAddress != nil {
		create.SetShippingAddress(o.ShippingAddress)
	}
	repl, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	builders := make([]*ent.OrderLineCreate, len(qty))
	for i, x := range qty {
		line := l.line(x.OrderLineID)
		// Free of charge: the unit price stays visible, the discount takes it to zero.
		builders[i] = tx.OrderLine.Create().SetOrderID(repl.ID).SetPosition(i + 1).SetSku(line.Sku).SetName(line.Name).
			SetQuantity(x.Quantity).SetStockItemID(line.StockItemID).SetUnitPriceMinor(line.UnitPriceMinor).
			SetListPriceMinor(line.ListPriceMinor).SetDiscountMinor(line.UnitPriceMinor).SetCurrency(line.Currency)
	}
	rl := s.adopt(ctx, tx, repl)
	if rl.Lines, err = tx.OrderLine.CreateBulk(builders...).Save(ctx); err != nil {
		return nil, err
	}
	if err := rl.saveTotals(ctx); err != nil {
		return nil, err
	}
	if err := rl.audit(ctx, audit.Event{Action: "order.created", SubjectType: "Order", SubjectID: repl.ID,
		To: string(repl.Status), Reason: why, After: map[string]any{"number": repl.Number, "kind": repl.Kind, "replaces": o.Number}}); err != nil {
		return nil, err
	}
	if err := l.audit(ctx, audit.Event{Action: "order.replacement_created", SubjectType: "Order", SubjectID: o.ID,
		Reason: why, After: map[string]any{"replacementOrder": repl.Number}}); err != nil {
		return nil, err
	}
	if confirmed {
		if _, err := s.confirm(ctx, rl, ""); err != nil {
			return nil, replacementShort(err)
		}
		return rl.Order, nil
	}
	return rl.Order, rl.notify(ctx, new(notify.Recipients).User(o.OwnerID).Role(auth.SalesManager), notify.Notice{
		Kind: "order.replacement_created", Title: "Replacement order " + repl.Number + " awaits review", Body: why,
		SubjectType: "Order", SubjectID: repl.ID})
}

// replacementShort says plainly why a replacement could not be confirmed.
func replacementShort(err error) error {
	fe, ok := fault.Expected(err)
	if !ok {
		return err
	}
	var out fault.List
	for _, e := range fe {
		out.Add(e.Code, "input.resolution", "the replacement cannot be reserved now: %s", e.Message)
	}
	return out
}
