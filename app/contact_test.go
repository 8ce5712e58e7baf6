package app_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"orderdesk/app"
	"orderdesk/app/apptest"
	"orderdesk/ent/notification"
	"orderdesk/order"
	"orderdesk/store/storetest"
)

const contactFields = `id channel direction origin summary outcome subjectType followUpAt followUpDoneAt followUpDue satisfaction
	customer { id } order { id } followUpAssignee { id } actor { id } subject { id }`

type contactView struct {
	ID, Channel, Direction, Origin, Summary string
	Outcome, SubjectType                    *string
	FollowUpAt, FollowUpDoneAt              *time.Time
	FollowUpDue                             bool
	Satisfaction                            *int
	Customer                                struct{ ID string }
	Order, FollowUpAssignee, Actor, Subject *struct{ ID string }
}

const logContactMutation = `mutation($in: LogContactInput!) { logContact(input: $in) {
	contact { ` + contactFields + ` } errors { code field message } } }`

// logContact logs a contact as the role; in holds the input beyond the
// world's customer.
func (w *world) logContact(t *testing.T, role string, in apptest.Vars) (contactView, []apptest.UserError) {
	t.Helper()
	input := apptest.Vars{"customerId": w.customerID, "channel": "PHONE", "direction": "OUTBOUND", "summary": "联系客户沟通"}
	for k, v := range in {
		input[k] = v
	}
	var p struct{ Contact *contactView }
	errs := mutate(t, w.env.As(t, role), "logContact", logContactMutation, apptest.Vars{"in": input}, &p)
	if p.Contact == nil {
		return contactView{}, errs
	}
	return *p.Contact, errs
}

func (w *world) completeFollowUp(t *testing.T, role string, in apptest.Vars) (contactView, []apptest.UserError) {
	t.Helper()
	var p struct{ Contact *contactView }
	errs := mutate(t, w.env.As(t, role), "completeFollowUp", `mutation($in: CompleteFollowUpInput!) { completeFollowUp(input: $in) {
		contact { `+contactFields+` } errors { code field message } } }`, apptest.Vars{"in": in}, &p)
	if p.Contact == nil {
		return contactView{}, errs
	}
	return *p.Contact, errs
}

// contactIDs lists the ids of the contacts the filter keeps, as the role.
func (w *world) contactIDs(t *testing.T, role string, filter apptest.Vars) []string {
	t.Helper()
	var out struct {
		Contacts struct {
			TotalCount int
			Edges      []struct{ Node struct{ ID string } }
		}
	}
	w.env.As(t, role).MustDo(t, `query($f: ContactsFilter) { contacts(first: 50, filter: $f) { totalCount edges { node { id } } } }`,
		apptest.Vars{"f": filter}, &out)
	var ids []string
	for _, e := range out.Contacts.Edges {
		ids = append(ids, e.Node.ID)
	}
	if out.Contacts.TotalCount != len(ids) {
		t.Fatalf("contacts %v: totalCount %d for %d edges", filter, out.Contacts.TotalCount, len(ids))
	}
	return ids
}

// inboxKinds lists the role's open exceptions as kind:subject.
func (w *world) inboxKinds(t *testing.T, role string) []string {
	t.Helper()
	var out struct {
		OpenExceptions struct {
			Edges []struct {
				Node struct {
					Kind    string
					Subject *struct{ ID string }
				}
			}
		}
	}
	w.env.As(t, role).MustDo(t, `{ openExceptions(first: 50) { edges { node { kind subject { id } } } } }`, nil, &out)
	var ks []string
	for _, e := range out.OpenExceptions.Edges {
		id := ""
		if e.Node.Subject != nil {
			id = e.Node.Subject.ID
		}
		ks = append(ks, e.Node.Kind+":"+id)
	}
	return ks
}

