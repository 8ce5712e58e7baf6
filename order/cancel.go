package order

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/change"
	"orderdesk/contact"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/ent/ordercorrection"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notice"
	"orderdesk/notify"
	"orderdesk/payment"
	"orderdesk/stock"
)

// CancelRequest asks to cancel an order, whole (no Lines) or the given
// quantities of some lines.
type CancelRequest struct {
	OrderID    int
	ReasonCode string
	Note       string
	Lines      []LineQuantity
	Resolution string // REFUND, REORDER or NONE
	// CustomerContactID is the logged contact in which the customer asked
	// for or agreed to the cancellation.
	CustomerContactID *int
	// AskCustomer sends the request to the customer's confirmation page
	// before anyone approves it (asksCustomer).
	AskCustomer bool
	DryRun      bool `json:"-"`
	// Preview asks for the preview of a request left pending (a dry run
	// always has it): planning it reads the order's payments.
	Preview        bool   `json:"-"`
	IdempotencyKey string `json:"-"`
}

// Preview is exactly what a cancellation or void does (or would do, in a
// dry run): the approvals it needs, the money it moves, the stock it
// releases and where the order ends up.
type Preview struct {
	OrderID              int
	Kind                 cancellationrecord.Kind
	Executes             bool
	NeedsManagerApproval bool
	NeedsFinanceApproval bool
	StatusAfter          Status
	TotalAfter           int64
	AmountRefunded       int64
	AmountCancelled      int64
	QuantityReleased     int
	Releases             []Release
	Lines                []change.LineQuantity
	CreatesReorder       bool
	Currency             string
	// RequestStatusAfter is the request's status after the action.
	RequestStatusAfter cancellationrecord.Status
}

// RequestCancellation records a cancellation request. Where policy allows
// — the viewer may cancel (order:cancel), no money goes back and nothing
// has shipped — it executes at once; otherwise it waits for a sales
// manager's approval, and also finance's when captured money goes back.
// Shipped quantities cannot be cancelled: they come back through a return.
// Needs order:cancel:request. DryRun returns the Preview and changes nothing.
func (s *Service) RequestCancellation(ctx context.Context, r CancelRequest) (*Result, error) {
	return s.cancel(ctx, "requestOrderCancellation", auth.OrderCancelRequest, cancellationrecord.KindCANCEL, false, r)
}

// Cancel is the direct path: it executes the cancellation at once where
// policy allows and otherwise fails with APPROVAL_REQUIRED, changing
// nothing. Needs order:cancel.
func (s *Service) Cancel(ctx context.Context, r CancelRequest) (*Result, error) {
	return s.cancel(ctx, "cancelOrder", auth.OrderCancel, cancellationrecord.KindCANCEL, true, r)
}

// Void invalidates an order irreversibly (entered in error, duplicate,
// fraud): every reservation is released, captured money refunded, pending
// payments cancelled, and the order becomes VOIDED, after which nothing
// changes it. Needs order:void (sales managers, admins).
func (s *Service) Void(ctx context.Context, r CancelRequest) (*Result, error) {
	if len(r.Lines) > 0 {
		return nil, fault.New(fault.Invalid, "input.lines", "a void covers the whole order")
	}
	return s.cancel(ctx, "voidOrder", auth.OrderVoid, cancellationrecord.KindVOID, true, r)
}

func (s *Service) cancel(ctx context.Context, op string, perm auth.Permission, kind cancellationrecord.Kind, direct bool, r CancelRequest) (*Result, error) {
	if _, err := auth.Require(ctx, perm); err != nil {
		return nil, err
	}
	note, err := checkReason(r.ReasonCode, r.Note)
	if err != nil {
		return nil, err
	}
	r.Note = note
	if r.Resolution == "" {
		r.Resolution = string(cancellationrecord.ResolutionNONE) // before hashing: omitted and NONE are one request
	}
	if cancellationrecord.ResolutionValidator(cancellationrecord.Resolution(r.Resolution)) != nil {
		return nil, fault.New(fault.Invalid, "input.resolution", "must be REFUND, REORDER or NONE")
	}
	return s.runOrPreview(ctx, r.DryRun, op, r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		action := Cancel
		if kind == cancellationrecord.KindVOID {
			action = Void
		}
		l, err := s.hold(ctx, tx, r.OrderID, action, "input.orderId")
		if err != nil {
			return nil, err
		}
		return s.request(ctx, l, kind, direct, r)
	})
}

