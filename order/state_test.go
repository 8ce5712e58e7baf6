package order

import (
	"slices"
	"strings"
	"testing"

	"orderdesk/auth"
	entorder "orderdesk/ent/order"
	"orderdesk/fault"
)

// allStatuses is every order status the schema knows, written out so that a
// status added to the schema but forgotten in the table shows up here.
var allStatuses = []Status{Draft, PendingReview, Confirmed, Shipped, Delivered, Completed, Rejected, Cancelled, Voided}

func TestStateTable_EveryStatusIsAKey(t *testing.T) {
	for _, s := range allStatuses {
		if entorder.StatusValidator(s) != nil {
			t.Errorf("%s is not a status of the schema", s)
		}
		if _, ok := transitions[s]; !ok {
			t.Errorf("status %s has no entry in the state table", s)
		}
	}
	if len(transitions) != len(allStatuses) {
		t.Errorf("the state table has %d statuses, want %d", len(transitions), len(allStatuses))
	}
}

func TestStateTable_TargetsAndActionsAreKnown(t *testing.T) {
	for from, row := range transitions {
		if entorder.StatusValidator(from) != nil {
			t.Errorf("the state table has an unknown status %q", from)
		}
		for a, to := range row {
			if !slices.Contains(Actions, a) {
				t.Errorf("%s: action %s is not in Actions", from, a)
			}
			if !slices.Contains(allStatuses, to) || entorder.StatusValidator(to) != nil {
				t.Errorf("%s --%s--> %q: unknown target status", from, a, to)
			}
		}
	}
	seen := map[Action]bool{}
	for _, a := range Actions {
		if seen[a] {
			t.Errorf("action %s is listed twice in Actions", a)
		}
		seen[a] = true
	}
}

func TestStateTable_EveryStatusReachableFromDraft(t *testing.T) {
	reached := map[Status]bool{Draft: true}
	queue := []Status{Draft}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, to := range transitions[s] {
			if !reached[to] {
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
	want := map[Status]map[Action]Status{
		Draft:         {Update: Draft, Submit: PendingReview, Cancel: Cancelled, Void: Voided},
		PendingReview: {Confirm: Confirmed, Reject: Rejected, Cancel: Cancelled, Void: Voided, Correct: PendingReview},
		Confirmed:     {Pay: Confirmed, Refund: Confirmed, Ship: Shipped, Cancel: Cancelled, Void: Voided, Correct: Confirmed},
		Shipped:       {Pay: Shipped, Refund: Shipped, Deliver: Delivered, Return: Shipped},
		Delivered:     {Pay: Delivered, Refund: Delivered, Finish: Completed, Return: Delivered},
		Completed:     {},
		Rejected:      {Reorder: Rejected},
		Cancelled:     {Reorder: Cancelled},
		Voided:        {Reorder: Voided},
	}
	for _, s := range allStatuses {
		for _, a := range Actions {
			wt, wok := want[s][a]
			gt, gok := transitions[s][a]
			if wok != gok || wt != gt {
				t.Errorf("%s on %s: table has (%q, %t), want (%q, %t)", a, s, gt, gok, wt, wok)
			}
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
		for a, to := range transitions[s] {
			if a != Reorder {
				t.Errorf("terminal status %s allows %s", s, a)
			}
			if to != s {
				t.Errorf("%s on terminal %s changes its status to %s", a, s, to)
			}
		}
	}
	// Only terminal orders are re-created.
	for _, s := range allStatuses {
		if Allowed(s, Reorder) && !Terminal(s) {
			t.Errorf("REORDER is allowed on the open status %s", s)
		}
	}
}

func TestStateTable_EveryActionHasAPermission(t *testing.T) {
	for _, a := range Actions {
		p, ok := permissions[a]
		if !ok {
			t.Errorf("action %s has no permission entry", a)
			continue
		}
		if !slices.Contains(auth.All, p) {
			t.Errorf("action %s needs %q, which is not a permission", a, p)
		}
	}
	for a := range permissions {
		if !slices.Contains(Actions, a) {
			t.Errorf("the permission table names %s, which is not an action", a)
		}
	}
}

func TestStateCheck(t *testing.T) {
	for _, s := range allStatuses {
		for _, a := range Actions {
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
	msg := func(err error) string {
		if err == nil {
			return ""
		}
		return err.Error()
	}
	err := check(Shipped, Cancel)
	if fault.CodeOf(err) != fault.InvalidTransition || !strings.Contains(msg(err), "createReturn") {
		t.Errorf("check(SHIPPED, CANCEL) = %v, want INVALID_TRANSITION pointing to createReturn", err)
	}
	if err := check(Delivered, Cancel); !strings.Contains(msg(err), "createReturn") {
		t.Errorf("check(DELIVERED, CANCEL) = %v, want a hint at createReturn", err)
	}
	if err := check(Completed, Pay); !strings.Contains(msg(err), "closed") {
		t.Errorf("check(COMPLETED, PAY) = %v, want it to say the order is closed", err)
	}
}

func TestStateAvailableActions(t *testing.T) {
	admin := auth.NewUser(1, "admin", auth.Admin, nil)
	rep := auth.NewUser(2, "rep", auth.SalesRep, nil)
	for _, c := range []struct {
		who  string
		v    *auth.Viewer
		s    Status
		want []Action
	}{
		{"admin", admin, Confirmed, []Action{Pay, Refund, Ship, Cancel, Void, Correct}},
		{"rep", rep, Confirmed, []Action{Cancel, Correct}},
		{"rep", rep, Draft, []Action{Update, Submit, Cancel}},
		{"admin", admin, Completed, nil},
		{"rep", rep, Cancelled, []Action{Reorder}},
		{"anonymous", nil, Draft, nil},
	} {
		if got := AvailableActions(c.v, c.s); !slices.Equal(got, c.want) {
			t.Errorf("AvailableActions(%s, %s) = %v, want %v", c.who, c.s, got, c.want)
		}
	}
}
