package order

import (
	"slices"
	"strings"
	"testing"

	"orderdesk/auth"
	"orderdesk/ent"
	entorder "orderdesk/ent/order"
	"orderdesk/fault"
)

// allStatuses is every order status the schema knows, written out so that a
// status added to the schema but forgotten in the table shows up here.
var allStatuses = []Status{Draft, PendingReview, Confirmed, Shipped, Delivered, Completed, Rejected, Cancelled, Voided}

var allActions = append(slices.Clone(Actions), ChildActions...)

func TestStateTable_EveryActionHasARuleAndNoMore(t *testing.T) {
	seen := map[Action]bool{}
	for _, a := range allActions {
		if seen[a] {
			t.Errorf("action %s is listed twice", a)
		}
		seen[a] = true
		if _, ok := rules[a]; !ok {
			t.Errorf("action %s has no rule", a)
		}
	}
	for a, r := range rules {
		if !seen[a] {
			t.Errorf("the table has a rule for %s, which is not listed", a)
		}
		if len(r.in) == 0 {
			t.Errorf("%s is allowed in no status", a)
		}
		for _, s := range append(slices.Clone(r.in), r.to) {
			if s != "" && entorder.StatusValidator(s) != nil {
				t.Errorf("%s names the unknown status %q", a, s)
			}
		}
	}
}

func TestStateTable_EveryStatusReachableFromDraft(t *testing.T) {
	reached := map[Status]bool{Draft: true}
	queue := []Status{Draft}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, a := range allActions {
			if to := target(s, a); Allowed(s, a) && !reached[to] {
				reached[to] = true
				queue = append(queue, to)
			}
		}
	}
	for _, s := range allStatuses {
		if !reached[s] {
			t.Errorf("status %s cannot be reached from DRAFT", s)
		}
	}
}

// TestStateTable_Literal pins the lifecycle, written out by hand, so that a
// change to the table is a deliberate change to this test too.
func TestStateTable_Literal(t *testing.T) {
	live := []Status{Confirmed, Shipped, Delivered}
	open := []Status{Draft, PendingReview, Confirmed, Shipped, Delivered}
	early := []Status{Draft, PendingReview, Confirmed}
	want := map[Action][]Status{
		Update: {Draft}, Submit: {Draft}, Confirm: {PendingReview}, Reject: {PendingReview},
		Pay: live, Refund: live, Ship: {Confirmed}, Deliver: {Shipped}, Finish: {Delivered},
		Cancel: early, Void: early, Reorder: {Rejected, Cancelled, Voided}, Correct: {PendingReview, Confirmed},
		Return: live, CapturePayment: live, FailPayment: live, CancelPayment: live,
		ApproveCancel: early, RejectCancel: open, ApproveCorrection: {PendingReview, Confirmed}, RejectCorrection: open,
		DecideReturn: live, ReceiveReturn: live, RefundReturn: live, CloseReturn: live,
		ReportException: live, ResolveException: live,
		IssueInvoice: {Confirmed, Shipped, Delivered, Completed}, ReissueInvoice: {Confirmed, Shipped, Delivered, Completed},
		RemindInvoice: {Confirmed, Shipped, Delivered, Completed}, CustomerDecideCorrection: {PendingReview, Confirmed},
		CustomerDecideCancellation: open,
	}
	wantTo := map[Action]Status{Submit: PendingReview, Confirm: Confirmed, Reject: Rejected, Ship: Shipped,
		Deliver: Delivered, Finish: Completed, Cancel: Cancelled, Void: Voided}
	for _, a := range allActions {
		for _, s := range allStatuses {
			if got, w := Allowed(s, a), slices.Contains(want[a], s); got != w {
				t.Errorf("%s in %s: allowed %t, want %t", a, s, got, w)
			}
		}
		if rules[a].to != wantTo[a] {
			t.Errorf("%s leads to %q, want %q", a, rules[a].to, wantTo[a])
		}
	}
	exposure := []Action{Confirm, Correct, ApproveCorrection, CancelPayment}
	for _, a := range allActions {
		if got := rules[a].exposure; got != slices.Contains(exposure, a) {
			t.Errorf("%s locks the customer: %t", a, got)
		}
	}
}

func TestStateTable_TerminalStatusesAllowOnlyReorder(t *testing.T) {
	terminal := []Status{Completed, Cancelled, Voided, Rejected}
	for _, s := range allStatuses {
		if want := slices.Contains(terminal, s); Terminal(s) != want {
			t.Errorf("Terminal(%s) = %t, want %t", s, Terminal(s), want)
		}
	}
	for _, s := range terminal {
		for _, a := range allActions {
			// Invoicing writes a document about a completed order and
			// changes neither it nor its money.
			if Allowed(s, a) && (a != Reorder || target(s, a) != s) && !(rules[a].document && s == Completed && target(s, a) == s) {
				t.Errorf("terminal status %s allows %s", s, a)
			}
		}
	}
	for _, s := range allStatuses {
		if Allowed(s, Reorder) && !Terminal(s) {
			t.Errorf("REORDER is allowed on the open status %s", s)
		}
	}
}

