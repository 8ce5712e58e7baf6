package app_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"orderdesk/app"
	"orderdesk/app/apptest"
	"orderdesk/ent"
	"orderdesk/ent/customernotice"
	"orderdesk/ent/hook"
	"orderdesk/notice"
)

type noticeView struct {
	ID, Kind, Status, LastError string
	Channel                     *string
	Attempts                    int
	Message                     struct{ Language, Recipient, Title, Body string }
	Subject                     *struct{ ID string }
}

const noticeFields = `id kind status lastError channel attempts message { language recipient title body } subject { id }`

// notices lists the notices of an order as role sees them, oldest first.
func (w *world) notices(t *testing.T, role, orderID string) []noticeView {
	t.Helper()
	var out struct {
		CustomerNotices struct{ Edges []struct{ Node noticeView } }
	}
	w.env.As(t, role).MustDo(t, `query($o: ID!) { customerNotices(first: 50, filter: {orderId: $o}) { edges { node { `+noticeFields+` } } } }`,
		apptest.Vars{"o": orderID}, &out)
	var ns []noticeView
	for i := len(out.CustomerNotices.Edges) - 1; i >= 0; i-- {
		ns = append(ns, out.CustomerNotices.Edges[i].Node)
	}
	return ns
}

// reachCustomer gives the world's customer an email address and a
// language for notices.
func (w *world) reachCustomer(t *testing.T, email, language string) {
	t.Helper()
	var c struct{ Node struct{ Version int } }
	admin := w.env.As(t, "ADMIN")
	admin.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer { version } } }`, apptest.Vars{"id": w.customerID}, &c)
	must(t, mutate(t, admin, "updateCustomer", `mutation($id: ID!, $v: Int!, $e: String, $l: String) {
		updateCustomer(input: {id: $id, expectedVersion: $v, email: $e, language: $l}) { errors { code field message } } }`,
		apptest.Vars{"id": w.customerID, "v": c.Node.Version, "e": email, "l": language}, nil))
}

func sendNotices(t *testing.T, w *world) int {
	t.Helper()
	n, err := w.env.Notices.DeliverDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestNotice_ConfirmedOrderMailedInTheCustomersLanguage: confirming an
// order queues a notice that goes, once delivered, to the customer's
// address in their language, and is recorded with what it said and on the
// order's timeline.
func TestNotice_ConfirmedOrderMailedInTheCustomersLanguage(t *testing.T) {
	w := newWorld(t)
	mail := apptest.NewMailServer(t)
	w.env.Notices.Mailer = mail.Mailer(t)
	w.reachCustomer(t, "buyer@acme.test", "zh-CN")
	o := w.createConfirmed(t, 1, 2)
	queued := w.notices(t, "SALES_REP", o.ID)
	if len(queued) != 1 || queued[0].Kind != "ORDER_CONFIRMED" || queued[0].Status != "QUEUED" {
		t.Fatalf("after confirmation: %+v", queued)
	}
	// Before it goes, the notice shows what it would say.
	if m := queued[0].Message; m.Language != "zh-CN" || m.Recipient != "buyer@acme.test" || !strings.Contains(m.Title, "已确认") {
		t.Fatalf("preview of the queued notice: %+v", m)
	}
	if n := sendNotices(t, w); n != 1 {
		t.Fatalf("delivered %d notices, want 1", n)
	}
	got := mail.Received()
	if len(got) != 1 {
		t.Fatalf("the mail server took %d messages, want 1", len(got))
	}
	want := "您的订单 " + o.Number + " 已确认"
	if got[0].To != "buyer@acme.test" || got[0].Subject != want || !strings.Contains(got[0].Body, o.Total.Amount) ||
		!strings.Contains(got[0].MessageID, "notice-") {
		t.Fatalf("mail: %+v, want subject %q and the total %s", got[0], want, o.Total.Amount)
	}
	sent := w.notices(t, "SALES_MANAGER", o.ID)[0]
	if sent.Status != "SENT" || sent.Channel == nil || *sent.Channel != "EMAIL" || sent.Attempts != 1 ||
		sent.Message.Title != want || sent.Message.Body != got[0].Body {
		t.Fatalf("recorded: %+v", sent)
	}
	if !hasEvent(t, w, o.ID, "notice.sent") {
		t.Error("no notice.sent on the order's timeline")
	}
	if n := sendNotices(t, w); n != 0 || len(mail.Received()) != 1 {
		t.Errorf("a second run delivered %d more", n)
	}

	// An English-speaking customer reads English.
	w.reachCustomer(t, "buyer@acme.test", "en")
	o2 := w.createConfirmed(t, 1, 0)
	sendNotices(t, w)
	if got := mail.Received(); len(got) != 2 || got[1].Subject != "Your order "+o2.Number+" is confirmed" {
		t.Fatalf("English notice: %+v", got)
	}
}

func hasEvent(t *testing.T, w *world, orderID, action string) bool {
	t.Helper()
	var out struct {
		Node struct{ Events []struct{ Action string } }
	}
	w.env.As(t, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { events { action } } } }`,
		apptest.Vars{"id": orderID}, &out)
	for _, e := range out.Node.Events {
		if e.Action == action {
			return true
		}
	}
	return false
}

