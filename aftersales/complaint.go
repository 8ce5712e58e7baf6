// Package aftersales handles customer complaints: filing, assignment,
// resolution, closing and reopening, and the rule that tells staff about
// complaints that are past their due time.
package aftersales

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/complaint"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/ordercorrection"
	"orderdesk/ent/payment"
	"orderdesk/ent/predicate"
	"orderdesk/ent/returnorder"
	"orderdesk/ent/user"
	"orderdesk/fault"
	"orderdesk/idem"
	"orderdesk/notify"
	"orderdesk/store"
)

// Statuses.
const (
	Open       = complaint.StatusOPEN
	InProgress = complaint.StatusIN_PROGRESS
	Resolved   = complaint.StatusRESOLVED
	Closed     = complaint.StatusCLOSED
)

// Severities lists the severities, least urgent first.
var Severities = []complaint.Severity{complaint.SeverityLOW, complaint.SeverityMEDIUM,
	complaint.SeverityHIGH, complaint.SeverityCRITICAL}

// Policy holds the business rules that a company sets.
type Policy struct {
	// DueIn is how long after filing (or reopening) a complaint of each
	// severity is due. A severity missing here gets DefaultPolicy's time.
	DueIn map[complaint.Severity]time.Duration
}

// DefaultPolicy is used when none is configured.
var DefaultPolicy = Policy{DueIn: map[complaint.Severity]time.Duration{
	complaint.SeverityLOW:      7 * 24 * time.Hour,
	complaint.SeverityMEDIUM:   3 * 24 * time.Hour,
	complaint.SeverityHIGH:     24 * time.Hour,
	complaint.SeverityCRITICAL: 4 * time.Hour,
}}

// Service is the complaint service.
type Service struct {
	client *ent.Client
	due    map[complaint.Severity]time.Duration
	// Now is the clock: due times, the overdue rule and the overdue flag
	// read it. Tests replace it before using the service.
	Now func() time.Time
}

// New returns the complaint service.
func New(client *ent.Client, p Policy) *Service {
	due := make(map[complaint.Severity]time.Duration, len(Severities))
	for _, sev := range Severities {
		d := p.DueIn[sev]
		if d <= 0 {
			d = DefaultPolicy.DueIn[sev]
		}
		due[sev] = d
	}
	return &Service{client: client, due: due, Now: func() time.Time { return time.Now().UTC() }}
}

// DueIn is how long a complaint of the severity has until it is due.
func (s *Service) DueIn(sev complaint.Severity) time.Duration { return s.due[sev] }

// Overdue reports whether the complaint is open or in progress past its
// due time.
func (s *Service) Overdue(c *ent.Complaint) bool {
	return (c.Status == Open || c.Status == InProgress) && c.DueAt.Before(s.Now())
}

// FileRequest files a complaint.
type FileRequest struct {
	CustomerID     int
	OrderID        *int
	Category       complaint.Category
	Severity       complaint.Severity
	Subject        string
	Description    string
	IdempotencyKey string `json:"-"`
}

