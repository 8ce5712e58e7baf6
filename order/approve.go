package order

import (
	"context"
	"strings"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/ent/orderline"
	"orderdesk/fault"
	"orderdesk/notify"
	"orderdesk/store"
)

// approval is one of the approvals a cancellation request may need: a
// sales manager's, and finance's where captured money goes back.
type approval int

const (
	approveManager approval = 1 << iota
	approveFinance
)

// approvalsComplete reports whether the request has every approval it needs.
func approvalsComplete(rec *ent.CancellationRecord) bool {
	return (!rec.NeedsManagerApproval || rec.ManagerApprovedAt != nil) &&
		(!rec.NeedsFinanceApproval || rec.FinanceApprovedAt != nil)
}

// approve records the given approvals and executes the cancellation when
// it has all it needs.
func (s *Service) approve(ctx context.Context, tx *ent.Tx, o *ent.Order, rec *ent.CancellationRecord, a approval) (*Result, error) {
	v := auth.FromContext(ctx)
	now := s.now()
	u := tx.CancellationRecord.UpdateOne(rec).AddVersion(1)
	if a&approveManager != 0 {
		u.SetManagerApprovedAt(now).SetNillableManagerApprovedByID(v.ActorID())
	}
	if a&approveFinance != 0 {
		u.SetFinanceApprovedAt(now).SetNillableFinanceApprovedByID(v.ActorID())
	}
	rec, err := u.Save(ctx)
	if err != nil {
		return nil, err
	}
	id := o.ID
	if err := audit.Record(ctx, tx, audit.Event{Action: "cancellation.approved", SubjectType: "CancellationRecord",
		SubjectID: rec.ID, OrderID: &id, After: map[string]any{"manager": a&approveManager != 0, "finance": a&approveFinance != 0}}); err != nil {
		return nil, err
	}
	if !approvalsComplete(rec) {
		rec, err = tx.CancellationRecord.UpdateOne(rec).SetStatus(cancellationrecord.StatusAPPROVED).Save(ctx)
		return &Result{Order: o, Cancellation: rec}, err
	}
	return s.execute(ctx, tx, o, rec)
}

func askApprovers(ctx context.Context, tx *ent.Tx, o *ent.Order, rec *ent.CancellationRecord) error {
	to := new(notify.Recipients).User(o.OwnerID)
	if rec.NeedsManagerApproval && rec.ManagerApprovedAt == nil {
		to.Role(auth.SalesManager)
	}
	if rec.NeedsFinanceApproval && rec.FinanceApprovedAt == nil {
		to.Role(auth.Finance)
	}
	id := o.ID
	return notify.Send(ctx, tx, to, notify.Notice{Kind: "cancellation.requested",
		Title: "Cancellation of " + o.Number + " awaits approval", Body: reasonText(string(rec.ReasonCode), rec.Note),
		SubjectType: "CancellationRecord", SubjectID: rec.ID, OrderID: &id})
}

// DecisionRequest approves or rejects a cancellation request.
type DecisionRequest struct {
	CancellationID int
	Note           string
	IdempotencyKey string `json:"-"`
}

// ApproveCancellation gives the approvals the viewer can give: a sales
// manager's (order:cancel:approve) and/or finance's
// (order:cancel:approve:finance). The requester cannot approve their own
// request. When the request has every approval it needs, it executes in
// the same transaction.
func (s *Service) ApproveCancellation(ctx context.Context, r DecisionRequest) (*Result, error) {
	v, err := requireApprover(ctx)
	if err != nil {
		return nil, err
	}
	return s.run(ctx, "approveOrderCancellation", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		o, rec, err := lockCancellation(ctx, tx, r.CancellationID, true)
		if err != nil {
			return nil, err
		}
		if rec.RequestedByID != nil && *rec.RequestedByID == v.UserID {
			return nil, fault.New(fault.NotAllowed, "", "you requested this cancellation; someone else must approve it")
		}
		// Money captured since the request now goes back: finance must agree.
		if rec, err = s.followMoney(ctx, tx, o, rec); err != nil {
			return nil, err
		}
		var give approval
		if rec.NeedsManagerApproval && rec.ManagerApprovedAt == nil && v.Can(auth.OrderCancelApprove) {
			give |= approveManager
		}
		if rec.NeedsFinanceApproval && rec.FinanceApprovedAt == nil && v.Can(auth.OrderCancelApproveFin) {
			give |= approveFinance
		}
		if give == 0 {
			return nil, fault.New(fault.NotAllowed, "", "this request awaits an approval your role cannot give (%s)", missing(rec))
		}
		res, err := s.approve(ctx, tx, o, rec, give)
		if err != nil {
			return nil, err
		}
		if res.Cancellation.Status != cancellationrecord.StatusEXECUTED {
			err = askApprovers(ctx, tx, o, res.Cancellation)
		}
		return res, err
	})
}

