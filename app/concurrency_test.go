package app_test

// Concurrency tests: many clients acting on one order at once, idempotent
// retries, and the automatic cancellation sweep running in two processes
// over one database. They run on SQLite (writers serialised by BEGIN
// IMMEDIATE) and, with ORDERDESK_TEST_MYSQL_DSN set, on MariaDB (row locks,
// deadlock and lock-wait retries in store.WithTx), where they matter most.
//
// Requests are sent from goroutines through *apptest.Client; a goroutine
// never fails the test itself: every result is collected and asserted after
// all requests have returned.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-sql-driver/mysql"
	"golang.org/x/crypto/bcrypt"

	"orderdesk/app"
	"orderdesk/app/apptest"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/auditevent"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/ent/notification"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/orderline"
	entpayment "orderdesk/ent/payment"
	"orderdesk/ent/stockmovement"
	"orderdesk/graph/guard"
	"orderdesk/order"
	"orderdesk/store"
	"orderdesk/store/storetest"
)

// ccT hands a goroutine a testing.TB for the apptest helpers: Fatal and
// FailNow record the failure and end only that goroutine, so that the test
// goroutine reports it after wg.Wait().
type ccT struct {
	testing.TB
	mu    sync.Mutex
	fails []string
}

func (c *ccT) fail(msg string) {
	c.mu.Lock()
	c.fails = append(c.fails, msg)
	c.mu.Unlock()
	runtime.Goexit()
}

func (c *ccT) Fatal(args ...any)                 { c.fail(fmt.Sprint(args...)) }
func (c *ccT) Fatalf(format string, args ...any) { c.fail(fmt.Sprintf(format, args...)) }
func (c *ccT) FailNow()                          { c.fail("FailNow") }
func (c *ccT) SkipNow()                          { c.fail("SkipNow") }
func (c *ccT) Skip(args ...any)                  { c.fail(fmt.Sprint(args...)) }
func (c *ccT) Skipf(format string, args ...any)  { c.fail(fmt.Sprintf(format, args...)) }

// ccOutcome is what one concurrent request got back.
type ccOutcome struct {
	ran     bool               // the request returned a GraphQL response
	top     []apptest.GQLError // top-level errors
	codes   []string           // payload error codes
	payload json.RawMessage    // the mutation's payload
}

