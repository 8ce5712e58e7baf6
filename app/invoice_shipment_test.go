package app_test

import (
	"testing"
	"time"

	"orderdesk/app"
	"orderdesk/app/apptest"
	"orderdesk/order"
	"orderdesk/store/storetest"
)

// TestInvoice_IssuedAtShipment (seed 002, 开具发票): with the setting on,
// an order's first shipment issues its invoice in the same transaction,
// due after the payment terms, and the customer is told; a later shipment
// issues no second one. With the setting off (the default), shipping
// issues none.
func TestInvoice_IssuedAtShipment(t *testing.T) {
	p := order.DefaultPolicy
	p.InvoiceAtShipment, p.PaymentTerms = true, 14*24*time.Hour
	w := newWorldOn(t, apptest.NewWith(t, storetest.New(t), app.Options{Policy: p}))
	o := w.createConfirmed(t, 1, 2)
	wh := w.env.As(t, "WAREHOUSE")
	ship := func(line string, q int) {
		t.Helper()
		must(t, mutate(t, wh, "shipOrder", `mutation($o: ID!, $l: ID!, $q: Int!) { shipOrder(input: {orderId: $o, carrier: "DHL",
			lines: [{orderLineId: $l, quantity: $q}]}) { `+userErrors+` } }`, apptest.Vars{"o": o.ID, "l": line, "q": q}, nil))
	}
	invoices := func() []invoiceView {
		t.Helper()
		var out struct {
			Node struct{ Invoices []invoiceView }
		}
		w.env.As(t, "FINANCE").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { invoices { `+invoiceFields+` } } } }`,
			apptest.Vars{"id": o.ID}, &out)
		return out.Node.Invoices
	}
	before := time.Now()
	ship(o.Lines[0].ID, 1)
	got := invoices()
	if len(got) != 1 || got[0].Billed.Amount != o.Total.Amount || got[0].Status != "OPEN" {
		t.Fatalf("after the first shipment: %+v", got)
	}
	if due, err := time.Parse(time.RFC3339, got[0].DueAt); err != nil || due.Before(before.Add(p.PaymentTerms-time.Minute)) {
		t.Fatalf("due at %s, want the payment terms after shipping (%v)", got[0].DueAt, err)
	}
	ship(o.Lines[1].ID, 2)
	if got := invoices(); len(got) != 1 {
		t.Fatalf("after the second shipment: %d invoices", len(got))
	}
	if ns := w.notices(t, "ADMIN", o.ID); len(ns) != 2 || ns[1].Kind != "INVOICE_ISSUED" {
		t.Fatalf("notices %+v, want the confirmation and the invoice", ns)
	}

	off := newWorld(t)
	o2, _ := off.paidShipped(t, 1, 0)
	var out struct {
		Node struct{ Invoices []struct{ ID string } }
	}
	off.env.As(t, "FINANCE").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { invoices { id } } } }`,
		apptest.Vars{"id": o2.ID}, &out)
	if len(out.Node.Invoices) != 0 {
		t.Fatalf("shipping issued an invoice with the setting off: %+v", out.Node.Invoices)
	}
}
