// Package inbox gathers everything that needs a person into one list, the
// way a CRM user starts the day: pending cancellations and severe
// corrections, returns to approve or receive, open shipment exceptions,
// failed or overdue payments, open and overdue complaints. Each source is
// one query through the viewer's context, so privacy scopes the list to
// what the viewer may see, and sources the viewer's role may not read are
// left out rather than refused.
package inbox

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/ent/complaint"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/ordercorrection"
	"orderdesk/ent/payment"
	"orderdesk/ent/returnorder"
	"orderdesk/ent/shipment"
	pay "orderdesk/payment"
)

// Category is seed 002's exception category.
type Category string

const (
	Customer  Category = "CUSTOMER"
	Inventory Category = "INVENTORY"
	Logistics Category = "LOGISTICS"
	Payment   Category = "PAYMENT"
	Internal  Category = "INTERNAL"
)

// Item is one thing that needs a person.
type Item struct {
	Kind     string
	Category Category
	Severity string // LOW, MEDIUM, HIGH, CRITICAL
	Title    string
	Since    time.Time
	DueAt    *time.Time
	Order    *ent.Order
	Assignee *ent.User
	Subject  ent.Noder
	// SubjectID identifies the item: each record is in the inbox once.
	SubjectID int
}

// Filter narrows the inbox.
type Filter struct {
	Category   *Category
	AssigneeID *int
}

// perSource bounds the rows one source contributes.
const perSource = 500

// Open lists the open items, oldest first.
func Open(ctx context.Context, client *ent.Client, f Filter, now time.Time) ([]Item, error) {
	v, err := auth.Require(ctx, auth.InboxRead)
	if err != nil {
		return nil, err
	}
	var items []Item
	for _, src := range sources {
		if !v.Can(src.needs) {
			continue
		}
		got, err := src.load(ctx, client, now)
		if err != nil {
			return nil, fmt.Errorf("inbox source %s: %w", src.name, err)
		}
		items = append(items, got...)
	}
	items = slices.DeleteFunc(items, func(it Item) bool {
		return (f.Category != nil && it.Category != *f.Category) ||
			(f.AssigneeID != nil && (it.Assignee == nil || it.Assignee.ID != *f.AssigneeID))
	})
	slices.SortStableFunc(items, func(a, b Item) int {
		return cmp.Or(a.Since.Compare(b.Since), cmp.Compare(a.SubjectID, b.SubjectID))
	})
	return items, nil
}

type source struct {
	name  string
	needs auth.Permission
	load  func(ctx context.Context, c *ent.Client, now time.Time) ([]Item, error)
}

var sources = []source{
	{"cancellations", auth.OrderRead, cancellations},
	{"corrections", auth.OrderRead, corrections},
	{"returns", auth.OrderRead, returns},
	{"shipments", auth.OrderRead, shipments},
	{"failed payments", auth.PaymentRead, failedPayments},
	{"overdue payments", auth.PaymentRead, overduePayments},
	{"complaints", auth.ComplaintRead, complaints},
}

// reasonCategory files a cancellation by what caused it.
func reasonCategory(r cancellationrecord.ReasonCode) Category {
	switch r {
	case cancellationrecord.ReasonCodeCUSTOMER_REQUEST:
		return Customer
	case cancellationrecord.ReasonCodePAYMENT_FAILED, cancellationrecord.ReasonCodePAYMENT_TIMEOUT:
		return Payment
	case cancellationrecord.ReasonCodeOUT_OF_STOCK:
		return Inventory
	case cancellationrecord.ReasonCodeDELIVERY_PROBLEM:
		return Logistics
	default:
		return Internal
	}
}

func cancellations(ctx context.Context, c *ent.Client, _ time.Time) ([]Item, error) {
	rows, err := c.CancellationRecord.Query().
		Where(cancellationrecord.StatusIn(cancellationrecord.StatusREQUESTED, cancellationrecord.StatusAPPROVED)).
		WithOrder().Limit(perSource).All(ctx)
	var items []Item
	for _, r := range rows {
		sev := "MEDIUM"
		if r.NeedsFinanceApproval {
			sev = "HIGH"
		}
		items = append(items, Item{Kind: "CANCELLATION_PENDING", Category: reasonCategory(r.ReasonCode), Severity: sev,
			Title: fmt.Sprintf("%s of %s (%s) awaits %s", kindWord(r.Kind), r.Edges.Order.Number, r.ReasonCode, awaiting(r)),
			Since: r.CreatedAt, Order: r.Edges.Order, Subject: r, SubjectID: r.ID})
	}
	return items, err
}

func kindWord(k cancellationrecord.Kind) string {
	if k == cancellationrecord.KindVOID {
		return "Void"
	}
	return "Cancellation"
}

func awaiting(r *ent.CancellationRecord) string {
	switch {
	case r.NeedsManagerApproval && r.ManagerApprovedAt == nil && r.NeedsFinanceApproval && r.FinanceApprovedAt == nil:
		return "a sales manager and finance"
	case r.NeedsManagerApproval && r.ManagerApprovedAt == nil:
		return "a sales manager"
	default:
		return "finance"
	}
}