// File records a customer's complaint, optionally about one of the
// customer's orders; it is due after the policy's time for its severity.
// The customer must be one the viewer may see (a sales rep files for their
// own customers). The customer's owner, support and the sales managers are
// told. Needs complaint:file.
func (s *Service) File(ctx context.Context, r FileRequest) (*ent.Complaint, error) {
	v, err := auth.Require(ctx, auth.ComplaintFile)
	if err != nil {
		return nil, err
	}
	var errs fault.List
	if complaint.CategoryValidator(r.Category) != nil {
		errs.Add(fault.Invalid, "input.category", "is not a complaint category")
	}
	if complaint.SeverityValidator(r.Severity) != nil {
		errs.Add(fault.Invalid, "input.severity", "is not a complaint severity")
	}
	subject := errs.Text("input.subject", r.Subject, 200, true)
	description := errs.Text("input.description", r.Description, 8000, true)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "fileComplaint", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*ent.Complaint, error) {
		// Read as the viewer: a sales rep does not see other reps'
		// customers, so cannot file for them.
		cu, err := tx.Customer.Get(ctx, r.CustomerID)
		if ent.IsNotFound(err) {
			return nil, fault.New(fault.NotFound, "input.customerId", "no such customer")
		}
		if err != nil {
			return nil, err
		}
		about := ""
		if r.OrderID != nil {
			o, err := tx.Order.Get(ctx, *r.OrderID)
			if ent.IsNotFound(err) {
				return nil, fault.New(fault.NotFound, "input.orderId", "no such order")
			}
			if err != nil {
				return nil, err
			}
			if o.CustomerID != cu.ID {
				return nil, fault.New(fault.Invalid, "input.orderId", "%s is not an order of %s", o.Number, cu.Name)
			}
			about = " about " + o.Number
		}
		c, err := tx.Complaint.Create().SetCustomerID(cu.ID).SetNillableOrderID(r.OrderID).
			SetCategory(r.Category).SetSeverity(r.Severity).SetSubject(subject).SetDescription(description).
			SetDueAt(s.Now().Add(s.due[r.Severity])).SetNillableFiledByID(v.ActorID()).Save(ctx)
		if err != nil {
			return nil, err
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "complaint.filed", SubjectType: "Complaint", SubjectID: c.ID,
			OrderID: c.OrderID, To: string(c.Status), After: map[string]any{"customerId": cu.ID, "category": c.Category,
				"severity": c.Severity, "subject": c.Subject, "dueAt": c.DueAt}}); err != nil {
			return nil, err
		}
		err = notify.Send(ctx, tx, new(notify.Recipients).User(cu.OwnerID).Role(auth.Support, auth.SalesManager), notify.Notice{
			Kind:  "complaint.filed",
			Title: clip.Marked(fmt.Sprintf("%s complaint from %s%s: %s", strings.ToLower(string(c.Severity)), cu.Name, about, subject), 200),
			Body:  clip.Marked(description, 2000), SubjectType: "Complaint", SubjectID: c.ID, OrderID: c.OrderID})
		return c, err
	})
}

// AssignRequest gives a complaint to a member of staff.
type AssignRequest struct {
	ComplaintID     int
	AssigneeID      int
	ExpectedVersion *int64
	IdempotencyKey  string `json:"-"`
}

// Assign gives an open complaint to a member of staff, which puts it in
// progress; one in progress may be given to someone else. The assignee is
// an active user whose role files or handles complaints; a sales rep only
// for their own customers, the only complaints they can see. The assignee
// is told. Needs complaint:manage.
func (s *Service) Assign(ctx context.Context, r AssignRequest) (*ent.Complaint, error) {
	if _, err := auth.Require(ctx, auth.ComplaintManage); err != nil {
		return nil, err
	}
	return s.run(ctx, "assignComplaint", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*ent.Complaint, error) {
		c, err := lock(ctx, tx, r.ComplaintID)
		if err != nil {
			return nil, err
		}
		if r.ExpectedVersion != nil && *r.ExpectedVersion != c.Version {
			return nil, fault.New(fault.VersionConflict, "input.expectedVersion",
				"the complaint was changed meanwhile (version %d, you sent %d); reload it", c.Version, *r.ExpectedVersion)
		}
		if err := check(c, "assign", Open, InProgress); err != nil {
			return nil, err
		}
		if err := checkAssignee(ctx, tx, c, r.AssigneeID); err != nil {
			return nil, err
		}
		from, before := c.Status, c.AssigneeID
		if c, err = tx.Complaint.UpdateOne(c).SetStatus(InProgress).SetAssigneeID(r.AssigneeID).AddVersion(1).Save(ctx); err != nil {
			return nil, err
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "complaint.assigned", SubjectType: "Complaint", SubjectID: c.ID,
			OrderID: c.OrderID, From: string(from), To: string(c.Status),
			Before: map[string]any{"assigneeId": before}, After: map[string]any{"assigneeId": r.AssigneeID}}); err != nil {
			return nil, err
		}
		err = notify.Send(ctx, tx, new(notify.Recipients).User(c.AssigneeID), notify.Notice{
			Kind:  "complaint.assigned",
			Title: clip.Marked(fmt.Sprintf("Complaint assigned to you (%s, due %s): %s", strings.ToLower(string(c.Severity)), c.DueAt.UTC().Format(time.RFC3339), c.Subject), 200),
			Body:  clip.Marked(c.Description, 2000), SubjectType: "Complaint", SubjectID: c.ID, OrderID: c.OrderID})
		return c, err
	})
}

// assignable are the roles that file or handle complaints.
var assignable = func() []user.Role {
	var rs []user.Role
	for _, r := range auth.Roles {
		ps := auth.PermissionsOf(r, nil)
		if slices.Contains(ps, auth.ComplaintFile) || slices.Contains(ps, auth.ComplaintManage) {
			rs = append(rs, user.Role(r))
		}
	}
	return rs
}()