// TestNotice_RolledBackChangeTellsNobody: a cancellation's dry run rolls
// back and leaves no notice; the cancellation itself tells the customer.
func TestNotice_RolledBackChangeTellsNobody(t *testing.T) {
	w := newWorld(t)
	mail := apptest.NewMailServer(t)
	w.env.Notices.Mailer = mail.Mailer(t)
	w.reachCustomer(t, "buyer@acme.test", "en")
	o := w.createConfirmed(t, 1, 0)
	sendNotices(t, w) // the confirmation
	const cancel = `mutation($o: ID!, $dry: Boolean) { cancelOrder(input: {orderId: $o, reasonCode: CUSTOMER_REQUEST, dryRun: $dry}) {
		order { status } ` + userErrors + ` } }`
	manager := w.env.As(t, "SALES_MANAGER")
	must(t, mutate(t, manager, "cancelOrder", cancel, apptest.Vars{"o": o.ID, "dry": true}, nil))
	if ns := w.notices(t, "ADMIN", o.ID); len(ns) != 1 {
		t.Fatalf("a dry run left notices: %+v", ns)
	}
	if sendNotices(t, w); len(mail.Received()) != 1 {
		t.Fatalf("a dry run sent mail: %+v", mail.Received())
	}
	must(t, mutate(t, manager, "cancelOrder", cancel, apptest.Vars{"o": o.ID}, nil))
	sendNotices(t, w)
	got := mail.Received()
	if len(got) != 2 || got[1].Subject != "Your order "+o.Number+" is cancelled" ||
		!strings.Contains(got[1].Body, "No payment had to be refunded") {
		t.Fatalf("cancellation notice: %+v", got)
	}
	ns := w.notices(t, "ADMIN", o.ID)
	if last := ns[len(ns)-1]; last.Kind != "CANCELLATION_EXECUTED" || last.Subject == nil {
		t.Fatalf("cancellation notice recorded as %+v", last)
	}
}

// TestNotice_SkippedWithoutAChannel: without a mail server, or without the
// customer's address, a notice is SKIPPED with the reason, and still shows
// what it would have said.
func TestNotice_SkippedWithoutAChannel(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 1, 0)
	sendNotices(t, w)
	n := w.notices(t, "SALES_REP", o.ID)[0]
	if n.Status != "SKIPPED" || !strings.Contains(n.LastError, "no email channel") || n.Message.Language != notice.DefaultLanguage ||
		!strings.Contains(n.Message.Title, o.Number) {
		t.Fatalf("without a mail server: %+v", n)
	}
	mail := apptest.NewMailServer(t)
	w.env.Notices.Mailer = mail.Mailer(t)
	o2 := w.createConfirmed(t, 1, 0)
	sendNotices(t, w)
	if n := w.notices(t, "SALES_REP", o2.ID)[0]; n.Status != "SKIPPED" || !strings.Contains(n.LastError, "no email address") {
		t.Fatalf("a customer without an address: %+v", n)
	}
	if len(mail.Received()) != 0 {
		t.Fatalf("mail sent: %+v", mail.Received())
	}
	if !hasEvent(t, w, o2.ID, "notice.skipped") {
		t.Error("no notice.skipped on the timeline")
	}
}