// ccFire sends n requests at once (they wait at a barrier, then all go)
// and returns their outcomes, decoding the payload of field.
func ccFire(t *testing.T, n int, field string, call func(tb testing.TB, i int) apptest.Response) ([]ccOutcome, time.Duration) {
	t.Helper()
	gt := &ccT{TB: t}
	out := make([]ccOutcome, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = ccDecode(gt, field, call(gt, i))
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(began)
	for _, f := range gt.fails {
		t.Errorf("concurrent %s request: %s", field, f)
	}
	return out, took
}

func ccDecode(tb testing.TB, field string, r apptest.Response) ccOutcome {
	o := ccOutcome{ran: true, top: r.Errors}
	var data map[string]json.RawMessage
	if len(r.Data) > 0 && string(r.Data) != "null" {
		if err := json.Unmarshal(r.Data, &data); err != nil {
			tb.Fatalf("decoding %s: %v", r.Data, err)
		}
	}
	o.payload = data[field]
	if len(o.payload) > 0 && string(o.payload) != "null" {
		var p struct{ Errors []apptest.UserError }
		if err := json.Unmarshal(o.payload, &p); err != nil {
			tb.Fatalf("decoding %s payload %s: %v", field, o.payload, err)
		}
		for _, e := range p.Errors {
			o.codes = append(o.codes, e.Code)
		}
	}
	return o
}

// ccTally sums up outcomes: successes have neither payload nor top-level
// errors; conflicts failed with the expected conflict code only.
type ccTally struct {
	attempts, successes, conflicts, lost int
	codes                                map[string]int // payload error codes of failed requests
	top                                  map[string]int // top-level error codes ("message" when none)
}

func ccCount(out []ccOutcome, conflict string) ccTally {
	c := ccTally{attempts: len(out), codes: map[string]int{}, top: map[string]int{}}
	for _, o := range out {
		switch {
		case !o.ran:
			c.lost++
		case len(o.top) > 0:
			for _, e := range o.top {
				code := e.Code()
				if code == "" {
					code = e.Message
				}
				c.top[code]++
			}
		case len(o.codes) == 0:
			c.successes++
		default:
			for _, code := range o.codes {
				c.codes[code]++
			}
			if len(o.codes) == 1 && o.codes[0] == conflict {
				c.conflicts++
			}
		}
	}
	return c
}

func (c ccTally) String() string {
	return fmt.Sprintf("attempts=%d successes=%d conflicts=%d topLevelErrors=%v payloadErrors=%v lost=%d",
		c.attempts, c.successes, c.conflicts, ccSorted(c.top), ccSorted(c.codes), c.lost)
}

func ccSorted(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s:%d", k, m[k])
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// ccNoTopLevel fails the test for every request that got top-level errors
// (an INTERNAL_SERVER_ERROR means a database error escaped the retries).
func ccNoTopLevel(t *testing.T, field string, out []ccOutcome) {
	t.Helper()
	for i, o := range out {
		for _, e := range o.top {
			t.Errorf("%s request %d: top-level error %s: %s (path %v)", field, i, e.Code(), e.Message, e.Path)
		}
	}
}

// ccLockStats reads the server-wide InnoDB deadlock and row lock wait
// counters (MariaDB only; other databases on the server count too).
func ccLockStats(t *testing.T, env *apptest.Env) (deadlocks, lockWaits int64) {
	t.Helper()
	if env.DB.Dialect != dialect.MySQL {
		return 0, 0
	}
	rows, err := env.DB.SQL.QueryContext(context.Background(),
		"SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_deadlocks', 'Innodb_row_lock_waits')")
	if err != nil {
		t.Logf("reading InnoDB counters: %v", err)
		return 0, 0
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			t.Logf("reading InnoDB counters: %v", err)
			return 0, 0
		}
		switch name {
		case "Innodb_deadlocks":
			deadlocks = v
		case "Innodb_row_lock_waits":
			lockWaits = v
		}
	}
	return deadlocks, lockWaits
}

// ccLocks logs the change of the InnoDB counters since before.
func ccLocks(t *testing.T, env *apptest.Env) func() string {
	d0, w0 := ccLockStats(t, env)
	return func() string {
		if env.DB.Dialect != dialect.MySQL {
			return "db=sqlite"
		}
		d1, w1 := ccLockStats(t, env)
		return fmt.Sprintf("db=mariadb serverDeadlocks=%d serverRowLockWaits=%d", d1-d0, w1-w0)
	}
}

func ccID(t *testing.T, id string) int {
	t.Helper()
	n, err := strconv.Atoi(id)
	if err != nil {
		t.Fatalf("ID %q is not an ent id: %v", id, err)
	}
	return n
}

func ccLine(itemID string, qty int) apptest.Vars {
	return apptest.Vars{"stockItemId": itemID, "quantity": qty}
}

// ccSubmitted enters an order of the lines as the sales rep, with extra
// createOrder input, and submits it for review.
func ccSubmitted(t *testing.T, w *world, rep *apptest.Client, extra apptest.Vars, lines ...apptest.Vars) string {
	t.Helper()
	in := apptest.Vars{"customerId": w.customerID, "channel": "WEB", "lines": lines}
	for k, v := range extra {
		in[k] = v
	}
	var p struct{ Order struct{ ID string } }
	must(t, mutate(t, rep, "createOrder", `mutation($in: CreateOrderInput!) { createOrder(input: $in) {
		order { id } errors { code field message } } }`, apptest.Vars{"in": in}, &p))
	must(t, mutate(t, rep, "submitOrder", `mutation($id: ID!) { submitOrder(input: {orderId: $id}) { errors { code message } } }`,
		apptest.Vars{"id": p.Order.ID}, nil))
	return p.Order.ID
}

const ccConfirm = `mutation($id: ID!) { confirmOrder(input: {orderId: $id}) {
	order { id status lines { quantityReserved } } errors { code field message } } }`

// ccConfirmed is ccSubmitted followed by the manager's confirmation.
func ccConfirmed(t *testing.T, w *world, rep, manager *apptest.Client, extra apptest.Vars, lines ...apptest.Vars) string {
	t.Helper()
	id := ccSubmitted(t, w, rep, extra, lines...)
	must(t, mutate(t, manager, "confirmOrder", ccConfirm, apptest.Vars{"id": id}, nil))
	return id
}

const ccCancel = `mutation($o: ID!, $key: String) { cancelOrder(input: {orderId: $o, reasonCode: CUSTOMER_REQUEST, idempotencyKey: $key}) {
	order { id status } cancellation { id status } errors { code field message } } }`

// ccReleases checks that each stock item of the order's lines got exactly
// one RELEASE movement of the reserved quantity, all naming cancellation
// rec, and that no line keeps a reservation.
func ccReleases(t *testing.T, env *apptest.Env, orderID int, rec int) {
	t.Helper()
	lines := env.DB.Client.OrderLine.Query().Where(orderline.OrderID(orderID)).AllX(env.Sys)
	want := map[int]int{}
	for _, l := range lines {
		want[l.StockItemID] += l.Quantity
		if l.QuantityReserved != 0 || l.QuantityCancelled != l.Quantity {
			t.Errorf("order %d line %s: reserved %d, cancelled %d of %d", orderID, l.Sku, l.QuantityReserved, l.QuantityCancelled, l.Quantity)
		}
	}
	mvs := env.DB.Client.StockMovement.Query().Where(stockmovement.OrderID(orderID),
		stockmovement.KindEQ(stockmovement.KindRELEASE)).AllX(env.Sys)
	got, count := map[int]int{}, map[int]int{}
	for _, m := range mvs {
		got[m.StockItemID] += m.Quantity
		count[m.StockItemID]++
		if m.CancellationID == nil || *m.CancellationID != rec {
			t.Errorf("order %d: release movement %d names cancellation %v, want %d", orderID, m.ID, m.CancellationID, rec)
		}
	}
	for item, q := range want {
		if count[item] != 1 || got[item] != q {
			t.Errorf("order %d, stock item %d: %d RELEASE movements of %d units in all, want exactly one of %d",
				orderID, item, count[item], got[item], q)
		}
	}
	if len(count) != len(want) {
		t.Errorf("order %d: releases for items %v, want items %v", orderID, count, want)
	}
}

// TestConcurrentCancel: fifty managers cancel one confirmed, unpaid order at
// the same moment. Exactly one cancellation executes; every other request
// gets a clean payload error (INVALID_TRANSITION); the reserved stock comes
// back exactly once.
func TestConcurrentCancel(t *testing.T) {
	w := newWorld(t)
	env := w.env
	o := w.createConfirmed(t, 2, 10)
	oid := ccID(t, o.ID)
	manager := env.As(t, "SALES_MANAGER")
	locks := ccLocks(t, env)

	const n = 50
	out, took := ccFire(t, n, "cancelOrder", func(tb testing.TB, _ int) apptest.Response {
		return manager.Do(tb, ccCancel, apptest.Vars{"o": o.ID})
	})
	c := ccCount(out, "INVALID_TRANSITION")
	t.Logf("attempts=%d successes=%d conflicts=%d (%s) took=%s %s", c.attempts, c.successes, c.conflicts, c, took, locks())

	ccNoTopLevel(t, "cancelOrder", out)
	if c.successes != 1 {
		t.Errorf("%d cancellations succeeded, want exactly 1", c.successes)
	}
	var winner string
	for i, o := range out {
		if !o.ran || len(o.top) > 0 {
			continue
		}
		var p struct {
			Order        *struct{ Status string }
			Cancellation *struct{ ID, Status string }
		}
		if err := json.Unmarshal(o.payload, &p); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		switch {
		case len(o.codes) == 0:
			if p.Cancellation == nil || p.Cancellation.Status != "EXECUTED" || p.Order == nil || p.Order.Status != "CANCELLED" {
				t.Errorf("request %d succeeded without an executed cancellation: %s", i, o.payload)
			} else {
				winner = p.Cancellation.ID
			}
		case p.Cancellation != nil:
			t.Errorf("request %d failed (%v) but names cancellation %s", i, o.codes, p.Cancellation.ID)
		}
	}
	if c.conflicts != n-1 {
		t.Logf("not every loser got INVALID_TRANSITION alone: %v", ccSorted(c.codes))
	}

	recs := env.DB.Client.CancellationRecord.Query().Where(cancellationrecord.OrderID(oid)).AllX(env.Sys)
	if len(recs) != 1 || recs[0].Status != cancellationrecord.StatusEXECUTED {
		t.Fatalf("order has %d cancellation records (%v), want one EXECUTED", len(recs), recs)
	}
	if winner != "" && winner != apptest.ID(recs[0].ID) {
		t.Errorf("the successful response names cancellation %s, the database has %d", winner, recs[0].ID)
	}
	if got := w.order(t, o.ID); got.Status != "CANCELLED" {
		t.Errorf("order status %s, want CANCELLED", got.Status)
	}
	ccReleases(t, env, oid, recs[0].ID)
	for _, item := range []string{w.drillID, w.glovesID} {
		if onHand, reserved := w.available(t, item); reserved != 0 {
			t.Errorf("stock item %s: reserved %d (on hand %d), want 0", item, reserved, onHand)
		}
	}
	if k := env.DB.Client.AuditEvent.Query().Where(auditevent.OrderID(oid), auditevent.Action("order.cancelled")).CountX(env.Sys); k != 1 {
		t.Errorf("%d order.cancelled audit events, want 1", k)
	}
	assertInvariants(t, env)
}

// TestConcurrentConfirmNoOversell: 10 drills on hand, 15 orders of 2 drills
// each confirmed at once: 5 are confirmed and reserve 10, the other 10 get
// INSUFFICIENT_STOCK and stay in review with nothing reserved.
func TestConcurrentConfirmNoOversell(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rep, manager := env.As(t, "SALES_REP"), env.As(t, "SALES_MANAGER")
	onHand, reserved := w.available(t, w.drillID)
	if onHand != 10 || reserved != 0 {
		t.Fatalf("drills: on hand %d, reserved %d; want 10 and 0", onHand, reserved)
	}
	const n, qty = 15, 2
	ids := make([]string, n)
	for i := range ids {
		ids[i] = ccSubmitted(t, w, rep, nil, ccLine(w.drillID, qty))
	}
	locks := ccLocks(t, env)
	out, took := ccFire(t, n, "confirmOrder", func(tb testing.TB, i int) apptest.Response {
		return manager.Do(tb, ccConfirm, apptest.Vars{"id": ids[i]})
	})
	c := ccCount(out, "INSUFFICIENT_STOCK")
	t.Logf("attempts=%d successes=%d conflicts=%d (%s) took=%s %s", c.attempts, c.successes, c.conflicts, c, took, locks())

	ccNoTopLevel(t, "confirmOrder", out)
	if c.successes != onHand/qty || c.conflicts != n-onHand/qty {
		t.Errorf("%d confirmed and %d INSUFFICIENT_STOCK, want %d and %d (payload errors %v)",
			c.successes, c.conflicts, onHand/qty, n-onHand/qty, ccSorted(c.codes))
	}
	confirmed := 0
	for i, id := range ids {
		got := w.order(t, id)
		ok := out[i].ran && len(out[i].top) == 0 && len(out[i].codes) == 0
		switch {
		case ok && got.Status == "CONFIRMED" && got.Lines[0].QuantityReserved == qty:
			confirmed++
		case !ok && got.Status == "PENDING_REVIEW" && got.Lines[0].QuantityReserved == 0:
		default:
			t.Errorf("order %s: status %s, reserved %d after a confirmation that returned %v %v",
				got.Number, got.Status, got.Lines[0].QuantityReserved, out[i].codes, out[i].top)
		}
	}
	if confirmed != onHand/qty {
		t.Errorf("%d orders CONFIRMED in the database, want %d", confirmed, onHand/qty)
	}
	if on, res := w.available(t, w.drillID); res != onHand || res > on || on != onHand {
		t.Errorf("drills: on hand %d, reserved %d; want %d reserved of %d", on, res, onHand, onHand)
	}
	if k := env.DB.Client.StockMovement.Query().Where(stockmovement.KindEQ(stockmovement.KindRESERVATION)).CountX(env.Sys); k != onHand/qty {
		t.Errorf("%d RESERVATION movements, want %d", k, onHand/qty)
	}
	assertInvariants(t, env)
}

// TestConcurrentRefunds: 100.00 captured, twenty refunds of 10.00 at once:
// ten succeed, ten get REFUND_EXCEEDS_CAPTURED, 100.00 is refunded and the
// ledger balances.
func TestConcurrentRefunds(t *testing.T) {
	w := newWorld(t)
	env := w.env
	o := w.createConfirmed(t, 1, 1) // 135.50
	oid := ccID(t, o.ID)
	finance := env.As(t, "FINANCE")
	must(t, mutate(t, finance, "recordPayment", `mutation($o: ID!) { recordPayment(input: {orderId: $o, amount: "100.00", method: BANK_TRANSFER}) {
		errors { code field message } } }`, apptest.Vars{"o": o.ID}, nil))
	if got := w.order(t, o.ID); got.Refundable.Amount != "100.00" {
		t.Fatalf("refundable %s, want 100.00", got.Refundable.Amount)
	}
	locks := ccLocks(t, env)
	const n = 20
	out, took := ccFire(t, n, "refundPayment", func(tb testing.TB, _ int) apptest.Response {
		return finance.Do(tb, `mutation($o: ID!) { refundPayment(input: {orderId: $o, amount: "10.00", reason: "goodwill"}) {
			refunds { id amount { amount } } errors { code field message } } }`, apptest.Vars{"o": o.ID})
	})
	c := ccCount(out, "REFUND_EXCEEDS_CAPTURED")
	t.Logf("attempts=%d successes=%d conflicts=%d (%s) took=%s %s", c.attempts, c.successes, c.conflicts, c, took, locks())

	ccNoTopLevel(t, "refundPayment", out)
	if c.successes != 10 || c.conflicts != 10 {
		t.Errorf("%d refunds succeeded and %d got REFUND_EXCEEDS_CAPTURED, want 10 and 10 (payload errors %v)",
			c.successes, c.conflicts, ccSorted(c.codes))
	}
	for i, o := range out {
		if o.ran && len(o.top) == 0 && len(o.codes) == 0 {
			var p struct {
				Refunds []struct{ Amount struct{ Amount string } }
			}
			if err := json.Unmarshal(o.payload, &p); err != nil || len(p.Refunds) != 1 || p.Refunds[0].Amount.Amount != "10.00" {
				t.Errorf("request %d: refunds %s", i, o.payload)
			}
		}
	}
	var view struct {
		Node struct {
			Refunded, Captured struct{ Amount string }
			PaymentStatus      string
		}
	}
	env.As(t, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { refunded { amount } captured { amount } paymentStatus } } }`,
		apptest.Vars{"id": o.ID}, &view)
	if view.Node.Refunded.Amount != "100.00" || view.Node.Captured.Amount != "100.00" {
		t.Errorf("order captured %s, refunded %s; want 100.00 and 100.00", view.Node.Captured.Amount, view.Node.Refunded.Amount)
	}
	refunds := env.DB.Client.Payment.Query().Where(entpayment.OrderID(oid), entpayment.KindEQ(entpayment.KindREFUND)).AllX(env.Sys)
	var sum int64
	for _, p := range refunds {
		sum += p.AmountMinor
	}
	if len(refunds) != 10 || sum != 10000 {
		t.Errorf("%d refund rows totalling %d, want 10 totalling 10000", len(refunds), sum)
	}
	charge := env.DB.Client.Payment.Query().Where(entpayment.OrderID(oid), entpayment.KindEQ(entpayment.KindCHARGE)).OnlyX(env.Sys)
	if charge.RefundedMinor != charge.AmountMinor {
		t.Errorf("charge %d: refunded %d of %d", charge.ID, charge.RefundedMinor, charge.AmountMinor)
	}
	assertInvariants(t, env)
}

// TestIdempotentRetries: retries with one idempotency key, one after
// another and all at once, act once and all return the first result; the
// key with other input is refused.
func TestIdempotentRetries(t *testing.T) {
	w := newWorld(t)
	env := w.env
	finance, manager, rep := env.As(t, "FINANCE"), env.As(t, "SALES_MANAGER"), env.As(t, "SALES_REP")
	locks := ccLocks(t, env)

	// recordPayment: 20 sequential, then 20 concurrent retries.
	o := w.createConfirmed(t, 1, 1) // 135.50
	oid := ccID(t, o.ID)
	const pay = `mutation($o: ID!, $a: Decimal!) { recordPayment(input: {orderId: $o, amount: $a, method: BANK_TRANSFER, idempotencyKey: "pay-1"}) {
		payment { id status } errors { code field message } } }`
	const n = 20
	payIDs := map[string]int{}
	var seq []ccOutcome
	for range n {
		seq = append(seq, ccDecode(t, "recordPayment", finance.Do(t, pay, apptest.Vars{"o": o.ID, "a": "50.00"})))
	}
	par, took := ccFire(t, n, "recordPayment", func(tb testing.TB, _ int) apptest.Response {
		return finance.Do(tb, pay, apptest.Vars{"o": o.ID, "a": "50.00"})
	})
	all := append(seq, par...)
	ccNoTopLevel(t, "recordPayment", all)
	for i, r := range all {
		var p struct{ Payment *struct{ ID, Status string } }
		if err := json.Unmarshal(r.payload, &p); err != nil || len(r.codes) > 0 || p.Payment == nil {
			t.Errorf("recordPayment retry %d: %s", i, r.payload)
			continue
		}
		payIDs[p.Payment.ID]++
	}
	c := ccCount(all, "")
	t.Logf("recordPayment: attempts=%d successes=%d conflicts=%d distinctPaymentIDs=%d (%s) concurrentTook=%s",
		c.attempts, c.successes, c.conflicts, len(payIDs), c, took)
	if len(payIDs) != 1 {
		t.Errorf("retries returned payments %v, want one id", payIDs)
	}
	payments := env.DB.Client.Payment.Query().Where(entpayment.OrderID(oid)).AllX(env.Sys)
	if len(payments) != 1 || payments[0].AmountMinor != 5000 || payIDs[apptest.ID(payments[0].ID)] != 2*n {
		t.Errorf("order has %d payments (%v), want the one all %d responses named", len(payments), payments, 2*n)
	}
	reused := ccDecode(t, "recordPayment", finance.Do(t, pay, apptest.Vars{"o": o.ID, "a": "60.00"}))
	ccNoTopLevel(t, "recordPayment", []ccOutcome{reused})
	if !slices.Contains(reused.codes, "IDEMPOTENCY_KEY_REUSED") {
		t.Errorf("same key, other amount: %s, want IDEMPOTENCY_KEY_REUSED", reused.payload)
	}
	if k := env.DB.Client.Payment.Query().Where(entpayment.OrderID(oid)).CountX(env.Sys); k != 1 {
		t.Errorf("after the reused key the order has %d payments, want 1", k)
	}

	// cancelOrder with a key: 20 concurrent retries cancel once.
	o2 := w.createConfirmed(t, 1, 2)
	oid2 := ccID(t, o2.ID)
	out, took := ccFire(t, n, "cancelOrder", func(tb testing.TB, _ int) apptest.Response {
		return manager.Do(tb, ccCancel, apptest.Vars{"o": o2.ID, "key": "cancel-1"})
	})
	ccNoTopLevel(t, "cancelOrder", out)
	cancelIDs := map[string]int{}
	for i, r := range out {
		var p struct{ Cancellation *struct{ ID, Status string } }
		if err := json.Unmarshal(r.payload, &p); err != nil || len(r.codes) > 0 || p.Cancellation == nil || p.Cancellation.Status != "EXECUTED" {
			t.Errorf("cancelOrder retry %d: %s", i, r.payload)
			continue
		}
		cancelIDs[p.Cancellation.ID]++
	}
	c = ccCount(out, "")
	t.Logf("cancelOrder: attempts=%d successes=%d conflicts=%d distinctCancellationIDs=%d (%s) took=%s",
		c.attempts, c.successes, c.conflicts, len(cancelIDs), c, took)
	recs := env.DB.Client.CancellationRecord.Query().Where(cancellationrecord.OrderID(oid2)).AllX(env.Sys)
	if len(recs) != 1 || len(cancelIDs) != 1 || cancelIDs[apptest.ID(recs[0].ID)] != n {
		t.Errorf("cancellation records %v; responses named %v; want one record named by all %d", recs, cancelIDs, n)
	} else {
		ccReleases(t, env, oid2, recs[0].ID)
	}
	other := ccDecode(t, "cancelOrder", manager.Do(t, `mutation($o: ID!) { cancelOrder(input: {orderId: $o, reasonCode: DUPLICATE_ORDER, idempotencyKey: "cancel-1"}) {
		cancellation { id } errors { code field message } } }`, apptest.Vars{"o": o2.ID}))
	ccNoTopLevel(t, "cancelOrder", []ccOutcome{other})
	if !slices.Contains(other.codes, "IDEMPOTENCY_KEY_REUSED") {
		t.Errorf("same cancel key, other reason: %s, want IDEMPOTENCY_KEY_REUSED", other.payload)
	}

	// createOrder with a key: sequential and concurrent retries create one order.
	before := env.DB.Client.Order.Query().CountX(env.Sys)
	create := func(tb testing.TB, _ int) apptest.Response {
		return rep.Do(tb, `mutation($c: ID!, $d: ID!) { createOrder(input: {customerId: $c, channel: PHONE,
			lines: [{stockItemId: $d, quantity: 3}], idempotencyKey: "create-1"}) { order { id number } errors { code field message } } }`,
			apptest.Vars{"c": w.customerID, "d": w.drillID})
	}
	outs := []ccOutcome{ccDecode(t, "createOrder", create(t, 0)), ccDecode(t, "createOrder", create(t, 1))}
	par, took = ccFire(t, n, "createOrder", create)
	outs = append(outs, par...)
	ccNoTopLevel(t, "createOrder", outs)
	orderIDs := map[string]int{}
	for i, r := range outs {
		var p struct{ Order *struct{ ID, Number string } }
		if err := json.Unmarshal(r.payload, &p); err != nil || len(r.codes) > 0 || p.Order == nil {
			t.Errorf("createOrder retry %d: %s", i, r.payload)
			continue
		}
		orderIDs[p.Order.ID]++
	}
	after := env.DB.Client.Order.Query().CountX(env.Sys)
	c = ccCount(outs, "")
	t.Logf("createOrder: attempts=%d successes=%d conflicts=%d distinctOrderIDs=%d ordersCreated=%d (%s) concurrentTook=%s %s",
		c.attempts, c.successes, c.conflicts, len(orderIDs), after-before, c, took, locks())
	if after-before != 1 || len(orderIDs) != 1 {
		t.Errorf("%d orders created, responses named %v; want one order named by all %d", after-before, orderIDs, len(outs))
	}
	assertInvariants(t, env)
}

// TestConcurrentKeyedRequests: requests with distinct idempotency keys
// racing on one order must see each other's results just like requests
// without keys. Ten pending charges of 100.00 on an order of 135.50: one is
// accepted, nine get PAYMENT_EXCEEDS_OUTSTANDING. Ten refunds of 10.00 over
// two captured charges (60.00 and 40.00): all succeed, and no charge is
// refunded beyond its amount.
func TestConcurrentKeyedRequests(t *testing.T) {
	w := newWorld(t)
	env := w.env
	finance := env.As(t, "FINANCE")
	locks := ccLocks(t, env)
	const n = 10

	o := w.createConfirmed(t, 1, 1) // 135.50
	oid := ccID(t, o.ID)
	out, took := ccFire(t, n, "recordPayment", func(tb testing.TB, i int) apptest.Response {
		return finance.Do(tb, `mutation($o: ID!, $k: String!) { recordPayment(input: {orderId: $o, amount: "100.00", method: CARD,
			pending: true, idempotencyKey: $k}) { payment { id } errors { code field message } } }`,
			apptest.Vars{"o": o.ID, "k": fmt.Sprint("pending-", i)})
	})
	c := ccCount(out, "PAYMENT_EXCEEDS_OUTSTANDING")
	pending := env.DB.Client.Payment.Query().Where(entpayment.OrderID(oid), entpayment.StatusEQ(entpayment.StatusPENDING)).CountX(env.Sys)
	t.Logf("pending charges: attempts=%d successes=%d conflicts=%d pendingRows=%d (%s) took=%s",
		c.attempts, c.successes, c.conflicts, pending, c, took)
	ccNoTopLevel(t, "recordPayment", out)
	if c.successes != 1 || c.conflicts != n-1 || pending != 1 {
		t.Errorf("%d pending charges of 100.00 accepted on an order of 135.50 (%d rows), %d PAYMENT_EXCEEDS_OUTSTANDING; want 1, 1 and %d",
			c.successes, pending, c.conflicts, n-1)
	}

	o2 := w.createConfirmed(t, 1, 1)
	oid2 := ccID(t, o2.ID)
	for _, a := range []string{"60.00", "40.00"} {
		must(t, mutate(t, finance, "recordPayment", `mutation($o: ID!, $a: Decimal!) { recordPayment(input: {orderId: $o, amount: $a, method: BANK_TRANSFER}) {
			errors { code field message } } }`, apptest.Vars{"o": o2.ID, "a": a}, nil))
	}
	out, took = ccFire(t, n, "refundPayment", func(tb testing.TB, i int) apptest.Response {
		return finance.Do(tb, `mutation($o: ID!, $k: String!) { refundPayment(input: {orderId: $o, amount: "10.00", reason: "goodwill",
			idempotencyKey: $k}) { refunds { id } errors { code field message } } }`, apptest.Vars{"o": o2.ID, "k": fmt.Sprint("refund-", i)})
	})
	c = ccCount(out, "REFUND_EXCEEDS_CAPTURED")
	t.Logf("refunds over two charges: attempts=%d successes=%d conflicts=%d (%s) took=%s %s",
		c.attempts, c.successes, c.conflicts, c, took, locks())
	ccNoTopLevel(t, "refundPayment", out)
	if c.successes != n {
		t.Errorf("%d of %d refunds of 10.00 succeeded with 100.00 captured, want all", c.successes, n)
	}
	for _, p := range env.DB.Client.Payment.Query().Where(entpayment.OrderID(oid2), entpayment.KindEQ(entpayment.KindCHARGE)).AllX(env.Sys) {
		if p.RefundedMinor != p.AmountMinor {
			t.Errorf("charge %d of %d: %d refunded, want all of it", p.ID, p.AmountMinor, p.RefundedMinor)
		}
	}
	assertInvariants(t, env)
}

// ccTxCount counts the transactions of one app by their outcome.
type ccTxCount struct{ started, committed, rolledBack atomic.Int64 }

func (c *ccTxCount) String() string {
	return fmt.Sprintf("tx started=%d committed=%d rolledBack=%d", c.started.Load(), c.committed.Load(), c.rolledBack.Load())
}

// ccDSN names the test's database so that another pool can open it.
func ccDSN(t *testing.T, env *apptest.Env) (driver, dsn string) {
	t.Helper()
	ctx := context.Background()
	if env.DB.Dialect == dialect.MySQL {
		cfg, err := mysql.ParseDSN(os.Getenv(storetest.EnvMySQL))
		if err != nil {
			t.Fatal(err)
		}
		if err := env.DB.SQL.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&cfg.DBName); err != nil {
			t.Fatal(err)
		}
		return store.MySQL, cfg.FormatDSN()
	}
	rows, err := env.DB.SQL.QueryContext(ctx, "PRAGMA database_list")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var seq int
		var name, file string
		if err := rows.Scan(&seq, &name, &file); err != nil {
			t.Fatal(err)
		}
		if name == "main" && file != "" {
			return store.SQLite, file
		}
	}
	t.Fatal("the test database has no file")
	return "", ""
}

// ccProcess builds a second, independent orderdesk over the database: its
// own connection pool, client and services, as another server would.
func ccProcess(t *testing.T, driver, dsn string, txs *ccTxCount) *app.App {
	t.Helper()
	db, err := store.Open(driver, dsn)
	if err != nil {
		t.Fatalf("opening %s: %v", driver, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	counted := entsql.OpenDB(db.Dialect, db.SQL)
	db.Client = ent.NewClient(ent.Driver(dialect.DebugWithContext(counted, func(_ context.Context, v ...any) {
		s, _ := v[0].(string)
		switch {
		case strings.HasSuffix(s, "): started"):
			txs.started.Add(1)
		case strings.HasSuffix(s, "): committed"):
			txs.committed.Add(1)
		case strings.HasSuffix(s, "): rollbacked"):
			txs.rolledBack.Add(1)
		}
	})))
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", auth.MinSecretLen)), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	return app.New(db, app.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Tokens: tokens,
		BcryptCost: bcrypt.MinCost, Currency: "EUR", Limits: guard.DefaultLimits(), Policy: order.DefaultPolicy})
}

// ccLogRecorder keeps the warnings and errors logged through slog's default
// logger (the sweep logs an order it failed to cancel and goes on).
type ccLogRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (h *ccLogRecorder) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelWarn }
func (h *ccLogRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%v", a.Key, a.Value)
		return true
	})
	h.mu.Lock()
	h.msgs = append(h.msgs, b.String())
	h.mu.Unlock()
	return nil
}
func (h *ccLogRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *ccLogRecorder) WithGroup(string) slog.Handler      { return h }

// TestAutoCancelTwoProcesses: two servers over one database run the
// payment-timeout sweep at the same moment. Ten confirmed orders unpaid past
// their due time are cancelled once each (the counts add up to 10), by the
// system, with PAYMENT_TIMEOUT; the owner is told; the stock comes back. A
// paid order and one not yet due stay as they are.
func TestAutoCancelTwoProcesses(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rep, manager := env.As(t, "SALES_REP"), env.As(t, "SALES_MANAGER")
	env.As(t, "WAREHOUSE").MustDo(t, `mutation($d: ID!) { receiveStock(input: {stockItemId: $d, quantity: 10}) { errors { code } } }`,
		apptest.Vars{"d": w.drillID}, nil)

	past := apptest.Vars{"paymentDueAt": time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)}
	const n = 10
	overdue := make([]int, n)
	for i := range overdue {
		overdue[i] = ccID(t, ccConfirmed(t, w, rep, manager, past, ccLine(w.drillID, 1), ccLine(w.glovesID, 2)))
	}
	paid := ccConfirmed(t, w, rep, manager, past, ccLine(w.drillID, 1), ccLine(w.glovesID, 1)) // 135.50
	must(t, mutate(t, env.As(t, "FINANCE"), "recordPayment", `mutation($o: ID!) { recordPayment(input: {orderId: $o, amount: "135.50", method: BANK_TRANSFER}) {
		errors { code field message } } }`, apptest.Vars{"o": paid}, nil))
	notDue := ccConfirmed(t, w, rep, manager, apptest.Vars{"paymentDueAt": time.Now().UTC().Add(time.Hour).Format(time.RFC3339)},
		ccLine(w.drillID, 1), ccLine(w.glovesID, 1))
	if _, res := w.available(t, w.drillID); res != n+2 {
		t.Fatalf("drills reserved %d before the sweep, want %d", res, n+2)
	}
	for _, o := range env.DB.Client.Order.Query().Where(entorder.IDIn(overdue...)).AllX(env.Sys) {
		if o.Status != entorder.StatusCONFIRMED || o.PaymentDueAt == nil || !o.PaymentDueAt.Before(time.Now()) || o.CapturedMinor != 0 {
			t.Fatalf("order %s is not confirmed, unpaid and overdue: %s due %v captured %d", o.Number, o.Status, o.PaymentDueAt, o.CapturedMinor)
		}
	}

	driver, dsn := ccDSN(t, env)
	var txs1, txs2 ccTxCount
	a1, a2 := ccProcess(t, driver, dsn, &txs1), ccProcess(t, driver, dsn, &txs2)

	logs := &ccLogRecorder{}
	prev := slog.Default()
	slog.SetDefault(slog.New(logs))
	defer slog.SetDefault(prev)

	locks := ccLocks(t, env)
	var counts [2]int
	var errs [2]error
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, a := range []*app.App{a1, a2} {
		wg.Go(func() {
			<-start
			counts[i], errs[i] = a.Orders.AutoCancelOverdue(context.Background())
		})
	}
	began := time.Now()
	close(start)
	wg.Wait()
	took := time.Since(began)
	slog.SetDefault(prev)

	sum := counts[0] + counts[1]
	t.Logf("attempts=%d successes=%d conflicts=%d (orders the other process had cancelled first) process1=%d process2=%d errors=%v loggedFailures=%d took=%s; process1 %s; process2 %s; %s",
		2, sum, int(txs1.committed.Load()+txs2.committed.Load())-sum, counts[0], counts[1], errs, len(logs.msgs), took, &txs1, &txs2, locks())
	for i, err := range errs {
		if err != nil {
			t.Errorf("process %d: AutoCancelOverdue: %v", i+1, err)
		}
	}
	for i, m := range logs.msgs {
		if i == 3 {
			t.Errorf("… and %d more failures logged during the sweep", len(logs.msgs)-i)
			break
		}
		t.Errorf("logged during the sweep: %s", m)
	}
	if sum != n {
		t.Errorf("the processes cancelled %d + %d = %d orders, want %d", counts[0], counts[1], sum, n)
	}

	db, sys := env.DB.Client, env.Sys
	for _, id := range overdue {
		o := db.Order.GetX(sys, id)
		if o.Status != entorder.StatusCANCELLED {
			t.Errorf("order %s: status %s, want CANCELLED", o.Number, o.Status)
		}
		recs := db.CancellationRecord.Query().Where(cancellationrecord.OrderID(id)).AllX(sys)
		if len(recs) != 1 {
			t.Errorf("order %s: %d cancellation records, want 1", o.Number, len(recs))
			continue
		}
		r := recs[0]
		if r.Status != cancellationrecord.StatusEXECUTED || r.ReasonCode != cancellationrecord.ReasonCodePAYMENT_TIMEOUT ||
			!r.Automatic || r.RequestedByID != nil {
			t.Errorf("order %s: cancellation %s %s automatic=%t requestedBy=%v; want EXECUTED PAYMENT_TIMEOUT automatic by the system",
				o.Number, r.Status, r.ReasonCode, r.Automatic, r.RequestedByID)
		}
		ccReleases(t, env, id, r.ID)
		events := db.AuditEvent.Query().Where(auditevent.OrderID(id),
			auditevent.ActionIn("cancellation.requested", "order.cancelled")).AllX(sys)
		cancelled := 0
		for _, e := range events {
			if e.Action == "order.cancelled" {
				cancelled++
			}
			if e.ActorKind != auditevent.ActorKindSYSTEM {
				t.Errorf("order %s: audit event %s by %s %q, want SYSTEM", o.Number, e.Action, e.ActorKind, e.ActorName)
			}
		}
		if cancelled != 1 || len(events) != 2 {
			t.Errorf("order %s: %d order.cancelled events (%d cancellation events in all), want 1 (2)", o.Number, cancelled, len(events))
		}
		if o.OwnerID == nil {
			t.Errorf("order %s has no owner", o.Number)
			continue
		}
		if k := db.Notification.Query().Where(notification.OrderID(id), notification.RecipientID(*o.OwnerID),
			notification.Kind("order.auto_cancelled")).CountX(sys); k != 1 {
			t.Errorf("order %s: owner got %d order.auto_cancelled notifications, want 1", o.Number, k)
		}
	}
	for _, id := range []string{paid, notDue} {
		o := db.Order.GetX(sys, ccID(t, id))
		recs := db.CancellationRecord.Query().Where(cancellationrecord.OrderID(o.ID)).CountX(sys)
		if o.Status != entorder.StatusCONFIRMED || recs != 0 {
			t.Errorf("order %s (captured %d, due %v): status %s with %d cancellations, want CONFIRMED and none",
				o.Number, o.CapturedMinor, o.PaymentDueAt, o.Status, recs)
		}
	}
	if _, res := w.available(t, w.drillID); res != 2 {
		t.Errorf("drills reserved %d after the sweep, want 2 (the paid and the not-yet-due order)", res)
	}
	if _, res := w.available(t, w.glovesID); res != 2 {
		t.Errorf("gloves reserved %d after the sweep, want 2", res)
	}
	assertInvariants(t, env)
}
