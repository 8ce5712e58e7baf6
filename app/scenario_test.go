package app_test

import (
	"encoding/json"
	"testing"

	"orderdesk/app/apptest"
)

// world is a small company: a customer of the SALES_REP user with credit,
// two stock items with stock.
type world struct {
	env        *apptest.Env
	customerID string
	drillID    string // DRL-100, 129.00, 10 on hand
	glovesID   string // GLV-M, 6.50, 100 on hand
}

func newWorld(t testing.TB) *world {
	t.Helper()
	env := apptest.New(t)
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

// receive books a delivery of an item: one request each, as stock moves.
func receive(t testing.TB, c *apptest.Client, itemID string, quantity int) {
	t.Helper()
	var out struct {
		ReceiveStock struct{ Errors []apptest.UserError }
	}
	c.MustDo(t, `mutation($id: ID!, $q: Int!) { receiveStock(input: {stockItemId: $id, quantity: $q}) { errors { code } } }`,
		apptest.Vars{"id": itemID, "q": quantity}, &out)
	if len(out.ReceiveStock.Errors) > 0 {
		t.Fatalf("receiving stock: %+v", out.ReceiveStock.Errors)
	}
}

const orderFields = `id number status version total { amount currency } paymentStatus outstanding { amount } refundable { amount }
	availableActions lines { id sku quantity quantityReserved quantityCancelled quantityShipped }`

type orderView struct {
	ID, Number, Status string
	Version            int
	Total              struct{ Amount, Currency string }
	PaymentStatus      string
	Outstanding        struct{ Amount string }
	Refundable         struct{ Amount string }
	AvailableActions   []string
	Lines              []struct {
		ID, Sku                                                        string
		Quantity, QuantityReserved, QuantityCancelled, QuantityShipped int
	}
}

// mutate runs a mutation whose payload has `errors`, fails the test on
// payload errors unless wantCode is given, and decodes the payload.
func mutate(t *testing.T, c *apptest.Client, field, query string, vars apptest.Vars, out any) []apptest.UserError {
	t.Helper()
	var raw map[string]json.RawMessage
	c.MustDo(t, query, vars, &raw)
	var p struct{ Errors []apptest.UserError }
	if err := json.Unmarshal(raw[field], &p); err != nil {
		t.Fatalf("%s: %v", field, err)
	}
	if out != nil {
		if err := json.Unmarshal(raw[field], out); err != nil {
			t.Fatalf("%s: %v", field, err)
		}
	}
	return p.Errors
}

func must(t *testing.T, errs []apptest.UserError) {
	t.Helper()
	if len(errs) > 0 {
		t.Fatalf("unexpected payload errors: %+v", errs)
	}
}

func wantCode(t *testing.T, errs []apptest.UserError, code string) {
	t.Helper()
	for _, e := range errs {
		if e.Code == code {
			return
		}
	}
	t.Fatalf("want payload error %s, got %+v", code, errs)
}

// createConfirmed enters, submits and confirms an order of qty drills.
func (w *world) createConfirmed(t *testing.T, drills, gloves int) orderView {
	t.Helper()
	rep, manager := w.env.As(t, "SALES_REP"), w.env.As(t, "SALES_MANAGER")
	var p struct{ Order orderView }
	// Lines with a zero quantity are left out.
	var lines []apptest.Vars
	if drills > 0 {
		lines = append(lines, apptest.Vars{"stockItemId": w.drillID, "quantity": drills})
	}
	if gloves > 0 {
		lines = append(lines, apptest.Vars{"stockItemId": w.glovesID, "quantity": gloves})
	}
	must(t, mutate(t, rep, "createOrder", `mutation($c: ID!, $lines: [OrderLineInput!]!) {
		createOrder(input: {customerId: $c, channel: WEB, lines: $lines}) {
		order { `+orderFields+` } errors { code field message } } }`,
		apptest.Vars{"c": w.customerID, "lines": lines}, &p))
	id := p.Order.ID
	must(t, mutate(t, rep, "submitOrder", `mutation($id: ID!) { submitOrder(input: {orderId: $id}) { errors { code message } } }`,
		apptest.Vars{"id": id}, nil))
	must(t, mutate(t, manager, "confirmOrder", `mutation($id: ID!) { confirmOrder(input: {orderId: $id}) {
		order { `+orderFields+` } errors { code field message } } }`, apptest.Vars{"id": id}, &p))
	return p.Order
}

func (w *world) order(t *testing.T, id string) orderView {
	t.Helper()
	var out struct{ Node orderView }
	w.env.As(t, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { `+orderFields+` } } }`,
		apptest.Vars{"id": id}, &out)
	return out.Node
}

func (w *world) available(t *testing.T, itemID string) (onHand, reserved int) {
	t.Helper()
	var out struct {
		Node struct{ OnHand, Reserved int }
	}
	w.env.As(t, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on StockItem { onHand reserved } } }`,
		apptest.Vars{"id": itemID}, &out)
	return out.Node.OnHand, out.Node.Reserved
}

