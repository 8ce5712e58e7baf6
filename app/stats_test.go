package app_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"orderdesk/app/apptest"
)

// The tests of issue 12 item 6: orders held in review in the inbox, with
// in-stock substitutes suggested; cancellationStats by kind; reasonTrends
// against counts the test works out itself.

type heldItem struct {
	Kind, Category string
	Subject        struct{ ID string }
	Order          *struct {
		ID, ReviewHold string
		Lines          []struct {
			Sku         string
			Substitutes []struct{ Sku string }
		}
	}
}

// heldInbox lists the REVIEW_HELD items of the category ("" for all).
func heldInbox(t *testing.T, c *apptest.Client, category string) []heldItem {
	t.Helper()
	var out struct {
		OpenExceptions struct{ Edges []struct{ Node heldItem } }
	}
	vars := apptest.Vars{}
	if category != "" {
		vars["c"] = category
	}
	c.MustDo(t, `query($c: ExceptionCategory) { openExceptions(first: 100, category: $c) { edges { node {
		kind category subject { id } order { id reviewHold lines { sku substitutes { sku } } } } } } }`, vars, &out)
	var held []heldItem
	for _, e := range out.OpenExceptions.Edges {
		if e.Node.Kind == "REVIEW_HELD" {
			held = append(held, e.Node)
		}
	}
	return held
}

func heldIDs(items []heldItem) []string {
	ids := []string{}
	for _, it := range items {
		ids = append(ids, it.Subject.ID)
	}
	slices.Sort(ids)
	return ids
}

// stCreateItem creates a stock item with stock on hand and substitutes.
func stCreateItem(t *testing.T, w *world, sku string, onHand int, substitutes ...string) string {
	t.Helper()
	var p struct{ StockItem struct{ ID string } }
	must(t, mutate(t, w.env.As(t, "ADMIN"), "createStockItem", `mutation($s: String!, $subs: [ID!]) {
		createStockItem(input: {sku: $s, name: $s, unitPrice: "129.00", substituteIds: $subs}) {
		stockItem { id } errors { code field message } } }`, apptest.Vars{"s": sku, "subs": substitutes}, &p))
	if onHand > 0 {
		receive(t, w.env.As(t, "WAREHOUSE"), p.StockItem.ID, onHand)
	}
	return p.StockItem.ID
}