func checkAssignee(ctx context.Context, tx *ent.Tx, c *ent.Complaint, id int) error {
	u, err := tx.User.Query().Where(user.ID(id), user.Active(true), user.RoleIn(assignable...)).Only(ctx)
	if ent.IsNotFound(err) {
		return fault.New(fault.Invalid, "input.assigneeId", "must be an active user whose role handles complaints")
	}
	if err != nil {
		return err
	}
	if auth.Role(u.Role) == auth.SalesRep {
		cu, err := tx.Customer.Get(ctx, c.CustomerID)
		if err != nil {
			return err
		}
		if cu.OwnerID == nil || *cu.OwnerID != u.ID {
			return fault.New(fault.Invalid, "input.assigneeId", "a sales rep can only be assigned complaints of their own customers")
		}
	}
	return nil
}

// ResolveRequest resolves a complaint, optionally naming the record that
// resolved it.
type ResolveRequest struct {
	ComplaintID    int
	Resolution     string
	ReturnID       *int
	PaymentID      *int
	CorrectionID   *int
	OrderID        *int
	IdempotencyKey string `json:"-"`
}

// Resolve records how an open or in-progress complaint was resolved. The
// return, payment, correction or order that resolved it must be the
// complaint's customer's. The filer and the customer's owner are told.
// Needs complaint:manage.
func (s *Service) Resolve(ctx context.Context, r ResolveRequest) (*ent.Complaint, error) {
	if _, err := auth.Require(ctx, auth.ComplaintManage); err != nil {
		return nil, err
	}
	var errs fault.List
	resolution := errs.Text("input.resolution", r.Resolution, 8000, true)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "resolveComplaint", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*ent.Complaint, error) {
		c, err := lock(ctx, tx, r.ComplaintID)
		if err != nil {
			return nil, err
		}
		if err := check(c, "resolve", Open, InProgress); err != nil {
			return nil, err
		}
		if err := checkLinks(ctx, tx, c.CustomerID, r); err != nil {
			return nil, err
		}
		from := c.Status
		// A reopened complaint is resolved afresh: links not given now are
		// cleared.
		upd := tx.Complaint.UpdateOne(c).SetStatus(Resolved).SetResolution(resolution).SetResolvedAt(s.Now()).AddVersion(1)
		link(r.ReturnID, upd.SetResolvedByReturnID, upd.ClearResolvedByReturnID)
		link(r.PaymentID, upd.SetResolvedByPaymentID, upd.ClearResolvedByPaymentID)
		link(r.CorrectionID, upd.SetResolvedByCorrectionID, upd.ClearResolvedByCorrectionID)
		link(r.OrderID, upd.SetResolvedByOrderID, upd.ClearResolvedByOrderID)
		if c, err = upd.Save(ctx); err != nil {
			return nil, err
		}
		after := map[string]any{"resolution": resolution}
		for k, id := range map[string]*int{"returnId": r.ReturnID, "paymentId": r.PaymentID,
			"correctionId": r.CorrectionID, "orderId": r.OrderID} {
			if id != nil {
				after[k] = *id
			}
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "complaint.resolved", SubjectType: "Complaint", SubjectID: c.ID,
			OrderID: c.OrderID, From: string(from), To: string(c.Status), Reason: clip.Marked(resolution, 2000), After: after}); err != nil {
			return nil, err
		}
		cu, err := tx.Customer.Get(ctx, c.CustomerID)
		if err != nil {
			return nil, err
		}
		err = notify.Send(ctx, tx, new(notify.Recipients).User(c.FiledByID).User(cu.OwnerID), notify.Notice{
			Kind:  "complaint.resolved",
			Title: clip.Marked(fmt.Sprintf("Complaint of %s resolved: %s", cu.Name, c.Subject), 200),
			Body:  clip.Marked(resolution, 2000), SubjectType: "Complaint", SubjectID: c.ID, OrderID: c.OrderID})
		return c, err
	})
}

// link sets a link when id is given and clears it otherwise.
func link(id *int, set func(int) *ent.ComplaintUpdateOne, clear func() *ent.ComplaintUpdateOne) {
	if id != nil {
		set(*id)
	} else {
		clear()
	}
}

