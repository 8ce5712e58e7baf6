// Package contact keeps the contact log: every conversation with a customer
// about their orders and exceptions (seeds: 联系客户沟通, 反馈给客户,
// 跟进后续事宜, 客户回访, 征得客户同意), the follow-ups they call for, and the
// rule that tells an assignee when a follow-up is due.
package contact

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/ent"
	entcontact "orderdesk/ent/contact"
	"orderdesk/ent/predicate"
	"orderdesk/ent/privacy"
	"orderdesk/ent/user"
	"orderdesk/fault"
	"orderdesk/idem"
	"orderdesk/notify"
	"orderdesk/store"
)

// Text limits, in characters (users write Chinese: never bytes).
const (
	MaxSummary = 4000
	MaxOutcome = 4000
)

// Subject types a contact may be about.
const (
	SubjectComplaint    = "Complaint"
	SubjectReturn       = "ReturnOrder"
	SubjectCorrection   = "OrderCorrection"
	SubjectCancellation = "CancellationRecord"
	SubjectShipment     = "Shipment"
)

// Service is the contact log.
type Service struct {
	client *ent.Client
	// Now is the clock of the due-follow-up rule and of the checks that a
	// follow-up lies ahead. Tests replace it before using the service.
	Now func() time.Time
}

// New returns the contact service.
func New(client *ent.Client) *Service {
	return &Service{client: client, Now: func() time.Time { return time.Now().UTC() }}
}

// Due reports whether the contact's follow-up is due and not done.
func (s *Service) Due(c *ent.Contact) bool {
	return c.FollowUpAt != nil && c.FollowUpDoneAt == nil && !c.FollowUpAt.After(s.Now())
}

// LogRequest logs one contact with a customer.
type LogRequest struct {
	CustomerID int
	OrderID    *int
	// SubjectID is the complaint, return, correction, cancellation or
	// shipment the contact is about.
	SubjectID      *int
	Channel        string
	Direction      string
	Summary        string
	Outcome        string
	FollowUpAt     *time.Time
	AssigneeID     *int
	IdempotencyKey string `json:"-"`
}

// Log records a contact with a customer the viewer may see (a sales rep
// logs only for their own customers), optionally about one of the
// customer's orders and one exception record of it (the record's order
// becomes the contact's when none is named). A follow-up time must lie
// ahead; its assignee is the viewer unless named, and must be an active
// user whose role completes follow-ups (a sales rep only for their own
// customers). The contact is on the order's timeline (an audit event
// contact.logged) and in the customer's contacts. Needs contact:log.
// Codes: INVALID, NOT_FOUND with field paths. One transaction.
func (s *Service) Log(ctx context.Context, r LogRequest) (*ent.Contact, error) {
	v, err := auth.Require(ctx, auth.ContactLog)
	if err != nil {
		return nil, err
	}
	var errs fault.List
	if entcontact.ChannelValidator(entcontact.Channel(r.Channel)) != nil {
		errs.Add(fault.Invalid, "input.channel", "is not a contact channel")
	}
	if entcontact.DirectionValidator(entcontact.Direction(r.Direction)) != nil {
		errs.Add(fault.Invalid, "input.direction", "must be INBOUND or OUTBOUND")
	}
	r.Summary = errs.Text("input.summary", r.Summary, MaxSummary, true)
	r.Outcome = errs.Text("input.outcome", r.Outcome, MaxOutcome, false)
	if r.FollowUpAt != nil && !r.FollowUpAt.After(s.Now()) {
		errs.Add(fault.Invalid, "input.followUpAt", "must lie ahead")
	}
	if r.AssigneeID != nil && r.FollowUpAt == nil {
		errs.Add(fault.Invalid, "input.assigneeId", "is for a follow-up: give followUpAt too")
	}
	if r.FollowUpAt != nil && r.AssigneeID == nil && v.ActorID() == nil {
		errs.Add(fault.Invalid, "input.assigneeId", "is required for a follow-up")
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if r.FollowUpAt != nil {
		at := r.FollowUpAt.UTC()
		r.FollowUpAt = &at
		if r.AssigneeID == nil {
			r.AssigneeID = v.ActorID()
		}
	}
	return s.run(ctx, "logContact", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*ent.Contact, error) {
		// Read as the viewer: a sales rep does not see other reps'
		// customers, so cannot log contacts with them.
		cu, err := tx.Customer.Get(ctx, r.CustomerID)
		if ent.IsNotFound(err) {
			return nil, fault.New(fault.NotFound, "input.customerId", "no such customer")
		}
		if err != nil {
			return nil, err
		}
		orderID := r.OrderID
		if orderID != nil {
			o, err := tx.Order.Get(ctx, *orderID)
			if ent.IsNotFound(err) {
				return nil, fault.New(fault.NotFound, "input.orderId", "no such order")
			}
			if err != nil {
				return nil, err
			}
			if o.CustomerID != cu.ID {
				return nil, fault.New(fault.Invalid, "input.orderId", "%s is not an order of %s", o.Number, cu.Name)
			}
		}
		subjectType := ""
		if r.SubjectID != nil {
			var subjectOrder *int
			subjectType, subjectOrder, err = subjectOf(ctx, tx, *r.SubjectID, cu.ID)
			if err != nil {
				return nil, err
			}
			switch {
			case orderID == nil:
				orderID = subjectOrder
			case subjectOrder != nil && *subjectOrder != *orderID:
				return nil, fault.New(fault.Invalid, "input.subjectId", "is about another order than input.orderId")
			}
		}
		if r.AssigneeID != nil {
			if err := checkAssignee(ctx, tx, cu, *r.AssigneeID); err != nil {
				return nil, err
			}
		}
		c, err := tx.Contact.Create().SetCustomerID(cu.ID).SetNillableOrderID(orderID).
			SetChannel(entcontact.Channel(r.Channel)).SetDirection(entcontact.Direction(r.Direction)).
			SetSummary(r.Summary).SetOutcome(r.Outcome).SetSubjectType(subjectType).SetNillableSubjectID(r.SubjectID).
			SetNillableFollowUpAt(r.FollowUpAt).SetNillableFollowUpAssigneeID(r.AssigneeID).
			SetNillableActorID(v.ActorID()).Save(ctx)
		if err != nil {
			return nil, err
		}
		return c, record(ctx, tx, c, "contact.logged", "", c.Summary)
	})
}

