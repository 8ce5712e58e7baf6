package inbox

import (
	"context"
	"fmt"
	"slices"
	"time"

	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/ent/complaint"
	"orderdesk/ent/contact"
	"orderdesk/ent/invoice"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/ordercorrection"
	"orderdesk/ent/payment"
	"orderdesk/ent/returnorder"
	"orderdesk/ent/shipment"
)

// source is one kind of open record and how to read it.
type source struct {
	name  string
	needs auth.Permission
	// since lists the columns the item is open since: the first one that
	// is not NULL.
	since []string
	// open selects the source's open records.
	open func(now time.Time) pred
	// category is the category of every item of the source; empty when it
	// depends on the record, and byCategory then selects a category's
	// records (false: none can be of it).
	category   Category
	byCategory func(Category) (pred, bool)
	// assignee selects the records assigned to a user; nil when the
	// source's records have no assignee.
	assignee func(userID int) pred
	// personal sources list only the viewer's own items (assignee).
	personal bool
	count    func(ctx context.Context, c *ent.Client, where pred) (int, error)
	fetch    func(ctx context.Context, c *ent.Client, w window) ([]row, error)
}

// window is what one source query reads: the rows where selects, in order,
// at most limit; now is the time the inbox is read at.
type window struct {
	where, order pred
	limit        int
	now          time.Time
}

// row is a record a source read, before the page's orders are loaded.
type row struct {
	key Key
	// orderID is the order the item is about, to be loaded (0: none, or the
	// item carries its order already).
	orderID       int
	orderOptional bool
	assigneeID    int
	// item builds the item once its order and assignee are loaded; Since,
	// SubjectID and the source are set from the key.
	item func(o *ent.Order, assignee *ent.User) Item
}

// sources are in rank order: items open since the same instant are listed
// in this order.
var sources = []source{
	{name: "cancellations", needs: auth.OrderRead, since: []string{cancellationrecord.FieldCreatedAt},
		open: cancellationsOpen, byCategory: reasonsOf, count: countCancellations, fetch: fetchCancellations},
	{name: "corrections", needs: auth.OrderRead, since: []string{ordercorrection.FieldCreatedAt},
		open: correctionsOpen, category: Internal, count: countCorrections, fetch: fetchCorrections},
	{name: "returns to approve", needs: auth.OrderRead, since: []string{returnorder.FieldCreatedAt},
		open: returnsIn(returnorder.StatusREQUESTED), category: Customer, count: countReturns, fetch: fetchReturns(returnToApprove)},
	{name: "returns to receive", needs: auth.OrderRead, since: []string{returnorder.FieldDecidedAt, returnorder.FieldCreatedAt},
		open: returnsIn(returnorder.StatusAPPROVED), category: Inventory, count: countReturns, fetch: fetchReturns(returnToReceive)},
	{name: "shipments", needs: auth.OrderRead, since: []string{shipment.FieldExceptionReportedAt},
		open: shipmentsOpen, category: Logistics, count: countShipments, fetch: fetchShipments},
	{name: "failed payments", needs: auth.PaymentRead, since: []string{payment.FieldFailedAt, payment.FieldUpdatedAt},
		open: failedPaymentsOpen, category: Payment, count: countPayments, fetch: fetchPayments},
	{name: "overdue payments", needs: auth.PaymentRead, since: []string{entorder.FieldPaymentDueAt},
		open: overdueOrders, category: Payment, count: countOrders, fetch: fetchOrders},
	{name: "overdue invoices", needs: auth.InvoiceRead, since: []string{invoice.FieldDueAt},
		open: overdueInvoices, category: Payment, count: countInvoices, fetch: fetchInvoices},
	{name: "complaints", needs: auth.ComplaintRead, since: []string{complaint.FieldCreatedAt},
		open: complaintsOpen, category: Customer, assignee: assignedTo, count: countComplaints, fetch: fetchComplaints},
	{name: "follow-ups", needs: auth.ContactRead, since: []string{contact.FieldFollowUpAt}, personal: true,
		open: followUpsDue, category: Customer, assignee: followUpOf, count: countFollowUps, fetch: fetchFollowUps},
	{name: "held in review", needs: auth.OrderRead, since: []string{entorder.FieldReviewHeldAt},
		open: heldInReview, byCategory: holdsOf, count: countOrders, fetch: fetchHeld},
}

