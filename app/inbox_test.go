package app_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"orderdesk/aftersales"
	"orderdesk/app/apptest"
	"orderdesk/ent/complaint"
	entorder "orderdesk/ent/order"
)

const inboxQuery = `query($first: Int, $after: String, $category: ExceptionCategory, $assignee: ID) {
	openExceptions(first: $first, after: $after, category: $category, assigneeId: $assignee) {
		totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
		edges { cursor node { id kind category since order { id } assignee { id } } } } }`

type inboxNode struct {
	ID, Kind, Category string
	Since              time.Time
	Order, Assignee    *struct{ ID string }
}

type inboxPage struct {
	TotalCount int
	PageInfo   struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
	Edges []struct {
		Cursor string
		Node   inboxNode
	}
}

// inboxFilter is openExceptions' category and assigneeId; "" leaves one out.
type inboxFilter struct{ category, assignee string }

func (f inboxFilter) vars(first int, after *string) apptest.Vars {
	v := apptest.Vars{"first": first, "after": after}
	if f.category != "" {
		v["category"] = f.category
	}
	if f.assignee != "" {
		v["assignee"] = f.assignee
	}
	return v
}

func inboxPageOf(t *testing.T, c *apptest.Client, f inboxFilter, first int, after *string) inboxPage {
	t.Helper()
	var out struct{ OpenExceptions inboxPage }
	c.MustDo(t, inboxQuery, f.vars(first, after), &out)
	return out.OpenExceptions
}

// inboxAll pages through the whole inbox, 100 at a time, as a client would,
// and checks every page: each item once, oldest first, totalCount the same
// on every page, the page info consistent with the edges. It returns the
// items and totalCount.
func inboxAll(t *testing.T, c *apptest.Client, f inboxFilter) ([]inboxNode, int) {
	t.Helper()
	var all []inboxNode
	seen := map[string]bool{}
	total := -1
	var after *string
	for page := 0; ; page++ {
		p := inboxPageOf(t, c, f, 100, after)
		if total >= 0 && p.TotalCount != total {
			t.Fatalf("%+v page %d: totalCount %d, was %d", f, page, p.TotalCount, total)
		}
		total = p.TotalCount
		if p.PageInfo.HasPreviousPage != (page > 0) {
			t.Fatalf("%+v page %d: hasPreviousPage %v", f, page, p.PageInfo.HasPreviousPage)
		}
		for _, e := range p.Edges {
			n := e.Node
			if seen[n.ID] {
				t.Fatalf("%+v page %d: item %s (%s) listed twice", f, page, n.ID, n.Kind)
			}
			seen[n.ID] = true
			if len(all) > 0 && n.Since.Before(all[len(all)-1].Since) {
				t.Fatalf("%+v page %d: item %s since %s comes after one since %s", f, page, n.ID, n.Since, all[len(all)-1].Since)
			}
			all = append(all, n)
		}
		if len(p.Edges) > 0 && (p.PageInfo.StartCursor == nil || *p.PageInfo.StartCursor != p.Edges[0].Cursor ||
			p.PageInfo.EndCursor == nil || *p.PageInfo.EndCursor != p.Edges[len(p.Edges)-1].Cursor) {
			t.Fatalf("%+v page %d: page info %+v does not match the edges", f, page, p.PageInfo)
		}
		if !p.PageInfo.HasNextPage {
			break
		}
		if len(p.Edges) != 100 {
			t.Fatalf("%+v page %d: %d edges and a next page", f, page, len(p.Edges))
		}
		if page > 20 {
			t.Fatalf("%+v: paging does not end", f)
		}
		after = p.PageInfo.EndCursor
	}
	if len(all) != total {
		t.Fatalf("%+v: paged through %d items, totalCount %d", f, len(all), total)
	}
	return all, total
}

func inboxCount(t *testing.T, c *apptest.Client, f inboxFilter) int {
	t.Helper()
	var out struct{ OpenExceptions struct{ TotalCount int } }
	c.MustDo(t, `query($category: ExceptionCategory, $assignee: ID) { openExceptions(category: $category, assigneeId: $assignee) { totalCount } }`,
		f.vars(0, nil), &out)
	return out.OpenExceptions.TotalCount
}

func inboxWant(t *testing.T, what string, got, want int) {
	t.Helper()
	if got != want {
		t.Errorf("%s: %d, want %d", what, got, want)
	}
}