// subjectOf checks that id names an exception record of the customer that
// the viewer may see, and returns its type and order.
func subjectOf(ctx context.Context, tx *ent.Tx, id, customerID int) (string, *int, error) {
	const field = "input.subjectId"
	n, err := tx.Client().Noder(ctx, id)
	if ent.IsNotFound(err) || errors.Is(err, privacy.Deny) {
		return "", nil, fault.New(fault.NotFound, field, "no such record")
	}
	if err != nil {
		return "", nil, err
	}
	var kind string
	var orderID *int
	switch x := n.(type) {
	case *ent.Complaint:
		if x.CustomerID != customerID {
			return "", nil, fault.New(fault.Invalid, field, "is another customer's complaint")
		}
		return SubjectComplaint, x.OrderID, nil
	case *ent.ReturnOrder:
		kind, orderID = SubjectReturn, &x.OrderID
	case *ent.OrderCorrection:
		kind, orderID = SubjectCorrection, &x.OrderID
	case *ent.CancellationRecord:
		kind, orderID = SubjectCancellation, &x.OrderID
	case *ent.Shipment:
		kind, orderID = SubjectShipment, &x.OrderID
	default:
		return "", nil, fault.New(fault.Invalid, field, "must be a complaint, return, correction, cancellation or shipment")
	}
	o, err := tx.Order.Get(ctx, *orderID)
	if err != nil {
		return "", nil, err
	}
	if o.CustomerID != customerID {
		return "", nil, fault.New(fault.Invalid, field, "belongs to another customer's order")
	}
	return kind, orderID, nil
}

// assignable are the roles that complete follow-ups.
var assignable = func() []user.Role {
	var rs []user.Role
	for _, r := range auth.Roles {
		if slices.Contains(auth.PermissionsOf(r, nil), auth.ContactFollowUp) {
			rs = append(rs, user.Role(r))
		}
	}
	return rs
}()

func checkAssignee(ctx context.Context, tx *ent.Tx, cu *ent.Customer, id int) error {
	u, err := tx.User.Query().Where(user.ID(id), user.Active(true), user.RoleIn(assignable...)).Only(ctx)
	if ent.IsNotFound(err) {
		return fault.New(fault.Invalid, "input.assigneeId", "must be an active user whose role completes follow-ups")
	}
	if err != nil {
		return err
	}
	if auth.Role(u.Role) == auth.SalesRep && (cu.OwnerID == nil || *cu.OwnerID != u.ID) {
		return fault.New(fault.Invalid, "input.assigneeId", "a sales rep follows up only their own customers")
	}
	return nil
}

// CompleteRequest closes a contact's follow-up.
type CompleteRequest struct {
	ContactID int
	Outcome   *string
	// Satisfaction is the customer's, 1 (worst) to 5 (best).
	Satisfaction   *int
	IdempotencyKey string `json:"-"`
}

