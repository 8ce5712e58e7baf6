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
	before, stmts := env.Statements.Load(), env.Capture()
	var out struct {
		Orders struct {
			Edges []struct{ Node struct{ ID string } }
		}
	}
	c.MustDo(t, listPage, apptest.Vars{"n": 50}, &out)
	n := env.Statements.Load() - before
	t.Logf("a page of %d orders: %d statements", len(out.Orders.Edges), n)
	if len(out.Orders.Edges) != 50 || n > 7 {
		t.Errorf("a page of %d orders took %d statements, want 50 orders in at most 7:\n%s", len(out.Orders.Edges), n, strings.Join(stmts(), "\n"))
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
	if n > 20 {
		t.Errorf("void took %d statements, want at most 20:\n%s", n, strings.Join(stmts(), "\n"))
	}
	assertInvariants(t, w.env)
}