// TestInbox_HeldInReview: an order whose review fails is held — its
// reviewHold recorded — and is in the inbox under the category of the
// failed check (stock INVENTORY, credit PAYMENT), until it is confirmed
// or rejected. A line short of stock suggests the item's declared
// substitutes that have the line's quantity available, and none when no
// substitute has.
func TestInbox_HeldInReview(t *testing.T) {
	w := newWorld(t)
	manager := w.env.As(t, "SALES_MANAGER")
	plenty := stCreateItem(t, w, "DRL-200", 20)
	few := stCreateItem(t, w, "DRL-300", 5)
	none := stCreateItem(t, w, "DRL-400", 0)

	// Declared on the drill by updateStockItem; [] would clear them.
	var item struct {
		Node struct {
			Version     int
			Substitutes []struct{ Sku string }
		}
	}
	manager.MustDo(t, `query($id: ID!) { node(id: $id) { ... on StockItem { version } } }`, apptest.Vars{"id": w.drillID}, &item)
	var upd struct {
		StockItem struct{ Substitutes []struct{ Sku string } }
	}
	must(t, mutate(t, w.env.As(t, "ADMIN"), "updateStockItem", `mutation($id: ID!, $v: Int!, $subs: [ID!]) {
		updateStockItem(input: {id: $id, expectedVersion: $v, substituteIds: $subs}) {
		stockItem { substitutes { sku } } errors { code field message } } }`,
		apptest.Vars{"id": w.drillID, "v": item.Node.Version, "subs": []string{none, plenty, few, plenty}}, &upd))
	var skus []string
	for _, s := range upd.StockItem.Substitutes {
		skus = append(skus, s.Sku)
	}
	slices.Sort(skus)
	if !reflect.DeepEqual(skus, []string{"DRL-200", "DRL-300", "DRL-400"}) {
		t.Fatalf("substitutes of the drill: %v", skus)
	}
	errs := mutate(t, w.env.As(t, "ADMIN"), "updateStockItem", `mutation($id: ID!, $v: Int!, $subs: [ID!]) {
		updateStockItem(input: {id: $id, expectedVersion: $v, substituteIds: $subs}) { errors { code field message } } }`,
		apptest.Vars{"id": w.drillID, "v": item.Node.Version + 1, "subs": []string{w.drillID}}, nil)
	wantCode(t, errs, "INVALID")

	small := lcCustomer(t, w, "Small Co", "100.00")
	short := pendingReview(t, w, w.customerID, nil, lcLine(w.drillID, 11), lcLine(w.glovesID, 1)) // 10 drills on hand
	tooShort := pendingReview(t, w, w.customerID, nil, lcLine(w.drillID, 25))                     // no substitute has 25
	credit := pendingReview(t, w, small, nil, lcLine(w.glovesID, 20))                             // 130.00 > 100.00
	fine := pendingReview(t, w, w.customerID, nil, lcLine(w.glovesID, 1))
	if held := heldInbox(t, manager, ""); len(held) != 0 {
		t.Fatalf("held before any review: %+v", held)
	}
	for _, o := range []orderView{short, tooShort, credit} {
		if errs := lcDo(t, w, "SALES_MANAGER", "confirmOrder", qConfirm, apptest.Vars{"id": o.ID}); len(errs) == 0 {
			t.Fatalf("order %s passed review", o.Number)
		}
	}
	if got := w.order(t, short.ID); got.Version != short.Version || got.Status != "PENDING_REVIEW" {
		t.Errorf("holding changed the order's status or version: %+v", got)
	}

	inventory := heldInbox(t, manager, "INVENTORY")
	if ids, want := heldIDs(inventory), heldIDs([]heldItem{{Subject: struct{ ID string }{short.ID}},
		{Subject: struct{ ID string }{tooShort.ID}}}); !reflect.DeepEqual(ids, want) {
		t.Fatalf("INVENTORY holds %v, want %v", ids, want)
	}
	for _, it := range inventory {
		if it.Category != "INVENTORY" || it.Order == nil || it.Order.ReviewHold != "STOCK" {
			t.Errorf("item %+v", it)
			continue
		}
		var drill []string
		for _, l := range it.Order.Lines {
			if l.Sku == "DRL-100" {
				for _, s := range l.Substitutes {
					drill = append(drill, s.Sku)
				}
			} else if len(l.Substitutes) != 0 {
				t.Errorf("%s is not short, yet suggests %v", l.Sku, l.Substitutes)
			}
		}
		want := []string{"DRL-200"} // 11 wanted: DRL-300 has 5, DRL-400 none
		if it.Order.ID == tooShort.ID {
			want = nil
		}
		if !reflect.DeepEqual(drill, want) {
			t.Errorf("order %s suggests %v, want %v", it.Order.ID, drill, want)
		}
	}
	if ids := heldIDs(heldInbox(t, manager, "PAYMENT")); !reflect.DeepEqual(ids, []string{credit.ID}) {
		t.Errorf("PAYMENT holds %v, want the credit hold %s", ids, credit.ID)
	}
	if held := heldInbox(t, manager, "LOGISTICS"); len(held) != 0 {
		t.Errorf("LOGISTICS holds %+v", held)
	}
	if ids := heldIDs(heldInbox(t, manager, "")); len(ids) != 3 || slices.Contains(ids, fine.ID) {
		t.Errorf("all holds %v", ids)
	}
	// A rep sees the holds of their own customers' orders.
	if ids := heldIDs(heldInbox(t, w.env.As(t, "SALES_REP"), "")); len(ids) != 3 {
		t.Errorf("the rep sees holds %v", ids)
	}
	if ids := heldIDs(heldInbox(t, w.env.As(t, "REP2"), "")); len(ids) != 0 {
		t.Errorf("another rep sees holds %v", ids)
	}

	// Resolved: a delivery lets the short order through; the credit hold is rejected.
	receive(t, w.env.As(t, "WAREHOUSE"), w.drillID, 1)
	must(t, lcDo(t, w, "SALES_MANAGER", "confirmOrder", qConfirm, apptest.Vars{"id": short.ID}))
	must(t, lcDo(t, w, "SALES_MANAGER", "rejectOrder", `mutation($id: ID!) {
		rejectOrder(input: {orderId: $id, reasonCode: OTHER, note: "over the limit"}) { `+userErrors+` } }`,
		apptest.Vars{"id": credit.ID}))
	if ids := heldIDs(heldInbox(t, manager, "")); !reflect.DeepEqual(ids, []string{tooShort.ID}) {
		t.Errorf("after resolving, holds %v, want only %s", ids, tooShort.ID)
	}
}