// TestScenario_ContactOnTimelinesAndFilters: the rep logs a phone call
// about a confirmed order with a follow-up: the contact is on the order's
// timeline, in the order's and the customer's contacts, and the contacts
// filters find it; a retry with the same key logs nothing twice; text
// limits count characters, not bytes.
func TestScenario_ContactOnTimelinesAndFilters(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 1, 0)
	repID := apptest.ID(w.env.Users["SALES_REP"].ID)
	followUp := time.Now().UTC().Add(48 * time.Hour).Truncate(time.Second)

	in := apptest.Vars{"orderId": o.ID, "summary": "联系客户沟通：客户同意延期两天送货", "outcome": "征得客户同意",
		"followUpAt": followUp.Format(time.RFC3339), "idempotencyKey": "call-1"}
	c, errs := w.logContact(t, "SALES_REP", in)
	must(t, errs)
	if c.Order == nil || c.Order.ID != o.ID || c.Customer.ID != w.customerID || c.FollowUpAssignee == nil ||
		c.FollowUpAssignee.ID != repID || c.Actor == nil || c.Actor.ID != repID || c.Origin != "LOGGED" ||
		c.FollowUpAt == nil || !c.FollowUpAt.Equal(followUp) || c.FollowUpDue {
		t.Fatalf("logged: %+v", c)
	}
	again, errs := w.logContact(t, "SALES_REP", in)
	must(t, errs)
	if again.ID != c.ID {
		t.Fatalf("retry logged contact %s, first was %s", again.ID, c.ID)
	}

	// On the order's timeline, once.
	var ord struct {
		Node struct {
			Events   []struct{ Action, SubjectType string }
			Contacts struct {
				Edges []struct{ Node struct{ ID string } }
			}
			Customer struct {
				Contacts struct {
					Edges []struct{ Node struct{ ID string } }
				}
			}
		}
	}
	w.env.As(t, "SALES_REP").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order {
		events { action subjectType } contacts(first: 10) { edges { node { id } } }
		customer { contacts(first: 10) { edges { node { id } } } } } } }`, apptest.Vars{"id": o.ID}, &ord)
	logged := 0
	for _, e := range ord.Node.Events {
		if e.Action == "contact.logged" && e.SubjectType == "Contact" {
			logged++
		}
	}
	if logged != 1 {
		t.Fatalf("order timeline has %d contact.logged events: %+v", logged, ord.Node.Events)
	}
	if len(ord.Node.Contacts.Edges) != 1 || ord.Node.Contacts.Edges[0].Node.ID != c.ID ||
		len(ord.Node.Customer.Contacts.Edges) != 1 || ord.Node.Customer.Contacts.Edges[0].Node.ID != c.ID {
		t.Fatalf("order's and customer's contacts: %+v", ord.Node)
	}

	// A second contact, inbound, about the customer only, without follow-up.
	other, errs := w.logContact(t, "SUPPORT", apptest.Vars{"channel": "EMAIL", "direction": "INBOUND", "summary": "反馈给客户"})
	must(t, errs)

	for _, tc := range []struct {
		name   string
		filter apptest.Vars
		want   []string
	}{
		{"customer", apptest.Vars{"customerId": w.customerID}, []string{other.ID, c.ID}}, // newest first
		{"order", apptest.Vars{"orderId": o.ID}, []string{c.ID}},
		{"assignee", apptest.Vars{"assigneeId": repID}, []string{c.ID}},
		{"open follow-ups", apptest.Vars{"openFollowUpsOnly": true}, []string{c.ID}},
		{"due before, later", apptest.Vars{"dueBefore": followUp.Add(time.Hour).Format(time.RFC3339)}, []string{c.ID}},
		{"due before, now", apptest.Vars{"dueBefore": time.Now().UTC().Format(time.RFC3339)}, nil},
	} {
		if got := w.contactIDs(t, "SALES_MANAGER", tc.filter); !slices.Equal(got, tc.want) {
			t.Errorf("contacts filtered by %s: %v, want %v", tc.name, got, tc.want)
		}
	}

	// Validation: payload errors with field paths; limits in characters.
	for _, tc := range []struct {
		name, field string
		in          apptest.Vars
	}{
		{"empty summary", "input.summary", apptest.Vars{"summary": "  "}},
		{"summary too long", "input.summary", apptest.Vars{"summary": strings.Repeat("回", 4001)}},
		{"outcome too long", "input.outcome", apptest.Vars{"outcome": strings.Repeat("访", 4001)}},
		{"follow-up in the past", "input.followUpAt", apptest.Vars{"followUpAt": time.Now().Add(-time.Hour).Format(time.RFC3339)}},
		{"assignee without follow-up", "input.assigneeId", apptest.Vars{"assigneeId": repID}},
		{"warehouse assignee", "input.assigneeId", apptest.Vars{"followUpAt": followUp.Format(time.RFC3339),
			"assigneeId": apptest.ID(w.env.Users["WAREHOUSE"].ID)}},
		{"another customer's order", "input.orderId", apptest.Vars{"customerId": w.otherCustomer(t), "orderId": o.ID}},
	} {
		_, errs := w.logContact(t, "SALES_MANAGER", tc.in)
		if len(errs) == 0 || errs[0].Field == nil || *errs[0].Field != tc.field {
			t.Errorf("%s: errors %+v, want one on %s", tc.name, errs, tc.field)
		}
	}
	// 4000 Chinese characters (12,000 bytes) fit.
	long, errs := w.logContact(t, "SALES_MANAGER", apptest.Vars{"summary": strings.Repeat("回", 4000)})
	must(t, errs)
	if len([]rune(long.Summary)) != 4000 {
		t.Fatalf("summary kept %d characters", len([]rune(long.Summary)))
	}

	// About a complaint of the order: the subject, and its order.
	cp := w.fileComplaint(t, "SUPPORT", o.ID)
	about, errs := w.logContact(t, "SUPPORT", apptest.Vars{"subjectId": cp.ID, "summary": "跟进后续事宜"})
	must(t, errs)
	if about.Subject == nil || about.Subject.ID != cp.ID || about.SubjectType == nil || *about.SubjectType != "Complaint" ||
		about.Order == nil || about.Order.ID != o.ID {
		t.Fatalf("contact about a complaint: %+v", about)
	}
	_, errs = w.logContact(t, "SUPPORT", apptest.Vars{"subjectId": w.customerID})
	wantCode(t, errs, "INVALID")
}

// otherCustomer creates a customer of the second rep and returns its id.
func (w *world) otherCustomer(t *testing.T) string {
	t.Helper()
	var out struct {
		CreateCustomer struct{ Customer struct{ ID string } }
	}
	w.env.As(t, "ADMIN").MustDo(t, `mutation($rep: ID!) { createCustomer(input: {name: "Globex", ownerId: $rep}) { customer { id } } }`,
		apptest.Vars{"rep": apptest.ID(w.env.Users["REP2"].ID)}, &out)
	return out.CreateCustomer.Customer.ID
}

// TestScenario_FollowUpDueInboxAndNotifiedOnce: a follow-up that comes due
// is in its assignee's inbox (only theirs), the rule tells the assignee
// once however often it runs, and completing it takes it out of the inbox.
func TestScenario_FollowUpDueInboxAndNotifiedOnce(t *testing.T) {
	w := newWorld(t)
	env := w.env
	o := w.createConfirmed(t, 1, 0)
	repID := env.Users["SALES_REP"].ID
	c, errs := w.logContact(t, "SALES_MANAGER", apptest.Vars{"orderId": o.ID, "summary": "客户回访",
		"followUpAt": time.Now().Add(time.Hour).Format(time.RFC3339), "assigneeId": apptest.ID(repID)})
	must(t, errs)
	item := "FOLLOW_UP_DUE:" + c.ID
	if slices.Contains(w.inboxKinds(t, "SALES_REP"), item) {
		t.Fatal("a follow-up not yet due is in the inbox")
	}
	if n, err := env.Contacts.NotifyDue(context.Background()); err != nil || n != 0 {
		t.Fatalf("due rule before it is due: %d, %v", n, err)
	}

	// It comes due.
	id := atoi(t, c.ID)
	env.DB.Client.Contact.UpdateOneID(id).SetFollowUpAt(time.Now().UTC().Add(-time.Minute)).ExecX(env.Sys)
	if !slices.Contains(w.inboxKinds(t, "SALES_REP"), item) {
		t.Fatalf("the due follow-up is not in the assignee's inbox: %v", w.inboxKinds(t, "SALES_REP"))
	}
	if slices.Contains(w.inboxKinds(t, "SALES_MANAGER"), item) {
		t.Fatal("the due follow-up is in another user's inbox")
	}
	for i, want := range []int{1, 0} {
		if n, err := env.Contacts.NotifyDue(context.Background()); err != nil || n != want {
			t.Fatalf("due rule run %d: %d, %v; want %d", i+1, n, err, want)
		}
	}
	ns := env.DB.Client.Notification.Query().Where(notification.Kind("contact.follow_up_due"),
		notification.SubjectType("Contact"), notification.SubjectID(id)).AllX(env.Sys)
	if len(ns) != 1 || ns[0].RecipientID != repID {
		t.Fatalf("contact.follow_up_due notifications: %+v", ns)
	}
	var node struct{ Node contactView }
	env.As(t, "SALES_REP").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Contact { `+contactFields+` } } }`,
		apptest.Vars{"id": c.ID}, &node)
	if !node.Node.FollowUpDue {
		t.Fatalf("due follow-up: %+v", node.Node)
	}

	// Completed, with the customer's satisfaction: out of the inbox.
	_, errs = w.completeFollowUp(t, "SALES_REP", apptest.Vars{"contactId": c.ID, "satisfaction": 6})
	wantCode(t, errs, "INVALID")
	in := apptest.Vars{"contactId": c.ID, "satisfaction": 4, "outcome": "客户满意", "idempotencyKey": "done-1"}
	done, errs := w.completeFollowUp(t, "SALES_REP", in)
	must(t, errs)
	if done.FollowUpDoneAt == nil || done.Satisfaction == nil || *done.Satisfaction != 4 || done.Outcome == nil ||
		*done.Outcome != "客户满意" || done.FollowUpDue {
		t.Fatalf("completed: %+v", done)
	}
	if again, errs := w.completeFollowUp(t, "SALES_REP", in); len(errs) > 0 || !again.FollowUpDoneAt.Equal(*done.FollowUpDoneAt) {
		t.Fatalf("retry of the completion: %+v %+v", again, errs)
	}
	_, errs = w.completeFollowUp(t, "SALES_REP", apptest.Vars{"contactId": c.ID})
	wantCode(t, errs, "INVALID_TRANSITION")
	if slices.Contains(w.inboxKinds(t, "SALES_REP"), item) {
		t.Fatal("a completed follow-up is still in the inbox")
	}
	if got := w.contactIDs(t, "SALES_REP", apptest.Vars{"openFollowUpsOnly": true}); len(got) != 0 {
		t.Fatalf("open follow-ups after completion: %v", got)
	}
	var ord struct {
		Node struct{ Events []struct{ Action string } }
	}
	env.As(t, "SALES_REP").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { events { action } } } }`,
		apptest.Vars{"id": o.ID}, &ord)
	var actions []string
	for _, e := range ord.Node.Events {
		if strings.HasPrefix(e.Action, "contact.") {
			actions = append(actions, e.Action)
		}
	}
	if !slices.Equal(actions, []string{"contact.logged", "contact.follow_up_due", "contact.follow_up_completed"}) {
		t.Fatalf("contact events on the order's timeline: %v", actions)
	}
}

// TestScenario_AfterDeliveryFollowUp: with the setting on, marking an
// order delivered schedules the post-delivery follow-up (客户回访) for the
// order's rep, in the same transaction; completing it records the
// customer's satisfaction. With the setting off (the default), none.
func TestScenario_AfterDeliveryFollowUp(t *testing.T) {
	p := order.DefaultPolicy
	p.AfterDeliveryFollowUp = 72 * time.Hour
	w := newWorldOn(t, apptest.NewWith(t, storetest.New(t), app.Options{Policy: p}))
	o, _ := w.paidShipped(t, 1, 0)
	deliveredAt := time.Now()
	deliver(t, w, o.ID)

	ids := w.contactIDs(t, "SALES_REP", apptest.Vars{"orderId": o.ID})
	if len(ids) != 1 {
		t.Fatalf("contacts after delivery: %v", ids)
	}
	var node struct{ Node contactView }
	w.env.As(t, "SALES_REP").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Contact { `+contactFields+` } } }`,
		apptest.Vars{"id": ids[0]}, &node)
	c := node.Node
	if c.Origin != "AFTER_DELIVERY" || c.FollowUpAssignee == nil || c.FollowUpAssignee.ID != apptest.ID(w.env.Users["SALES_REP"].ID) ||
		c.FollowUpAt == nil || c.FollowUpAt.Sub(deliveredAt) < 71*time.Hour || c.FollowUpAt.Sub(deliveredAt) > 73*time.Hour ||
		c.Order == nil || c.Order.ID != o.ID {
		t.Fatalf("post-delivery follow-up: %+v", c)
	}
	done, errs := w.completeFollowUp(t, "SALES_REP", apptest.Vars{"contactId": c.ID, "satisfaction": 5, "outcome": "客户回访：很满意"})
	must(t, errs)
	if done.Satisfaction == nil || *done.Satisfaction != 5 {
		t.Fatalf("completed post-delivery follow-up: %+v", done)
	}

	off := newWorld(t)
	o2, _ := off.paidShipped(t, 1, 0)
	deliver(t, off, o2.ID)
	if ids := off.contactIDs(t, "SALES_REP", apptest.Vars{"orderId": o2.ID}); len(ids) != 0 {
		t.Fatalf("the setting is off, yet delivery scheduled %v", ids)
	}
}

