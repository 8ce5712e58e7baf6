package app_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"orderdesk/app/apptest"
)

const cancellationStatsQuery = `query($from: Time!, $to: Time!, $by: CancellationStatsGroupBy!) {
	cancellationStats(from: $from, to: $to, groupBy: $by) { key count amountRefunded { amount currency } quantityReleased } }`

type cancellationStat struct {
	Key              string
	Count            int
	AmountRefunded   struct{ Amount, Currency string }
	QuantityReleased int
}

func stat(key string, count int, amount string, released int) cancellationStat {
	s := cancellationStat{Key: key, Count: count, QuantityReleased: released}
	s.AmountRefunded.Amount, s.AmountRefunded.Currency = amount, "EUR"
	return s
}

// TestReportCancellationStats: a cancellation executed through the API is
// counted by cancellationStats for a sales manager and its own rep, not for
// another rep; the warehouse may not read statistics; a bad range is the
// client's error.
func TestReportCancellationStats(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 2, 10)
	var done struct{ Cancellation struct{ Status string } }
	must(t, mutate(t, w.env.As(t, "SALES_REP"), "requestOrderCancellation", `mutation($o: ID!) {
		requestOrderCancellation(input: {orderId: $o, reasonCode: CUSTOMER_REQUEST, note: "changed their mind"}) {
		cancellation { status } errors { code message } } }`, apptest.Vars{"o": o.ID}, &done))
	if done.Cancellation.Status != "EXECUTED" {
		t.Fatalf("cancellation %+v", done)
	}

	now := time.Now().UTC()
	vars := func(by string) apptest.Vars {
		return apptest.Vars{"from": now.Add(-time.Hour).Format(time.RFC3339), "to": now.Add(time.Hour).Format(time.RFC3339), "by": by}
	}
	stats := func(role, by string) []cancellationStat {
		t.Helper()
		var out struct{ CancellationStats []cancellationStat }
		c := w.env.As(t, role)
		before := w.env.Statements.Load()
		c.MustDo(t, cancellationStatsQuery, vars(by), &out)
		// One for the statistic: the signed-in user's viewer is cached
		// since the sign-in moments ago.
		if n := w.env.Statements.Load() - before; n != 1 {
			t.Errorf("%s by %s: %d SQL statements in the request, want 1", role, by, n)
		}
		return out.CancellationStats
	}
	for _, c := range []struct {
		role, by string
		want     []cancellationStat
	}{
		{"SALES_MANAGER", "REASON", []cancellationStat{stat("CUSTOMER_REQUEST", 1, "0.00", 12)}},
		{"SALES_MANAGER", "DAY", []cancellationStat{stat(now.Format(time.DateOnly), 1, "0.00", 12)}},
		{"SALES_MANAGER", "SALES_REP", []cancellationStat{stat(w.env.Users["SALES_REP"].Email, 1, "0.00", 12)}},
		{"SALES_MANAGER", "CHANNEL", []cancellationStat{stat("WEB", 1, "0.00", 12)}},
		// Per SKU the refund is not attributed: amountRefunded is 0.
		{"SALES_MANAGER", "STOCK_ITEM", []cancellationStat{stat("DRL-100", 1, "0.00", 2), stat("GLV-M", 1, "0.00", 10)}},
		{"FINANCE", "REASON", []cancellationStat{stat("CUSTOMER_REQUEST", 1, "0.00", 12)}},
		{"SALES_REP", "REASON", []cancellationStat{stat("CUSTOMER_REQUEST", 1, "0.00", 12)}},
		{"REP2", "REASON", []cancellationStat{}},
	} {
		if got := stats(c.role, c.by); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s by %s:\n got %+v\nwant %+v", c.role, c.by, got, c.want)
		}
	}

	r := w.env.As(t, "WAREHOUSE").Do(t, cancellationStatsQuery, vars("REASON"))
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "FORBIDDEN" {
		t.Errorf("warehouse: %+v", r.Errors)
	}
	v := vars("REASON")
	v["to"] = v["from"]
	r = w.env.As(t, "SALES_MANAGER").Do(t, cancellationStatsQuery, v)
	if codes := r.Codes(); len(codes) != 1 || codes[0] != "BAD_USER_INPUT" || !strings.Contains(r.Errors[0].Message, "from") {
		t.Errorf("empty range: %+v", r.Errors)
	}
}