// stExecuted is one executed cancellation, void or rejection the trend
// test made, and when it is dated.
type stExecuted struct {
	kind, reason string
	at           time.Time
}

// TestReport_StatsByKindAndTrends: cancellations and voids executed and
// orders rejected at controlled times (their timestamps set after the
// fact) are counted by cancellationStats(groupBy: KIND) and by
// reasonTrends per week and per month, as the test counts them itself.
func TestReport_StatsByKindAndTrends(t *testing.T) {
	w := newWorld(t)
	now := time.Now().UTC()
	// A boundary of a week or month between the test's now and the
	// server's would move records between periods.
	if mid := now.Truncate(24 * time.Hour); now.Sub(mid) < time.Minute || mid.Add(24*time.Hour).Sub(now) < time.Minute {
		t.Skip("too close to midnight UTC")
	}
	day := 24 * time.Hour
	var made []stExecuted
	cancel := func(field, reason string, at time.Time) {
		t.Helper()
		o := w.createConfirmed(t, 0, 1)
		var p struct{ Cancellation struct{ ID string } }
		must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), field, fmt.Sprintf(`mutation($o: ID!) {
			%s(input: {orderId: $o, reasonCode: %s}) { cancellation { id status } errors { code field message } } }`,
			field, reason), apptest.Vars{"o": o.ID}, &p))
		id, _ := strconv.Atoi(p.Cancellation.ID)
		w.env.DB.Client.CancellationRecord.UpdateOneID(id).SetExecutedAt(at).ExecX(w.env.Sys)
		kind := "CANCELLATION"
		if field == "voidOrder" {
			kind = "VOID"
		}
		made = append(made, stExecuted{kind, reason, at})
	}
	reject := func(reason string, at time.Time) {
		t.Helper()
		o := pendingReview(t, w, w.customerID, nil, lcLine(w.glovesID, 1))
		must(t, lcDo(t, w, "SALES_MANAGER", "rejectOrder", fmt.Sprintf(`mutation($id: ID!) {
			rejectOrder(input: {orderId: $id, reasonCode: %s}) { `+userErrors+` } }`, reason), apptest.Vars{"id": o.ID}))
		id, _ := strconv.Atoi(o.ID)
		w.env.DB.Client.Order.UpdateOneID(id).SetClosedAt(at).ExecX(w.env.Sys)
		made = append(made, stExecuted{"REJECTION", reason, at})
	}
	cancel("cancelOrder", "CUSTOMER_REQUEST", now.Add(-time.Minute))
	cancel("cancelOrder", "CUSTOMER_REQUEST", now.Add(-8*day))
	cancel("cancelOrder", "OUT_OF_STOCK", now.Add(-8*day))
	cancel("cancelOrder", "CUSTOMER_REQUEST", now.Add(-40*day))
	cancel("voidOrder", "DUPLICATE_ORDER", now.Add(-2*time.Minute))
	cancel("voidOrder", "FRAUD_SUSPECTED", now.Add(-15*day))
	cancel("voidOrder", "DUPLICATE_ORDER", now.Add(-100*day))
	reject("PRICE_ERROR", now.Add(-3*time.Minute))
	reject("PRICE_ERROR", now.Add(-22*day))

	t.Run("CancellationStatsByKind", func(t *testing.T) {
		from, to := now.Add(-30*day), now.Add(time.Hour)
		want := map[string]int{}
		for _, m := range made {
			if m.kind != "REJECTION" && !m.at.Before(from) && m.at.Before(to) {
				want[map[string]string{"CANCELLATION": "CANCEL", "VOID": "VOID"}[m.kind]]++
			}
		}
		var out struct{ CancellationStats []cancellationStat }
		w.env.As(t, "SALES_MANAGER").MustDo(t, cancellationStatsQuery, apptest.Vars{"from": from.Format(time.RFC3339),
			"to": to.Format(time.RFC3339), "by": "KIND"}, &out)
		got := map[string]int{}
		for _, s := range out.CancellationStats {
			got[s.Key] = s.Count
		}
		if !reflect.DeepEqual(got, want) || want["CANCEL"] != 3 || want["VOID"] != 2 {
			t.Errorf("by kind %v, want %v", got, want)
		}
	})

	type trend struct {
		PeriodStart          time.Time
		Period, Kind, Reason string
		Count                int
	}
	trends := func(t *testing.T, role, period string, n int, kind string) ([]trend, []string) {
		t.Helper()
		vars := apptest.Vars{"p": period, "n": n}
		if kind != "" {
			vars["k"] = kind
		}
		var out struct{ ReasonTrends []trend }
		r := w.env.As(t, role).Do(t, `query($p: TrendPeriod!, $n: Int!, $k: ReasonKind) {
			reasonTrends(period: $p, periods: $n, kind: $k) { periodStart period kind reason count } }`, vars)
		if codes := r.Codes(); len(codes) > 0 {
			return nil, codes
		}
		if err := json.Unmarshal(r.Data, &out); err != nil {
			t.Fatal(err)
		}
		return out.ReasonTrends, nil
	}
	// The test's own periods: walk back day by day to the Monday, or to
	// the 1st of the month.
	startOf := func(at time.Time, period string) time.Time {
		d := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, time.UTC)
		for (period == "WEEK" && d.Weekday() != time.Monday) || (period == "MONTH" && d.Day() != 1) {
			d = d.Add(-day)
		}
		return d
	}
	expect := func(period string, n int, kind string) []trend {
		first := startOf(now, period)
		for range n - 1 {
			first = startOf(first.Add(-day), period)
		}
		counts := map[trend]int{}
		for _, m := range made {
			if m.at.Before(first) || (kind != "" && m.kind != kind) {
				continue
			}
			start := startOf(m.at, period)
			key := start.Format(time.DateOnly)
			if period == "MONTH" {
				key = start.Format("2006-01")
			}
			counts[trend{PeriodStart: start, Period: key, Kind: m.kind, Reason: m.reason}]++
		}
		var out []trend
		for k, c := range counts {
			k.Count = c
			out = append(out, k)
		}
		order := map[string]int{"CANCELLATION": 0, "VOID": 1, "REJECTION": 2, "CORRECTION": 3}
		slices.SortFunc(out, func(a, b trend) int {
			if c := a.PeriodStart.Compare(b.PeriodStart); c != 0 {
				return c
			}
			if c := order[a.Kind] - order[b.Kind]; c != 0 {
				return c
			}
			if a.Reason < b.Reason {
				return -1
			}
			if a.Reason > b.Reason {
				return 1
			}
			return 0
		})
		return out
	}
	for _, c := range []struct {
		period string
		n      int
		kind   string
	}{{"WEEK", 4, ""}, {"WEEK", 1, ""}, {"WEEK", 52, ""}, {"MONTH", 2, ""}, {"MONTH", 12, ""}, {"WEEK", 4, "VOID"},
		{"MONTH", 3, "REJECTION"}, {"MONTH", 12, "CORRECTION"}} {
		name := fmt.Sprintf("%s%d%s", c.period, c.n, c.kind)
		t.Run(name, func(t *testing.T) {
			got, codes := trends(t, "SALES_MANAGER", c.period, c.n, c.kind)
			if codes != nil {
				t.Fatalf("errors %v", codes)
			}
			for i := range got {
				got[i].PeriodStart = got[i].PeriodStart.UTC()
			}
			want := expect(c.period, c.n, c.kind)
			if len(got) == 0 && len(want) == 0 {
				return
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("reasonTrends(%s, %d, %q):\n got %+v\nwant %+v", c.period, c.n, c.kind, got, want)
			}
		})
	}
	t.Run("Refusals", func(t *testing.T) {
		if _, codes := trends(t, "SALES_MANAGER", "MONTH", 13, ""); !slices.Contains(codes, "BAD_USER_INPUT") {
			t.Errorf("13 months: %v, want BAD_USER_INPUT", codes)
		}
		if _, codes := trends(t, "SALES_MANAGER", "WEEK", 0, ""); !slices.Contains(codes, "BAD_USER_INPUT") {
			t.Errorf("0 weeks: %v, want BAD_USER_INPUT", codes)
		}
		if _, codes := trends(t, "WAREHOUSE", "WEEK", 4, ""); !slices.Contains(codes, "FORBIDDEN") {
			t.Errorf("warehouse: %v, want FORBIDDEN", codes)
		}
		if got, codes := trends(t, "REP2", "WEEK", 52, ""); codes != nil || len(got) != 0 {
			t.Errorf("another rep's customers counted: %+v %v", got, codes)
		}
	})
}