// request records a cancellation or void of the held order and executes it
// where policy allows.
func (s *Service) request(ctx context.Context, l *Locked, kind cancellationrecord.Kind, direct bool, r CancelRequest) (*Result, error) {
	v, tx, o := auth.FromContext(ctx), l.tx, l.Order
	if r.CustomerContactID != nil {
		if err := contact.CheckConfirmation(ctx, tx, *r.CustomerContactID, o.CustomerID, o.ID, "input.customerContactId"); err != nil {
			return nil, err
		}
	}
	// One request at a time; a void ends the order, and with it the
	// request nobody decided (execute closes it).
	if kind == cancellationrecord.KindCANCEL && l.held.requests&openCancellations != 0 {
		pending, err := tx.CancellationRecord.Query().Where(cancellationrecord.OrderID(o.ID),
			cancellationrecord.StatusIn(openCancellation...)).First(ctx)
		if err != nil && !ent.IsNotFound(err) {
			return nil, err
		}
		if pending != nil {
			return nil, fault.New(fault.InvalidTransition, "", "cancellation %d of this order awaits a decision", pending.ID)
		}
	}
	scope, full, err := cancelScope(l.Lines, r.Lines)
	if err != nil {
		return nil, err
	}
	shipped := slices.ContainsFunc(l.Lines, func(x *ent.OrderLine) bool { return x.QuantityShipped > 0 })
	refund, err := l.refundDue(scope)
	if err != nil {
		return nil, err
	}
	immediate := kind == cancellationrecord.KindVOID || (v.Can(auth.OrderCancel) && refund == 0 && !shipped)
	needsManager := !immediate
	needsFinance := !immediate && refund > 0
	if direct && !immediate {
		return nil, fault.New(fault.ApprovalRequired, "",
			"this cancellation needs approval (money to refund: %s; goods shipped: %t); use requestOrderCancellation",
			money.Format(refund, o.Currency), shipped)
	}
	ask, err := s.asksCustomer(kind, direct, refund, r)
	if err != nil {
		return nil, err
	}
	status := cancellationrecord.StatusREQUESTED
	if ask {
		// The customer decides first; what would have executed at once
		// executes when they agree.
		immediate, status = false, cancellationrecord.StatusAWAITING_CUSTOMER
	}
	scopeKind := cancellationrecord.ScopePARTIAL
	if full {
		scopeKind = cancellationrecord.ScopeFULL
	}
	create := tx.CancellationRecord.Create().SetOrderID(o.ID).SetKind(kind).SetScope(scopeKind).
		SetLines(scope).SetReasonCode(cancellationrecord.ReasonCode(r.ReasonCode)).SetNote(r.Note).
		SetResolution(cancellationrecord.Resolution(r.Resolution)).SetStatus(status).
		SetNeedsManagerApproval(needsManager).SetNeedsFinanceApproval(needsFinance).
		SetCurrency(o.Currency).SetNillableRequestedByID(v.ActorID()).SetAutomatic(v.IsSystem()).
		SetNillableCustomerContactID(r.CustomerContactID)
	// A manager sending their own request to the customer approves it as
	// they send it: it goes on as soon as the customer agrees, instead of
	// waiting for an approval the requester may not give.
	preApproved := ask && needsManager && v.Can(auth.OrderCancelApprove)
	if preApproved {
		create.SetManagerApprovedAt(l.Now).SetNillableManagerApprovedByID(v.ActorID())
	}
	// A request executed at once is written once, as executed: its effect
	// is planned from the record about to be created. (A reorder names the
	// new order on the record afterwards, so it is written twice.)
	var planned *effect
	if immediate && r.Resolution != string(cancellationrecord.ResolutionREORDER) {
		draft := &ent.CancellationRecord{Kind: kind, Scope: scopeKind, Lines: scope,
			ReasonCode: cancellationrecord.ReasonCode(r.ReasonCode)}
		if planned, err = l.plan(ctx, draft); err != nil {
			return nil, err
		}
		create.SetStatus(cancellationrecord.StatusEXECUTED).SetExecutedAt(l.Now).SetLines(planned.scope).
			SetAmountRefundedMinor(planned.refund).SetAmountCancelledMinor(planned.lapsed).
			SetQuantityReleased(planned.quantityReleased())
	}
	rec, err := create.Save(ctx)
	if err != nil {
		return nil, err
	}
	if err := l.audit(ctx, audit.Event{Action: "cancellation.requested", SubjectType: "CancellationRecord",
		SubjectID: rec.ID, To: string(status), Reason: reasonText(r.ReasonCode, r.Note),
		After: map[string]any{"kind": kind, "scope": scopeKind, "lines": scope, "resolution": r.Resolution,
			"needsManagerApproval": needsManager, "needsFinanceApproval": needsFinance, "askCustomer": ask,
			"managerApproved": preApproved}}); err != nil {
		return nil, err
	}
	if planned != nil {
		planned.of(rec.ID)
		return s.carryOut(ctx, l, rec, planned, nil)
	}
	if immediate {
		return s.execute(ctx, l, rec, nil)
	}
	preview := r.DryRun || r.Preview
	if ask {
		if err := s.sendCancellationToCustomer(ctx, l, rec); err != nil {
			return nil, err
		}
		p, err := l.pendingPreview(ctx, rec, preview)
		return &Result{Order: l.Order, Cancellation: rec, Preview: p}, err
	}
	// A manager asking is a manager approving; finance may still have to agree.
	if v.Can(auth.OrderCancelApprove) {
		res, err := s.approve(ctx, l, rec, approveManager, preview)
		if err != nil || res.Cancellation.Status == cancellationrecord.StatusEXECUTED {
			return res, err
		}
		rec = res.Cancellation
	}
	if err := l.askApprovers(ctx, rec); err != nil {
		return nil, err
	}
	p, err := l.pendingPreview(ctx, rec, preview)
	return &Result{Order: l.Order, Cancellation: rec, Preview: p}, err
}

