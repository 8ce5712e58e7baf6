package app_test

// Race tests for the rules that read more than one row before they write:
// the credit limit (all of a customer's open orders), stock reservations
// (several items, in whatever order the lines name them), refunds (all of
// an order's captured charges) and return quantities (what shipped against
// what is already coming back). Each fires concurrent GraphQL requests that
// would each pass the rule alone but cannot all pass together, repeats that
// over fresh records, and asserts in every round that exactly the allowed
// number got through and that the losers got the rule's payload error, not
// a database error.
//
// Each test arranges its records so that only the rule under test
// serialises the racing requests: on SQLite writers are serialised anyway,
// so these tests prove something on MariaDB (ORDERDESK_TEST_MYSQL_DSN) and
// must merely pass on SQLite.

import (
	"encoding/json"
	"fmt"
	"testing"

	"orderdesk/app/apptest"
	entorder "orderdesk/ent/order"
	entpayment "orderdesk/ent/payment"
	"orderdesk/ent/returnorder"
	"orderdesk/ent/stockmovement"
)

// raceOrderView is what the race tests read back of an order.
type raceOrderView struct {
	Status             string
	Captured, Refunded struct{ Amount string }
	Lines              []struct {
		ID                                                  string
		QuantityReserved, QuantityShipped, QuantityReturned int
		StockItem                                           struct{ ID string }
	}
}