func corrections(ctx context.Context, c *ent.Client, _ time.Time) ([]Item, error) {
	rows, err := c.OrderCorrection.Query().Where(ordercorrection.StatusEQ(ordercorrection.StatusPENDING_APPROVAL)).
		WithOrder().Limit(perSource).All(ctx)
	var items []Item
	for _, r := range rows {
		items = append(items, Item{Kind: "CORRECTION_PENDING", Category: Internal, Severity: "HIGH",
			Title: fmt.Sprintf("Severe %s correction of %s awaits approval", r.ErrorType, r.Edges.Order.Number),
			Since: r.CreatedAt, Order: r.Edges.Order, Subject: r, SubjectID: r.ID})
	}
	return items, err
}

func returns(ctx context.Context, c *ent.Client, _ time.Time) ([]Item, error) {
	rows, err := c.ReturnOrder.Query().Where(returnorder.StatusIn(returnorder.StatusREQUESTED, returnorder.StatusAPPROVED)).
		WithOrder().Limit(perSource).All(ctx)
	var items []Item
	for _, r := range rows {
		it := Item{Kind: "RETURN_TO_APPROVE", Category: Customer, Severity: "MEDIUM",
			Title: fmt.Sprintf("Return %s of %s awaits approval", r.Number, r.Edges.Order.Number),
			Since: r.CreatedAt, Order: r.Edges.Order, Subject: r, SubjectID: r.ID}
		if r.Status == returnorder.StatusAPPROVED {
			it.Kind, it.Category, it.Since = "RETURN_TO_RECEIVE", Inventory, deref(r.DecidedAt, r.CreatedAt)
			it.Title = fmt.Sprintf("Return %s of %s: goods to receive", r.Number, r.Edges.Order.Number)
		}
		items = append(items, it)
	}
	return items, err
}

func shipments(ctx context.Context, c *ent.Client, _ time.Time) ([]Item, error) {
	rows, err := c.Shipment.Query().Where(shipment.ExceptionReportedAtNotNil(), shipment.ExceptionResolvedAtIsNil()).
		WithOrder().Limit(perSource).All(ctx)
	var items []Item
	for _, s := range rows {
		sev := "MEDIUM"
		if s.Status == shipment.StatusLOST || s.Status == shipment.StatusDAMAGED {
			sev = "HIGH"
		}
		items = append(items, Item{Kind: "SHIPMENT_EXCEPTION", Category: Logistics, Severity: sev,
			Title: fmt.Sprintf("Shipment of %s is %s: %s", s.Edges.Order.Number, s.Status, s.ExceptionNote),
			Since: *s.ExceptionReportedAt, Order: s.Edges.Order, Subject: s, SubjectID: s.ID})
	}
	return items, err
}

// live are the statuses of orders that still expect money.
var live = []entorder.Status{entorder.StatusCONFIRMED, entorder.StatusSHIPPED, entorder.StatusDELIVERED}

func failedPayments(ctx context.Context, c *ent.Client, _ time.Time) ([]Item, error) {
	rows, err := c.Payment.Query().Where(payment.StatusEQ(payment.StatusFAILED),
		payment.HasOrderWith(entorder.StatusIn(live...))).WithOrder().Limit(perSource).All(ctx)
	var items []Item
	for _, p := range rows {
		if pay.Outstanding(p.Edges.Order) == 0 {
			continue // paid another way since
		}
		items = append(items, Item{Kind: "PAYMENT_FAILED", Category: Payment, Severity: "HIGH",
			Title: fmt.Sprintf("Payment for %s failed: %s", p.Edges.Order.Number, p.FailureReason),
			Since: deref(p.FailedAt, p.UpdatedAt), Order: p.Edges.Order, Subject: p, SubjectID: p.ID})
	}
	return items, err
}

func overduePayments(ctx context.Context, c *ent.Client, now time.Time) ([]Item, error) {
	rows, err := c.Order.Query().Where(entorder.StatusIn(live...), entorder.PaymentDueAtLT(now)).
		Limit(perSource).All(ctx)
	var items []Item
	for _, o := range rows {
		if pay.Outstanding(o) == 0 {
			continue
		}
		items = append(items, Item{Kind: "PAYMENT_OVERDUE", Category: Payment, Severity: "HIGH",
			Title: fmt.Sprintf("%s is unpaid past its due time", o.Number), Since: *o.PaymentDueAt,
			DueAt: o.PaymentDueAt, Order: o, Subject: o, SubjectID: o.ID})
	}
	return items, err
}

func complaints(ctx context.Context, c *ent.Client, now time.Time) ([]Item, error) {
	rows, err := c.Complaint.Query().Where(complaint.StatusIn(complaint.StatusOPEN, complaint.StatusIN_PROGRESS)).
		WithOrder().WithAssignee().Limit(perSource).All(ctx)
	var items []Item
	for _, x := range rows {
		due := x.DueAt
		it := Item{Kind: "COMPLAINT_OPEN", Category: Customer, Severity: string(x.Severity),
			Title: "Complaint: " + x.Subject, Since: x.CreatedAt, DueAt: &due, Order: x.Edges.Order,
			Assignee: x.Edges.Assignee, Subject: x, SubjectID: x.ID}
		if x.DueAt.Before(now) {
			it.Kind = "COMPLAINT_OVERDUE"
		}
		items = append(items, it)
	}
	return items, err
}

func deref(t *time.Time, def time.Time) time.Time {
	if t == nil {
		return def
	}
	return *t
}
