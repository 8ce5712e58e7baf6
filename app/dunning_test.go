package app_test

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"orderdesk/app/apptest"
	"orderdesk/ent/customernotice"
	"orderdesk/ent/notification"
)

// TestDunning_RemindersOnScheduleUntilPaid (seed 002, 应收账款催收): an
// invoice unpaid past its due time is in finance's inbox with its balance;
// reminders go on the schedule, once each — the customer's notice, the
// rep and finance told, the order's timeline — and stop once it is paid.
func TestDunning_RemindersOnScheduleUntilPaid(t *testing.T) {
	w := newWorld(t)
	mail := apptest.NewMailServer(t)
	w.env.Notices.Mailer = mail.Mailer(t)
	w.reachCustomer(t, "buyer@acme.test", "zh-CN")
	o := w.createConfirmed(t, 1, 0)
	inv := w.issue(t, o.ID)
	// Arranged: the invoice fell due two days ago.
	id, err := strconv.Atoi(inv.ID)
	if err != nil {
		t.Fatal(err)
	}
	due := time.Now().UTC().Add(-48 * time.Hour).Truncate(time.Second)
	w.env.DB.Client.Invoice.UpdateOneID(id).SetDueAt(due).ExecX(w.env.Sys)

	if kinds := w.inboxKinds(t, "FINANCE"); !slices.Contains(kinds, "PAYMENT_OVERDUE:"+inv.ID) {
		t.Fatalf("finance's inbox %v lacks the overdue invoice", kinds)
	}
	var amount struct {
		OpenExceptions struct {
			Edges []struct {
				Node struct {
					Kind   string
					Amount *struct{ Amount string }
				}
			}
		}
	}
	w.env.As(t, "FINANCE").MustDo(t, `{ openExceptions(first: 50, category: PAYMENT) { edges { node { kind amount { amount } } } } }`, nil, &amount)
	if e := amount.OpenExceptions.Edges; len(e) != 1 || e[0].Node.Amount == nil || e[0].Node.Amount.Amount != o.Total.Amount {
		t.Fatalf("payment items %+v, want one overdue invoice of %s (the order is not listed twice)", e, o.Total.Amount)
	}

	remind := func(at time.Time) int {
		t.Helper()
		n, err := w.env.Orders.RemindOverdue(context.Background(), at)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	now := time.Now().UTC()
	if n := remind(now); n != 1 {
		t.Fatalf("first sweep sent %d reminders, want 1 (one day overdue, not yet a week)", n)
	}
	if n := remind(now); n != 0 {
		t.Fatalf("a second sweep sent %d more", n)
	}
	if got := w.invoice(t, inv.ID); got.Reminders != 1 {
		t.Fatalf("invoice after the reminder: %+v", got)
	}
	sendNotices(t, w)
	got := mail.Received()
	// The confirmation, the invoice, the reminder.
	if len(got) != 3 || got[2].Subject != "第 1 次提醒：发票 "+inv.Number+" 已逾期" || !strings.Contains(got[2].Body, o.Total.Amount) {
		t.Fatalf("reminder mail: %+v", got)
	}
	for _, role := range []string{"SALES_REP", "FINANCE"} {
		if n := w.env.DB.Client.Notification.Query().Where(notification.Kind("invoice.overdue"),
			notification.RecipientID(w.env.Users[role].ID)).CountX(w.env.Sys); n != 1 {
			t.Errorf("%s told %d times, want once", role, n)
		}
	}
	if !hasEvent(t, w, o.ID, "invoice.reminded") {
		t.Error("no invoice.reminded on the timeline")
	}

	if n := remind(now.Add(6 * 24 * time.Hour)); n != 1 {
		t.Fatalf("a week after the due time: %d reminders, want the second", n)
	}
	w.pay(t, o.ID, o.Total.Amount)
	if n := remind(now.Add(30 * 24 * time.Hour)); n != 0 {
		t.Fatalf("a paid invoice was reminded (%d)", n)
	}
	if got := w.invoice(t, inv.ID); got.Status != "PAID" || got.Reminders != 2 {
		t.Fatalf("invoice at the end: %+v", got)
	}
	if n := w.env.DB.Client.CustomerNotice.Query().Where(customernotice.KindEQ(customernotice.KindPAYMENT_OVERDUE)).CountX(w.env.Sys); n != 2 {
		t.Fatalf("%d reminder notices, want 2", n)
	}
	if kinds := w.inboxKinds(t, "FINANCE"); slices.Contains(kinds, "PAYMENT_OVERDUE:"+inv.ID) {
		t.Fatalf("a paid invoice is still in the inbox: %v", kinds)
	}
}
