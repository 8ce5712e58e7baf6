package order

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/orderline"
	"orderdesk/ent/returnline"
	"orderdesk/ent/returnorder"
	"orderdesk/ent/shipment"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notify"
	"orderdesk/payment"
	"orderdesk/stock"
	"orderdesk/store"
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

// ReturnResult is what a return action produced.
type ReturnResult struct {
	Return        *ent.ReturnOrder
	Order         *ent.Order
	ExchangeOrder *ent.Order
	Refunds       []*ent.Payment
	// AmountRefunded is set by a dry-run refund.
	AmountRefunded *int64
}

// CreateReturn opens a return (RMA) for shipped goods of a SHIPPED or
// DELIVERED order: per line at most what was shipped and not already under
// a return. Managers are told. Needs return:request.
func (s *Service) CreateReturn(ctx context.Context, r CreateReturnRequest) (*ReturnResult, error) {
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
	return s.runReturn(ctx, "createReturn", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*ReturnResult, error) {
		o, err := lock(ctx, tx, r.OrderID)
		if err != nil {
			return nil, err
		}
		return s.openReturn(ctx, tx, o, r, note)
	})
}

func (s *Service) openReturn(ctx context.Context, tx *ent.Tx, o *ent.Order, r CreateReturnRequest, note string) (*ReturnResult, error) {
	if r.Resolution == "" {
		r.Resolution = string(returnorder.ResolutionREFUND)
	}
	if err := check(o.Status, Return); err != nil {
		return nil, err
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
	lines, err := tx.OrderLine.Query().Where(orderline.OrderID(o.ID)).All(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int]*ent.OrderLine{}
	for _, l := range lines {
		byID[l.ID] = l
	}
	var errs fault.List
	taken := map[int]int{}
	for i, x := range r.Lines {
		l := byID[x.OrderLineID]
		if l == nil {
			errs.Add(fault.NotFound, fmt.Sprintf("input.lines.%d.orderLineId", i), "not a line of this order")
			continue
		}
		left := l.QuantityShipped - l.QuantityReturned - taken[l.ID]
		if x.Quantity < 1 || x.Quantity > left {
			errs.Add(fault.Invalid, fmt.Sprintf("input.lines.%d.quantity", i),
				"must be between 1 and %d, what was shipped and is not already being returned", max(left, 0))
			continue
		}
		taken[l.ID] += x.Quantity
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	number, err := NextNumber(ctx, tx, "RMA", s.now().Year())
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
		if err := tx.OrderLine.UpdateOneID(x.OrderLineID).AddQuantityReturned(x.Quantity).Exec(ctx); err != nil {
			return nil, err
		}
	}
	if o, err = touch(ctx, tx, o, nil); err != nil {
		return nil, err
	}
	id := o.ID
	if err := audit.Record(ctx, tx, audit.Event{Action: "return.requested", SubjectType: "ReturnOrder", SubjectID: ro.ID,
		OrderID: &id, To: string(ro.Status), Reason: note,
		After: map[string]any{"number": ro.Number, "lines": r.Lines, "resolution": r.Resolution}}); err != nil {
		return nil, err
	}
	err = notify.Send(ctx, tx, new(notify.Recipients).User(o.OwnerID).Role(auth.SalesManager), notify.Notice{
		Kind: "return.requested", Title: "Return " + ro.Number + " requested for " + o.Number, Body: note,
		SubjectType: "ReturnOrder", SubjectID: ro.ID, OrderID: &id})
	return &ReturnResult{Return: ro, Order: o}, err
}

// ReturnDecisionRequest acts on a return.
type ReturnDecisionRequest struct {
	ReturnID       int
	Note           string
	IdempotencyKey string `json:"-"`
}

// ApproveReturn approves a requested return; the warehouse is told to
// expect the goods. Needs return:approve.
func (s *Service) ApproveReturn(ctx context.Context, r ReturnDecisionRequest) (*ReturnResult, error) {
	return s.decideReturn(ctx, "approveReturn", r, returnorder.StatusAPPROVED)
}

// RejectReturn turns a requested return down with a note; its quantities
// may be returned again later. Needs return:approve.
func (s *Service) RejectReturn(ctx context.Context, r ReturnDecisionRequest) (*ReturnResult, error) {
	return s.decideReturn(ctx, "rejectReturn", r, returnorder.StatusREJECTED)
}

// CloseReturn closes a received or refunded return. Needs return:approve.
func (s *Service) CloseReturn(ctx context.Context, r ReturnDecisionRequest) (*ReturnResult, error) {
	return s.decideReturn(ctx, "closeReturn", r, returnorder.StatusCLOSED)
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

func (s *Service) decideReturn(ctx context.Context, op string, r ReturnDecisionRequest, to returnorder.Status) (*ReturnResult, error) {
	v, err := auth.Require(ctx, auth.ReturnApprove)
	if err != nil {
		return nil, err
	}
	var errs fault.List
	note := errs.Text("input.note", r.Note, 2000, to == returnorder.StatusREJECTED)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.runReturn(ctx, op, r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*ReturnResult, error) {
		o, ro, err := lockReturn(ctx, tx, r.ReturnID)
		if err != nil {
			return nil, err
		}
		if err := checkReturn(ro, to); err != nil {
			return nil, err
		}
		from := ro.Status
		upd := tx.ReturnOrder.UpdateOne(ro).SetStatus(to).AddVersion(1)
		switch to {
		case returnorder.StatusCLOSED:
			upd.SetClosedAt(s.now())
		default:
			upd.SetDecidedAt(s.now()).SetNillableDecidedByID(v.ActorID()).SetDecisionNote(note)
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
				if err := tx.OrderLine.UpdateOneID(rl.OrderLineID).AddQuantityReturned(-rl.Quantity).Exec(ctx); err != nil {
					return nil, err
				}
			}
		}
		id := o.ID
		if err := audit.Record(ctx, tx, audit.Event{Action: "return." + strings.ToLower(string(to)), SubjectType: "ReturnOrder",
			SubjectID: ro.ID, OrderID: &id, From: string(from), To: string(to), Reason: note}); err != nil {
			return nil, err
		}
		to2 := new(notify.Recipients).User(o.OwnerID).User(ro.RequestedByID)
		if ro.Status == returnorder.StatusAPPROVED {
			to2.Role(auth.Warehouse)
		}
		if ro.Status != returnorder.StatusCLOSED {
			err = notify.Send(ctx, tx, to2, notify.Notice{Kind: "return." + strings.ToLower(string(ro.Status)),
				Title: fmt.Sprintf("Return %s %s", ro.Number, strings.ToLower(string(ro.Status))), Body: note,
				SubjectType: "ReturnOrder", SubjectID: ro.ID, OrderID: &id})
		}
		return &ReturnResult{Return: ro, Order: o}, err
	})
}