func inboxTally(nodes []inboxNode, key func(inboxNode) string) map[string]int {
	m := map[string]int{}
	for _, n := range nodes {
		m[key(n)]++
	}
	return m
}

// inboxWorld is a world with more than 500 open complaints, spread over
// the customers of two sales reps, some assigned to support and some past
// their due time, and a few exceptions of other categories on the first
// rep's orders — beside records that are closed to the inbox.
type inboxWorld struct {
	*world
	rep2CustomerID string
	// What the test made, counted as it made it.
	complaints, mine, assigned, mineAssigned, overdue int
}

const inboxComplaints = 520

// inboxSources are the inbox's queries: cancellations, corrections, returns
// to approve and to receive, shipment exceptions, failed and overdue
// payments, complaints, follow-ups, orders held in review.
const inboxSources = 10

func newInboxWorld(t *testing.T) *inboxWorld {
	t.Helper()
	w := &inboxWorld{world: newWorld(t)}
	var out struct {
		CreateCustomer struct{ Customer struct{ ID string } }
	}
	w.env.As(t, "ADMIN").MustDo(t, `mutation($rep: ID!) { createCustomer(input: {name: "Globex", creditLimit: "1000.00", ownerId: $rep,
		shippingAddress: {line1: "2 Side St", city: "Hamburg", country: "DE"}}) { customer { id } } }`,
		apptest.Vars{"rep": apptest.ID(w.env.Users["REP2"].ID)}, &out)
	w.rep2CustomerID = out.CreateCustomer.Customer.ID
	w.otherExceptions(t)
	w.fileComplaints(t)
	return w
}

// otherExceptions makes an unpaid order past its due time with a failed
// payment (PAYMENT ×2), a lost shipment (LOGISTICS), a cancellation for a
// price error awaiting approval (INTERNAL) — and, not in the inbox, paid
// orders past their due time and a failed payment of an order paid since.
func (w *inboxWorld) otherExceptions(t *testing.T) {
	t.Helper()
	finance, rep, warehouse := w.env.As(t, "FINANCE"), w.env.As(t, "SALES_REP"), w.env.As(t, "WAREHOUSE")
	failedPayment := func(orderID, amount string) {
		t.Helper()
		var p struct{ Payment struct{ ID string } }
		must(t, mutate(t, finance, "recordPayment", `mutation($o: ID!, $a: Decimal!) { recordPayment(input: {orderId: $o, amount: $a,
			method: CARD, pending: true, providerReference: "auth-1"}) { payment { id } errors { code field message } } }`,
			apptest.Vars{"o": orderID, "a": amount}, &p))
		must(t, mutate(t, finance, "failPayment", `mutation($p: ID!) { failPayment(input: {paymentId: $p, reason: "card declined"}) {
			errors { code message } } }`, apptest.Vars{"p": p.Payment.ID}, nil))
	}

	unpaid := w.createConfirmed(t, 1, 0)
	failedPayment(unpaid.ID, unpaid.Total.Amount)

	shipped, shipment := w.paidShipped(t, 1, 0)
	must(t, mutate(t, warehouse, "reportShipmentException", `mutation($s: ID!) { reportShipmentException(input: {shipmentId: $s,
		status: LOST, note: "carrier lost it"}) { errors { code field message } } }`, apptest.Vars{"s": shipment}, nil))

	paid := w.createConfirmed(t, 0, 2)
	failedPayment(paid.ID, paid.Total.Amount)
	must(t, mutate(t, finance, "recordPayment", `mutation($o: ID!, $a: Decimal!) { recordPayment(input: {orderId: $o, amount: $a,
		method: BANK_TRANSFER}) { errors { code field message } } }`, apptest.Vars{"o": paid.ID, "a": paid.Total.Amount}, nil))
	var cancel struct{ Cancellation struct{ Status string } }
	must(t, mutate(t, rep, "requestOrderCancellation", `mutation($o: ID!) { requestOrderCancellation(input: {orderId: $o,
		reasonCode: PRICE_ERROR, note: "quoted the wrong price"}) { cancellation { status } errors { code field message } } }`,
		apptest.Vars{"o": paid.ID}, &cancel))
	if cancel.Cancellation.Status != "REQUESTED" {
		t.Fatalf("the cancellation of a paid order does not wait for approval: %+v", cancel)
	}

	// All three are past their payment due time; only the unpaid one is
	// overdue.
	past := time.Now().UTC().Add(-48 * time.Hour)
	for _, o := range []orderView{unpaid, shipped, paid} {
		w.env.DB.Client.Order.UpdateOneID(inboxID(t, o.ID)).SetPaymentDueAt(past).ExecX(w.env.Sys)
	}
	if n := w.env.DB.Client.Order.Query().Where(entorder.PaymentDueAtLT(time.Now())).CountX(w.env.Sys); n != 3 {
		t.Fatalf("%d orders past their due time, want 3", n)
	}
}