func deliver(t *testing.T, w *world, orderID string) {
	t.Helper()
	must(t, mutate(t, w.env.As(t, "WAREHOUSE"), "markOrderDelivered", `mutation($o: ID!) { markOrderDelivered(input: {orderId: $o}) {
		errors { code field message } } }`, apptest.Vars{"o": orderID}, nil))
}

// newWorldOn is newWorld over a given environment.
func newWorldOn(t *testing.T, env *apptest.Env) *world {
	t.Helper()
	w := &world{env: env}
	var out struct {
		A struct{ StockItem struct{ ID string } }
		B struct{ StockItem struct{ ID string } }
		C struct{ Customer struct{ ID string } }
	}
	env.As(t, "ADMIN").MustDo(t, `mutation($rep: ID!) {
		a: createStockItem(input: {sku: "DRL-100", name: "Drill", unitPrice: "129.00"}) { stockItem { id } }
		b: createStockItem(input: {sku: "GLV-M", name: "Gloves", unitPrice: "6.50"}) { stockItem { id } }
		c: createCustomer(input: {name: "Acme", creditLimit: "10000.00", ownerId: $rep,
			shippingAddress: {line1: "1 Main St", city: "Berlin", country: "DE"}}) { customer { id } } }`,
		apptest.Vars{"rep": apptest.ID(env.Users["SALES_REP"].ID)}, &out)
	w.drillID, w.glovesID, w.customerID = out.A.StockItem.ID, out.B.StockItem.ID, out.C.Customer.ID
	wh := env.As(t, "WAREHOUSE")
	receive(t, wh, w.drillID, 10)
	receive(t, wh, w.glovesID, 100)
	return w
}