// checkLinks: each record named as what resolved the complaint exists and
// belongs to an order of the complaint's customer.
func checkLinks(ctx context.Context, tx *ent.Tx, customerID int, r ResolveRequest) error {
	ofCustomer := entorder.CustomerID(customerID)
	links := []struct {
		field string
		id    *int
		exist func(id int, mine bool) (bool, error)
	}{
		{"input.returnId", r.ReturnID, func(id int, mine bool) (bool, error) {
			q := tx.ReturnOrder.Query().Where(returnorder.ID(id))
			if mine {
				q.Where(returnorder.HasOrderWith(ofCustomer))
			}
			return q.Exist(ctx)
		}},
		{"input.paymentId", r.PaymentID, func(id int, mine bool) (bool, error) {
			q := tx.Payment.Query().Where(payment.ID(id))
			if mine {
				q.Where(payment.HasOrderWith(ofCustomer))
			}
			return q.Exist(ctx)
		}},
		{"input.correctionId", r.CorrectionID, func(id int, mine bool) (bool, error) {
			q := tx.OrderCorrection.Query().Where(ordercorrection.ID(id))
			if mine {
				q.Where(ordercorrection.HasOrderWith(ofCustomer))
			}
			return q.Exist(ctx)
		}},
		{"input.orderId", r.OrderID, func(id int, mine bool) (bool, error) {
			q := tx.Order.Query().Where(entorder.ID(id))
			if mine {
				q.Where(ofCustomer)
			}
			return q.Exist(ctx)
		}},
	}
	var errs fault.List
	for _, l := range links {
		if l.id == nil {
			continue
		}
		mine, err := l.exist(*l.id, true)
		if err != nil {
			return err
		}
		if mine {
			continue
		}
		exists, err := l.exist(*l.id, false)
		switch {
		case err != nil:
			return err
		case exists:
			errs.Add(fault.Invalid, l.field, "belongs to another customer's order")
		default:
			errs.Add(fault.NotFound, l.field, "no such record")
		}
	}
	return errs.Err()
}

// ActionRequest acts on one complaint.
type ActionRequest struct {
	ComplaintID    int
	IdempotencyKey string `json:"-"`
}

// Close closes a resolved complaint. Needs complaint:manage.
func (s *Service) Close(ctx context.Context, r ActionRequest) (*ent.Complaint, error) {
	if _, err := auth.Require(ctx, auth.ComplaintManage); err != nil {
		return nil, err
	}
	return s.run(ctx, "closeComplaint", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*ent.Complaint, error) {
		c, err := lock(ctx, tx, r.ComplaintID)
		if err != nil {
			return nil, err
		}
		if err := check(c, "close", Resolved); err != nil {
			return nil, err
		}
		from := c.Status
		if c, err = tx.Complaint.UpdateOne(c).SetStatus(Closed).SetClosedAt(s.Now()).AddVersion(1).Save(ctx); err != nil {
			return nil, err
		}
		return c, audit.Record(ctx, tx, audit.Event{Action: "complaint.closed", SubjectType: "Complaint", SubjectID: c.ID,
			OrderID: c.OrderID, From: string(from), To: string(c.Status)})
	})
}

// ReopenRequest reopens a complaint.
type ReopenRequest struct {
	ComplaintID    int
	Reason         string
	IdempotencyKey string `json:"-"`
}

// Reopen opens a resolved or closed complaint again, with a reason. It gets
// a new due time after the policy's time for its severity, and is reported
// overdue again when it passes it. Needs complaint:manage.
func (s *Service) Reopen(ctx context.Context, r ReopenRequest) (*ent.Complaint, error) {
	if _, err := auth.Require(ctx, auth.ComplaintManage); err != nil {
		return nil, err
	}
	var errs fault.List
	reason := errs.Text("input.reason", r.Reason, 2000, true)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "reopenComplaint", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*ent.Complaint, error) {
		c, err := lock(ctx, tx, r.ComplaintID)
		if err != nil {
			return nil, err
		}
		if err := check(c, "reopen", Resolved, Closed); err != nil {
			return nil, err
		}
		from, dueBefore := c.Status, c.DueAt
		if c, err = tx.Complaint.UpdateOne(c).SetStatus(Open).AddReopenCount(1).SetDueAt(s.Now().Add(s.due[c.Severity])).
			ClearOverdueNotifiedAt().ClearResolvedAt().ClearClosedAt().AddVersion(1).Save(ctx); err != nil {
			return nil, err
		}
		return c, audit.Record(ctx, tx, audit.Event{Action: "complaint.reopened", SubjectType: "Complaint", SubjectID: c.ID,
			OrderID: c.OrderID, From: string(from), To: string(c.Status), Reason: reason,
			Before: map[string]any{"dueAt": dueBefore}, After: map[string]any{"dueAt": c.DueAt, "reopenCount": c.ReopenCount}})
	})
}