// where selects the source's open records the filter keeps; false when the
// filter keeps none of them, so the source needs no query.
func (s source) where(f Filter, now time.Time) (pred, bool) {
	ps := []pred{s.open(now)}
	if f.Category != nil {
		switch {
		case s.category != "" && s.category != *f.Category:
			return nil, false
		case s.category == "":
			p, ok := s.byCategory(*f.Category)
			if !ok {
				return nil, false
			}
			ps = append(ps, p)
		}
	}
	if f.AssigneeID != nil {
		if s.assignee == nil {
			return nil, false
		}
		ps = append(ps, s.assignee(*f.AssigneeID))
	}
	return and(ps...), true
}

// Cancellations awaiting a decision or finance's approval.

func cancellationsOpen(time.Time) pred {
	return pred(cancellationrecord.StatusIn(cancellationrecord.StatusREQUESTED, cancellationrecord.StatusAPPROVED))
}

// reasonCategories files the reason codes that are not internal: a
// cancellation is filed by what caused it.
var reasonCategories = map[cancellationrecord.ReasonCode]Category{
	cancellationrecord.ReasonCodeCUSTOMER_REQUEST: Customer,
	cancellationrecord.ReasonCodePAYMENT_FAILED:   Payment,
	cancellationrecord.ReasonCodePAYMENT_TIMEOUT:  Payment,
	cancellationrecord.ReasonCodeOUT_OF_STOCK:     Inventory,
	cancellationrecord.ReasonCodeDELIVERY_PROBLEM: Logistics,
}

func reasonCategory(r cancellationrecord.ReasonCode) Category {
	if c, ok := reasonCategories[r]; ok {
		return c
	}
	return Internal
}

// reasonsOf selects the cancellations of a category by their reason codes.
// Internal is every code not filed elsewhere, so a code added later is
// internal in SQL as it is in reasonCategory.
func reasonsOf(c Category) (pred, bool) {
	var filed, of []cancellationrecord.ReasonCode
	for code, cat := range reasonCategories {
		filed = append(filed, code)
		if cat == c {
			of = append(of, code)
		}
	}
	// Sorted, so that the statement's text is the same every time.
	slices.Sort(filed)
	slices.Sort(of)
	switch {
	case c == Internal:
		return pred(cancellationrecord.ReasonCodeNotIn(filed...)), true
	case len(of) == 0:
		return nil, false
	default:
		return pred(cancellationrecord.ReasonCodeIn(of...)), true
	}
}

func countCancellations(ctx context.Context, c *ent.Client, where pred) (int, error) {
	return c.CancellationRecord.Query().Where(where).Count(ctx)
}

func fetchCancellations(ctx context.Context, c *ent.Client, w window) ([]row, error) {
	rs, err := c.CancellationRecord.Query().Where(w.where).Order(w.order).Limit(w.limit).All(ctx)
	return rowsOf(rs, cancellationRow), err
}