// TestScenario_Seed000PaymentCancelled: the customer's card payment fails;
// the order is cancelled with PAYMENT_FAILED and its records reversed; the
// stock is back; a new order is created from it and paid another way.
func TestScenario_Seed000PaymentCancelled(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 2, 10)
	if o.Status != "CONFIRMED" || o.Total.Amount != "323.00" {
		t.Fatalf("confirmed order: %+v", o)
	}
	if _, reserved := w.available(t, w.drillID); reserved != 2 {
		t.Fatalf("drills reserved = %d, want 2", reserved)
	}
	finance, rep := w.env.As(t, "FINANCE"), w.env.As(t, "SALES_REP")

	// 1. The card payment is authorised, then fails.
	var pay struct{ Payment struct{ ID, Status string } }
	must(t, mutate(t, finance, "recordPayment", `mutation($o: ID!) { recordPayment(input: {orderId: $o, amount: "323.00", method: CARD, pending: true, providerReference: "card-auth-1"}) {
		payment { id status } errors { code field message } } }`, apptest.Vars{"o": o.ID}, &pay))
	must(t, mutate(t, finance, "failPayment", `mutation($p: ID!) { failPayment(input: {paymentId: $p, reason: "card declined"}) {
		payment { id status failureReason } errors { code message } } }`, apptest.Vars{"p": pay.Payment.ID}, &pay))
	if pay.Payment.Status != "FAILED" {
		t.Fatalf("payment status %s", pay.Payment.Status)
	}

	// 2–6. Cancel with PAYMENT_FAILED and the REORDER resolution: the rep
	// owns the order, nothing was captured or shipped, so it executes now.
	before := w.order(t, o.ID)
	var preview struct {
		Preview struct {
			Executes         bool
			QuantityReleased int
			AmountRefunded   struct{ Amount string }
			StatusAfter      string
		}
		Cancellation *struct{ ID string }
	}
	must(t, mutate(t, rep, "requestOrderCancellation", `mutation($o: ID!) { requestOrderCancellation(input: {orderId: $o,
		reasonCode: PAYMENT_FAILED, note: "card declined", resolution: REORDER, dryRun: true}) {
		cancellation { id } preview { executes quantityReleased amountRefunded { amount } statusAfter } errors { code message } } }`,
		apptest.Vars{"o": o.ID}, &preview))
	if !preview.Preview.Executes || preview.Preview.QuantityReleased != 12 || preview.Preview.StatusAfter != "CANCELLED" || preview.Cancellation != nil {
		t.Fatalf("dry run preview: %+v", preview)
	}
	if after := w.order(t, o.ID); after.Status != "CONFIRMED" || after.Version != before.Version {
		t.Fatalf("dry run changed the order: %+v", after)
	}

	var done struct {
		Order        orderView
		Cancellation struct {
			ID, Status, ReasonCode string
			QuantityReleased       int
		}
		NewOrder orderView
	}
	must(t, mutate(t, rep, "requestOrderCancellation", `mutation($o: ID!) { requestOrderCancellation(input: {orderId: $o,
		reasonCode: PAYMENT_FAILED, note: "card declined", resolution: REORDER, idempotencyKey: "cancel-1"}) {
		order { `+orderFields+` } cancellation { id status reasonCode quantityReleased } newOrder { `+orderFields+` } errors { code message } } }`,
		apptest.Vars{"o": o.ID}, &done))
	if done.Order.Status != "CANCELLED" || done.Cancellation.Status != "EXECUTED" || done.Cancellation.QuantityReleased != 12 {
		t.Fatalf("cancellation: %+v", done)
	}
	if _, reserved := w.available(t, w.drillID); reserved != 0 {
		t.Fatalf("drills still reserved: %d", reserved)
	}
	if done.NewOrder.Status != "DRAFT" || done.NewOrder.Total.Amount != "323.00" || len(done.NewOrder.Lines) != 2 {
		t.Fatalf("re-created order: %+v", done.NewOrder)
	}
	// Terminal: nothing more happens to the cancelled order.
	if slicesContain(done.Order.AvailableActions, "CANCEL") || !slicesContain(w.order(t, o.ID).AvailableActions, "REORDER") {
		t.Fatalf("actions of a cancelled order: %v", done.Order.AvailableActions)
	}

	// The new order goes through and is paid by bank transfer.
	newID := done.NewOrder.ID
	must(t, mutate(t, rep, "submitOrder", `mutation($id: ID!) { submitOrder(input: {orderId: $id}) { errors { code message } } }`,
		apptest.Vars{"id": newID}, nil))
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "confirmOrder", `mutation($id: ID!) { confirmOrder(input: {orderId: $id}) { errors { code field message } } }`,
		apptest.Vars{"id": newID}, nil))
	must(t, mutate(t, finance, "recordPayment", `mutation($o: ID!) { recordPayment(input: {orderId: $o, amount: "323.00", method: BANK_TRANSFER}) {
		errors { code field message } } }`, apptest.Vars{"o": newID}, nil))
	paid := w.order(t, newID)
	if paid.PaymentStatus != "PAID" || paid.Outstanding.Amount != "0.00" {
		t.Fatalf("new order after payment: %+v", paid)
	}

	// The old order's timeline tells the story.
	var tl struct {
		Node struct {
			Events []struct{ Action, ActorName, FromStatus, ToStatus, Reason string }
		}
	}
	w.env.As(t, "AUDITOR").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { events { action actorName fromStatus toStatus reason } } } }`,
		apptest.Vars{"id": o.ID}, &tl)
	var actions []string
	for _, e := range tl.Node.Events {
		actions = append(actions, e.Action)
	}
	for _, want := range []string{"order.created", "order.submitted", "order.confirmed", "payment.recorded", "payment.failed",
		"cancellation.requested", "order.cancelled", "order.reordered"} {
		if !slicesContain(actions, want) {
			t.Errorf("timeline lacks %s: %v", want, actions)
		}
	}
	assertInvariants(t, w.env)
}

func slicesContain(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
