package app_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"orderdesk/app/apptest"
	"orderdesk/ent"
	"orderdesk/ent/auditevent"
	"orderdesk/ent/notification"
)

const complaintFields = `id status severity version dueAt overdue overdueNotifiedAt reopenCount resolution resolvedAt closedAt
	customer { id } order { id } assignee { id } filedBy { id } resolvedByOrder { id }`

type complaintView struct {
	ID, Status, Severity     string
	Version                  int
	DueAt                    time.Time
	Overdue                  bool
	OverdueNotifiedAt        *time.Time
	ReopenCount              int
	Resolution               *string
	ResolvedAt, ClosedAt     *time.Time
	Customer                 struct{ ID string }
	Order, Assignee, FiledBy *struct{ ID string }
	ResolvedByOrder          *struct{ ID string }
}

// fileComplaint files a HIGH complaint about the order as the role.
func (w *world) fileComplaint(t *testing.T, role, orderID string) complaintView {
	t.Helper()
	var p struct{ Complaint complaintView }
	var order any // null: a complaint about no order
	if orderID != "" {
		order = orderID
	}
	must(t, mutate(t, w.env.As(t, role), "fileComplaint", `mutation($c: ID!, $o: ID) { fileComplaint(input: {customerId: $c, orderId: $o,
		category: PRODUCT_QUALITY, severity: HIGH, subject: "Drill does not start", description: "Dead on arrival.", idempotencyKey: "file-1"}) {
		complaint { `+complaintFields+` } errors { code field message } } }`, apptest.Vars{"c": w.customerID, "o": order}, &p))
	return p.Complaint
}

func (w *world) complaint(t *testing.T, role, id string) *complaintView {
	t.Helper()
	var out struct{ Node *complaintView }
	w.env.As(t, role).MustDo(t, `query($id: ID!) { node(id: $id) { ... on Complaint { `+complaintFields+` } } }`,
		apptest.Vars{"id": id}, &out)
	return out.Node
}

func recipients(t *testing.T, env *apptest.Env, kind string, complaintID int) []int {
	t.Helper()
	ns := env.DB.Client.Notification.Query().Where(notification.Kind(kind), notification.SubjectType("Complaint"),
		notification.SubjectID(complaintID)).Order(ent.Asc(notification.FieldRecipientID)).AllX(env.Sys)
	var ids []int
	for _, n := range ns {
		ids = append(ids, n.RecipientID)
	}
	return ids
}

func sorted(ids ...int) []int { slices.Sort(ids); return ids }