// requireApprover: deciding a cancellation takes a sales manager's or
// finance's approval permission.
func requireApprover(ctx context.Context) (*auth.Viewer, error) {
	v, err := auth.Require(ctx)
	if err != nil || v.Can(auth.OrderCancelApprove) || v.Can(auth.OrderCancelApproveFin) {
		return v, err
	}
	return nil, fault.New(fault.Forbidden, "", "your role may not decide cancellations (needs %s or %s)",
		auth.OrderCancelApprove, auth.OrderCancelApproveFin)
}

func missing(rec *ent.CancellationRecord) string {
	var m []string
	if rec.NeedsManagerApproval && rec.ManagerApprovedAt == nil {
		m = append(m, "sales manager")
	}
	if rec.NeedsFinanceApproval && rec.FinanceApprovedAt == nil {
		m = append(m, "finance")
	}
	return strings.Join(m, " and ")
}

// RejectCancellation turns a cancellation request down with a note; the
// order stays as it is. Needs order:cancel:approve or
// order:cancel:approve:finance. The requester and owner are told.
func (s *Service) RejectCancellation(ctx context.Context, r DecisionRequest) (*Result, error) {
	v, err := requireApprover(ctx)
	if err != nil {
		return nil, err
	}
	var errs fault.List
	note := errs.Text("input.note", r.Note, 2000, true)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "rejectOrderCancellation", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		o, rec, err := lockCancellation(ctx, tx, r.CancellationID, false)
		if err != nil {
			return nil, err
		}
		rec, err = tx.CancellationRecord.UpdateOne(rec).SetStatus(cancellationrecord.StatusREJECTED).
			SetDecidedAt(s.now()).SetNillableDecidedByID(v.ActorID()).SetDecisionNote(note).AddVersion(1).Save(ctx)
		if err != nil {
			return nil, err
		}
		id := o.ID
		if err := audit.Record(ctx, tx, audit.Event{Action: "cancellation.rejected", SubjectType: "CancellationRecord",
			SubjectID: rec.ID, OrderID: &id, From: "REQUESTED", To: string(rec.Status), Reason: note}); err != nil {
			return nil, err
		}
		err = notify.Send(ctx, tx, new(notify.Recipients).User(rec.RequestedByID).User(o.OwnerID), notify.Notice{
			Kind: "cancellation.rejected", Title: "Cancellation of " + o.Number + " rejected", Body: note,
			SubjectType: "CancellationRecord", SubjectID: rec.ID, OrderID: &id})
		return &Result{Order: o, Cancellation: rec}, err
	})
}

// followMoney makes a request need finance's approval when, at the time of
// approval, captured money would go back.
func (s *Service) followMoney(ctx context.Context, tx *ent.Tx, o *ent.Order, rec *ent.CancellationRecord) (*ent.CancellationRecord, error) {
	if rec.NeedsFinanceApproval {
		return rec, nil
	}
	lines, err := tx.OrderLine.Query().Where(orderline.OrderID(o.ID)).All(ctx)
	if err != nil {
		return nil, err
	}
	var req []LineQuantity
	if rec.Scope == cancellationrecord.ScopePARTIAL {
		req = rec.Lines
	}
	scope, _, err := cancelScope(lines, req)
	if err != nil {
		return nil, err
	}
	if refundDue(o, lines, scope) == 0 {
		return rec, nil
	}
	return tx.CancellationRecord.UpdateOne(rec).SetNeedsFinanceApproval(true).Save(ctx)
}

// lockCancellation locks the order of a cancellation request, then the
// request, and checks it still awaits a decision; approving also needs the
// order to be cancellable still, rejecting never does.
func lockCancellation(ctx context.Context, tx *ent.Tx, id int, approving bool) (*ent.Order, *ent.CancellationRecord, error) {
	rec, err := tx.CancellationRecord.Get(ctx, id)
	if ent.IsNotFound(err) {
		return nil, nil, fault.New(fault.NotFound, "input.cancellationId", "no such cancellation request")
	}
	if err != nil {
		return nil, nil, err
	}
	o, err := lock(ctx, tx, rec.OrderID)
	if err != nil {
		return nil, nil, err
	}
	rec, err = tx.CancellationRecord.Query().Where(cancellationrecord.ID(id)).Modify(store.ForUpdate).Only(ctx)
	if err != nil {
		return nil, nil, err
	}
	if rec.Status != cancellationrecord.StatusREQUESTED && rec.Status != cancellationrecord.StatusAPPROVED {
		return nil, nil, fault.New(fault.InvalidTransition, "input.cancellationId", "the request is %s already", rec.Status)
	}
	if err := check(o.Status, Cancel); err != nil && approving {
		return nil, nil, err
	}
	return o, rec, nil
}