// TestNotice_RetriedFailedAndResent: a mail server's "try later" keeps the
// notice queued for a later attempt; its "never" fails it, and staff may
// send it again once the address is fixed.
func TestNotice_RetriedFailedAndResent(t *testing.T) {
	w := newWorld(t)
	mail := apptest.NewMailServer(t)
	w.env.Notices.Mailer = mail.Mailer(t)
	w.reachCustomer(t, "buyer@acme.test", "en")
	mail.Refuse(451)
	o := w.createConfirmed(t, 1, 0)
	clock := time.Now()
	w.env.Notices.Now = func() time.Time { return clock }
	if n := sendNotices(t, w); n != 0 {
		t.Fatalf("a refused notice counted as settled (%d)", n)
	}
	n := w.notices(t, "ADMIN", o.ID)[0]
	if n.Status != "QUEUED" || n.Attempts != 1 || !strings.Contains(n.LastError, "451") {
		t.Fatalf("after 451: %+v", n)
	}
	if sendNotices(t, w); len(mail.Received()) != 0 {
		t.Fatal("retried before its time")
	}
	clock = clock.Add(notice.DefaultRetries[0] * 2)
	if sendNotices(t, w); len(mail.Received()) != 1 {
		t.Fatal("not retried when due")
	}
	if n := w.notices(t, "ADMIN", o.ID)[0]; n.Status != "SENT" || n.Attempts != 2 {
		t.Fatalf("after the retry: %+v", n)
	}

	mail.Refuse(550)
	o2 := w.createConfirmed(t, 1, 0)
	clock = time.Now()
	sendNotices(t, w)
	failed := w.notices(t, "ADMIN", o2.ID)[0]
	if failed.Status != "FAILED" || !strings.Contains(failed.LastError, "550") || !hasEvent(t, w, o2.ID, "notice.failed") {
		t.Fatalf("after 550: %+v", failed)
	}
	const resend = `mutation($n: ID!) { resendCustomerNotice(input: {noticeId: $n}) { notice { status attempts } ` + userErrors + ` } }`
	var p struct{ Notice struct{ Status string } }
	must(t, mutate(t, w.env.As(t, "SALES_REP"), "resendCustomerNotice", resend, apptest.Vars{"n": failed.ID}, &p))
	if p.Notice.Status != "QUEUED" {
		t.Fatalf("resent: %+v", p)
	}
	sendNotices(t, w)
	if got := mail.Received(); len(got) != 2 || got[1].Subject != "Your order "+o2.Number+" is confirmed" {
		t.Fatalf("after resending: %+v", got)
	}
	wantCode(t, mutate(t, w.env.As(t, "SALES_REP"), "resendCustomerNotice", resend, apptest.Vars{"n": failed.ID}, nil), "NOT_ALLOWED")
}

// TestNotice_HeldAndWithheld: with a hold, a notice waits before it goes;
// staff read it meanwhile and may withhold it. Another rep's customer's
// notices are invisible to a rep.
func TestNotice_HeldAndWithheld(t *testing.T) {
	w := newWorld(t)
	mail := apptest.NewMailServer(t)
	w.env.Notices.Mailer = mail.Mailer(t)
	w.env.Notices.Hold = time.Hour
	w.reachCustomer(t, "buyer@acme.test", "en")
	o := w.createConfirmed(t, 1, 0)
	if sendNotices(t, w); len(mail.Received()) != 0 {
		t.Fatal("sent during its hold")
	}
	n := w.notices(t, "SALES_REP", o.ID)[0]
	if n.Status != "QUEUED" || n.Message.Title != "Your order "+o.Number+" is confirmed" {
		t.Fatalf("held notice: %+v", n)
	}
	if ns := w.notices(t, "REP2", o.ID); len(ns) != 0 {
		t.Fatalf("another rep sees %+v", ns)
	}
	const withhold = `mutation($n: ID!, $r: String!) { withholdCustomerNotice(input: {noticeId: $n, reason: $r}) {
		notice { status lastError } ` + userErrors + ` } }`
	wantCode(t, mutate(t, w.env.As(t, "REP2"), "withholdCustomerNotice", withhold, apptest.Vars{"n": n.ID, "r": "x"}, nil), "NOT_FOUND")
	wantCode(t, mutate(t, w.env.As(t, "SALES_REP"), "withholdCustomerNotice", withhold, apptest.Vars{"n": n.ID, "r": " "}, nil), "INVALID")
	// A reason is kept whole or refused, never cut: 500 characters at most.
	tooLong := strings.Repeat("退", 501)
	wantCode(t, mutate(t, w.env.As(t, "SALES_REP"), "withholdCustomerNotice", withhold, apptest.Vars{"n": n.ID, "r": tooLong}, nil), "INVALID")
	if n := w.notices(t, "SALES_REP", o.ID)[0]; n.Status != "QUEUED" {
		t.Fatalf("a refused withholding left the notice %s", n.Status)
	}
	reason := "客户要求电话通知" + strings.Repeat("。", 492) // 500 characters
	var p struct {
		Notice struct{ Status, LastError string }
	}
	must(t, mutate(t, w.env.As(t, "SALES_REP"), "withholdCustomerNotice", withhold,
		apptest.Vars{"n": n.ID, "r": reason}, &p))
	if p.Notice.Status != "SKIPPED" || !strings.Contains(p.Notice.LastError, reason) {
		t.Fatalf("withheld: %+v", p)
	}
	w.env.Notices.Hold = 0
	if sendNotices(t, w); len(mail.Received()) != 0 {
		t.Fatalf("a withheld notice went: %+v", mail.Received())
	}
	if !hasEvent(t, w, o.ID, "notice.withheld") {
		t.Error("no notice.withheld on the timeline")
	}
}

