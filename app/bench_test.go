package app_test

import (
	"fmt"
	"testing"

	"orderdesk/app/apptest"
)

// BenchmarkOrderPage reads a page of 100 orders with their lines, stock
// items, payments, customer and owner through the HTTP API, as a manager.
//
//	go test ./app -run '^$' -bench OrderPage
func BenchmarkOrderPage(b *testing.B) {
	env := apptest.New(b)
	seedOrders(b, env, 200)
	c := env.As(b, "SALES_MANAGER")
	vars := apptest.Vars{"n": 100}
	b.ResetTimer()
	for b.Loop() {
		if r := c.Do(b, ordersPage, vars); len(r.Errors) > 0 {
			b.Fatal(r.Errors)
		}
	}
}

// BenchmarkConfirmAndCancel measures the write path: confirm an order
// (reserving stock for two lines) and cancel it (releasing the stock), each
// one transaction with its audit, movement and notification rows.
func BenchmarkConfirmAndCancel(b *testing.B) {
	w := newWorld(b)
	rep, manager := w.env.As(b, "SALES_REP"), w.env.As(b, "SALES_MANAGER")
	i := 0
	for b.Loop() {
		i++
		b.StopTimer()
		var created struct {
			CreateOrder struct{ Order struct{ ID string } }
		}
		rep.MustDo(b, `mutation($c: ID!, $d: ID!, $g: ID!) { createOrder(input: {customerId: $c, channel: WEB,
			lines: [{stockItemId: $d, quantity: 1}, {stockItemId: $g, quantity: 2}]}) { order { id } } }`,
			apptest.Vars{"c": w.customerID, "d": w.drillID, "g": w.glovesID}, &created)
		id := created.CreateOrder.Order.ID
		rep.MustDo(b, `mutation($id: ID!) { submitOrder(input: {orderId: $id}) { errors { code } } }`, apptest.Vars{"id": id}, nil)
		b.StartTimer()
		var res struct {
			ConfirmOrder struct{ Errors []apptest.UserError }
			CancelOrder  struct{ Errors []apptest.UserError }
		}
		manager.MustDo(b, `mutation($id: ID!) { confirmOrder(input: {orderId: $id}) { errors { code } } }`, apptest.Vars{"id": id}, &res)
		manager.MustDo(b, `mutation($id: ID!, $k: String!) { cancelOrder(input: {orderId: $id, reasonCode: CUSTOMER_REQUEST, idempotencyKey: $k}) {
			errors { code } } }`, apptest.Vars{"id": id, "k": fmt.Sprint("bench-", i)}, &res)
		if len(res.ConfirmOrder.Errors)+len(res.CancelOrder.Errors) > 0 {
			b.Fatalf("confirm %v, cancel %v", res.ConfirmOrder.Errors, res.CancelOrder.Errors)
		}
	}
}
