package order

import (
	"context"
	"strings"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/fault"
	"orderdesk/notify"
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
// it has all it needs; a request it leaves pending comes with its preview
// when preview asks for it.
func (s *Service) approve(ctx context.Context, l *Locked, rec *ent.CancellationRecord, a approval, preview bool) (*Result, error) {
	v := auth.FromContext(ctx)
	next := *rec
	next.Version++
	u := l.tx.CancellationRecord.Update().Where(cancellationrecord.ID(rec.ID))
	if a&approveManager != 0 {
		next.ManagerApprovedAt, next.ManagerApprovedByID = &l.Now, v.ActorID()
		u.SetManagerApprovedAt(l.Now).SetNillableManagerApprovedByID(v.ActorID())
	}
	if a&approveFinance != 0 {
		next.FinanceApprovedAt, next.FinanceApprovedByID = &l.Now, v.ActorID()
		u.SetFinanceApprovedAt(l.Now).SetNillableFinanceApprovedByID(v.ActorID())
	}
	complete := approvalsComplete(&next)
	if !complete {
		next.Status = cancellationrecord.StatusAPPROVED
	}
	u.SetStatus(next.Status).SetVersion(next.Version)
	next.UpdatedAt = l.Now
	rec = &next
	if err := l.audit(ctx, audit.Event{Action: "cancellation.approved", SubjectType: "CancellationRecord",
		SubjectID: rec.ID, After: map[string]any{"manager": a&approveManager != 0, "finance": a&approveFinance != 0}}); err != nil {
		return nil, err
	}
	if complete {
		// The last approval executes the request: the record is written
		// once, approved and executed.
		return s.execute(ctx, l, rec, u)
	}
	if err := u.Exec(ctx); err != nil {
		return nil, err
	}
	p, err := l.pendingPreview(ctx, rec, preview)
	return &Result{Order: l.Order, Cancellation: rec, Preview: p}, err
}

func (l *Locked) askApprovers(ctx context.Context, rec *ent.CancellationRecord) error {
	o := l.Order
	to := new(notify.Recipients).User(o.OwnerID)
	if rec.NeedsManagerApproval && rec.ManagerApprovedAt == nil {
		to.Role(auth.SalesManager)
	}
	if rec.NeedsFinanceApproval && rec.FinanceApprovedAt == nil {
		to.Role(auth.Finance)
	}
	return l.notify(ctx, to, notify.Notice{Kind: "cancellation.requested",
		Title: "Cancellation of " + o.Number + " awaits approval", Body: reasonText(string(rec.ReasonCode), rec.Note),
		SubjectType: "CancellationRecord", SubjectID: rec.ID})
}

// DecisionRequest approves or rejects a cancellation request.
type DecisionRequest struct {
	CancellationID int
	Note           string
	DryRun         bool `json:"-"`
	// Preview asks for the preview of a request the approval leaves
	// pending (a dry run always has it).
	Preview        bool   `json:"-"`
	IdempotencyKey string `json:"-"`
}

// ApproveCancellation gives the approvals the viewer can give: a sales
// manager's (order:cancel:approve) and/or finance's
// (order:cancel:approve:finance). The requester cannot approve their own
// request. When the request has every approval it needs, it executes in
// the same transaction. DryRun returns the Preview — whether this approval
// executes the request, and what that does — and changes nothing.
func (s *Service) ApproveCancellation(ctx context.Context, r DecisionRequest) (*Result, error) {
	v, err := requireApprover(ctx)
	if err != nil {
		return nil, err
	}
	return s.runOrPreview(ctx, r.DryRun, "approveOrderCancellation", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, rec, err := s.holdCancellation(ctx, tx, r.CancellationID, ApproveCancel)
		if err != nil {
			return nil, err
		}
		if rec.RequestedByID != nil && *rec.RequestedByID == v.UserID {
			return nil, fault.New(fault.NotAllowed, "", "you requested this cancellation; someone else must approve it")
		}
		// Money captured since the request now goes back: finance must agree.
		if rec, err = l.followMoney(ctx, rec); err != nil {
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
		res, err := s.approve(ctx, l, rec, give, r.DryRun || r.Preview)
		if err != nil {
			return nil, err
		}
		if res.Cancellation.Status != cancellationrecord.StatusEXECUTED {
			err = l.askApprovers(ctx, res.Cancellation)
		}
		res.decision = true
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
// order stays as it is. A sales manager may reject any request; finance
// only one that awaits finance's approval. Needs order:cancel:approve or
// order:cancel:approve:finance. The requester and owner are told. DryRun
// returns the Preview (the request REJECTED, the order as it is) and
// changes nothing.
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
	return s.runOrPreview(ctx, r.DryRun, "rejectOrderCancellation", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		l, rec, err := s.holdCancellation(ctx, tx, r.CancellationID, RejectCancel)
		if err != nil {
			return nil, err
		}
		if !v.Can(auth.OrderCancelApprove) && !(rec.NeedsFinanceApproval && rec.FinanceApprovedAt == nil) {
			return nil, fault.New(fault.NotAllowed, "", "this request awaits no decision of finance (%s)", missing(rec))
		}
		from := rec.Status
		rec, err = tx.CancellationRecord.UpdateOne(rec).SetStatus(cancellationrecord.StatusREJECTED).
			SetDecidedAt(l.Now).SetNillableDecidedByID(v.ActorID()).SetDecisionNote(note).AddVersion(1).Save(ctx)
		if err != nil {
			return nil, err
		}
		if err := l.audit(ctx, audit.Event{Action: "cancellation.rejected", SubjectType: "CancellationRecord",
			SubjectID: rec.ID, From: string(from), To: string(rec.Status), Reason: note}); err != nil {
			return nil, err
		}
		o := l.Order
		err = l.notify(ctx, new(notify.Recipients).User(rec.RequestedByID).User(o.OwnerID), notify.Notice{
			Kind: "cancellation.rejected", Title: "Cancellation of " + o.Number + " rejected", Body: note,
			SubjectType: "CancellationRecord", SubjectID: rec.ID})
		return &Result{Order: o, Cancellation: rec, Preview: previewOf(o, rec, o.Status), decision: true}, err
	})
}

// followMoney makes a request need finance's approval when, at the time of
// approval, captured money would go back.
func (l *Locked) followMoney(ctx context.Context, rec *ent.CancellationRecord) (*ent.CancellationRecord, error) {
	if rec.NeedsFinanceApproval {
		return rec, nil
	}
	scope, _, err := cancelScope(l.Lines, requestedLines(rec))
	if err != nil {
		return nil, err
	}
	refund, err := l.refundDue(scope)
	if err != nil || refund == 0 {
		return rec, err
	}
	return l.tx.CancellationRecord.UpdateOne(rec).SetNeedsFinanceApproval(true).Save(ctx)
}

// holdCancellation holds the order of a cancellation request, then the
// request, and checks it still awaits a decision.
func (s *Service) holdCancellation(ctx context.Context, tx *ent.Tx, id int, a Action) (*Locked, *ent.CancellationRecord, error) {
	l, rec, err := holdChild(ctx, s, tx, a, "input.cancellationId", "cancellation request", cancellations(tx, id))
	if err != nil {
		return nil, nil, err
	}
	switch {
	case rec.Status == cancellationrecord.StatusAWAITING_CUSTOMER && a == ApproveCancel:
		return nil, nil, fault.New(fault.InvalidTransition, "input.cancellationId", "the request awaits the customer's answer")
	case !isOpenCancellation(rec.Status):
		return nil, nil, fault.New(fault.InvalidTransition, "input.cancellationId", "the request is %s already", rec.Status)
	}
	return l, rec, nil
}