// TestNotice_EveryCustomerStep: each step the customer must hear of
// queues its notice with the facts of the change: a void with its refund,
// a return received and refunded, an invoice issued, a cancellation
// executed on its last approval with its refund.
func TestNotice_EveryCustomerStep(t *testing.T) {
	w := newWorld(t)
	w.reachCustomer(t, "buyer@acme.test", "en")
	kinds := func(orderID string) (out []string) {
		for _, n := range w.notices(t, "ADMIN", orderID) {
			out = append(out, n.Kind+": "+n.Message.Body)
		}
		return out
	}
	expect := func(orderID string, want ...string) {
		t.Helper()
		got := kinds(orderID)
		if len(got) != len(want) {
			t.Fatalf("notices %q, want %d", got, len(want))
		}
		for i, w := range want {
			kind, text, _ := strings.Cut(w, ": ")
			if !strings.HasPrefix(got[i], kind+": ") || !strings.Contains(got[i], text) {
				t.Errorf("notice %d: %q, want %s containing %q", i, got[i], kind, text)
			}
		}
	}

	voided := w.createConfirmed(t, 1, 0)
	w.pay(t, voided.ID, voided.Total.Amount)
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "voidOrder", `mutation($id: ID!) { voidOrder(input: {orderId: $id,
		reasonCode: DUPLICATE_ORDER}) { `+userErrors+` } }`, apptest.Vars{"id": voided.ID}, nil))
	expect(voided.ID, "ORDER_CONFIRMED: "+voided.Total.Amount, "ORDER_VOIDED: We have refunded "+voided.Total.Amount)

	shipped, _ := w.paidShipped(t, 0, 2)
	var ret struct {
		Return struct {
			ID    string
			Lines []struct{ ID string }
		}
	}
	must(t, mutate(t, w.env.As(t, "SALES_REP"), "createReturn", atQCreateReturn, apptest.Vars{"o": shipped.ID, "l": shipped.Lines[0].ID}, &ret))
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "approveReturn", atQApproveReturn, apptest.Vars{"r": ret.Return.ID}, nil))
	must(t, mutate(t, w.env.As(t, "WAREHOUSE"), "receiveReturn", atQReceiveReturn, apptest.Vars{"r": ret.Return.ID, "l": ret.Return.Lines[0].ID}, nil))
	must(t, mutate(t, w.env.As(t, "FINANCE"), "refundReturn", atQRefundReturn, apptest.Vars{"r": ret.Return.ID}, nil))
	expect(shipped.ID, "ORDER_CONFIRMED: 13.00", "RETURN_RECEIVED: 1 item(s)", "RETURN_REFUNDED: refunded 6.50")

	invoiced := w.createConfirmed(t, 1, 0)
	inv := w.issue(t, invoiced.ID)
	expect(invoiced.ID, "ORDER_CONFIRMED: ", "INVOICE_ISSUED: invoice "+inv.Number)

	cancelled := w.createConfirmed(t, 1, 0)
	w.pay(t, cancelled.ID, cancelled.Total.Amount)
	var req struct{ Cancellation struct{ ID string } }
	must(t, mutate(t, w.env.As(t, "SALES_REP"), "requestOrderCancellation", `mutation($o: ID!) { requestOrderCancellation(input: {orderId: $o,
		reasonCode: CUSTOMER_REQUEST}) { cancellation { id } `+userErrors+` } }`, apptest.Vars{"o": cancelled.ID}, &req))
	for _, role := range []string{"SALES_MANAGER", "FINANCE"} {
		must(t, mutate(t, w.env.As(t, role), "approveOrderCancellation", atQApproveCancel, apptest.Vars{"c": req.Cancellation.ID}, nil))
	}
	expect(cancelled.ID, "ORDER_CONFIRMED: ", "CANCELLATION_EXECUTED: We have refunded "+cancelled.Total.Amount)
}

