package order

import (
	"testing"
	"time"

	"orderdesk/ent"
	"orderdesk/ent/invoice"
)

// TestInvoiceState: payments apply to the current invoice up to what it
// still bills; fully credited is CREDITED with no balance.
func TestInvoiceState(t *testing.T) {
	for _, c := range []struct {
		name               string
		billed, credited   int64
		captured, refunded int64
		wantStatus         invoice.Status
		wantBalance        int64
	}{
		{"unpaid", 45200, 0, 0, 0, invoice.StatusOPEN, 45200},
		{"partly paid", 45200, 0, 20000, 0, invoice.StatusOPEN, 25200},
		{"paid", 45200, 0, 45200, 0, invoice.StatusPAID, 0},
		{"paid, then a concession credited and refunded", 45200, 3000, 45200, 3000, invoice.StatusPAID, 0},
		{"paid more than is left after a credit", 45200, 10000, 45200, 0, invoice.StatusPAID, 0},
		{"partly credited, unpaid", 45200, 6500, 0, 0, invoice.StatusOPEN, 38700},
		{"refunded after payment", 45200, 0, 45200, 45200, invoice.StatusOPEN, 45200},
		{"fully credited", 45200, 45200, 0, 0, invoice.StatusCREDITED, 0},
		{"fully credited, money held", 45200, 45200, 45200, 0, invoice.StatusCREDITED, 0},
	} {
		inv := &ent.Invoice{BilledMinor: c.billed, CreditedMinor: c.credited}
		o := &ent.Order{CapturedMinor: c.captured, RefundedMinor: c.refunded}
		if s, b := invoiceState(inv, o); s != c.wantStatus || b != c.wantBalance {
			t.Errorf("%s: %s %d, want %s %d", c.name, s, b, c.wantStatus, c.wantBalance)
		}
	}
}

func TestOverdue(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		status invoice.Status
		due    time.Time
		want   bool
	}{
		{invoice.StatusOPEN, now.Add(-time.Second), true},
		{invoice.StatusOPEN, now.Add(time.Second), false},
		{invoice.StatusPAID, now.Add(-time.Hour), false},
		{invoice.StatusCREDITED, now.Add(-time.Hour), false},
	} {
		if got := Overdue(&ent.Invoice{Status: c.status, DueAt: c.due}, now); got != c.want {
			t.Errorf("%s due %s: overdue %t, want %t", c.status, c.due, got, c.want)
		}
	}
}

// TestMoneyOf: only orders that can carry an invoice are followed.
func TestMoneyOf(t *testing.T) {
	for s, want := range map[Status]bool{Draft: false, PendingReview: false, Confirmed: true, Shipped: true,
		Delivered: true, Completed: true, Cancelled: false, Voided: false, Rejected: false} {
		if got := moneyOf(&ent.Order{Status: s}).invoiceable; got != want {
			t.Errorf("%s invoiceable %t, want %t", s, got, want)
		}
	}
}
