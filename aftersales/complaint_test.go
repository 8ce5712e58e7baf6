package aftersales_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"orderdesk/aftersales"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/auditevent"
	"orderdesk/ent/complaint"
	"orderdesk/ent/notification"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/payment"
	_ "orderdesk/ent/runtime" // registers privacy policies and hooks
	"orderdesk/ent/user"
	"orderdesk/fault"
	"orderdesk/store/storetest"
)

// clock is a settable clock that goroutines may read at once.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// fixture is a company with one user per role, a second sales rep, a
// customer of each rep and an order of each customer.
type fixture struct {
	client *ent.Client
	svc    *aftersales.Service
	clock  *clock
	sys    context.Context
	users  map[string]*ent.User // by role, and "REP2"
	// acme is SALES_REP's customer, globex REP2's.
	acme, globex           *ent.Customer
	acmeOrder, globexOrder *ent.Order
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := storetest.New(t)
	f := &fixture{client: db.Client, sys: auth.NewContext(context.Background(), auth.System("test")),
		clock: &clock{t: time.Date(2030, 3, 4, 9, 0, 0, 0, time.UTC)}, users: map[string]*ent.User{}}
	f.svc = aftersales.New(db.Client, aftersales.DefaultPolicy)
	f.svc.Now = f.clock.Now
	for _, r := range auth.Roles {
		f.users[string(r)] = f.user(t, strings.ToLower(string(r)), r)
	}
	f.users["REP2"] = f.user(t, "rep2", auth.SalesRep)
	f.acme = f.client.Customer.Create().SetName("Acme").SetCurrency("EUR").SetOwnerID(f.users["SALES_REP"].ID).SaveX(f.sys)
	f.globex = f.client.Customer.Create().SetName("Globex").SetCurrency("EUR").SetOwnerID(f.users["REP2"].ID).SaveX(f.sys)
	f.acmeOrder = f.order(t, "SO-1", f.acme)
	f.globexOrder = f.order(t, "SO-2", f.globex)
	return f
}

func (f *fixture) user(t *testing.T, name string, role auth.Role) *ent.User {
	t.Helper()
	return f.client.User.Create().SetEmail(name + "@test.local").SetName(name).SetPasswordHash("x").
		SetRole(user.Role(role)).SaveX(f.sys)
}

func (f *fixture) order(t *testing.T, number string, c *ent.Customer) *ent.Order {
	t.Helper()
	return f.client.Order.Create().SetNumber(number).SetChannel(entorder.ChannelWEB).SetCurrency("EUR").
		SetCustomerID(c.ID).SetNillableOwnerID(c.OwnerID).SaveX(f.sys)
}

// as is a context whose viewer is the fixture's user of the role (or "REP2").
func (f *fixture) as(role string) context.Context {
	u := f.users[role]
	return auth.NewContext(context.Background(), auth.NewUser(u.ID, u.Name, auth.Role(u.Role), nil))
}

func (f *fixture) file(t *testing.T, sev complaint.Severity) *ent.Complaint {
	t.Helper()
	id := f.acmeOrder.ID
	c, err := f.svc.File(f.as("SUPPORT"), aftersales.FileRequest{CustomerID: f.acme.ID, OrderID: &id,
		Category: complaint.CategoryDELIVERY, Severity: sev, Subject: "Drill arrived broken", Description: "The case was crushed."})
	if err != nil {
		t.Fatalf("filing: %v", err)
	}
	return c
}

func (f *fixture) reload(t *testing.T, id int) *ent.Complaint {
	t.Helper()
	return f.client.Complaint.GetX(f.sys, id)
}

// notified lists the recipients of the notifications of the kind about the
// complaint, by user name.
func (f *fixture) notified(t *testing.T, kind string, complaintID int) []string {
	t.Helper()
	ns := f.client.Notification.Query().Where(notification.Kind(kind), notification.SubjectType("Complaint"),
		notification.SubjectID(complaintID)).WithRecipient().AllX(f.sys)
	var names []string
	for _, n := range ns {
		names = append(names, n.Edges.Recipient.Name)
	}
	slices.Sort(names)
	return names
}