// TestNotice_SendersOnSeveralServersSendEachOnce: senders of two servers
// over one database, running at once, deliver every notice exactly once.
func TestNotice_SendersOnSeveralServersSendEachOnce(t *testing.T) {
	w := newWorld(t)
	mail := apptest.NewMailServer(t)
	w.reachCustomer(t, "buyer@acme.test", "en")
	const orders = 12
	for range orders {
		w.createConfirmed(t, 0, 1)
	}
	other := w.env.Replica(t, app.Options{})
	senders := []*notice.Sender{w.env.Notices, other.Notices}
	for _, s := range senders {
		s.Mailer = mail.Mailer(t)
	}
	for round := range 3 {
		var wg sync.WaitGroup
		for _, s := range senders {
			wg.Go(func() {
				if _, err := s.DeliverDue(context.Background()); err != nil {
					t.Errorf("round %d: %v", round, err)
				}
			})
		}
		wg.Wait()
	}
	got := mail.Received()
	seen := map[string]int{}
	for _, m := range got {
		seen[m.MessageID]++
	}
	if len(got) != orders || len(seen) != orders {
		t.Fatalf("%d messages for %d distinct notices, want %d each once", len(got), len(seen), orders)
	}
	if n := w.env.DB.Client.CustomerNotice.Query().Where(customernotice.StatusEQ(customernotice.StatusSENT)).CountX(w.env.Sys); n != orders {
		t.Fatalf("%d notices recorded SENT, want %d", n, orders)
	}
}

// TestNotice_GoesOnCommitNotAtTheNextRound: the server's sender is woken
// when a notice commits, so it does not wait for its next round (here an
// hour away); a rolled-back change wakes it for nothing.
func TestNotice_GoesOnCommitNotAtTheNextRound(t *testing.T) {
	w := newWorld(t)
	mail := apptest.NewMailServer(t)
	w.env.Notices.Mailer = mail.Mailer(t)
	w.reachCustomer(t, "buyer@acme.test", "en")
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); w.env.RunNotices(ctx, slog.New(slog.DiscardHandler), time.Hour) }()
	t.Cleanup(func() { stop(); <-done })
	o := w.createConfirmed(t, 1, 0)
	deadline := time.Now().Add(20 * time.Second)
	for len(mail.Received()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := mail.Received(); len(got) != 1 || got[0].Subject != "Your order "+o.Number+" is confirmed" {
		t.Fatalf("mail after the commit: %+v", got)
	}
}

// TestNotice_ARoundSettlesItsNoticesTogether: a sender's round takes the
// due notices in one transaction and records what became of them in
// another, whatever their number: 9 statements and one per notice, where
// each notice took 8 of its own.
func TestNotice_ARoundSettlesItsNoticesTogether(t *testing.T) {
	w := newWorld(t)
	mail := apptest.NewMailServer(t)
	w.reachCustomer(t, "buyer@acme.test", "en")
	const orders = 6
	for range orders {
		w.createConfirmed(t, 0, 1)
	}
	w.env.Notices.Mailer = mail.Mailer(t)
	before := w.env.Statements.Load()
	if n := sendNotices(t, w); n != orders {
		t.Fatalf("%d settled, want %d", n, orders)
	}
	n := w.env.Statements.Load() - before
	t.Logf("a round of %d notices: %d statements", orders, n)
	if n > 9+orders {
		t.Errorf("a round of %d notices took %d statements, want at most %d", orders, n, 9+orders)
	}
	if got := len(mail.Received()); got != orders {
		t.Fatalf("%d messages, want %d", got, orders)
	}
	if n := w.env.DB.Client.CustomerNotice.Query().Where(customernotice.StatusEQ(customernotice.StatusSENT)).CountX(w.env.Sys); n != orders {
		t.Fatalf("%d notices recorded SENT, want %d", n, orders)
	}
}