func TestStateTable_EveryActionHasAPermission(t *testing.T) {
	for _, a := range Actions {
		ps := permissions[a]
		if len(ps) == 0 {
			t.Errorf("action %s has no permission entry", a)
		}
		for _, p := range ps {
			if !slices.Contains(auth.All, p) {
				t.Errorf("action %s needs %q, which is not a permission", a, p)
			}
		}
	}
}

// TestAvailableActions_ReorderNeedsCreate: reorder makes an order, so the
// mutation needs order:create besides order:reorder; an integrator granted
// order:reorder alone is not offered what it would be refused.
func TestAvailableActions_ReorderNeedsCreate(t *testing.T) {
	cancelled := orderFacts(Cancelled, 0, 0, "", [2]int{5, 0})
	for _, c := range []struct {
		scopes []string
		want   []Action
	}{
		{[]string{string(auth.OrderReorder)}, nil},
		{[]string{string(auth.OrderReorder), string(auth.OrderCreate)}, []Action{Reorder}},
	} {
		v := auth.NewUser(3, "integrator", auth.Integrator, c.scopes)
		if got, err := actionsFor(v, cancelled); err != nil || !slices.Equal(got, c.want) {
			t.Errorf("scopes %v: %v (%v), want %v", c.scopes, got, err, c.want)
		}
	}
}

func TestStateCheck(t *testing.T) {
	for _, s := range allStatuses {
		for _, a := range allActions {
			err := check(s, a)
			if Allowed(s, a) {
				if err != nil {
					t.Errorf("check(%s, %s) = %v, want nil", s, a, err)
				}
				continue
			}
			if code := fault.CodeOf(err); code != fault.InvalidTransition {
				t.Errorf("check(%s, %s) code = %q (%v), want %s", s, a, code, err, fault.InvalidTransition)
			}
			if _, ok := fault.Expected(err); !ok {
				t.Errorf("check(%s, %s) = %v is not an expected business failure", s, a, err)
			}
		}
	}
	if err := check(Shipped, Cancel); !strings.Contains(err.Error(), "createReturn") {
		t.Errorf("check(SHIPPED, CANCEL) = %v, want a pointer to createReturn", err)
	}
	if err := check(Completed, RefundReturn); !strings.Contains(err.Error(), "closed") {
		t.Errorf("check(COMPLETED, REFUND_RETURN) = %v, want it to say the order is closed", err)
	}
}

// order builds a held order's facts: status, money and lines as
// (quantity, shipped) pairs, with nothing open unless open says so.
func orderFacts(s Status, total, captured int64, open string, lines ...[2]int) facts {
	o := &ent.Order{Status: s, Number: "SO-1", Currency: "EUR", TotalMinor: total, CapturedMinor: captured}
	var ls []*ent.OrderLine
	for i, l := range lines {
		ls = append(ls, &ent.OrderLine{ID: i + 1, Quantity: l[0], QuantityShipped: l[1], UnitPriceMinor: 100})
	}
	return facts{order: o, lines: ls, openWork: func() (string, error) { return open, nil },
		openInvoice: func() (string, error) { return "", nil }}
}

// invoiced is f with an open invoice.
func invoiced(f facts) facts {
	f.openInvoice = func() (string, error) { return "INV-2026-000001", nil }
	return f
}