// CompleteFollowUp closes the open follow-up of a contact the viewer may
// see, recording its outcome (replacing the contact's, when given) and the
// customer's satisfaction (1–5); it leaves the assignee's inbox. Needs
// contact:follow-up. Codes: NOT_FOUND, INVALID, INVALID_TRANSITION (no
// follow-up, or done already).
func (s *Service) CompleteFollowUp(ctx context.Context, r CompleteRequest) (*ent.Contact, error) {
	v, err := auth.Require(ctx, auth.ContactFollowUp)
	if err != nil {
		return nil, err
	}
	var errs fault.List
	if r.Outcome != nil {
		o := errs.Text("input.outcome", *r.Outcome, MaxOutcome, false)
		r.Outcome = &o
	}
	if r.Satisfaction != nil {
		errs.Quantity("input.satisfaction", *r.Satisfaction, 1, 5)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "completeFollowUp", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*ent.Contact, error) {
		c, err := tx.Contact.Query().Where(entcontact.ID(r.ContactID)).Modify(store.ForUpdate).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, fault.New(fault.NotFound, "input.contactId", "no such contact")
		}
		if err != nil {
			return nil, err
		}
		switch {
		case c.FollowUpAt == nil:
			return nil, fault.New(fault.InvalidTransition, "input.contactId", "the contact has no follow-up")
		case c.FollowUpDoneAt != nil:
			return nil, fault.New(fault.InvalidTransition, "input.contactId", "the follow-up was completed already")
		}
		upd := tx.Contact.UpdateOne(c).SetFollowUpDoneAt(store.Now(ctx)).SetNillableFollowUpDoneByID(v.ActorID()).
			SetNillableSatisfaction(r.Satisfaction).AddVersion(1)
		if r.Outcome != nil {
			upd.SetOutcome(*r.Outcome)
		}
		if c, err = upd.Save(ctx); err != nil {
			return nil, err
		}
		return c, record(ctx, tx, c, "contact.follow_up_completed", "DONE", c.Outcome)
	})
}

// ScheduleRequest schedules a follow-up contact from a business action.
type ScheduleRequest struct {
	Origin     entcontact.Origin
	CustomerID int
	OrderID    *int
	Summary    string
	FollowUpAt time.Time
	AssigneeID int
}

// Schedule writes a follow-up contact inside tx, the transaction of the
// business action that calls for it (an order delivered: 客户回访), with
// its audit event. The caller has checked what it needs to.
func Schedule(ctx context.Context, tx *ent.Tx, r ScheduleRequest) (*ent.Contact, error) {
	c, err := tx.Contact.Create().SetOrigin(r.Origin).SetCustomerID(r.CustomerID).SetNillableOrderID(r.OrderID).
		SetChannel(entcontact.ChannelOTHER).SetDirection(entcontact.DirectionOUTBOUND).
		SetSummary(clip.Runes(r.Summary, MaxSummary)).SetFollowUpAt(r.FollowUpAt.UTC()).
		SetFollowUpAssigneeID(r.AssigneeID).SetNillableActorID(auth.FromContext(ctx).ActorID()).Save(ctx)
	if err != nil {
		return nil, err
	}
	return c, record(ctx, tx, c, "contact.scheduled", "", c.Summary)
}

// CheckConfirmation checks that the contact in which a customer confirmed
// something (a correction, a cancellation) exists, is one the viewer may
// see, and is of the same customer and, when the contact names an order,
// the same order. field is the input path to report.
func CheckConfirmation(ctx context.Context, tx *ent.Tx, contactID, customerID, orderID int, field string) error {
	c, err := tx.Contact.Get(ctx, contactID)
	if ent.IsNotFound(err) {
		return fault.New(fault.NotFound, field, "no such contact")
	}
	if err != nil {
		return err
	}
	if c.CustomerID != customerID {
		return fault.New(fault.Invalid, field, "is a contact with another customer")
	}
	if c.OrderID != nil && *c.OrderID != orderID {
		return fault.New(fault.Invalid, field, "is a contact about another order")
	}
	return nil
}

// record writes the contact's audit event: on the order's timeline when it
// names an order, and always findable by its subject (Contact) and the
// customer named in After.
func record(ctx context.Context, tx *ent.Tx, c *ent.Contact, action, to, reason string) error {
	after := map[string]any{"customerId": c.CustomerID, "channel": c.Channel, "direction": c.Direction,
		"origin": c.Origin}
	if c.SubjectID != nil {
		after["subjectType"], after["subjectId"] = c.SubjectType, *c.SubjectID
	}
	if c.FollowUpAt != nil {
		after["followUpAt"] = c.FollowUpAt
	}
	if c.FollowUpAssigneeID != nil {
		after["assigneeId"] = *c.FollowUpAssigneeID
	}
	if c.Satisfaction != nil {
		after["satisfaction"] = *c.Satisfaction
	}
	return audit.Record(ctx, tx, audit.Event{Action: action, SubjectType: "Contact", SubjectID: c.ID,
		OrderID: c.OrderID, To: to, Reason: reason, After: after})
}