// requestedLines is the partial scope a request names, or nil for all.
func requestedLines(rec *ent.CancellationRecord) []LineQuantity {
	if rec.Scope == cancellationrecord.ScopePARTIAL {
		return rec.Lines
	}
	return nil
}

// closeRequest rejects a request that can no longer be carried out.
func (l *Locked) closeRequest(ctx context.Context, rec *ent.CancellationRecord, why string) error {
	v := auth.FromContext(ctx)
	if err := l.tx.CancellationRecord.UpdateOne(rec).SetStatus(cancellationrecord.StatusREJECTED).SetDecidedAt(l.Now).
		SetNillableDecidedByID(v.ActorID()).SetDecisionNote(why).AddVersion(1).Exec(ctx); err != nil {
		return err
	}
	return l.audit(ctx, audit.Event{Action: "cancellation.rejected", SubjectType: "CancellationRecord",
		SubjectID: rec.ID, From: string(rec.Status), To: string(cancellationrecord.StatusREJECTED), Reason: why})
}

// closeRequests rejects what still awaits a decision on an order that is
// closing — pending corrections and cancellation requests other than the
// one executing (keep) — so that nothing of a closed order waits for anyone.
func (l *Locked) closeRequests(ctx context.Context, why string, keep int) error {
	tx, v := l.tx, auth.FromContext(ctx)
	// What was open when the order was held is all there can be, besides
	// the request executing: every action holds the order first.
	others := l.held.requests&openCancellations != 0
	if keep != 0 && keep == l.heldRequest { // it was open then, and counted
		others = l.held.requests&twoOpenCancellations != 0
	}
	if others {
		if err := l.closeCancellations(ctx, why, keep); err != nil {
			return err
		}
	}
	if l.held.requests&openCorrections == 0 {
		return nil
	}
	pending, err := tx.OrderCorrection.Query().Where(ordercorrection.OrderID(l.Order.ID),
		ordercorrection.StatusIn(pendingCorrection...)).All(ctx)
	if err != nil {
		return err
	}
	for _, c := range pending {
		if err := tx.OrderCorrection.UpdateOne(c).SetStatus(ordercorrection.StatusREJECTED).SetDecidedAt(l.Now).
			SetNillableDecidedByID(v.ActorID()).SetDecisionNote(why).AddVersion(1).Exec(ctx); err != nil {
			return err
		}
		if err := l.audit(ctx, audit.Event{Action: "correction.rejected", SubjectType: "OrderCorrection", SubjectID: c.ID,
			From: string(c.Status), To: string(ordercorrection.StatusREJECTED), Reason: why}); err != nil {
			return err
		}
	}
	return nil
}