// TestScenario_ConfirmationPointsAtContact: a severe correction and a
// cancellation request name the contact in which the customer agreed
// (征得客户同意); a contact with another customer is refused.
func TestScenario_ConfirmationPointsAtContact(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 1, 0)
	agreed, errs := w.logContact(t, "SALES_REP", apptest.Vars{"orderId": o.ID, "summary": "征得客户同意：按新价格"})
	must(t, errs)
	foreign, errs := w.logContact(t, "ADMIN", apptest.Vars{"customerId": w.otherCustomer(t), "summary": "联系客户沟通"})
	must(t, errs)

	correct := func(contactID string) (struct {
		Correction *struct {
			Severity, Status  string
			CustomerConfirmed bool
			CustomerContact   *struct{ ID string }
		}
	}, []apptest.UserError) {
		var p struct {
			Correction *struct {
				Severity, Status  string
				CustomerConfirmed bool
				CustomerContact   *struct{ ID string }
			}
		}
		cur := w.order(t, o.ID)
		errs := mutate(t, w.env.As(t, "SALES_MANAGER"), "correctOrder", `mutation($o: ID!, $v: Int!, $l: ID!, $c: ID) {
			correctOrder(input: {orderId: $o, expectedVersion: $v, errorType: PRICE, cause: ENTRY_ERROR,
				lines: [{orderLineId: $l, unitPrice: "60.00"}], customerContactId: $c}) {
			correction { severity status customerConfirmed customerContact { id } } errors { code field message } } }`,
			apptest.Vars{"o": o.ID, "v": cur.Version, "l": cur.Lines[0].ID, "c": contactID}, &p)
		return p, errs
	}
	_, errs = correct(foreign.ID)
	if len(errs) != 1 || errs[0].Code != "INVALID" || errs[0].Field == nil || *errs[0].Field != "input.customerContactId" {
		t.Fatalf("correction confirmed by another customer's contact: %+v", errs)
	}
	p, errs := correct(agreed.ID)
	must(t, errs)
	if c := p.Correction; c == nil || c.Severity != "SEVERE" || c.Status != "APPLIED" || !c.CustomerConfirmed ||
		c.CustomerContact == nil || c.CustomerContact.ID != agreed.ID {
		t.Fatalf("correction confirmed in a contact: %+v", p.Correction)
	}

	cancel := func(contactID string) (*struct{ CustomerContact *struct{ ID string } }, []apptest.UserError) {
		var p struct {
			Cancellation *struct{ CustomerContact *struct{ ID string } }
		}
		errs := mutate(t, w.env.As(t, "SALES_REP"), "requestOrderCancellation", `mutation($o: ID!, $c: ID) {
			requestOrderCancellation(input: {orderId: $o, reasonCode: CUSTOMER_REQUEST, customerContactId: $c}) {
			cancellation { customerContact { id } } errors { code field message } } }`,
			apptest.Vars{"o": o.ID, "c": contactID}, &p)
		return p.Cancellation, errs
	}
	_, errs = cancel(foreign.ID)
	// The rep cannot even see the other rep's customer's contact.
	if len(errs) != 1 || errs[0].Code != "NOT_FOUND" || errs[0].Field == nil || *errs[0].Field != "input.customerContactId" {
		t.Fatalf("cancellation agreed in another customer's contact: %+v", errs)
	}
	rec, errs := cancel(agreed.ID)
	must(t, errs)
	if rec == nil || rec.CustomerContact == nil || rec.CustomerContact.ID != agreed.ID {
		t.Fatalf("cancellation agreed in a contact: %+v", rec)
	}

	// A void (seed 001) points at the contact in which the customer was told.
	dup := w.createConfirmed(t, 1, 0)
	told, errs := w.logContact(t, "SALES_MANAGER", apptest.Vars{"orderId": dup.ID, "summary": "告知客户：重复订单作废"})
	must(t, errs)
	const void = `mutation($o: ID!, $c: ID) { voidOrder(input: {orderId: $o, reasonCode: DUPLICATE_ORDER, customerContactId: $c}) {
		cancellation { customerContact { id } } errors { code field message } } }`
	errs = mutate(t, w.env.As(t, "SALES_MANAGER"), "voidOrder", void, apptest.Vars{"o": dup.ID, "c": agreed.ID}, nil)
	if len(errs) != 1 || errs[0].Code != "INVALID" || *errs[0].Field != "input.customerContactId" {
		t.Fatalf("a void pointing at another order's contact: %+v", errs)
	}
	var v struct {
		Cancellation struct{ CustomerContact *struct{ ID string } }
	}
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "voidOrder", void, apptest.Vars{"o": dup.ID, "c": told.ID}, &v))
	if c := v.Cancellation.CustomerContact; c == nil || c.ID != told.ID {
		t.Fatalf("void told in a contact: %+v", v)
	}
}