// TestScenario_ComplaintOverdueReopenedClosed: support files a HIGH
// complaint about an order; a manager assigns it to support; it goes past
// its due time and the overdue rule tells the assignee and the managers,
// once; it is resolved and closed, reopened with a reason, and closed again
// once resolved again.
func TestScenario_ComplaintOverdueReopenedClosed(t *testing.T) {
	w := newWorld(t)
	env := w.env
	o := w.createConfirmed(t, 1, 2)
	support, manager := env.As(t, "SUPPORT"), env.As(t, "SALES_MANAGER")
	supportID, managerID, repID := env.Users["SUPPORT"].ID, env.Users["SALES_MANAGER"].ID, env.Users["SALES_REP"].ID

	// 1. Filed: due a day later, not overdue; the owner and the managers
	// are told (support filed it, so is not told of its own action).
	filedAt := time.Now()
	c := w.fileComplaint(t, "SUPPORT", o.ID)
	if c.Status != "OPEN" || c.Severity != "HIGH" || c.Overdue || c.Order == nil || c.Order.ID != o.ID ||
		c.Customer.ID != w.customerID || c.FiledBy == nil || c.FiledBy.ID != apptest.ID(supportID) {
		t.Fatalf("filed: %+v", c)
	}
	if due := c.DueAt.Sub(filedAt); due < 23*time.Hour+59*time.Minute || due > 24*time.Hour+time.Minute {
		t.Fatalf("a HIGH complaint is due in %s, want 24h", due)
	}
	// A retry with the same key gets the same complaint.
	if again := w.fileComplaint(t, "SUPPORT", o.ID); again.ID != c.ID {
		t.Fatalf("retry filed complaint %s, first was %s", again.ID, c.ID)
	}
	id, _ := strconv.Atoi(c.ID)
	if got := recipients(t, env, "complaint.filed", id); !slices.Equal(got, sorted(managerID, repID)) {
		t.Fatalf("complaint.filed went to %v", got)
	}

	// 2. Assigned to the support user: in progress.
	var p struct{ Complaint complaintView }
	must(t, mutate(t, manager, "assignComplaint", `mutation($id: ID!, $u: ID!, $v: Int) { assignComplaint(input: {complaintId: $id, assigneeId: $u, expectedVersion: $v}) {
		complaint { `+complaintFields+` } errors { code field message } } }`, apptest.Vars{"id": c.ID, "u": apptest.ID(supportID), "v": c.Version}, &p))
	if p.Complaint.Status != "IN_PROGRESS" || p.Complaint.Assignee == nil || p.Complaint.Assignee.ID != apptest.ID(supportID) {
		t.Fatalf("assigned: %+v", p.Complaint)
	}
	if got := recipients(t, env, "complaint.assigned", id); !slices.Equal(got, []int{supportID}) {
		t.Fatalf("complaint.assigned went to %v", got)
	}

	// 3. It goes past its due time: overdue, and the rule tells the
	// assignee and the manager — once, however often it runs.
	env.DB.Client.Complaint.UpdateOneID(id).SetDueAt(time.Now().UTC().Add(-time.Hour)).ExecX(env.Sys)
	if v := w.complaint(t, "SUPPORT", c.ID); !v.Overdue || v.OverdueNotifiedAt != nil {
		t.Fatalf("past its due time: %+v", v)
	}
	if n, err := env.Complaints.NotifyOverdue(context.Background()); err != nil || n != 1 {
		t.Fatalf("overdue rule: %d, %v", n, err)
	}
	if n, err := env.Complaints.NotifyOverdue(context.Background()); err != nil || n != 0 {
		t.Fatalf("overdue rule again: %d, %v", n, err)
	}
	if got := recipients(t, env, "complaint.overdue", id); !slices.Equal(got, sorted(supportID, managerID)) {
		t.Fatalf("complaint.overdue went to %v", got)
	}
	if v := w.complaint(t, "SUPPORT", c.ID); v.OverdueNotifiedAt == nil {
		t.Fatalf("overdue notification not recorded: %+v", v)
	}

	// 4. Resolved, with the order that resolved it, and closed. The owner is
	// told; support, the filer, resolved it.
	must(t, mutate(t, support, "resolveComplaint", `mutation($id: ID!, $o: ID!) { resolveComplaint(input: {complaintId: $id,
		resolution: "Replacement drill sent", orderId: $o}) { complaint { `+complaintFields+` } errors { code field message } } }`,
		apptest.Vars{"id": c.ID, "o": o.ID}, &p))
	if p.Complaint.Status != "RESOLVED" || p.Complaint.Overdue || p.Complaint.ResolvedAt == nil ||
		p.Complaint.ResolvedByOrder == nil || p.Complaint.ResolvedByOrder.ID != o.ID {
		t.Fatalf("resolved: %+v", p.Complaint)
	}
	if got := recipients(t, env, "complaint.resolved", id); !slices.Equal(got, []int{repID}) {
		t.Fatalf("complaint.resolved went to %v", got)
	}
	const closeQ = `mutation($id: ID!) { closeComplaint(input: {complaintId: $id}) { complaint { ` + complaintFields + ` } errors { code field message } } }`
	must(t, mutate(t, manager, "closeComplaint", closeQ, apptest.Vars{"id": c.ID}, &p))
	if p.Complaint.Status != "CLOSED" || p.Complaint.ClosedAt == nil {
		t.Fatalf("closed: %+v", p.Complaint)
	}

	// 5. Reopened: open again with a new due time, the overdue mark gone.
	must(t, mutate(t, manager, "reopenComplaint", `mutation($id: ID!) { reopenComplaint(input: {complaintId: $id, reason: "Replacement broken too"}) {
		complaint { `+complaintFields+` } errors { code field message } } }`, apptest.Vars{"id": c.ID}, &p))
	r := p.Complaint
	if r.Status != "OPEN" || r.ReopenCount != 1 || r.Overdue || r.OverdueNotifiedAt != nil || r.ResolvedAt != nil || r.ClosedAt != nil ||
		r.DueAt.Before(time.Now().Add(23*time.Hour)) {
		t.Fatalf("reopened: %+v", r)
	}

	// 6. An open complaint is not closed; resolved again, it is.
	wantCode(t, mutate(t, manager, "closeComplaint", closeQ, apptest.Vars{"id": c.ID}, nil), "INVALID_TRANSITION")
	must(t, mutate(t, support, "resolveComplaint", `mutation($id: ID!) { resolveComplaint(input: {complaintId: $id, resolution: "Refunded"}) {
		errors { code field message } } }`, apptest.Vars{"id": c.ID}, nil))
	must(t, mutate(t, manager, "closeComplaint", closeQ, apptest.Vars{"id": c.ID}, &p))
	if p.Complaint.Status != "CLOSED" || p.Complaint.ReopenCount != 1 || p.Complaint.ResolvedByOrder != nil {
		t.Fatalf("closed again: %+v", p.Complaint)
	}

	// The complaint's history is on the order's timeline.
	var tl struct {
		Node struct {
			Events []struct{ Action, FromStatus, ToStatus string }
		}
	}
	env.As(t, "AUDITOR").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { events { action fromStatus toStatus } } } }`,
		apptest.Vars{"id": o.ID}, &tl)
	var actions []string
	for _, e := range tl.Node.Events {
		if strings.HasPrefix(e.Action, "complaint.") {
			actions = append(actions, e.Action)
		}
	}
	want := []string{"complaint.filed", "complaint.assigned", "complaint.overdue", "complaint.resolved", "complaint.closed",
		"complaint.reopened", "complaint.resolved", "complaint.closed"}
	if !slices.Equal(actions, want) {
		t.Fatalf("order timeline %v, want %v", actions, want)
	}
	if n := env.DB.Client.AuditEvent.Query().Where(auditevent.SubjectType("Complaint"), auditevent.SubjectID(id)).CountX(env.Sys); n != len(want) {
		t.Fatalf("%d complaint events, want %d", n, len(want))
	}
	assertInvariants(t, env)
}

// TestComplaintAccess: a sales rep sees and files complaints of their own
// customers only; warehouse staff may not file; bad input comes back as
// payload errors on the input field.
func TestComplaintAccess(t *testing.T) {
	w := newWorld(t)
	env := w.env
	c := w.fileComplaint(t, "SALES_REP", "")
	if c.Order != nil || c.FiledBy == nil || c.FiledBy.ID != apptest.ID(env.Users["SALES_REP"].ID) {
		t.Fatalf("filed by the rep: %+v", c)
	}

	const list = `{ complaints(first: 10) { totalCount edges { node { id } } } }`
	var out struct{ Complaints struct{ TotalCount int } }
	env.As(t, "SALES_REP").MustDo(t, list, nil, &out)
	if out.Complaints.TotalCount != 1 || w.complaint(t, "SALES_REP", c.ID) == nil {
		t.Fatalf("the owner sees %d complaints", out.Complaints.TotalCount)
	}
	env.As(t, "REP2").MustDo(t, list, nil, &out)
	if out.Complaints.TotalCount != 0 {
		t.Fatalf("another rep sees %d complaints", out.Complaints.TotalCount)
	}
	if r := env.As(t, "REP2").Do(t, `query($id: ID!) { node(id: $id) { id } }`, apptest.Vars{"id": c.ID}); !slices.Contains(r.Codes(), "NOT_FOUND") {
		t.Fatalf("another rep reads the complaint by id: %s %+v", r.Data, r.Errors)
	}

	const file = `mutation($c: ID!, $s: String!) { fileComplaint(input: {customerId: $c, category: DELIVERY, severity: LOW,
		subject: $s, description: "late"}) { complaint { id } errors { code field message } } }`
	errs := mutate(t, env.As(t, "REP2"), "fileComplaint", file, apptest.Vars{"c": w.customerID, "s": "late"}, nil)
	if len(errs) != 1 || errs[0].Code != "NOT_FOUND" || errs[0].Field == nil || *errs[0].Field != "input.customerId" {
		t.Fatalf("another rep files for the customer: %+v", errs)
	}
	errs = mutate(t, env.As(t, "SUPPORT"), "fileComplaint", file, apptest.Vars{"c": w.customerID, "s": " "}, nil)
	if len(errs) != 1 || errs[0].Code != "INVALID" || errs[0].Field == nil || *errs[0].Field != "input.subject" {
		t.Fatalf("empty subject: %+v", errs)
	}

	r := env.As(t, "WAREHOUSE").Do(t, file, apptest.Vars{"c": w.customerID, "s": "late"})
	if !slices.Contains(r.Codes(), "FORBIDDEN") {
		t.Fatalf("warehouse files a complaint: %+v", r)
	}
	// Warehouse staff cannot be given a complaint either.
	errs = mutate(t, env.As(t, "SUPPORT"), "assignComplaint", `mutation($id: ID!, $u: ID!) { assignComplaint(input: {complaintId: $id, assigneeId: $u}) {
		errors { code field message } } }`, apptest.Vars{"id": c.ID, "u": apptest.ID(env.Users["WAREHOUSE"].ID)}, nil)
	if len(errs) != 1 || errs[0].Code != "INVALID" || *errs[0].Field != "input.assigneeId" {
		t.Fatalf("assigning to warehouse staff: %+v", errs)
	}
	if n := env.DB.Client.Complaint.Query().CountX(env.Sys); n != 1 {
		t.Fatalf("%d complaints, want 1", n)
	}
}