// closeCancellations rejects the order's undecided cancellation requests
// but keep.
func (l *Locked) closeCancellations(ctx context.Context, why string, keep int) error {
	recs, err := l.tx.CancellationRecord.Query().Where(cancellationrecord.OrderID(l.Order.ID), cancellationrecord.IDNEQ(keep),
		cancellationrecord.StatusIn(openCancellation...)).All(ctx)
	if err != nil {
		return err
	}
	for _, rec := range recs {
		if err := l.closeRequest(ctx, rec, why); err != nil {
			return err
		}
	}
	return nil
}

// cancelScope resolves the quantities to cancel per line: every unshipped
// quantity for a full cancellation, else the requested ones, each within
// what is unshipped — shipped goods are the floor and are never in scope.
// full is true when the scope leaves nothing of the order.
func cancelScope(lines []*ent.OrderLine, req []LineQuantity) ([]change.LineQuantity, bool, error) {
	anyShipped := slices.ContainsFunc(lines, func(l *ent.OrderLine) bool { return l.QuantityShipped > 0 })
	var scope []change.LineQuantity
	if len(req) == 0 {
		if anyShipped {
			return nil, false, fault.New(fault.InvalidTransition, "input.lines",
				"part of the order has shipped: cancel the open quantities line by line, and bring shipped goods back through a return (createReturn)")
		}
		for _, l := range lines {
			if q := unshipped(l); q > 0 {
				scope = append(scope, change.LineQuantity{OrderLineID: l.ID, Quantity: q})
			}
		}
	}
	var errs fault.List
	want := map[int]int{}
	for i, x := range req {
		field := fmt.Sprintf("input.lines.%d", i)
		l := lineByID(lines, x.OrderLineID)
		switch {
		case l == nil:
			errs.Add(fault.NotFound, field+".orderLineId", "not a line of this order")
		case x.Quantity < 1 || want[x.OrderLineID]+x.Quantity > unshipped(l):
			errs.Add(fault.Invalid, field+".quantity",
				"must be between 1 and %d, the quantity neither cancelled nor shipped (shipped goods come back through a return)",
				max(unshipped(l)-want[x.OrderLineID], 0))
		default:
			want[x.OrderLineID] += x.Quantity
		}
	}
	if err := errs.Err(); err != nil {
		return nil, false, err
	}
	for _, l := range lines {
		if q := want[l.ID]; q > 0 {
			scope = append(scope, change.LineQuantity{OrderLineID: l.ID, Quantity: q})
		}
	}
	if len(scope) == 0 {
		return nil, false, fault.New(fault.InvalidTransition, "", "nothing is left to cancel")
	}
	left := 0
	for _, l := range lines {
		left += unshipped(l) - want[l.ID]
	}
	full := (len(req) == 0 || left == 0) && !anyShipped
	return scope, full, nil
}

// refundDue is the captured money that would exceed what is due after
// cancelling scope, and so goes back to the customer.
func (l *Locked) refundDue(scope []change.LineQuantity) (int64, error) {
	cancelled, err := quantitiesValue(l.Lines, scope)
	if err != nil {
		return 0, amountError("input.lines", err)
	}
	after := *l.Order
	after.TotalMinor -= cancelled
	return payment.RefundDue(&after), nil
}

// execute carries out a cancellation or void of the held order: it releases
// the reservations of the cancelled quantities (RELEASE movements),
// recomputes the totals, refunds captured money above what is now due,
// cancels pending payments when nothing is left to pay for, moves the order
// to CANCELLED or VOIDED when nothing is left open, re-creates a draft when
// the resolution is REORDER, and writes the record, audit and notification
// rows. unsaved, when not nil, holds changes of the record the caller made
// and has not written (the last approval): the record is written once.
func (s *Service) execute(ctx context.Context, l *Locked, rec *ent.CancellationRecord, unsaved *ent.CancellationRecordUpdate) (*Result, error) {
	e, err := l.plan(ctx, rec)
	if err != nil {
		return nil, err
	}
	if unsaved == nil {
		unsaved = l.tx.CancellationRecord.Update().Where(cancellationrecord.ID(rec.ID))
	}
	return s.carryOut(ctx, l, rec, e, unsaved)
}