func cancellationRow(r *ent.CancellationRecord) row {
	return row{key: Key{Since: r.CreatedAt, ID: r.ID}, orderID: r.OrderID, item: func(o *ent.Order, _ *ent.User) Item {
		r.Edges.Order = o
		sev := "MEDIUM"
		if r.NeedsFinanceApproval {
			sev = "HIGH"
		}
		return Item{Kind: "CANCELLATION_PENDING", Category: reasonCategory(r.ReasonCode), Severity: sev,
			Title: fmt.Sprintf("%s of %s (%s) awaits %s", kindWord(r.Kind), o.Number, r.ReasonCode, awaiting(r)),
			Order: o, Subject: r}
	}}
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

// Severe corrections awaiting approval.

func correctionsOpen(time.Time) pred {
	return pred(ordercorrection.StatusEQ(ordercorrection.StatusPENDING_APPROVAL))
}

func countCorrections(ctx context.Context, c *ent.Client, where pred) (int, error) {
	return c.OrderCorrection.Query().Where(where).Count(ctx)
}

func fetchCorrections(ctx context.Context, c *ent.Client, w window) ([]row, error) {
	rs, err := c.OrderCorrection.Query().Where(w.where).Order(w.order).Limit(w.limit).All(ctx)
	return rowsOf(rs, correctionRow), err
}

func correctionRow(r *ent.OrderCorrection) row {
	return row{key: Key{Since: r.CreatedAt, ID: r.ID}, orderID: r.OrderID, item: func(o *ent.Order, _ *ent.User) Item {
		r.Edges.Order = o
		return Item{Kind: "CORRECTION_PENDING", Category: Internal, Severity: "HIGH",
			Title: fmt.Sprintf("Severe %s correction of %s awaits approval", r.ErrorType, o.Number),
			Order: o, Subject: r}
	}}
}

// Returns: requested ones await approval, approved ones their goods. They
// are two sources because their category and since differ.

func returnsIn(st returnorder.Status) func(time.Time) pred {
	return func(time.Time) pred { return pred(returnorder.StatusEQ(st)) }
}

func countReturns(ctx context.Context, c *ent.Client, where pred) (int, error) {
	return c.ReturnOrder.Query().Where(where).Count(ctx)
}

func fetchReturns(toRow func(*ent.ReturnOrder) row) func(context.Context, *ent.Client, window) ([]row, error) {
	return func(ctx context.Context, c *ent.Client, w window) ([]row, error) {
		rs, err := c.ReturnOrder.Query().Where(w.where).Order(w.order).Limit(w.limit).All(ctx)
		return rowsOf(rs, toRow), err
	}
}

func returnToApprove(r *ent.ReturnOrder) row {
	return row{key: Key{Since: r.CreatedAt, ID: r.ID}, orderID: r.OrderID, item: func(o *ent.Order, _ *ent.User) Item {
		r.Edges.Order = o
		return Item{Kind: "RETURN_TO_APPROVE", Category: Customer, Severity: "MEDIUM",
			Title: fmt.Sprintf("Return %s of %s awaits approval", r.Number, o.Number), Order: o, Subject: r}
	}}
}

func returnToReceive(r *ent.ReturnOrder) row {
	since := deref(r.DecidedAt, r.CreatedAt)
	return row{key: Key{Since: since, ID: r.ID}, orderID: r.OrderID, item: func(o *ent.Order, _ *ent.User) Item {
		r.Edges.Order = o
		return Item{Kind: "RETURN_TO_RECEIVE", Category: Inventory, Severity: "MEDIUM",
			Title: fmt.Sprintf("Return %s of %s: goods to receive", r.Number, o.Number), Order: o, Subject: r}
	}}
}

// Shipment exceptions not yet resolved.

func shipmentsOpen(time.Time) pred {
	return and(pred(shipment.ExceptionReportedAtNotNil()), pred(shipment.ExceptionResolvedAtIsNil()))
}

func countShipments(ctx context.Context, c *ent.Client, where pred) (int, error) {
	return c.Shipment.Query().Where(where).Count(ctx)
}

func fetchShipments(ctx context.Context, c *ent.Client, w window) ([]row, error) {
	rs, err := c.Shipment.Query().Where(w.where).Order(w.order).Limit(w.limit).All(ctx)
	return rowsOf(rs, shipmentRow), err
}

func shipmentRow(s *ent.Shipment) row {
	return row{key: Key{Since: *s.ExceptionReportedAt, ID: s.ID}, orderID: s.OrderID, item: func(o *ent.Order, _ *ent.User) Item {
		s.Edges.Order = o
		sev := "MEDIUM"
		if s.Status == shipment.StatusLOST || s.Status == shipment.StatusDAMAGED {
			sev = "HIGH"
		}
		return Item{Kind: "SHIPMENT_EXCEPTION", Category: Logistics, Severity: sev,
			Title: fmt.Sprintf("Shipment of %s is %s: %s", o.Number, s.Status, s.ExceptionNote), Order: o, Subject: s}
	}}
}

// Payments: failed ones and unpaid orders past their due time, on orders
// that still expect money and whose customer still owes some — a failed
// payment of an order paid another way since needs nobody.

// live are the statuses of orders that still expect money.
var live = []entorder.Status{entorder.StatusCONFIRMED, entorder.StatusSHIPPED, entorder.StatusDELIVERED}

func failedPaymentsOpen(time.Time) pred {
	return and(pred(payment.StatusEQ(payment.StatusFAILED)),
		pred(payment.HasOrderWith(entorder.StatusIn(live...), owing)))
}

func countPayments(ctx context.Context, c *ent.Client, where pred) (int, error) {
	return c.Payment.Query().Where(where).Count(ctx)
}

func fetchPayments(ctx context.Context, c *ent.Client, w window) ([]row, error) {
	rs, err := c.Payment.Query().Where(w.where).Order(w.order).Limit(w.limit).All(ctx)
	return rowsOf(rs, failedPaymentRow), err
}

func failedPaymentRow(p *ent.Payment) row {
	since := deref(p.FailedAt, p.UpdatedAt)
	return row{key: Key{Since: since, ID: p.ID}, orderID: p.OrderID, item: func(o *ent.Order, _ *ent.User) Item {
		p.Edges.Order = o
		return Item{Kind: "PAYMENT_FAILED", Category: Payment, Severity: "HIGH",
			Title: fmt.Sprintf("Payment for %s failed: %s", o.Number, p.FailureReason), Order: o, Subject: p}
	}}
}

// overdueOrders are unpaid past their payment due time. An order with an
// open invoice is chased by its invoice instead (overdueInvoices).
func overdueOrders(now time.Time) pred {
	return and(pred(entorder.StatusIn(live...)), pred(entorder.PaymentDueAtLT(now)), owing, withoutOpenInvoice)
}

// overdueInvoices are OPEN past their due time: receivables to chase
// (应收账款催收), whatever the order's own due time says.
func overdueInvoices(now time.Time) pred {
	return and(pred(invoice.StatusEQ(invoice.StatusOPEN)), pred(invoice.DueAtLT(now)))
}

func countInvoices(ctx context.Context, c *ent.Client, where pred) (int, error) {
	return c.Invoice.Query().Where(where).Count(ctx)
}

func fetchInvoices(ctx context.Context, c *ent.Client, w window) ([]row, error) {
	rs, err := c.Invoice.Query().Where(w.where).Order(w.order).Limit(w.limit).All(ctx)
	return rowsOf(rs, overdueInvoiceRow), err
}

func overdueInvoiceRow(inv *ent.Invoice) row {
	return row{key: Key{Since: inv.DueAt, ID: inv.ID}, orderID: inv.OrderID, item: func(o *ent.Order, _ *ent.User) Item {
		inv.Edges.Order = o
		title := fmt.Sprintf("Invoice %s of %s is unpaid past its due time", inv.Number, o.Number)
		if inv.Reminders > 0 {
			title += fmt.Sprintf(" (%d reminders sent)", inv.Reminders)
		}
		return Item{Kind: "PAYMENT_OVERDUE", Category: Payment, Severity: "HIGH", Title: title,
			DueAt: &inv.DueAt, Order: o, Subject: inv}
	}}
}

func countOrders(ctx context.Context, c *ent.Client, where pred) (int, error) {
	return c.Order.Query().Where(where).Count(ctx)
}

func fetchOrders(ctx context.Context, c *ent.Client, w window) ([]row, error) {
	rs, err := c.Order.Query().Where(w.where).Order(w.order).Limit(w.limit).All(ctx)
	return rowsOf(rs, overdueRow), err
}

// overdueRow is about the order itself, which the query has read already.
func overdueRow(o *ent.Order) row {
	return row{key: Key{Since: *o.PaymentDueAt, ID: o.ID}, item: func(*ent.Order, *ent.User) Item {
		return Item{Kind: "PAYMENT_OVERDUE", Category: Payment, Severity: "HIGH",
			Title: fmt.Sprintf("%s is unpaid past its due time", o.Number),
			DueAt: o.PaymentDueAt, Order: o, Subject: o}
	}}
}

// Orders a failed review holds in PENDING_REVIEW (order.holdForReview),
// until they are confirmed or rejected, filed by the check that failed.

func heldInReview(time.Time) pred {
	return and(pred(entorder.StatusEQ(entorder.StatusPENDING_REVIEW)), pred(entorder.ReviewHeldAtNotNil()))
}

var holdCategories = map[entorder.ReviewHold]Category{
	entorder.ReviewHoldSTOCK:         Inventory,
	entorder.ReviewHoldCREDIT:        Payment,
	entorder.ReviewHoldDELIVERY_DATE: Logistics,
	entorder.ReviewHoldPRICE:         Internal,
}

func holdCategory(h *entorder.ReviewHold) Category {
	if h != nil {
		if c, ok := holdCategories[*h]; ok {
			return c
		}
	}
	return Internal
}

// holdsOf selects the held orders of a category by their hold.
func holdsOf(c Category) (pred, bool) {
	var of []entorder.ReviewHold
	for h, cat := range holdCategories {
		if cat == c {
			of = append(of, h)
		}
	}
	slices.Sort(of)
	if len(of) == 0 {
		return nil, false
	}
	return pred(entorder.ReviewHoldIn(of...)), true
}

func fetchHeld(ctx context.Context, c *ent.Client, w window) ([]row, error) {
	rs, err := c.Order.Query().Where(w.where).Order(w.order).Limit(w.limit).All(ctx)
	return rowsOf(rs, heldRow), err
}

// heldRow is about the order itself, which the query has read already.
func heldRow(o *ent.Order) row {
	return row{key: Key{Since: *o.ReviewHeldAt, ID: o.ID}, item: func(*ent.Order, *ent.User) Item {
		return Item{Kind: "REVIEW_HELD", Category: holdCategory(o.ReviewHold), Severity: "MEDIUM",
			Title: fmt.Sprintf("%s is held in review: %s", o.Number, o.ReviewHoldNote), Order: o, Subject: o}
	}}
}

// Complaints open or in progress; overdue ones past their due time.

func complaintsOpen(time.Time) pred {
	return pred(complaint.StatusIn(complaint.StatusOPEN, complaint.StatusIN_PROGRESS))
}

func assignedTo(userID int) pred { return pred(complaint.AssigneeID(userID)) }

func countComplaints(ctx context.Context, c *ent.Client, where pred) (int, error) {
	return c.Complaint.Query().Where(where).Count(ctx)
}

func fetchComplaints(ctx context.Context, c *ent.Client, w window) ([]row, error) {
	rs, err := c.Complaint.Query().Where(w.where).Order(w.order).Limit(w.limit).All(ctx)
	return rowsOf(rs, func(x *ent.Complaint) row { return complaintRow(x, w.now) }), err
}

func complaintRow(x *ent.Complaint, now time.Time) row {
	return row{key: Key{Since: x.CreatedAt, ID: x.ID}, orderID: deref(x.OrderID, 0), orderOptional: true,
		assigneeID: deref(x.AssigneeID, 0), item: func(o *ent.Order, assignee *ent.User) Item {
			x.Edges.Order, x.Edges.Assignee = o, assignee
			due := x.DueAt
			it := Item{Kind: "COMPLAINT_OPEN", Category: Customer, Severity: string(x.Severity),
				Title: "Complaint: " + x.Subject, DueAt: &due, Order: o, Assignee: assignee, Subject: x}
			if x.DueAt.Before(now) {
				it.Kind = "COMPLAINT_OVERDUE"
			}
			return it
		}}
}

// Follow-ups of contacts that have come due and are not done: each is in
// its assignee's inbox only, a personal task like a notification.

func followUpsDue(now time.Time) pred {
	return and(pred(contact.FollowUpAtLTE(now)), pred(contact.FollowUpDoneAtIsNil()))
}

func followUpOf(userID int) pred { return pred(contact.FollowUpAssigneeID(userID)) }

func countFollowUps(ctx context.Context, c *ent.Client, where pred) (int, error) {
	return c.Contact.Query().Where(where).Count(ctx)
}

func fetchFollowUps(ctx context.Context, c *ent.Client, w window) ([]row, error) {
	rs, err := c.Contact.Query().Where(w.where).Order(w.order).Limit(w.limit).All(ctx)
	return rowsOf(rs, followUpRow), err
}

func followUpRow(x *ent.Contact) row {
	return row{key: Key{Since: *x.FollowUpAt, ID: x.ID}, orderID: deref(x.OrderID, 0), orderOptional: true,
		assigneeID: deref(x.FollowUpAssigneeID, 0), item: func(o *ent.Order, assignee *ent.User) Item {
			x.Edges.Order, x.Edges.FollowUpAssignee = o, assignee
			title := "Follow up: " + clip.Runes(x.Summary, 180)
			if o != nil {
				title = "Follow up on " + o.Number + ": " + clip.Runes(x.Summary, 160)
			}
			return Item{Kind: "FOLLOW_UP_DUE", Category: Customer, Severity: "MEDIUM", Title: title,
				DueAt: x.FollowUpAt, Order: o, Assignee: assignee, Subject: x}
		}}
}

func rowsOf[T any](rs []T, toRow func(T) row) []row {
	rows := make([]row, 0, len(rs))
	for _, r := range rs {
		rows = append(rows, toRow(r))
	}
	return rows
}

func deref[T any](p *T, def T) T {
	if p == nil {
		return def
	}
	return *p
}