// lockReturn locks the return's order, then the return.
func lockReturn(ctx context.Context, tx *ent.Tx, id int) (*ent.Order, *ent.ReturnOrder, error) {
	ro, err := tx.ReturnOrder.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil, fault.New(fault.NotFound, "input.returnId", "no such return")
	}
	if err != nil {
		return nil, nil, err
	}
	o, err := lock(ctx, tx, ro.OrderID)
	if err != nil {
		return nil, nil, err
	}
	ro, err = tx.ReturnOrder.Query().Where(returnorder.ID(id)).Modify(store.ForUpdate).Only(ctx)
	return o, ro, err
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
// damaged (recorded, not restocked). An EXCHANGE creates its replacement
// order now. Finance is told. Needs return:receive.
func (s *Service) ReceiveReturn(ctx context.Context, r ReceiveReturnRequest) (*ReturnResult, error) {
	if _, err := auth.Require(ctx, auth.ReturnReceive); err != nil {
		return nil, err
	}
	return s.runReturn(ctx, "receiveReturn", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*ReturnResult, error) {
		o, ro, err := lockReturn(ctx, tx, r.ReturnID)
		if err != nil {
			return nil, err
		}
		if err := checkReturn(ro, returnorder.StatusRECEIVED); err != nil {
			return nil, err
		}
		rls, err := ro.QueryLines().WithOrderLine().All(ctx)
		if err != nil {
			return nil, err
		}
		got := map[int]ReceiveLine{}
		var errs fault.List
		for i, x := range r.Lines {
			if _, dup := got[x.ReturnLineID]; dup {
				errs.Add(fault.Invalid, fmt.Sprintf("input.lines.%d.returnLineId", i), "given twice")
			}
			got[x.ReturnLineID] = x
		}
		for i, rl := range rls {
			x, ok := got[rl.ID]
			switch {
			case !ok:
				errs.Add(fault.Invalid, "input.lines", "line %d of the return (%s) is missing", i+1, rl.Edges.OrderLine.Sku)
			case x.Restocked < 0 || x.Damaged < 0 || x.Restocked+x.Damaged != rl.Quantity:
				errs.Add(fault.Invalid, "input.lines", "%s: restocked + damaged must be %d", rl.Edges.OrderLine.Sku, rl.Quantity)
			}
			delete(got, rl.ID)
		}
		for id := range got {
			errs.Add(fault.NotFound, "input.lines", "return line %d is not part of this return", id)
		}
		if err := errs.Err(); err != nil {
			return nil, err
		}
		slices.SortFunc(rls, func(a, b *ent.ReturnLine) int { return a.Edges.OrderLine.StockItemID - b.Edges.OrderLine.StockItemID })
		id, roID := o.ID, ro.ID
		restocked, damaged := 0, 0
		var exchange []LineQuantity
		for _, rl := range rls {
			x := r.Lines[slices.IndexFunc(r.Lines, func(l ReceiveLine) bool { return l.ReturnLineID == rl.ID })]
			if x.Restocked > 0 {
				m := stock.Restock(rl.Edges.OrderLine.StockItemID, x.Restocked)
				m.OrderID, m.ReturnOrderID, m.Reason = &id, &roID, "return "+ro.Number
				if _, err := stock.Apply(ctx, tx, m); err != nil {
					return nil, err
				}
			}
			if err := tx.ReturnLine.UpdateOne(rl).SetQuantityRestocked(x.Restocked).SetQuantityDamaged(x.Damaged).Exec(ctx); err != nil {
				return nil, err
			}
			restocked += x.Restocked
			damaged += x.Damaged
			exchange = append(exchange, LineQuantity{OrderLineID: rl.OrderLineID, Quantity: rl.Quantity})
		}
		v := auth.FromContext(ctx)
		upd := tx.ReturnOrder.UpdateOne(ro).SetStatus(returnorder.StatusRECEIVED).SetReceivedAt(s.now()).
			SetNillableReceivedByID(v.ActorID()).AddVersion(1)
		res := &ReturnResult{}
		if ro.Resolution == returnorder.ResolutionEXCHANGE {
			if res.ExchangeOrder, err = s.replacement(ctx, tx, o, exchange, "exchange for return "+ro.Number); err != nil {
				return nil, err
			}
			upd.SetExchangeOrderID(res.ExchangeOrder.ID)
		}
		if ro, err = upd.Save(ctx); err != nil {
			return nil, err
		}
		if o, err = touch(ctx, tx, o, nil); err != nil {
			return nil, err
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "return.received", SubjectType: "ReturnOrder", SubjectID: ro.ID,
			OrderID: &id, From: string(returnorder.StatusAPPROVED), To: string(ro.Status),
			After: map[string]any{"restocked": restocked, "damaged": damaged}}); err != nil {
			return nil, err
		}
		err = notify.Send(ctx, tx, new(notify.Recipients).User(o.OwnerID).Role(auth.Finance), notify.Notice{
			Kind: "return.received", Title: "Return " + ro.Number + " received",
			Body:        fmt.Sprintf("%d restocked, %d damaged; refund value %s.", restocked, damaged, money.Format(returnValue(rls), o.Currency)),
			SubjectType: "ReturnOrder", SubjectID: ro.ID, OrderID: &id})
		res.Return, res.Order = ro, o
		return res, err
	})
}