// carryOut applies e, the effect of rec planned under the held order, and
// writes what changed of rec with unsaved; with unsaved nil, rec was
// created executed, with e's amounts, which the effect must then bring
// about.
func (s *Service) carryOut(ctx context.Context, l *Locked, rec *ent.CancellationRecord, e *effect, unsaved *ent.CancellationRecordUpdate) (*Result, error) {
	tx := l.tx
	scope := e.scope
	var err error
	if err := l.changeQuantities(ctx, func(n *ent.OrderLine) bool {
		x, ok := e.next[n.ID]
		if ok {
			n.QuantityReserved, n.QuantityCancelled = x.QuantityReserved, x.QuantityCancelled
		}
		return ok
	}); err != nil {
		return nil, err
	}
	released := 0
	for _, r := range e.released {
		released += r.Quantity
	}
	from := l.Order.Status
	if err := l.retotal(); err != nil {
		return nil, err
	}
	o := l.Order
	why := reasonText(string(rec.ReasonCode), rec.Note)
	recID := rec.ID
	var refunded, lapsed int64
	if e.refund > 0 {
		refunds, err := l.refund(ctx, payment.RefundRequest{Amount: e.refund, Reason: why, CancellationID: &recID})
		if err != nil {
			return nil, err
		}
		for _, p := range refunds {
			refunded += p.AmountMinor
		}
	}
	if e.lapsed > 0 {
		charges, err := l.chargeList(ctx)
		if err != nil {
			return nil, err
		}
		if lapsed, err = payment.CancelPending(ctx, tx, o, charges, why, &recID); err != nil {
			return nil, err
		}
	}
	to := e.to
	if to == Cancelled || to == Voided {
		if err := l.closeRequests(ctx, "the order was "+strings.ToLower(string(to)), rec.ID); err != nil {
			return nil, err
		}
	}
	// The stock goes back after the money and the order's requests: the
	// items are the rows other orders' actions wait for, held until the
	// commit. It comes before the order's own update, which may number a
	// credit note, because corrections and returns lock items before that
	// number too.
	if _, err := stock.ApplyAll(ctx, tx, e.releases); err != nil {
		return nil, err
	}
	now := l.Now
	if err := l.touch(ctx, func(o *ent.Order) {
		o.Status = to
		if to == Cancelled || to == Voided {
			o.ClosedAt, o.StatusReason, o.StatusNote = &now, string(rec.ReasonCode), rec.Note
		}
		if to == Shipped {
			o.ShippedAt = &now
		}
	}); err != nil {
		return nil, err
	}
	var reorder *ent.Order
	if rec.Resolution == cancellationrecord.ResolutionREORDER {
		if reorder, err = s.reorderOf(ctx, l, scope, "input.resolution"); err != nil {
			return nil, err
		}
	}
	if unsaved == nil {
		if refunded != rec.AmountRefundedMinor || lapsed != rec.AmountCancelledMinor || released != rec.QuantityReleased || reorder != nil {
			return nil, fmt.Errorf("cancellation %d: carried out %d refunded, %d cancelled, %d released; planned %d, %d, %d",
				rec.ID, refunded, lapsed, released, rec.AmountRefundedMinor, rec.AmountCancelledMinor, rec.QuantityReleased)
		}
	} else {
		done := *rec
		done.Status, done.ExecutedAt, done.Version, done.UpdatedAt = cancellationrecord.StatusEXECUTED, &l.Now, rec.Version+1, l.Now
		done.AmountRefundedMinor, done.AmountCancelledMinor, done.QuantityReleased, done.Lines = refunded, lapsed, released, scope
		unsaved.SetStatus(done.Status).SetExecutedAt(l.Now).SetAmountRefundedMinor(refunded).SetAmountCancelledMinor(lapsed).
			SetQuantityReleased(released).SetLines(scope).SetVersion(done.Version)
		if reorder != nil {
			done.NewOrderID = &reorder.ID
			unsaved.SetNewOrderID(reorder.ID)
		}
		if err := unsaved.Exec(ctx); err != nil {
			return nil, err
		}
		rec = &done
	}
	o = l.Order
	action := map[Status]string{Cancelled: "order.cancelled", Voided: "order.voided"}[to]
	if action == "" {
		action = "order.partially_cancelled"
	}
	if err := l.audit(ctx, audit.Event{Action: action, SubjectType: "Order", SubjectID: o.ID,
		From: string(from), To: string(to), Reason: why, Amount: &refunded, Currency: o.Currency,
		After: map[string]any{"cancellationId": rec.ID, "refunded": money.Format(refunded, o.Currency),
			"paymentsCancelled": money.Format(lapsed, o.Currency), "quantityReleased": released, "lines": scope}}); err != nil {
		return nil, err
	}
	if err := l.announce(ctx, rec, to); err != nil {
		return nil, err
	}
	if err := l.tellCancelled(ctx, rec, to); err != nil {
		return nil, err
	}
	p := previewOf(o, rec, to)
	p.Releases = e.released
	return &Result{Order: o, Cancellation: rec, NewOrder: reorder, Preview: p}, nil
}