func (f *fixture) actions(t *testing.T, complaintID int) []string {
	t.Helper()
	evs := f.client.AuditEvent.Query().Where(auditevent.SubjectType("Complaint"), auditevent.SubjectID(complaintID)).
		Order(ent.Asc(auditevent.FieldID)).AllX(f.sys)
	var as []string
	for _, e := range evs {
		as = append(as, e.Action)
	}
	return as
}

func wantFault(t *testing.T, err error, code fault.Code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s on %q, got success", code, field)
	}
	if code == fault.Forbidden || code == fault.Unauthenticated {
		if fault.CodeOf(err) != code {
			t.Fatalf("want %s, got %v", code, err)
		}
		return
	}
	errs, ok := fault.Expected(err)
	if !ok {
		t.Fatalf("want %s on %q, got a non-business error: %v", code, field, err)
	}
	for _, e := range errs {
		if e.Code == code && e.Path == field {
			return
		}
	}
	t.Fatalf("want %s on %q, got %v", code, field, err)
}

func TestComplaintLifecycle(t *testing.T) {
	f := newFixture(t)
	filed := f.clock.Now()
	c := f.file(t, complaint.SeverityHIGH)
	if c.Status != complaint.StatusOPEN || !c.DueAt.Equal(filed.Add(24*time.Hour)) || c.FiledByID == nil ||
		*c.FiledByID != f.users["SUPPORT"].ID || c.OrderID == nil || *c.OrderID != f.acmeOrder.ID || c.Version != 1 {
		t.Fatalf("filed complaint: %+v", c)
	}
	// The entity is detached from the transaction: its edges still load.
	if cu, err := c.QueryCustomer().Only(f.sys); err != nil || cu.ID != f.acme.ID {
		t.Fatalf("customer of the filed complaint: %v, %v", cu, err)
	}
	// The owner and every manager are told; the filer (support) is not told
	// of their own action.
	if got := f.notified(t, "complaint.filed", c.ID); !slices.Equal(got, []string{"sales_manager", "sales_rep"}) {
		t.Fatalf("complaint.filed went to %v", got)
	}
	ev := f.client.AuditEvent.Query().Where(auditevent.Action("complaint.filed"), auditevent.SubjectID(c.ID)).OnlyX(f.sys)
	if ev.OrderID == nil || *ev.OrderID != f.acmeOrder.ID || ev.ToStatus != "OPEN" || ev.ActorID == nil || *ev.ActorID != f.users["SUPPORT"].ID {
		t.Fatalf("complaint.filed event: %+v", ev)
	}

	manager := f.as("SALES_MANAGER")
	c, err := f.svc.Assign(manager, aftersales.AssignRequest{ComplaintID: c.ID, AssigneeID: f.users["SUPPORT"].ID})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != complaint.StatusIN_PROGRESS || *c.AssigneeID != f.users["SUPPORT"].ID || c.Version != 2 {
		t.Fatalf("assigned: %+v", c)
	}
	if got := f.notified(t, "complaint.assigned", c.ID); !slices.Equal(got, []string{"support"}) {
		t.Fatalf("complaint.assigned went to %v", got)
	}
	// Re-assignment while in progress, to the customer's own rep.
	if c, err = f.svc.Assign(manager, aftersales.AssignRequest{ComplaintID: c.ID, AssigneeID: f.users["SALES_REP"].ID}); err != nil {
		t.Fatal(err)
	}
	if *c.AssigneeID != f.users["SALES_REP"].ID || c.Status != complaint.StatusIN_PROGRESS {
		t.Fatalf("re-assigned: %+v", c)
	}

	f.clock.Advance(time.Hour)
	c, err = f.svc.Resolve(f.as("SUPPORT"), aftersales.ResolveRequest{ComplaintID: c.ID, Resolution: "Replacement sent",
		OrderID: &f.acmeOrder.ID})
	if err != nil {
		t.Fatal(err)
	}
	if c.Status != complaint.StatusRESOLVED || c.ResolvedAt == nil || !c.ResolvedAt.Equal(f.clock.Now()) ||
		c.Resolution != "Replacement sent" || c.ResolvedByOrderID == nil || *c.ResolvedByOrderID != f.acmeOrder.ID {
		t.Fatalf("resolved: %+v", c)
	}
	// The filer resolved it: only the owner is told.
	if got := f.notified(t, "complaint.resolved", c.ID); !slices.Equal(got, []string{"sales_rep"}) {
		t.Fatalf("complaint.resolved went to %v", got)
	}

	if c, err = f.svc.Close(manager, aftersales.ActionRequest{ComplaintID: c.ID}); err != nil {
		t.Fatal(err)
	}
	if c.Status != complaint.StatusCLOSED || c.ClosedAt == nil {
		t.Fatalf("closed: %+v", c)
	}

	f.clock.Advance(48 * time.Hour)
	if c, err = f.svc.Reopen(manager, aftersales.ReopenRequest{ComplaintID: c.ID, Reason: "Replacement broken too"}); err != nil {
		t.Fatal(err)
	}
	if c.Status != complaint.StatusOPEN || c.ReopenCount != 1 || c.ResolvedAt != nil || c.ClosedAt != nil ||
		c.OverdueNotifiedAt != nil || !c.DueAt.Equal(f.clock.Now().Add(24*time.Hour)) {
		t.Fatalf("reopened: %+v", c)
	}
	// Resolved again without a link: the old link goes.
	if c, err = f.svc.Resolve(manager, aftersales.ResolveRequest{ComplaintID: c.ID, Resolution: "Refunded"}); err != nil {
		t.Fatal(err)
	}
	if c.ResolvedByOrderID != nil || c.Resolution != "Refunded" {
		t.Fatalf("resolved again: %+v", c)
	}
	want := []string{"complaint.filed", "complaint.assigned", "complaint.assigned", "complaint.resolved",
		"complaint.closed", "complaint.reopened", "complaint.resolved"}
	if got := f.actions(t, c.ID); !slices.Equal(got, want) {
		t.Fatalf("audit trail %v, want %v", got, want)
	}
	if n := f.client.AuditEvent.Query().Where(auditevent.SubjectType("Complaint"), auditevent.OrderIDIsNil()).CountX(f.sys); n != 0 {
		t.Fatalf("%d complaint events without the order", n)
	}
}