// returnValue is the value of a return's goods at their net unit prices;
// the lines must have their order lines loaded.
func returnValue(rls []*ent.ReturnLine) int64 {
	var v int64
	for _, rl := range rls {
		l := rl.Edges.OrderLine
		v += int64(rl.Quantity) * (l.UnitPriceMinor - l.DiscountMinor)
	}
	return v
}

// ReturnValue is the value of the return's goods.
func (s *Service) ReturnValue(ctx context.Context, ro *ent.ReturnOrder) (int64, error) {
	rls, err := s.client.ReturnLine.Query().Where(returnline.ReturnOrderID(ro.ID)).WithOrderLine().All(ctx)
	return returnValue(rls), err
}

// RefundReturnRequest refunds a received return.
type RefundReturnRequest struct {
	ReturnID       int
	Amount         *string
	DryRun         bool   `json:"-"`
	IdempotencyKey string `json:"-"`
}

// RefundReturn refunds a RECEIVED return: the amount given or, by default,
// the value of the returned goods; never more than the order's refundable
// money (REFUND_EXCEEDS_CAPTURED). Needs refund:execute.
func (s *Service) RefundReturn(ctx context.Context, r RefundReturnRequest) (*ReturnResult, error) {
	if _, err := auth.Require(ctx, auth.RefundExecute); err != nil {
		return nil, err
	}
	act := func(ctx context.Context, tx *ent.Tx) (*ReturnResult, error) {
		o, ro, err := lockReturn(ctx, tx, r.ReturnID)
		if err != nil {
			return nil, err
		}
		if err := checkReturn(ro, returnorder.StatusREFUNDED); err != nil {
			return nil, err
		}
		rls, err := ro.QueryLines().WithOrderLine().All(ctx)
		if err != nil {
			return nil, err
		}
		amount := min(returnValue(rls), payment.Refundable(o))
		if r.Amount != nil {
			if amount, err = money.Parse(*r.Amount, o.Currency); err != nil {
				return nil, fault.New(fault.Invalid, "input.amount", "%s", err.Error())
			}
		}
		if amount <= 0 {
			return nil, fault.New(fault.RefundExceeds, "input.amount", "nothing is refundable on %s", o.Number)
		}
		roID := ro.ID
		refunds, err := payment.Refund(ctx, tx, o, payment.RefundRequest{Amount: amount, Reason: "return " + ro.Number, ReturnOrderID: &roID})
		if err != nil {
			return nil, err
		}
		if ro, err = tx.ReturnOrder.UpdateOne(ro).SetStatus(returnorder.StatusREFUNDED).SetRefundedAt(s.now()).
			AddAmountRefundedMinor(amount).AddVersion(1).Save(ctx); err != nil {
			return nil, err
		}
		if o, err = touch(ctx, tx, o, nil); err != nil {
			return nil, err
		}
		id := o.ID
		if err := audit.Record(ctx, tx, audit.Event{Action: "return.refunded", SubjectType: "ReturnOrder", SubjectID: ro.ID,
			OrderID: &id, From: string(returnorder.StatusRECEIVED), To: string(ro.Status), Amount: &amount, Currency: o.Currency}); err != nil {
			return nil, err
		}
		err = notify.Send(ctx, tx, new(notify.Recipients).User(o.OwnerID).User(ro.RequestedByID), notify.Notice{
			Kind: "payment.refunded", Title: fmt.Sprintf("%s refunded for return %s", money.Format(amount, o.Currency), ro.Number),
			SubjectType: "ReturnOrder", SubjectID: ro.ID, OrderID: &id})
		return &ReturnResult{Return: ro, Order: o, Refunds: refunds, AmountRefunded: &amount}, err
	}
	if r.DryRun {
		var res *ReturnResult
		err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
			var err error
			if res, err = act(ctx, tx); err != nil {
				return err
			}
			return errDryRun
		})
		if err != errDryRun {
			return nil, err
		}
		ro, err := s.client.ReturnOrder.Get(ctx, r.ReturnID)
		if err != nil {
			return nil, err
		}
		o, err := s.client.Order.Get(ctx, ro.OrderID)
		return &ReturnResult{Return: ro, Order: o, AmountRefunded: res.AmountRefunded}, err
	}
	return s.runReturn(ctx, "refundReturn", r.IdempotencyKey, r, act)
}

