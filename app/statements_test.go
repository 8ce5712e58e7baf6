package app_test

import (
	"fmt"
	"testing"

	"orderdesk/app/apptest"
	"orderdesk/ent"
	"orderdesk/ent/order"
	"orderdesk/ent/payment"
)

const ordersPage = `query($n: Int!) { orders(first: $n, orderBy: {field: CREATED_AT, direction: DESC}) {
	totalCount
	edges { cursor node {
		number status total { amount currency }
		customer { name owner { email } }
		owner { email }
		lines { sku quantity lineTotal { amount } stockItem { sku available } }
		payments { kind status amount { amount } }
	} }
	pageInfo { hasNextPage endCursor } } }`

// TestOrderPageStatementCount: reading a page of orders with their lines,
// stock items, payments, customer and owner costs the same number of SQL
// statements whatever the page size, for a manager and for a sales rep whose
// rows are filtered by ownership.
func TestOrderPageStatementCount(t *testing.T) {
	env := apptest.New(t)
	seedOrders(t, env, 120)
	for _, role := range []string{"SALES_MANAGER", "SALES_REP"} {
		c := env.As(t, role)
		counts := map[int]int64{}
		for _, n := range []int{1, 10, 100} {
			before := env.Statements.Load()
			var out struct {
				Orders struct {
					TotalCount int
					Edges      []struct {
						Node struct {
							Lines    []struct{ StockItem struct{ Sku string } }
							Payments []struct{ Kind string }
						}
					}
				}
			}
			c.MustDo(t, ordersPage, apptest.Vars{"n": n}, &out)
			counts[n] = env.Statements.Load() - before
			wantRows := min(n, out.Orders.TotalCount)
			if len(out.Orders.Edges) != wantRows {
				t.Fatalf("%s first %d: %d edges, want %d", role, n, len(out.Orders.Edges), wantRows)
			}
			for _, e := range out.Orders.Edges {
				if len(e.Node.Lines) != 3 || len(e.Node.Payments) != 2 || e.Node.Lines[0].StockItem.Sku == "" {
					t.Fatalf("%s: incomplete order in page: %+v", role, e.Node)
				}
			}
		}
		t.Logf("%s: statements per request for 1/10/100 orders: %d/%d/%d", role, counts[1], counts[10], counts[100])
		if counts[100] != counts[10] || counts[10] != counts[1] {
			t.Errorf("%s: statements grow with the page: %v", role, counts)
		}
		if counts[100] > 8 {
			t.Errorf("%s: %d statements for one page, want at most 8", role, counts[100])
		}
	}
}

// seedOrders writes n orders of customers owned by the SALES_REP user and
// by REP2, each with three lines and two payments, straight into the
// database: this test is about reading them.
func seedOrders(t testing.TB, env *apptest.Env, n int) {
	t.Helper()
	ctx, db := env.Sys, env.DB.Client
	var items []*ent.StockItem
	for i := range 3 {
		items = append(items, db.StockItem.Create().SetSku(fmt.Sprintf("SKU-%d", i)).SetName("Item").
			SetUnitPriceMinor(1000).SetCurrency("EUR").SaveX(ctx))
	}
	var customers []*ent.Customer
	for _, owner := range []*ent.User{env.Users["SALES_REP"], env.Users["REP2"]} {
		customers = append(customers, db.Customer.Create().SetName("Customer of "+owner.Email).
			SetCurrency("EUR").SetOwnerID(owner.ID).SaveX(ctx))
	}
	for i := range n {
		c := customers[i%2]
		o := db.Order.Create().SetNumber(fmt.Sprintf("SO-TEST-%06d", i)).SetCustomerID(c.ID).
			SetNillableOwnerID(c.OwnerID).SetChannel(order.ChannelWEB).SetCurrency("EUR").
			SetTotalMinor(3000).SaveX(ctx)
		for j, it := range items {
			db.OrderLine.Create().SetOrderID(o.ID).SetPosition(j).SetSku(it.Sku).SetName(it.Name).
				SetQuantity(1).SetUnitPriceMinor(1000).SetListPriceMinor(1000).SetCurrency("EUR").
				SetStockItemID(it.ID).ExecX(ctx)
		}
		for range 2 {
			db.Payment.Create().SetOrderID(o.ID).SetKind(payment.KindCHARGE).SetAmountMinor(1500).
				SetCurrency("EUR").SetMethod(payment.MethodCARD).SetStatus(payment.StatusPENDING).ExecX(ctx)
		}
	}
}