// Items of otherExceptions, by category.
var otherExceptions = map[string]int{"PAYMENT": 2, "LOGISTICS": 1, "INTERNAL": 1}

// fileComplaints files inboxComplaints complaints through the domain
// service, alternating between the two reps' customers; every fourth is
// assigned to support, every tenth is past its due time, and a few more
// are resolved, so out of the inbox.
func (w *inboxWorld) fileComplaints(t *testing.T) {
	t.Helper()
	env := w.env
	support := env.Users["SUPPORT"].ID
	var overdue []int
	for i := range inboxComplaints + 5 {
		customer, mine := w.rep2CustomerID, i%3 != 0
		if mine {
			customer = w.customerID
		}
		c, err := env.Complaints.File(env.Sys, aftersales.FileRequest{CustomerID: inboxID(t, customer),
			Category: complaint.CategoryDELIVERY, Severity: complaint.SeverityMEDIUM,
			Subject: fmt.Sprintf("Late delivery %d", i), Description: "The parcel is late."})
		if err != nil {
			t.Fatalf("filing complaint %d: %v", i, err)
		}
		if i >= inboxComplaints {
			env.DB.Client.Complaint.UpdateOneID(c.ID).SetStatus(complaint.StatusRESOLVED).ExecX(env.Sys)
			continue
		}
		w.complaints++
		if mine {
			w.mine++
		}
		if i%4 == 0 {
			if _, err := env.Complaints.Assign(env.Sys, aftersales.AssignRequest{ComplaintID: c.ID, AssigneeID: support}); err != nil {
				t.Fatalf("assigning complaint %d: %v", i, err)
			}
			w.assigned++
			if mine {
				w.mineAssigned++
			}
		}
		if i%10 == 5 {
			overdue = append(overdue, c.ID)
		}
	}
	env.DB.Client.Complaint.Update().Where(complaint.IDIn(overdue...)).
		SetDueAt(time.Now().UTC().Add(-time.Hour)).ExecX(env.Sys)
	w.overdue = len(overdue)
}

func inboxID(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatalf("id %q: %v", s, err)
	}
	return n
}