func TestGuards(t *testing.T) {
	for _, c := range []struct {
		name string
		f    facts
		a    Action
		code fault.Code // "" allowed
	}{
		{"complete a settled order", orderFacts(Delivered, 500, 500, "", [2]int{5, 5}), Finish, ""},
		{"invoice a confirmed order", orderFacts(Confirmed, 500, 0, "", [2]int{5, 0}), IssueInvoice, ""},
		{"invoice a completed order", orderFacts(Completed, 500, 500, "", [2]int{5, 5}), IssueInvoice, ""},
		{"invoice twice", invoiced(orderFacts(Shipped, 500, 0, "", [2]int{5, 5})), IssueInvoice, fault.Duplicate},
		{"invoice nothing", orderFacts(Confirmed, 0, 0, "", [2]int{5, 0}), IssueInvoice, fault.NotAllowed},
		{"invoice a draft", orderFacts(PendingReview, 500, 0, "", [2]int{5, 0}), IssueInvoice, fault.InvalidTransition},
		{"complete with money owed", orderFacts(Delivered, 500, 400, "", [2]int{5, 5}), Finish, fault.NotAllowed},
		{"complete with money due back", orderFacts(Delivered, 500, 600, "", [2]int{5, 5}), Finish, fault.NotAllowed},
		{"complete with a return open", orderFacts(Delivered, 500, 500, "a return", [2]int{5, 5}), Finish, fault.NotAllowed},
		{"pay when nothing is owed", orderFacts(Confirmed, 500, 500, "", [2]int{5, 0}), Pay, fault.PaymentExceeds},
		{"pay what is owed", orderFacts(Confirmed, 500, 0, "", [2]int{5, 0}), Pay, ""},
		{"refund with nothing captured", orderFacts(Shipped, 500, 0, "", [2]int{5, 5}), Refund, fault.RefundExceeds},
		{"void after a partial shipment", orderFacts(Confirmed, 500, 0, "", [2]int{5, 2}), Void, fault.InvalidTransition},
		{"cancel what has not shipped", orderFacts(Confirmed, 500, 0, "", [2]int{5, 2}), Cancel, ""},
		{"return before anything shipped", orderFacts(Confirmed, 500, 0, "", [2]int{5, 0}), Return, fault.InvalidTransition},
		{"return after a partial shipment", orderFacts(Confirmed, 500, 0, "", [2]int{5, 2}), Return, ""},
		{"correct a fully shipped line set", orderFacts(Confirmed, 500, 0, "", [2]int{5, 5}), Correct, fault.InvalidTransition},
		{"refund a return of a completed order", orderFacts(Completed, 500, 500, "", [2]int{5, 5}), RefundReturn, fault.InvalidTransition},
		{"cancel a payment of a cancelled order", orderFacts(Cancelled, 0, 500, "", [2]int{5, 0}), CancelPayment, fault.InvalidTransition},
	} {
		err := allow(c.f, c.a)
		if got := fault.CodeOf(err); got != c.code {
			t.Errorf("%s: code %q (%v), want %q", c.name, got, err, c.code)
		}
	}
}

func TestAvailableActionsFollowTheGuards(t *testing.T) {
	admin := auth.NewUser(1, "admin", auth.Admin, nil)
	rep := auth.NewUser(2, "rep", auth.SalesRep, nil)
	for _, c := range []struct {
		who  string
		v    *auth.Viewer
		f    facts
		want []Action
	}{
		{"admin", admin, orderFacts(Confirmed, 500, 0, "", [2]int{5, 0}), []Action{Pay, Ship, Cancel, Void, Correct, IssueInvoice}},
		{"admin, invoiced", admin, invoiced(orderFacts(Confirmed, 500, 0, "", [2]int{5, 0})), []Action{Pay, Ship, Cancel, Void, Correct}},
		{"admin, paid", admin, orderFacts(Confirmed, 500, 500, "", [2]int{5, 0}), []Action{Refund, Ship, Cancel, Void, Correct, IssueInvoice}},
		{"admin, partly shipped", admin, orderFacts(Confirmed, 500, 0, "", [2]int{5, 2}), []Action{Pay, Ship, Cancel, Correct, Return, IssueInvoice}},
		{"rep", rep, orderFacts(Confirmed, 500, 0, "", [2]int{5, 0}), []Action{Cancel, Correct}},
		{"rep", rep, orderFacts(Draft, 500, 0, "", [2]int{5, 0}), []Action{Update, Submit, Cancel}},
		{"admin, delivered and settled", admin, orderFacts(Delivered, 500, 500, "", [2]int{5, 5}), []Action{Refund, Finish, Return, IssueInvoice}},
		{"admin, delivered, unpaid", admin, orderFacts(Delivered, 500, 0, "", [2]int{5, 5}), []Action{Pay, Return, IssueInvoice}},
		{"admin, delivered, return open", admin, invoiced(orderFacts(Delivered, 500, 500, "a return", [2]int{5, 5})), []Action{Refund, Return}},
		{"admin", admin, orderFacts(Completed, 500, 500, "", [2]int{5, 5}), []Action{IssueInvoice}},
		{"admin, invoiced", admin, invoiced(orderFacts(Completed, 500, 500, "", [2]int{5, 5})), nil},
		{"admin, nothing to bill", admin, orderFacts(Completed, 0, 0, "", [2]int{5, 5}), nil},
		{"rep", rep, orderFacts(Cancelled, 0, 0, "", [2]int{5, 0}), []Action{Reorder}},
		{"anonymous", nil, orderFacts(Draft, 500, 0, "", [2]int{5, 0}), nil},
	} {
		got, err := actionsFor(c.v, c.f)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("actions of %s on %s: %v (%v), want %v", c.who, c.f.order.Status, got, err, c.want)
		}
	}
}