// OverdueBatch bounds the complaints one run of the overdue rule reports.
const OverdueBatch = 100

// NotifyOverdue tells the assignee and the sales managers about complaints
// open or in progress past their due time, once per complaint (and once
// more after each reopening), as the system. Each complaint is marked and
// announced in its own transaction whose update takes the mark only while
// it is still unset, so runs on several servers at once announce each
// complaint once. It returns how many complaints it announced.
func (s *Service) NotifyOverdue(ctx context.Context) (int, error) {
	ctx = auth.NewContext(ctx, auth.System("complaint-overdue"))
	now := s.Now()
	due, err := s.client.Complaint.Query().Where(overdue(now)...).
		Order(ent.Asc(complaint.FieldDueAt), ent.Asc(complaint.FieldID)).Limit(OverdueBatch).IDs(ctx)
	if err != nil {
		return 0, err
	}
	return store.EachInOwnTx(ctx, s.client, due, "complaint overdue notification", func(ctx context.Context, tx *ent.Tx, id int) (bool, error) {
		marked, err := tx.Complaint.Update().Where(append(overdue(now), complaint.ID(id))...).
			SetOverdueNotifiedAt(now).AddVersion(1).Save(ctx)
		if err != nil || marked != 1 {
			return false, err // announced by another run, or resolved meanwhile
		}
		c, err := tx.Complaint.Get(ctx, id)
		if err != nil {
			return false, err
		}
		if err := audit.Record(ctx, tx, audit.Event{Action: "complaint.overdue", SubjectType: "Complaint", SubjectID: c.ID,
			OrderID: c.OrderID, From: string(c.Status), To: string(c.Status),
			Reason: "due at " + c.DueAt.UTC().Format(time.RFC3339)}); err != nil {
			return false, err
		}
		err = notify.Send(ctx, tx, new(notify.Recipients).User(c.AssigneeID).Role(auth.SalesManager), notify.Notice{
			Kind:  "complaint.overdue",
			Title: clip.Marked(fmt.Sprintf("Overdue %s complaint: %s", strings.ToLower(string(c.Severity)), c.Subject), 200),
			Body:  "It was due at " + c.DueAt.UTC().Format(time.RFC3339) + ".", SubjectType: "Complaint", SubjectID: c.ID, OrderID: c.OrderID})
		return err == nil, err
	}), nil
}

// overdue selects complaints open or in progress past their due time that
// have not been announced.
func overdue(now time.Time) []predicate.Complaint {
	return []predicate.Complaint{
		complaint.StatusIn(Open, InProgress),
		complaint.DueAtLT(now),
		complaint.OverdueNotifiedAtIsNil(),
	}
}

// run executes one action in one transaction. With an idempotency key it
// first claims the key — or, when the same request already ran, returns the
// complaint that run produced without acting again.
func (s *Service) run(ctx context.Context, op, key string, req any, fn func(ctx context.Context, tx *ent.Tx) (*ent.Complaint, error)) (*ent.Complaint, error) {
	return idem.Run(ctx, s.client, op, key, req, complaintCodec, fn)
}

// complaintCodec remembers the complaint an action produced.
var complaintCodec = idem.Codec[*ent.Complaint]{
	Refs: func(c *ent.Complaint) idem.Refs { return idem.Refs{"complaint": c.ID} },
	Load: func(ctx context.Context, tx *ent.Tx, refs idem.Refs) (*ent.Complaint, error) {
		return tx.Complaint.Get(ctx, refs["complaint"])
	},
	Unwrap: (*ent.Complaint).Unwrap,
}

// lock loads the complaint and holds its row until the transaction ends, so
// that actions on one complaint run one after another.
func lock(ctx context.Context, tx *ent.Tx, id int) (*ent.Complaint, error) {
	c, err := tx.Complaint.Query().Where(complaint.ID(id)).Modify(store.ForUpdate).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "input.complaintId", "no such complaint")
	}
	return c, err
}

// check fails with INVALID_TRANSITION unless the complaint is in one of the
// statuses the action starts from.
func check(c *ent.Complaint, verb string, from ...complaint.Status) error {
	if slices.Contains(from, c.Status) {
		return nil
	}
	return fault.New(fault.InvalidTransition, "", "cannot %s a complaint that is %s", verb, c.Status)
}