// DueBatch bounds the follow-ups one run of the due rule announces.
const DueBatch = 100

// NotifyDue tells the assignee of each follow-up that has come due (and is
// not done) that it is, once per follow-up, as the system. Each follow-up
// is marked and announced in its own transaction whose update takes the
// mark only while it is still unset, so runs on several servers at once
// announce each once. It returns how many it announced.
func (s *Service) NotifyDue(ctx context.Context) (int, error) {
	ctx = auth.NewContext(ctx, auth.System("follow-up-due"))
	now := s.Now()
	due, err := s.client.Contact.Query().Where(dueUnannounced(now)...).
		Order(ent.Asc(entcontact.FieldFollowUpAt), ent.Asc(entcontact.FieldID)).Limit(DueBatch).IDs(ctx)
	if err != nil {
		return 0, err
	}
	return store.EachInOwnTx(ctx, s.client, due, "follow-up due notification", func(ctx context.Context, tx *ent.Tx, id int) (bool, error) {
		ctx = store.WithNow(ctx, now)
		marked, err := tx.Contact.Update().Where(append(dueUnannounced(now), entcontact.ID(id))...).
			SetFollowUpNotifiedAt(now).Save(ctx)
		if err != nil || marked != 1 {
			return false, err // announced by another run, or completed meanwhile
		}
		c, err := tx.Contact.Get(ctx, id)
		if err != nil {
			return false, err
		}
		cu, err := tx.Customer.Get(ctx, c.CustomerID)
		if err != nil {
			return false, err
		}
		if err := record(ctx, tx, c, "contact.follow_up_due", "",
			"due at "+c.FollowUpAt.UTC().Format(time.RFC3339)); err != nil {
			return false, err
		}
		err = notify.Send(ctx, tx, new(notify.Recipients).User(c.FollowUpAssigneeID), notify.Notice{
			Kind:  "contact.follow_up_due",
			Title: clip.Runes(fmt.Sprintf("Follow up with %s: %s", cu.Name, c.Summary), 199),
			Body:  "It was due at " + c.FollowUpAt.UTC().Format(time.RFC3339) + ".", SubjectType: "Contact",
			SubjectID: c.ID, OrderID: c.OrderID})
		return err == nil, err
	}), nil
}

// dueUnannounced selects follow-ups due at now, not done and not announced.
func dueUnannounced(now time.Time) []predicate.Contact {
	return []predicate.Contact{
		entcontact.FollowUpAtLTE(now),
		entcontact.FollowUpDoneAtIsNil(),
		entcontact.FollowUpNotifiedAtIsNil(),
		entcontact.FollowUpAssigneeIDNotNil(),
	}
}

// run executes one action in one transaction, idempotent under a key.
func (s *Service) run(ctx context.Context, op, key string, req any, fn func(ctx context.Context, tx *ent.Tx) (*ent.Contact, error)) (*ent.Contact, error) {
	return idem.Run(ctx, s.client, op, key, req, contactCodec, fn)
}

// contactCodec remembers the contact an action produced.
var contactCodec = idem.Codec[*ent.Contact]{
	Refs: func(c *ent.Contact) idem.Refs { return idem.Refs{"contact": c.ID} },
	Load: func(ctx context.Context, tx *ent.Tx, refs idem.Refs) (*ent.Contact, error) {
		return tx.Contact.Get(ctx, refs["contact"])
	},
	Unwrap: (*ent.Contact).Unwrap,
}

// Filter narrows the contact log.
type Filter struct {
	CustomerID, OrderID, AssigneeID *int
	// OpenFollowUpsOnly keeps the contacts whose follow-up is not done.
	OpenFollowUpsOnly bool
	// DueBefore keeps follow-ups not done and due before it.
	DueBefore *time.Time
}

// Query is the contacts the filter keeps, read as the viewer: privacy
// hides another rep's customers' contacts, and refuses roles without
// contact:read.
func (s *Service) Query(f Filter) *ent.ContactQuery {
	q := s.client.Contact.Query()
	if f.CustomerID != nil {
		q.Where(entcontact.CustomerID(*f.CustomerID))
	}
	if f.OrderID != nil {
		q.Where(entcontact.OrderID(*f.OrderID))
	}
	if f.AssigneeID != nil {
		q.Where(entcontact.FollowUpAssigneeID(*f.AssigneeID))
	}
	if f.OpenFollowUpsOnly || f.DueBefore != nil {
		q.Where(entcontact.FollowUpAtNotNil(), entcontact.FollowUpDoneAtIsNil())
	}
	if f.DueBefore != nil {
		q.Where(entcontact.FollowUpAtLT(f.DueBefore.UTC()))
	}
	return q
}