// raceOrder reads an order through the API, as the admin sees it.
func raceOrder(t *testing.T, admin *apptest.Client, id string) raceOrderView {
	t.Helper()
	var out struct{ Node raceOrderView }
	admin.MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { status captured { amount } refunded { amount }
		lines { id quantityReserved quantityShipped quantityReturned stockItem { id } } } } }`, apptest.Vars{"id": id}, &out)
	return out.Node
}

// raceItem creates a stock item at the price with onHand units received.
func raceItem(t *testing.T, w *world, sku, price string, onHand int) string {
	t.Helper()
	var out struct {
		CreateStockItem struct{ StockItem struct{ ID string } }
	}
	lcClient(t, w, "ADMIN").MustDo(t, `mutation($s: String!, $p: Decimal!) { createStockItem(input: {sku: $s, name: $s, unitPrice: $p}) {
		stockItem { id } } }`, apptest.Vars{"s": sku, "p": price}, &out)
	id := out.CreateStockItem.StockItem.ID
	raceReceive(t, w, id, onHand)
	return id
}

// raceReceive books qty units of the item in.
func raceReceive(t *testing.T, w *world, itemID string, qty int) {
	t.Helper()
	must(t, mutate(t, lcClient(t, w, "WAREHOUSE"), "receiveStock", `mutation($i: ID!, $q: Int!) {
		receiveStock(input: {stockItemId: $i, quantity: $q}) { errors { code field message } } }`,
		apptest.Vars{"i": itemID, "q": qty}, nil))
}

// raceErrors decodes the payload errors of one concurrent request.
func raceErrors(t *testing.T, o ccOutcome) []apptest.UserError {
	t.Helper()
	var p struct{ Errors []apptest.UserError }
	if len(o.payload) > 0 && string(o.payload) != "null" {
		if err := json.Unmarshal(o.payload, &p); err != nil {
			t.Fatalf("decoding payload %s: %v", o.payload, err)
		}
	}
	return p.Errors
}

// raceOK reports whether a request succeeded: no error of either kind.
func raceOK(o ccOutcome) bool { return o.ran && len(o.top) == 0 && len(o.codes) == 0 }

// raceFailedWith reports whether a request failed with payload errors all of
// code (a review may name several lines short of stock).
func raceFailedWith(o ccOutcome, code string) bool {
	if !o.ran || len(o.top) > 0 || len(o.codes) == 0 {
		return false
	}
	for _, c := range o.codes {
		if c != code {
			return false
		}
	}
	return true
}

// racePaid records a captured charge of amount on the order and returns
// the payment's id.
func racePaid(t *testing.T, finance *apptest.Client, orderID, amount string) string {
	t.Helper()
	var p struct{ Payment struct{ ID, Status string } }
	must(t, mutate(t, finance, "recordPayment", `mutation($o: ID!, $a: Decimal!) { recordPayment(input: {orderId: $o, amount: $a, method: CARD}) {
		payment { id status } errors { code field message } } }`, apptest.Vars{"o": orderID, "a": amount}, &p))
	if p.Payment.Status != "CAPTURED" {
		t.Fatalf("payment of %s on %s is %s, want CAPTURED", amount, orderID, p.Payment.Status)
	}
	return p.Payment.ID
}

// TestRace_CreditLimit: a customer with a credit limit of 100.00 and two
// orders of 60.00 in review; each fits the limit alone, both together do
// not. Confirmed at the same moment by a sales manager, without an
// override, exactly one is CONFIRMED and the other gets
// CREDIT_LIMIT_EXCEEDED and stays in review with nothing reserved — in
// every round. The two orders reserve different stock items, so that only
// the credit check (the customer's lock) stands between them.
func TestRace_CreditLimit(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rep, manager, admin := env.As(t, "SALES_REP"), env.As(t, "SALES_MANAGER"), env.As(t, "ADMIN")
	const rounds = 20
	items := [2]string{raceItem(t, w, "RACE-CR-A", "60.00", rounds), raceItem(t, w, "RACE-CR-B", "60.00", rounds)}
	locks := ccLocks(t, env)
	good := 0
	for r := range rounds {
		customer := lcCustomer(t, w, fmt.Sprintf("Race Credit %02d", r), "100.00")
		ids := make([]string, len(items))
		for i, item := range items {
			ids[i] = ccSubmitted(t, w, rep, apptest.Vars{"customerId": customer}, ccLine(item, 1))
		}
		out, _ := ccFire(t, len(ids), "confirmOrder", func(tb testing.TB, i int) apptest.Response {
			return manager.Do(tb, ccConfirm, apptest.Vars{"id": ids[i]})
		})
		ccNoTopLevel(t, "confirmOrder", out)
		c := ccCount(out, "CREDIT_LIMIT_EXCEEDED")
		ok := c.successes == 1 && c.conflicts == 1
		if !ok {
			t.Errorf("round %d: %d of 2 orders of 60.00 confirmed against a limit of 100.00, %d CREDIT_LIMIT_EXCEEDED; want 1 and 1 (%s)",
				r, c.successes, c.conflicts, c)
		}
		// The database agrees with the responses: the winner holds its
		// reservation, the loser is untouched.
		for i, id := range ids {
			got := raceOrder(t, admin, id)
			want, reserved := "PENDING_REVIEW", 0
			if raceOK(out[i]) {
				want, reserved = "CONFIRMED", 1
			}
			if got.Status != want || got.Lines[0].QuantityReserved != reserved {
				ok = false
				t.Errorf("round %d order %d: %s with %d reserved after confirmOrder returned %v; want %s with %d",
					r, i, got.Status, got.Lines[0].QuantityReserved, out[i].codes, want, reserved)
			}
		}
		if ok {
			good++
		}
	}
	t.Logf("credit: %d/%d rounds one confirmed, one CREDIT_LIMIT_EXCEEDED; %s", good, rounds, locks())
	assertInvariants(t, env)
}

// TestRace_Reservations: 10 units each of two items, 8 orders of 2 of both
// confirmed at once, half naming the items in one line order and half in
// the other: exactly 5 are CONFIRMED, the other 3 get INSUFFICIENT_STOCK
// and reserve nothing; each item ends with onHand 10 = reserved 10 = the
// sum of its lines' quantityReserved, and 5 RESERVATION movements. No
// deadlock reaches a client. Each order is of its own customer, so that
// the customer's lock (taken by every confirmation) does not serialise
// them and the stock rows are all they share. TestConcurrentConfirmNoOversell
// races one item within one customer, once.
func TestRace_Reservations(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rep, manager, admin := env.As(t, "SALES_REP"), env.As(t, "SALES_MANAGER"), env.As(t, "ADMIN")
	const rounds, n, onHand, qty = 5, 8, 10, 2
	customers := make([]string, n)
	for i := range customers {
		customers[i] = lcCustomer(t, w, fmt.Sprintf("Race Stock %d", i), "100000.00")
	}
	locks := ccLocks(t, env)
	good := 0
	for r := range rounds {
		x := raceItem(t, w, fmt.Sprintf("RACE-RS-%d-X", r), "10.00", onHand)
		y := raceItem(t, w, fmt.Sprintf("RACE-RS-%d-Y", r), "10.00", onHand)
		ids := make([]string, n)
		for i := range ids {
			lines := []apptest.Vars{ccLine(x, qty), ccLine(y, qty)}
			if i%2 == 1 {
				lines[0], lines[1] = lines[1], lines[0]
			}
			ids[i] = ccSubmitted(t, w, rep, apptest.Vars{"customerId": customers[i]}, lines...)
		}
		out, _ := ccFire(t, n, "confirmOrder", func(tb testing.TB, i int) apptest.Response {
			return manager.Do(tb, ccConfirm, apptest.Vars{"id": ids[i]})
		})
		ccNoTopLevel(t, "confirmOrder", out)
		const fit = onHand / qty
		confirmed, short := 0, 0
		for _, o := range out {
			switch {
			case raceOK(o):
				confirmed++
			case raceFailedWith(o, "INSUFFICIENT_STOCK"):
				short++
			}
		}
		ok := confirmed == fit && short == n-fit
		if !ok {
			t.Errorf("round %d: %d confirmed and %d INSUFFICIENT_STOCK, want %d and %d (%s)",
				r, confirmed, short, fit, n-fit, ccCount(out, "INSUFFICIENT_STOCK"))
		}
		lineSum := map[string]int{}
		for i, id := range ids {
			got := raceOrder(t, admin, id)
			want, reserved := "PENDING_REVIEW", 0
			if raceOK(out[i]) {
				want, reserved = "CONFIRMED", qty
			}
			if got.Status != want {
				ok = false
				t.Errorf("round %d order %d: %s after confirmOrder returned %v, want %s", r, i, got.Status, out[i].codes, want)
			}
			for _, l := range got.Lines {
				lineSum[l.StockItem.ID] += l.QuantityReserved
				if l.QuantityReserved != reserved {
					ok = false
					t.Errorf("round %d order %d (%s): line of item %s reserves %d, want %d", r, i, got.Status, l.StockItem.ID, l.QuantityReserved, reserved)
				}
			}
		}
		for _, item := range []string{x, y} {
			on, res := w.available(t, item)
			moves := env.DB.Client.StockMovement.Query().Where(stockmovement.StockItemID(ccID(t, item)),
				stockmovement.KindEQ(stockmovement.KindRESERVATION)).CountX(env.Sys)
			if on != onHand || res != onHand || lineSum[item] != res || moves != fit {
				ok = false
				t.Errorf("round %d item %s: onHand %d, reserved %d, lines reserve %d, %d RESERVATION movements; want %d, %d, %d and %d",
					r, item, on, res, lineSum[item], moves, onHand, onHand, onHand, fit)
			}
		}
		if ok {
			good++
		}
	}
	t.Logf("reservations: %d/%d rounds %d of %d confirmed, the rest INSUFFICIENT_STOCK, reserved = onHand = Σ lines; %s",
		good, rounds, onHand/qty, n, locks())
	assertInvariants(t, env)
}

// The refund and the charge cancellation, after their operation's opening
// brace, so that a request may alias them.
const (
	raceRefund = `refundPayment(input: {orderId: $o, amount: "10.00", reason: "goodwill", idempotencyKey: $k}) {
		refunds { id amount { amount } } errors { code field message } } }`
	raceCancelPayment = `cancelPayment(input: {paymentId: $p, reason: "charge disputed"}) {
		payment { id status } errors { code field message } } }`
)

// TestRace_RefundsAgainstCaptured: an order of 100.00 paid in full.
// Twenty refunds of 10.00 at once, half with their own idempotency key and
// half without: exactly ten succeed with 10.00 each, ten get
// REFUND_EXCEEDS_CAPTURED, and refunded = captured = 100.00. Then refunds
// race a cancellation of the same captured charge: either the cancellation
// wins and every refund gets REFUND_EXCEEDS_CAPTURED, or a refund wins and
// the cancellation is refused while all refunds go through; never is more
// refunded than captured.
func TestRace_RefundsAgainstCaptured(t *testing.T) {
	w := newWorld(t)
	env := w.env
	rep, manager, admin, finance := env.As(t, "SALES_REP"), env.As(t, "SALES_MANAGER"), env.As(t, "ADMIN"), env.As(t, "FINANCE")
	const rounds, mixedRounds = 5, 10
	item := raceItem(t, w, "RACE-RF", "100.00", rounds+mixedRounds)

	t.Run("Refunds", func(t *testing.T) {
		const n = 20
		locks := ccLocks(t, env)
		good := 0
		for r := range rounds {
			o := ccConfirmed(t, w, rep, manager, nil, ccLine(item, 1))
			racePaid(t, finance, o, "100.00")
			out, _ := ccFire(t, n, "refundPayment", func(tb testing.TB, i int) apptest.Response {
				var key any // every other request without a key
				if i%2 == 0 {
					key = fmt.Sprintf("race-refund-%d-%d", r, i)
				}
				return finance.Do(tb, "mutation($o: ID!, $k: String) { "+raceRefund, apptest.Vars{"o": o, "k": key})
			})
			ccNoTopLevel(t, "refundPayment", out)
			c := ccCount(out, "REFUND_EXCEEDS_CAPTURED")
			ok := c.successes == 10 && c.conflicts == 10
			if !ok {
				t.Errorf("round %d: %d refunds of 10.00 of 100.00 succeeded, %d REFUND_EXCEEDS_CAPTURED; want 10 and 10 (%s)",
					r, c.successes, c.conflicts, c)
			}
			for i, x := range out {
				if !raceOK(x) {
					continue
				}
				var p struct {
					Refunds []struct{ Amount struct{ Amount string } }
				}
				if err := json.Unmarshal(x.payload, &p); err != nil || len(p.Refunds) != 1 || p.Refunds[0].Amount.Amount != "10.00" {
					ok = false
					t.Errorf("round %d request %d: refunds %s, want one of 10.00", r, i, x.payload)
				}
			}
			got := raceOrder(t, admin, o)
			refunds := env.DB.Client.Payment.Query().Where(entpayment.OrderID(ccID(t, o)), entpayment.KindEQ(entpayment.KindREFUND)).AllX(env.Sys)
			var sum int64
			for _, p := range refunds {
				sum += p.AmountMinor
			}
			if got.Captured.Amount != "100.00" || got.Refunded.Amount != "100.00" || len(refunds) != 10 || sum != 10000 {
				ok = false
				t.Errorf("round %d: captured %s, refunded %s in %d refunds totalling %d; want 100.00, 100.00, 10 and 10000",
					r, got.Captured.Amount, got.Refunded.Amount, len(refunds), sum)
			}
			if ok {
				good++
			}
		}
		t.Logf("refunds: %d/%d rounds 10 of 20 refunds succeeded, 10 REFUND_EXCEEDS_CAPTURED, refunded = captured; %s", good, rounds, locks())
	})

	t.Run("RefundsRaceCancelPayment", func(t *testing.T) {
		locks := ccLocks(t, env)
		cancelWon, refundsWon, bad := 0, 0, 0
		for r := range mixedRounds {
			// One cancellation and k refunds of 10.00; fewer refunds give
			// the cancellation a better chance to win.
			k := 1 + r%5
			n := k + 1
			refunded := fmt.Sprintf("%d.00", 10*k)
			o := ccConfirmed(t, w, rep, manager, nil, ccLine(item, 1))
			charge := racePaid(t, finance, o, "100.00")
			cancelAt := r % n // vary which goroutine cancels
			// Both mutations answer under the alias "op", for ccFire to decode.
			out, _ := ccFire(t, n, "op", func(tb testing.TB, i int) apptest.Response {
				if i == cancelAt {
					return finance.Do(tb, "mutation($p: ID!) { op: "+raceCancelPayment, apptest.Vars{"p": charge})
				}
				return finance.Do(tb, "mutation($o: ID!, $k: String) { op: "+raceRefund, apptest.Vars{"o": o})
			})
			ccNoTopLevel(t, "cancelPayment/refundPayment", out)
			cancel := out[cancelAt]
			refunds := append(append([]ccOutcome{}, out[:cancelAt]...), out[cancelAt+1:]...)
			c := ccCount(refunds, "REFUND_EXCEEDS_CAPTURED")
			got := raceOrder(t, admin, o)
			p := env.DB.Client.Payment.GetX(env.Sys, ccID(t, charge))
			switch {
			case raceOK(cancel) && c.successes == 0 && c.conflicts == k &&
				got.Captured.Amount == "0.00" && got.Refunded.Amount == "0.00" && p.Status == entpayment.StatusCANCELLED && p.RefundedMinor == 0:
				cancelWon++
			case raceFailedWith(cancel, "INVALID_TRANSITION") && c.successes == k &&
				got.Captured.Amount == "100.00" && got.Refunded.Amount == refunded && p.Status == entpayment.StatusCAPTURED && p.RefundedMinor == int64(1000*k):
				refundsWon++
			default:
				bad++
				t.Errorf("round %d: cancelPayment returned %v %s; %d refunds: %s; order captured %s, refunded %s; charge %s with %d refunded. "+
					"Want either the cancellation alone (all refunds REFUND_EXCEEDS_CAPTURED, nothing captured) "+
					"or all refunds (the cancellation INVALID_TRANSITION, %s of 100.00 refunded)",
					r, cancel.codes, cancel.payload, k, c, got.Captured.Amount, got.Refunded.Amount, p.Status, p.RefundedMinor, refunded)
			}
		}
		t.Logf("refund vs cancelPayment: %d rounds the cancellation won, %d rounds the refunds won, %d inconsistent, of %d; %s",
			cancelWon, refundsWon, bad, mixedRounds, locks())
	})
	assertInvariants(t, env)
}

// TestRace_ReturnQuantities: an order with 5 units of one line shipped; ten
// returns of 1 unit of that line requested at once: exactly 5 are opened,
// the other 5 fail with INVALID on input.lines.0.quantity, the order has 5
// returns, and the line's quantityReturned is 5.
func TestRace_ReturnQuantities(t *testing.T) {
	w := newWorld(t)
	env := w.env
	admin, support := env.As(t, "ADMIN"), env.As(t, "SUPPORT")
	const rounds, shipped, n = 5, 5, 10
	raceReceive(t, w, w.drillID, rounds*shipped)
	locks := ccLocks(t, env)
	good := 0
	for r := range rounds {
		o, _ := w.paidShipped(t, shipped, 0)
		line := o.Lines[0].ID
		if got := raceOrder(t, admin, o.ID); got.Status != "SHIPPED" || got.Lines[0].QuantityShipped != shipped {
			t.Fatalf("round %d: order %s with %d shipped, want SHIPPED with %d", r, got.Status, got.Lines[0].QuantityShipped, shipped)
		}
		out, _ := ccFire(t, n, "createReturn", func(tb testing.TB, _ int) apptest.Response {
			return support.Do(tb, `mutation($o: ID!, $l: ID!) { createReturn(input: {orderId: $o,
				lines: [{orderLineId: $l, quantity: 1, reason: DEFECTIVE}]}) { return { id } errors { code field message } } }`,
				apptest.Vars{"o": o.ID, "l": line})
		})
		ccNoTopLevel(t, "createReturn", out)
		opened, refused := map[string]bool{}, 0
		for i, x := range out {
			if raceOK(x) {
				var p struct{ Return *struct{ ID string } }
				if err := json.Unmarshal(x.payload, &p); err != nil || p.Return == nil {
					t.Errorf("round %d request %d: succeeded without a return: %s", r, i, x.payload)
					continue
				}
				opened[p.Return.ID] = true
				continue
			}
			if errs := raceErrors(t, x); len(errs) == 1 && errs[0].Code == "INVALID" && field(&errs[0]) == "input.lines.0.quantity" {
				refused++
			} else if x.ran && len(x.top) == 0 {
				t.Errorf("round %d request %d: errors %+v, want one INVALID on input.lines.0.quantity", r, i, errs)
			}
		}
		ok := len(opened) == shipped && refused == n-shipped
		if !ok {
			t.Errorf("round %d: %d returns of 1 unit opened against %d shipped, %d refused; want %d and %d (%s)",
				r, len(opened), shipped, refused, shipped, n-shipped, ccCount(out, "INVALID"))
		}
		got := raceOrder(t, admin, o.ID)
		rows := env.DB.Client.ReturnOrder.Query().Where(returnorder.OrderID(ccID(t, o.ID))).CountX(env.Sys)
		if got.Lines[0].QuantityReturned != shipped || rows != shipped {
			ok = false
			t.Errorf("round %d: line quantityReturned %d, %d returns on the order; want %d and %d",
				r, got.Lines[0].QuantityReturned, rows, shipped, shipped)
		}
		if ok {
			good++
		}
	}
	t.Logf("returns: %d/%d rounds %d of %d returns opened, the rest INVALID on input.lines.0.quantity, quantityReturned = %d; %s",
		good, rounds, shipped, n, shipped, locks())
	if k := env.DB.Client.Order.Query().Where(entorder.StatusEQ(entorder.StatusSHIPPED)).CountX(env.Sys); k != rounds {
		t.Errorf("%d orders SHIPPED, want %d: opening a return leaves the order as it is", k, rounds)
	}
	assertInvariants(t, env)
}