// TestNotice_OneThatCannotBeRecordedHoldsBackNoOther: when what became of
// one notice of a round cannot be written, the others are recorded all the
// same, each on its own, and only that one stays taken, to be tried again
// when its lease ends.
func TestNotice_OneThatCannotBeRecordedHoldsBackNoOther(t *testing.T) {
	w := newWorld(t)
	mail := apptest.NewMailServer(t)
	w.reachCustomer(t, "buyer@acme.test", "en")
	for range 3 {
		w.createConfirmed(t, 0, 1)
	}
	ids := w.env.DB.Client.CustomerNotice.Query().Order(ent.Asc(customernotice.FieldID)).IDsX(w.env.Sys)
	if len(ids) != 3 {
		t.Fatalf("%d notices queued, want 3", len(ids))
	}
	bad := ids[1]
	w.env.DB.Client.CustomerNotice.Use(func(next ent.Mutator) ent.Mutator {
		return hook.CustomerNoticeFunc(func(ctx context.Context, m *ent.CustomerNoticeMutation) (ent.Value, error) {
			if status, ok := m.Status(); ok && status == customernotice.StatusSENT {
				if got, err := m.IDs(ctx); err == nil && slices.Contains(got, bad) {
					return nil, errors.New("the disk is full")
				}
			}
			return next.Mutate(ctx, m)
		})
	})
	w.env.Notices.Mailer = mail.Mailer(t)
	n, err := w.env.Notices.DeliverDue(context.Background())
	if n != 2 || err == nil || !strings.Contains(err.Error(), strconv.Itoa(bad)) {
		t.Fatalf("round: %d settled, error %v; want 2 and the error of notice %d", n, err, bad)
	}
	for _, id := range ids {
		got := w.env.DB.Client.CustomerNotice.GetX(w.env.Sys, id)
		want := customernotice.StatusSENT
		if id == bad {
			want = customernotice.StatusQUEUED
		}
		if got.Status != want || (id == bad) != (got.TakenUntil != nil) {
			t.Fatalf("notice %d: %s, taken until %v; want %s", id, got.Status, got.TakenUntil, want)
		}
	}
}

// TestNotice_ARoundSendsNothingItsLeaseMightNotCover: a round holds its
// notices for the lease (2 min); a send that could end after it (a send
// may take 30 s) is not begun, and the notices left go back to the queue
// untried, for the next round.
func TestNotice_ARoundSendsNothingItsLeaseMightNotCover(t *testing.T) {
	w := newWorld(t)
	mail := apptest.NewMailServer(t)
	w.reachCustomer(t, "buyer@acme.test", "en")
	for range 3 {
		w.createConfirmed(t, 0, 1)
	}
	s := w.env.Notices
	s.Mailer = mail.Mailer(t)
	start, calls := time.Now(), 0
	s.Now = func() time.Time { // each look at the clock finds 50 s gone
		calls++
		return start.Add(time.Duration(calls-1) * 50 * time.Second)
	}
	if n := sendNotices(t, w); n != 2 {
		t.Fatalf("%d settled, want the 2 sent while the lease lasted", n)
	}
	if got := len(mail.Received()); got != 2 {
		t.Fatalf("%d messages, want 2", got)
	}
	left := w.env.DB.Client.CustomerNotice.Query().Where(customernotice.StatusEQ(customernotice.StatusQUEUED)).AllX(w.env.Sys)
	if len(left) != 1 || left[0].Attempts != 0 || left[0].TakenUntil != nil {
		t.Fatalf("left queued: %+v, want one untried and not taken", left)
	}
	s.Now = time.Now
	if n := sendNotices(t, w); n != 1 || len(mail.Received()) != 3 {
		t.Fatalf("the next round settled %d, %d messages in all; want 1 and 3", n, len(mail.Received()))
	}
}