func TestComplaintStatusMachine(t *testing.T) {
	f := newFixture(t)
	actions := map[string]func(ctx context.Context, id int) (*ent.Complaint, error){
		"assign": func(ctx context.Context, id int) (*ent.Complaint, error) {
			return f.svc.Assign(ctx, aftersales.AssignRequest{ComplaintID: id, AssigneeID: f.users["SUPPORT"].ID})
		},
		"resolve": func(ctx context.Context, id int) (*ent.Complaint, error) {
			return f.svc.Resolve(ctx, aftersales.ResolveRequest{ComplaintID: id, Resolution: "done"})
		},
		"close": func(ctx context.Context, id int) (*ent.Complaint, error) {
			return f.svc.Close(ctx, aftersales.ActionRequest{ComplaintID: id})
		},
		"reopen": func(ctx context.Context, id int) (*ent.Complaint, error) {
			return f.svc.Reopen(ctx, aftersales.ReopenRequest{ComplaintID: id, Reason: "again"})
		},
	}
	const no = complaint.Status("")
	table := []struct {
		from complaint.Status
		to   map[string]complaint.Status // by action; missing: INVALID_TRANSITION
	}{
		{complaint.StatusOPEN, map[string]complaint.Status{"assign": complaint.StatusIN_PROGRESS, "resolve": complaint.StatusRESOLVED}},
		{complaint.StatusIN_PROGRESS, map[string]complaint.Status{"assign": complaint.StatusIN_PROGRESS, "resolve": complaint.StatusRESOLVED}},
		{complaint.StatusRESOLVED, map[string]complaint.Status{"close": complaint.StatusCLOSED, "reopen": complaint.StatusOPEN}},
		{complaint.StatusCLOSED, map[string]complaint.Status{"reopen": complaint.StatusOPEN}},
	}
	for _, row := range table {
		for _, action := range []string{"assign", "resolve", "close", "reopen"} {
			t.Run(fmt.Sprintf("%s/%s", row.from, action), func(t *testing.T) {
				c := f.file(t, complaint.SeverityMEDIUM)
				c = f.client.Complaint.UpdateOne(c).SetStatus(row.from).SaveX(f.sys)
				got, err := actions[action](f.as("SUPPORT"), c.ID)
				want := row.to[action]
				if want == no {
					wantFault(t, err, fault.InvalidTransition, "")
					if after := f.reload(t, c.ID); after.Status != row.from || after.Version != c.Version {
						t.Fatalf("refused %s changed the complaint: %+v", action, after)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s from %s: %v", action, row.from, err)
				}
				if got.Status != want || got.Version != c.Version+1 {
					t.Fatalf("%s from %s: status %s version %d, want %s version %d", action, row.from, got.Status, got.Version, want, c.Version+1)
				}
			})
		}
	}
}

func TestComplaintValidation(t *testing.T) {
	f := newFixture(t)
	support := f.as("SUPPORT")
	acmeOrder, globexOrder, missing := f.acmeOrder.ID, f.globexOrder.ID, 1<<30
	valid := func() aftersales.FileRequest {
		return aftersales.FileRequest{CustomerID: f.acme.ID, Category: complaint.CategoryBILLING,
			Severity: complaint.SeverityLOW, Subject: "Invoice wrong", Description: "Charged twice."}
	}
	file := []struct {
		name  string
		ctx   context.Context
		edit  func(*aftersales.FileRequest)
		code  fault.Code
		field string
	}{
		{"AnonymousCannotFile", context.Background(), nil, fault.Unauthenticated, ""},
		{"WarehouseCannotFile", f.as("WAREHOUSE"), nil, fault.Forbidden, ""},
		{"FinanceCannotFile", f.as("FINANCE"), nil, fault.Forbidden, ""},
		{"SubjectRequired", support, func(r *aftersales.FileRequest) { r.Subject = "  " }, fault.Invalid, "input.subject"},
		{"SubjectTooLong", support, func(r *aftersales.FileRequest) { r.Subject = strings.Repeat("x", 201) }, fault.Invalid, "input.subject"},
		{"SubjectTooManyCharacters", support, func(r *aftersales.FileRequest) { r.Subject = strings.Repeat("投", 201) }, fault.Invalid, "input.subject"},
		{"DescriptionRequired", support, func(r *aftersales.FileRequest) { r.Description = "" }, fault.Invalid, "input.description"},
		{"DescriptionTooLong", support, func(r *aftersales.FileRequest) { r.Description = strings.Repeat("x", 8001) }, fault.Invalid, "input.description"},
		{"BadCategory", support, func(r *aftersales.FileRequest) { r.Category = "RUDE" }, fault.Invalid, "input.category"},
		{"BadSeverity", support, func(r *aftersales.FileRequest) { r.Severity = "URGENT" }, fault.Invalid, "input.severity"},
		{"NoSuchCustomer", support, func(r *aftersales.FileRequest) { r.CustomerID = missing }, fault.NotFound, "input.customerId"},
		{"RepCannotSeeOtherRepsCustomer", f.as("REP2"), nil, fault.NotFound, "input.customerId"},
		{"NoSuchOrder", support, func(r *aftersales.FileRequest) { r.OrderID = &missing }, fault.NotFound, "input.orderId"},
		{"OrderOfAnotherCustomer", support, func(r *aftersales.FileRequest) { r.OrderID = &globexOrder }, fault.Invalid, "input.orderId"},
		{"RepOrderOfOtherRepsCustomer", f.as("SALES_REP"), func(r *aftersales.FileRequest) { r.OrderID = &globexOrder }, fault.NotFound, "input.orderId"},
	}
	for _, tc := range file {
		t.Run("File/"+tc.name, func(t *testing.T) {
			r := valid()
			if tc.edit != nil {
				tc.edit(&r)
			}
			_, err := f.svc.File(tc.ctx, r)
			wantFault(t, err, tc.code, tc.field)
		})
	}
	if n := f.client.Complaint.Query().CountX(f.sys); n != 0 {
		t.Fatalf("%d complaints after refused filings", n)
	}
	t.Run("File/RepFilesForOwnCustomer", func(t *testing.T) {
		r := valid()
		r.OrderID = &acmeOrder
		r.Subject = strings.Repeat("投", 200) // 200 characters (600 bytes): the limit counts characters
		if _, err := f.svc.File(f.as("SALES_REP"), r); err != nil {
			t.Fatal(err)
		}
	})

	c := f.file(t, complaint.SeverityLOW)
	manager := f.as("SALES_MANAGER")
	inactive := f.user(t, "gone", auth.Support)
	f.client.User.UpdateOne(inactive).SetActive(false).ExecX(f.sys)
	for _, role := range []string{"WAREHOUSE", "AUDITOR", "INTEGRATOR", "FINANCE", "REP2"} {
		t.Run("Assign/Not"+role, func(t *testing.T) {
			_, err := f.svc.Assign(manager, aftersales.AssignRequest{ComplaintID: c.ID, AssigneeID: f.users[role].ID})
			wantFault(t, err, fault.Invalid, "input.assigneeId")
		})
	}
	t.Run("Assign/NotInactive", func(t *testing.T) {
		_, err := f.svc.Assign(manager, aftersales.AssignRequest{ComplaintID: c.ID, AssigneeID: inactive.ID})
		wantFault(t, err, fault.Invalid, "input.assigneeId")
	})
	t.Run("Assign/RepMayNotManage", func(t *testing.T) {
		_, err := f.svc.Assign(f.as("SALES_REP"), aftersales.AssignRequest{ComplaintID: c.ID, AssigneeID: f.users["SALES_REP"].ID})
		wantFault(t, err, fault.Forbidden, "")
	})
	t.Run("Assign/NoSuchComplaint", func(t *testing.T) {
		_, err := f.svc.Assign(manager, aftersales.AssignRequest{ComplaintID: missing, AssigneeID: f.users["SUPPORT"].ID})
		wantFault(t, err, fault.NotFound, "input.complaintId")
	})
	t.Run("Assign/VersionConflict", func(t *testing.T) {
		stale := c.Version + 5
		_, err := f.svc.Assign(manager, aftersales.AssignRequest{ComplaintID: c.ID, AssigneeID: f.users["SUPPORT"].ID, ExpectedVersion: &stale})
		wantFault(t, err, fault.VersionConflict, "input.expectedVersion")
	})
	if after := f.reload(t, c.ID); after.Status != complaint.StatusOPEN || after.AssigneeID != nil || after.Version != c.Version {
		t.Fatalf("refused assignments changed the complaint: %+v", after)
	}

	charge := f.client.Payment.Create().SetKind(payment.KindCHARGE).SetAmountMinor(100).SetCurrency("EUR").
		SetMethod(payment.MethodCASH).SetStatus(payment.StatusCAPTURED).SetOrderID(f.globexOrder.ID).SaveX(f.sys)
	resolve := []struct {
		name  string
		edit  func(*aftersales.ResolveRequest)
		code  fault.Code
		field string
	}{
		{"ResolutionRequired", func(r *aftersales.ResolveRequest) { r.Resolution = "" }, fault.Invalid, "input.resolution"},
		{"OrderOfAnotherCustomer", func(r *aftersales.ResolveRequest) { r.OrderID = &globexOrder }, fault.Invalid, "input.orderId"},
		{"NoSuchOrder", func(r *aftersales.ResolveRequest) { r.OrderID = &missing }, fault.NotFound, "input.orderId"},
		{"PaymentOfAnotherCustomer", func(r *aftersales.ResolveRequest) { r.PaymentID = &charge.ID }, fault.Invalid, "input.paymentId"},
		{"NoSuchReturn", func(r *aftersales.ResolveRequest) { r.ReturnID = &missing }, fault.NotFound, "input.returnId"},
		{"NoSuchCorrection", func(r *aftersales.ResolveRequest) { r.CorrectionID = &missing }, fault.NotFound, "input.correctionId"},
	}
	for _, tc := range resolve {
		t.Run("Resolve/"+tc.name, func(t *testing.T) {
			r := aftersales.ResolveRequest{ComplaintID: c.ID, Resolution: "Refunded"}
			tc.edit(&r)
			_, err := f.svc.Resolve(support, r)
			wantFault(t, err, tc.code, tc.field)
		})
	}
	t.Run("Reopen/ReasonRequired", func(t *testing.T) {
		_, err := f.svc.Reopen(support, aftersales.ReopenRequest{ComplaintID: c.ID, Reason: " "})
		wantFault(t, err, fault.Invalid, "input.reason")
	})
	t.Run("Close/AuditorMayNot", func(t *testing.T) {
		_, err := f.svc.Close(f.as("AUDITOR"), aftersales.ActionRequest{ComplaintID: c.ID})
		wantFault(t, err, fault.Forbidden, "")
	})
}

func TestComplaintIdempotency(t *testing.T) {
	f := newFixture(t)
	support := f.as("SUPPORT")
	r := aftersales.FileRequest{CustomerID: f.acme.ID, Category: complaint.CategorySERVICE, Severity: complaint.SeverityLOW,
		Subject: "Rude driver", Description: "He shouted.", IdempotencyKey: "file-1"}
	a, err := f.svc.File(support, r)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.File(support, r)
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != b.ID || f.client.Complaint.Query().CountX(f.sys) != 1 {
		t.Fatalf("a retry filed again: %d, %d", a.ID, b.ID)
	}
	if _, err := b.QueryCustomer().Only(f.sys); err != nil {
		t.Fatalf("replayed complaint is not detached: %v", err)
	}
	r.Subject = "Another"
	_, err = f.svc.File(support, r)
	wantFault(t, err, fault.IdempotencyMismatch, "input.idempotencyKey")

	close := aftersales.ActionRequest{ComplaintID: a.ID, IdempotencyKey: "close-1"}
	if _, err := f.svc.Resolve(support, aftersales.ResolveRequest{ComplaintID: a.ID, Resolution: "Apologised"}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if c, err := f.svc.Close(support, close); err != nil || c.Status != complaint.StatusCLOSED {
			t.Fatalf("close: %v, %v", c, err)
		}
	}
	if got := f.actions(t, a.ID); !slices.Equal(got, []string{"complaint.filed", "complaint.resolved", "complaint.closed"}) {
		t.Fatalf("audit trail %v", got)
	}
}

func TestComplaintNotifyOverdue(t *testing.T) {
	f := newFixture(t)
	c := f.file(t, complaint.SeverityHIGH)
	low := f.file(t, complaint.SeverityLOW) // due in 7 days
	done := f.file(t, complaint.SeverityCRITICAL)
	c, err := f.svc.Assign(f.as("SALES_MANAGER"), aftersales.AssignRequest{ComplaintID: c.ID, AssigneeID: f.users["SUPPORT"].ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Resolve(f.as("SUPPORT"), aftersales.ResolveRequest{ComplaintID: done.ID, Resolution: "fixed"}); err != nil {
		t.Fatal(err)
	}
	if n, err := f.svc.NotifyOverdue(context.Background()); err != nil || n != 0 {
		t.Fatalf("before the due time: %d, %v", n, err)
	}
	if f.svc.Overdue(c) {
		t.Fatal("overdue before its due time")
	}

	// More overdue complaints make the two runs below overlap: each lists
	// them all before the other has worked through them.
	var more []int
	for range 15 {
		more = append(more, f.file(t, complaint.SeverityHIGH).ID)
	}

	f.clock.Advance(25 * time.Hour)
	if !f.svc.Overdue(f.reload(t, c.ID)) || f.svc.Overdue(f.reload(t, done.ID)) || f.svc.Overdue(f.reload(t, low.ID)) {
		t.Fatal("overdue flags after 25 hours")
	}
	// Two servers run the rule at once: each complaint is announced once.
	var wg sync.WaitGroup
	start := make(chan struct{})
	counts := make([]int, 2)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			n, err := f.svc.NotifyOverdue(context.Background())
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	close(start)
	wg.Wait()
	if counts[0]+counts[1] != 1+len(more) {
		t.Fatalf("announced %v complaints, want %d", counts, 1+len(more))
	}
	if got := f.notified(t, "complaint.overdue", c.ID); !slices.Equal(got, []string{"sales_manager", "support"}) {
		t.Fatalf("complaint.overdue went to %v", got)
	}
	for _, id := range more {
		if got := f.notified(t, "complaint.overdue", id); !slices.Equal(got, []string{"sales_manager"}) {
			t.Fatalf("complaint.overdue of unassigned complaint %d went to %v", id, got)
		}
	}
	after := f.reload(t, c.ID)
	if after.OverdueNotifiedAt == nil || !after.OverdueNotifiedAt.Equal(f.clock.Now()) {
		t.Fatalf("overdue_notified_at = %v", after.OverdueNotifiedAt)
	}
	ev := f.client.AuditEvent.Query().Where(auditevent.Action("complaint.overdue"), auditevent.SubjectID(c.ID)).OnlyX(f.sys)
	if ev.SubjectID != c.ID || ev.ActorKind != auditevent.ActorKindSYSTEM || ev.ActorName != "system:complaint-overdue" {
		t.Fatalf("complaint.overdue event: %+v", ev)
	}
	if n, _ := f.svc.NotifyOverdue(context.Background()); n != 0 {
		t.Fatalf("announced again: %d", n)
	}

	// Resolved and reopened, it is due again a day later, and announced
	// again when it passes that.
	support := f.as("SUPPORT")
	if _, err := f.svc.Resolve(support, aftersales.ResolveRequest{ComplaintID: c.ID, Resolution: "Replaced"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Reopen(support, aftersales.ReopenRequest{ComplaintID: c.ID, Reason: "Still broken"}); err != nil {
		t.Fatal(err)
	}
	if n, _ := f.svc.NotifyOverdue(context.Background()); n != 0 {
		t.Fatalf("announced right after reopening: %d", n)
	}
	f.clock.Advance(24*time.Hour + time.Minute)
	if n, err := f.svc.NotifyOverdue(context.Background()); err != nil || n != 1 {
		t.Fatalf("after the new due time: %d, %v", n, err)
	}
	if got := f.notified(t, "complaint.overdue", c.ID); len(got) != 4 {
		t.Fatalf("complaint.overdue notifications after the reopening: %v", got)
	}
	if n := f.client.Notification.Query().Where(notification.Kind("complaint.overdue"), notification.SubjectID(done.ID)).CountX(f.sys); n != 0 {
		t.Fatalf("a resolved complaint was announced overdue")
	}
}