// announce tells the owner, finance when money moved, and the warehouse
// when reserved stock was released.
func (l *Locked) announce(ctx context.Context, rec *ent.CancellationRecord, to Status) error {
	o := l.Order
	r := new(notify.Recipients).User(o.OwnerID).User(rec.RequestedByID)
	if rec.AmountRefundedMinor > 0 || rec.AmountCancelledMinor > 0 {
		r.Role(auth.Finance)
	}
	if rec.QuantityReleased > 0 {
		r.Role(auth.Warehouse)
	}
	kind, verb := "cancellation.executed", "cancelled"
	if rec.Kind == cancellationrecord.KindVOID {
		kind, verb = "order.voided", "voided"
	}
	if rec.Automatic {
		kind = "order.auto_cancelled"
	}
	if to != Cancelled && to != Voided {
		verb = "partially cancelled"
	}
	return l.notify(ctx, r, notify.Notice{Kind: kind,
		Title: fmt.Sprintf("Order %s %s (%s)", o.Number, verb, rec.ReasonCode),
		Body: fmt.Sprintf("Refunded %s, payments cancelled %s, %d units back in stock.",
			money.Format(rec.AmountRefundedMinor, o.Currency), money.Format(rec.AmountCancelledMinor, o.Currency), rec.QuantityReleased),
		SubjectType: "CancellationRecord", SubjectID: rec.ID})
}

// tellCancelled tells the customer their order was voided or (partly)
// cancelled, and what was refunded.
func (l *Locked) tellCancelled(ctx context.Context, rec *ent.CancellationRecord, to Status) error {
	o := l.Order
	facts := map[string]string{"refunded": "", "total": money.Format(o.TotalMinor, o.Currency), "partial": ""}
	if rec.AmountRefundedMinor > 0 {
		facts["refunded"] = money.Format(rec.AmountRefundedMinor, o.Currency)
	}
	kind := notice.CancellationExecuted
	switch {
	case rec.Kind == cancellationrecord.KindVOID:
		kind = notice.OrderVoided
	case to != Cancelled:
		facts["partial"] = "yes"
	}
	return l.tellCustomer(ctx, kind, "CancellationRecord", rec.ID, facts)
}

func previewOf(o *ent.Order, rec *ent.CancellationRecord, to Status) *Preview {
	return &Preview{OrderID: o.ID, Kind: rec.Kind, Executes: rec.Status == cancellationrecord.StatusEXECUTED,
		NeedsManagerApproval: rec.NeedsManagerApproval && rec.ManagerApprovedAt == nil,
		NeedsFinanceApproval: rec.NeedsFinanceApproval && rec.FinanceApprovedAt == nil,
		StatusAfter:          to, TotalAfter: o.TotalMinor, AmountRefunded: rec.AmountRefundedMinor,
		AmountCancelled: rec.AmountCancelledMinor, QuantityReleased: rec.QuantityReleased, Lines: rec.Lines,
		CreatesReorder: rec.NewOrderID != nil, Currency: o.Currency, RequestStatusAfter: rec.Status}
}