// TestInboxPagesPastFiveHundred: with more than 500 open items, the inbox
// counts and lists every one of them, in order, across pages, filtered by
// category and assignee in the database; sales reps see their customers'.
func TestInboxPagesPastFiveHundred(t *testing.T) {
	w := newInboxWorld(t)
	env := w.env
	manager := env.As(t, "SALES_MANAGER")
	others := 0
	for _, n := range otherExceptions {
		others += n
	}
	total := w.complaints + others
	support := inboxFilter{assignee: apptest.ID(env.Users["SUPPORT"].ID)}

	// Everything, page by page.
	all, count := inboxAll(t, manager, inboxFilter{})
	inboxWant(t, "totalCount", count, total)
	kinds := inboxTally(all, func(n inboxNode) string { return n.Kind })
	for kind, want := range map[string]int{"COMPLAINT_OPEN": w.complaints - w.overdue, "COMPLAINT_OVERDUE": w.overdue,
		"PAYMENT_OVERDUE": 1, "PAYMENT_FAILED": 1, "SHIPMENT_EXCEPTION": 1, "CANCELLATION_PENDING": 1} {
		inboxWant(t, kind+" items", kinds[kind], want)
	}
	categories := inboxTally(all, func(n inboxNode) string { return n.Category })
	inboxWant(t, "CUSTOMER items", categories["CUSTOMER"], w.complaints)
	for category, want := range otherExceptions {
		inboxWant(t, category+" items", categories[category], want)
	}

	// A category past 500, page by page; the others counted.
	customer, count := inboxAll(t, manager, inboxFilter{category: "CUSTOMER"})
	inboxWant(t, "CUSTOMER totalCount", count, w.complaints)
	if got := inboxTally(customer, func(n inboxNode) string { return n.Category }); got["CUSTOMER"] != w.complaints {
		t.Errorf("CUSTOMER pages hold %v", got)
	}
	for category, want := range otherExceptions {
		inboxWant(t, category+" totalCount", inboxCount(t, manager, inboxFilter{category: category}), want)
	}
	inboxWant(t, "INVENTORY totalCount", inboxCount(t, manager, inboxFilter{category: "INVENTORY"}), 0)

	// Assigned to support, page by page: only complaints have assignees.
	mine, count := inboxAll(t, manager, support)
	inboxWant(t, "assigned to support", count, w.assigned)
	for _, n := range mine {
		if n.Assignee == nil || n.Assignee.ID != support.assignee {
			t.Fatalf("assigned to support: item %+v", n)
		}
	}
	inboxWant(t, "CUSTOMER assigned to support", inboxCount(t, manager, inboxFilter{category: "CUSTOMER", assignee: support.assignee}), w.assigned)
	inboxWant(t, "PAYMENT assigned to support", inboxCount(t, manager, inboxFilter{category: "PAYMENT", assignee: support.assignee}), 0)

	// Sales reps see their own customers' items; the warehouse the sources
	// its role may read (no payments, no complaints).
	rep, rep2 := env.As(t, "SALES_REP"), env.As(t, "REP2")
	_, count = inboxAll(t, rep, inboxFilter{})
	inboxWant(t, "the rep's inbox", count, w.mine+others)
	_, count = inboxAll(t, rep2, inboxFilter{})
	inboxWant(t, "the second rep's inbox", count, w.complaints-w.mine)
	inboxWant(t, "the second rep's PAYMENT items", inboxCount(t, rep2, inboxFilter{category: "PAYMENT"}), 0)
	inboxWant(t, "the rep's items assigned to support", inboxCount(t, rep, support), w.mineAssigned)
	inboxWant(t, "the second rep's items assigned to support", inboxCount(t, rep2, support), w.assigned-w.mineAssigned)
	inboxWant(t, "the warehouse's inbox", inboxCount(t, env.As(t, "WAREHOUSE"), inboxFilter{}),
		otherExceptions["LOGISTICS"]+otherExceptions["INTERNAL"])

	// A page costs a bounded number of statements, however deep it is: a
	// count and a read per source at most, the page's orders and assignees,
	// and what any request costs.
	before := env.Statements.Load()
	manager.MustDo(t, `{ __typename }`, nil, nil)
	request := env.Statements.Load() - before
	before = env.Statements.Load()
	p := inboxPageOf(t, manager, inboxFilter{}, 100, nil)
	first := env.Statements.Load() - before
	before = env.Statements.Load()
	inboxPageOf(t, manager, inboxFilter{}, 100, p.PageInfo.EndCursor)
	second := env.Statements.Load() - before
	t.Logf("statements per page of 100: first %d, second %d (a request reading nothing: %d)", first, second, request)
	if limit := request + 2*inboxSources + 2; first > limit || second > limit {
		t.Errorf("a page took %d and %d statements, want at most %d", first, second, limit)
	}
}

// TestInboxCursorSurvivesItemsLeaving: the cursor is a place in the order,
// not an offset, so items leaving the inbox before it skip nothing.
func TestInboxCursorSurvivesItemsLeaving(t *testing.T) {
	w := newInboxWorld(t)
	manager := w.env.As(t, "SALES_MANAGER")
	customer := inboxFilter{category: "CUSTOMER"}
	all, _ := inboxAll(t, manager, customer)
	first := inboxPageOf(t, manager, customer, 100, nil)

	// Half of the first page is resolved meanwhile.
	var resolved []int
	for i, e := range first.Edges {
		if i%2 == 0 {
			resolved = append(resolved, inboxID(t, e.Node.ID))
		}
	}
	w.env.DB.Client.Complaint.Update().Where(complaint.IDIn(resolved...)).SetStatus(complaint.StatusRESOLVED).ExecX(w.env.Sys)

	next := inboxPageOf(t, manager, customer, 100, first.PageInfo.EndCursor)
	inboxWant(t, "totalCount after resolving", next.TotalCount, len(all)-len(resolved))
	if len(next.Edges) != 100 {
		t.Fatalf("second page: %d edges", len(next.Edges))
	}
	for i, e := range next.Edges {
		if want := all[100+i]; e.Node.ID != want.ID {
			t.Fatalf("second page item %d is %s, want %s", i, e.Node.ID, want.ID)
		}
	}
	if r := manager.Do(t, inboxQuery, apptest.Vars{"first": 10, "after": "not-a-cursor"}); len(r.Errors) == 0 {
		t.Errorf("a malformed cursor was accepted")
	}
}
