package app_test

import (
	"strings"
	"testing"

	"orderdesk/app/apptest"
)

// The statement budgets of the two hottest operations (issue 8): a page of
// 50 orders as the list screen reads it, and a void of a paid order. Counts
// are the statements orderdesk sends, BEGIN and COMMIT included; they do
// not depend on the machine, so they are asserted, while speed is only
// measured (BenchmarkOrderPage, BenchmarkVoid, cmd/bench).

const listPage = `query($n: Int!) { orders(first: $n, orderBy: {field: CREATED_AT, direction: DESC}) {
	edges { node { id number status currency total { amount } version createdAt updatedAt
		customer { id name } owner { id email }
		lines { quantity unitPrice { amount } stockItem { sku name } }
		payments { kind amount { amount } status } } }
	pageInfo { endCursor hasNextPage } } }`

func TestStatementBudget_ListPage(t *testing.T) {
	env := apptest.New(t)
	seedOrders(t, env, 60)
	c := env.As(t, "SALES_MANAGER")
	page := func(n int) (int, bool, int64) {
		before, stmts := env.Statements.Load(), env.Capture()
		var out struct {
			Orders struct {
				Edges    []struct{ Node struct{ ID string } }
				PageInfo struct{ HasNextPage bool }
			}
		}
		c.MustDo(t, listPage, apptest.Vars{"n": n}, &out)
		count := env.Statements.Load() - before
		// Six: the orders, then their customers, owners, lines, stock
		// items and payments. The viewer is cached since sign-in, and no
		// COUNT runs unless totalCount is asked for.
		if count > 6 {
			t.Errorf("a page of %d orders took %d statements, want at most 6:\n%s", n, count, strings.Join(stmts(), "\n"))
		}
		return len(out.Orders.Edges), out.Orders.PageInfo.HasNextPage, count
	}
	if got, more, n := page(50); got != 50 || !more {
		t.Errorf("first 50 of 60: %d orders, hasNextPage %t (%d statements)", got, more, n)
	}
	if got, more, _ := page(100); got != 60 || more {
		t.Errorf("first 100 of 60: %d orders, hasNextPage %t", got, more)
	}
}

func TestStatementBudget_Void(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 2, 3)
	must(t, lcDo(t, w, "FINANCE", "recordPayment", qPay, apptest.Vars{"id": o.ID, "a": o.Total.Amount}))
	c := lcClient(t, w, "SALES_MANAGER")
	before, stmts := w.env.Statements.Load(), w.env.Capture()
	must(t, mutate(t, c, "voidOrder", `mutation($id: ID!) { voidOrder(input: {orderId: $id, reasonCode: DUPLICATE_ORDER}) {
		order { id status } `+userErrors+` } }`, apptest.Vars{"id": o.ID}, nil))
	n := w.env.Statements.Load() - before
	t.Logf("void of a paid order of two lines: %d statements", n)
	// 19: the cancellation record is written once, as executed.
	if n > 19 {
		t.Errorf("void took %d statements, want at most 19:\n%s", n, strings.Join(stmts(), "\n"))
	}
	assertInvariants(t, w.env)
}

// TestStatementBudget_ApprovalChain: the three steps of a cancellation that
// needs a manager's and finance's approval. A step that leaves the request
// pending reads no payments unless the client asks for the preview. Each
// step writes its events to the outbox in one statement.
func TestStatementBudget_ApprovalChain(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 2, 3)
	must(t, lcDo(t, w, "FINANCE", "recordPayment", qPay, apptest.Vars{"id": o.ID, "a": o.Total.Amount}))
	step := func(role, field, query string, vars apptest.Vars, out any, budget int64) {
		t.Helper()
		c := lcClient(t, w, role)
		before, stmts := w.env.Statements.Load(), w.env.Capture()
		must(t, mutate(t, c, field, query, vars, out))
		if n := w.env.Statements.Load() - before; n > budget {
			t.Errorf("%s by %s took %d statements, want at most %d:\n%s", field, role, n, budget, strings.Join(stmts(), "\n"))
		}
		stmts()
	}
	var req struct{ Cancellation struct{ ID string } }
	step("SALES_REP", "requestOrderCancellation", `mutation($o: ID!) { requestOrderCancellation(input: {orderId: $o, reasonCode: CUSTOMER_REQUEST}) {
		cancellation { id status } `+userErrors+` } }`, apptest.Vars{"o": o.ID}, &req, 9)
	approve := `mutation($c: ID!) { approveOrderCancellation(input: {cancellationId: $c}) { order { id status } cancellation { id status } ` + userErrors + ` } }`
	step("SALES_MANAGER", "approveOrderCancellation", approve, apptest.Vars{"c": req.Cancellation.ID}, nil, 9)
	// The last approval executes: the record is written once, approved
	// and executed.
	step("FINANCE", "approveOrderCancellation", approve, apptest.Vars{"c": req.Cancellation.ID}, nil, 19)
	assertInvariants(t, w.env)
}

// TestPendingPreviewWhenAsked: a request left pending comes with its
// preview (what executing it would do) when the client selects it, and
// then costs the statement that reads the payments; otherwise it does not.
func TestPendingPreviewWhenAsked(t *testing.T) {
	w := newWorld(t)
	rep := lcClient(t, w, "SALES_REP")
	for _, asked := range []bool{false, true} {
		o := w.createConfirmed(t, 1, 2)
		must(t, lcDo(t, w, "FINANCE", "recordPayment", qPay, apptest.Vars{"id": o.ID, "a": o.Total.Amount}))
		selection := "cancellation { id status }"
		if asked {
			selection += " preview { executes needsFinanceApproval amountRefunded { amount } }"
		}
		var out struct {
			Cancellation struct{ Status string }
			Preview      *struct {
				Executes, NeedsFinanceApproval bool
				AmountRefunded                 struct{ Amount string }
			}
		}
		before := w.env.Statements.Load()
		must(t, mutate(t, rep, "requestOrderCancellation", `mutation($o: ID!) { requestOrderCancellation(input: {orderId: $o,
			reasonCode: CUSTOMER_REQUEST}) { `+selection+` `+userErrors+` } }`, apptest.Vars{"o": o.ID}, &out))
		n := w.env.Statements.Load() - before
		switch {
		case out.Cancellation.Status != "REQUESTED":
			t.Fatalf("asked %t: request %s, want REQUESTED", asked, out.Cancellation.Status)
		case !asked && (out.Preview != nil || n > 9):
			t.Errorf("preview not asked: %+v in %d statements, want none in at most 9", out.Preview, n)
		case asked && (out.Preview == nil || out.Preview.Executes || !out.Preview.NeedsFinanceApproval ||
			out.Preview.AmountRefunded.Amount != o.Total.Amount):
			t.Errorf("preview asked: %+v, want a refund of %s awaiting finance", out.Preview, o.Total.Amount)
		}
	}
}