// TestContact_RepIsolation: a sales rep logs, reads and completes contacts
// of their own customers only; another rep's look like none at all.
func TestContact_RepIsolation(t *testing.T) {
	w := newWorld(t)
	c, errs := w.logContact(t, "SALES_REP", apptest.Vars{"summary": "客户回访", "followUpAt": time.Now().Add(time.Hour).Format(time.RFC3339)})
	must(t, errs)

	_, errs = w.logContact(t, "REP2", nil)
	if len(errs) != 1 || errs[0].Code != "NOT_FOUND" || *errs[0].Field != "input.customerId" {
		t.Fatalf("another rep logging for the customer: %+v", errs)
	}
	if got := w.contactIDs(t, "REP2", nil); len(got) != 0 {
		t.Fatalf("another rep lists %v", got)
	}
	if r := w.env.As(t, "REP2").Do(t, `query($id: ID!) { node(id: $id) { id } }`, apptest.Vars{"id": c.ID}); !slices.Contains(r.Codes(), "NOT_FOUND") {
		t.Fatalf("another rep reads the contact: %+v", r)
	}
	_, errs = w.completeFollowUp(t, "REP2", apptest.Vars{"contactId": c.ID})
	wantCode(t, errs, "NOT_FOUND")
	// A follow-up of this customer cannot go to the other rep.
	_, errs = w.logContact(t, "SALES_MANAGER", apptest.Vars{"followUpAt": time.Now().Add(time.Hour).Format(time.RFC3339),
		"assigneeId": apptest.ID(w.env.Users["REP2"].ID)})
	wantCode(t, errs, "INVALID")
	// Warehouse and auditors read the log and write none of it.
	for _, role := range []string{"WAREHOUSE", "AUDITOR"} {
		if got := w.contactIDs(t, role, nil); !slices.Equal(got, []string{c.ID}) {
			t.Fatalf("%s lists %v", role, got)
		}
		r := w.env.As(t, role).Do(t, logContactMutation, apptest.Vars{"in": apptest.Vars{"customerId": w.customerID,
			"channel": "PHONE", "direction": "OUTBOUND", "summary": "x"}})
		if !slices.Contains(r.Codes(), "FORBIDDEN") {
			t.Fatalf("%s logging a contact: %+v", role, r.Errors)
		}
	}
}
