package app_test

import (
	"fmt"
	"testing"

	"orderdesk/app/apptest"
)

// Go benchmarks of the hottest operations through the real HTTP handler,
// each reporting SQL statements per operation beside time and allocations:
//
//	go test ./app -run '^$' -bench . -benchmem
//
// (cmd/bench measures the same operations under load, side by side with a
// hand-written SQL server.)

// statementsPerOp reports the statements the API sent per operation.
func statementsPerOp(b *testing.B, env *apptest.Env, before int64, opsPerLoop int) {
	b.ReportMetric(float64(env.Statements.Load()-before)/float64(b.N*opsPerLoop), "stmts/op")
}

// BenchmarkOrderPage reads a page of 50 orders with their customer, owner,
// lines, stock items and payments (the list screen), as a manager.
func BenchmarkOrderPage(b *testing.B) {
	env := apptest.New(b)
	seedOrders(b, env, 200)
	c := env.As(b, "SALES_MANAGER")
	vars := apptest.Vars{"n": 50}
	before := env.Statements.Load()
	b.ResetTimer()
	for b.Loop() {
		if r := c.Do(b, listPage, vars); len(r.Errors) > 0 {
			b.Fatal(r.Errors)
		}
	}
	statementsPerOp(b, env, before, 1)
}

// BenchmarkVoid voids a confirmed order of two lines paid in full: the
// reservations are released and the money refunded, in one transaction.
func BenchmarkVoid(b *testing.B) {
	w := newWorld(b)
	manager := w.env.As(b, "SALES_MANAGER")
	onPaidOrders(b, w, func(order string) {
		var res struct {
			VoidOrder struct{ Errors []apptest.UserError }
		}
		manager.MustDo(b, `mutation($id: ID!) { voidOrder(input: {orderId: $id, reasonCode: DUPLICATE_ORDER}) { errors { code } } }`,
			apptest.Vars{"id": order}, &res)
		if len(res.VoidOrder.Errors) > 0 {
			b.Fatal(res.VoidOrder.Errors)
		}
	})
}

// BenchmarkApprovalChain runs the cancellation of a paid order that needs
// approval: requested by the rep, approved by a manager, then by finance,
// which executes it. One op is the whole chain of three requests.
func BenchmarkApprovalChain(b *testing.B) {
	w := newWorld(b)
	rep, manager, finance := w.env.As(b, "SALES_REP"), w.env.As(b, "SALES_MANAGER"), w.env.As(b, "FINANCE")
	onPaidOrders(b, w, func(order string) {
		var req struct {
			RequestOrderCancellation struct {
				Cancellation struct{ ID string }
				Errors       []apptest.UserError
			}
		}
		rep.MustDo(b, `mutation($id: ID!) { requestOrderCancellation(input: {orderId: $id, reasonCode: CUSTOMER_REQUEST}) {
			cancellation { id } errors { code } } }`, apptest.Vars{"id": order}, &req)
		id := req.RequestOrderCancellation.Cancellation.ID
		for _, c := range []*apptest.Client{manager, finance} {
			var res struct {
				ApproveOrderCancellation struct{ Errors []apptest.UserError }
			}
			c.MustDo(b, `mutation($c: ID!) { approveOrderCancellation(input: {cancellationId: $c}) { errors { code } } }`,
				apptest.Vars{"c": id}, &res)
			if len(res.ApproveOrderCancellation.Errors) > 0 {
				b.Fatal(res.ApproveOrderCancellation.Errors)
			}
		}
	})
}

// onPaidOrders runs op once per benchmark iteration on a fresh paid,
// confirmed order, timing and counting the statements of op alone.
func onPaidOrders(b *testing.B, w *world, op func(order string)) {
	var stmts int64
	for b.Loop() {
		b.StopTimer()
		order := w.paidConfirmed(b)
		before := w.env.Statements.Load()
		b.StartTimer()
		op(order)
		stmts += w.env.Statements.Load() - before
	}
	b.ReportMetric(float64(stmts)/float64(b.N), "stmts/op")
}

// paidConfirmed makes a confirmed order of one drill and two gloves, paid
// in full, and returns its id; stock is topped up as benchmarks use it.
func (w *world) paidConfirmed(b testing.TB) string {
	b.Helper()
	rep, manager, finance := w.env.As(b, "SALES_REP"), w.env.As(b, "SALES_MANAGER"), w.env.As(b, "FINANCE")
	wh := w.env.As(b, "WAREHOUSE")
	receive(b, wh, w.drillID, 1)
	receive(b, wh, w.glovesID, 2)
	var created struct {
		CreateOrder struct {
			Order struct {
				ID    string
				Total struct{ Amount string }
			}
		}
	}
	rep.MustDo(b, `mutation($c: ID!, $d: ID!, $g: ID!) { createOrder(input: {customerId: $c, channel: WEB,
		lines: [{stockItemId: $d, quantity: 1}, {stockItemId: $g, quantity: 2}]}) { order { id total { amount } } } }`,
		apptest.Vars{"c": w.customerID, "d": w.drillID, "g": w.glovesID}, &created)
	id := created.CreateOrder.Order.ID
	rep.MustDo(b, `mutation($id: ID!) { submitOrder(input: {orderId: $id}) { errors { code } } }`, apptest.Vars{"id": id}, nil)
	manager.MustDo(b, `mutation($id: ID!) { confirmOrder(input: {orderId: $id}) { errors { code } } }`, apptest.Vars{"id": id}, nil)
	finance.MustDo(b, qPay, apptest.Vars{"id": id, "a": created.CreateOrder.Order.Total.Amount}, nil)
	return id
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