// replacement creates a no-charge REPLACEMENT order of the given quantities
// of o's lines, already submitted for review: confirming it reserves the
// stock again. Its review skips the price and credit checks.
func (s *Service) replacement(ctx context.Context, tx *ent.Tx, o *ent.Order, qty []LineQuantity, why string) (*ent.Order, error) {
	number, err := NextNumber(ctx, tx, "SO", s.now().Year())
	if err != nil {
		return nil, err
	}
	create := tx.Order.Create().SetNumber(number).SetKind(entorder.KindREPLACEMENT).SetCustomerID(o.CustomerID).
		SetNillableOwnerID(o.OwnerID).SetChannel(o.Channel).SetCurrency(o.Currency).SetReorderedFromID(o.ID).
		SetStatus(PendingReview).SetSubmittedAt(s.now()).SetNotes("No-charge replacement: " + why + " (" + o.Number + ").")
	if o.ShippingAddress != nil {
		create.SetShippingAddress(o.ShippingAddress)
	}
	repl, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	lines, err := tx.OrderLine.Query().Where(orderline.OrderID(o.ID)).All(ctx)
	if err != nil {
		return nil, err
	}
	byID := map[int]*ent.OrderLine{}
	for _, l := range lines {
		byID[l.ID] = l
	}
	for i, x := range qty {
		l := byID[x.OrderLineID]
		// Free of charge: the unit price stays visible, the discount takes it to zero.
		if err := tx.OrderLine.Create().SetOrderID(repl.ID).SetPosition(i + 1).SetSku(l.Sku).SetName(l.Name).
			SetQuantity(x.Quantity).SetStockItemID(l.StockItemID).SetUnitPriceMinor(l.UnitPriceMinor).
			SetListPriceMinor(l.ListPriceMinor).SetDiscountMinor(l.UnitPriceMinor).SetCurrency(l.Currency).Exec(ctx); err != nil {
			return nil, err
		}
	}
	if repl, err = retotal(ctx, tx, repl); err != nil {
		return nil, err
	}
	id, oldID := repl.ID, o.ID
	if err := audit.Record(ctx, tx, audit.Event{Action: "order.created", SubjectType: "Order", SubjectID: repl.ID, OrderID: &id,
		To: string(repl.Status), Reason: why, After: map[string]any{"number": repl.Number, "kind": repl.Kind, "replaces": o.Number}}); err != nil {
		return nil, err
	}
	if err := audit.Record(ctx, tx, audit.Event{Action: "order.replacement_created", SubjectType: "Order", SubjectID: o.ID,
		OrderID: &oldID, Reason: why, After: map[string]any{"replacementOrder": repl.Number}}); err != nil {
		return nil, err
	}
	return repl, notify.Send(ctx, tx, new(notify.Recipients).User(o.OwnerID).Role(auth.SalesManager), notify.Notice{
		Kind: "order.replacement_created", Title: "Replacement order " + repl.Number + " awaits review", Body: why,
		SubjectType: "Order", SubjectID: repl.ID, OrderID: &id})
}

// runReturn is run for return actions: one transaction, idempotent.
func (s *Service) runReturn(ctx context.Context, op, key string, req any, fn func(ctx context.Context, tx *ent.Tx) (*ReturnResult, error)) (*ReturnResult, error) {
	res, err := s.run(ctx, op, key, req, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		res, err := fn(ctx, tx)
		if err != nil {
			return nil, err
		}
		return &Result{Order: res.Order, NewOrder: res.ExchangeOrder, Refunds: res.Refunds, Return: res.Return}, nil
	})
	if err != nil {
		return nil, err
	}
	return &ReturnResult{Return: res.Return, Order: res.Order, ExchangeOrder: res.NewOrder, Refunds: res.Refunds}, nil
}
