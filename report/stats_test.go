package report_test

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"

	"orderdesk/auth"
	"orderdesk/change"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/ent/complaint"
	"orderdesk/ent/order"
	"orderdesk/ent/ordercorrection"
	"orderdesk/ent/returnline"
	"orderdesk/ent/returnorder"
	_ "orderdesk/ent/runtime" // registers privacy policies and hooks
	"orderdesk/ent/stockmovement"
	"orderdesk/ent/user"
	"orderdesk/fault"
	"orderdesk/report"
	"orderdesk/store/storetest"
)

// The range every statistic is asked for; the data reaches past both ends.
var (
	from = time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)
	to   = time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC)
)

// world is the seeded data set, kept as the Go values written, from which
// the tests compute every expected group without asking the database.
type world struct {
	svc *report.Service
	// statements counts the SQL statements the service sends; queries
	// holds their text.
	mu         sync.Mutex
	statements int
	queries    []string

	users        map[string]*ent.User // rep1, rep2, manager, finance, auditor, warehouse
	userByID     map[int]*ent.User
	customers    map[int]*ent.Customer
	orders       map[int]*ent.Order
	items        map[int]*ent.StockItem
	lines        map[int]*ent.OrderLine
	cancels      map[int]*ent.CancellationRecord
	cancelList   []*ent.CancellationRecord
	movements    []*ent.StockMovement
	corrections  []*ent.OrderCorrection
	complaints   []*ent.Complaint
	returns      map[int]*ent.ReturnOrder
	returnLines  []*ent.ReturnLine
	ownerOfOrder map[int]*int // customer owner, which decides visibility
}

func newWorld(t *testing.T) *world {
	t.Helper()
	db := storetest.New(t)
	w := &world{users: map[string]*ent.User{}, userByID: map[int]*ent.User{}, customers: map[int]*ent.Customer{},
		orders: map[int]*ent.Order{}, items: map[int]*ent.StockItem{}, lines: map[int]*ent.OrderLine{},
		cancels: map[int]*ent.CancellationRecord{}, returns: map[int]*ent.ReturnOrder{}, ownerOfOrder: map[int]*int{}}
	counted := entsql.OpenDB(db.Dialect, db.SQL)
	client := ent.NewClient(ent.Driver(dialect.DebugWithContext(counted, func(_ context.Context, args ...any) {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.statements++
		w.queries = append(w.queries, fmt.Sprint(args...))
	})))
	w.svc = report.New(client)
	w.seed(t, db.Client)
	return w
}

// at is a time in or around the range: mostly random whole seconds from
// three days before to three days after, sometimes exactly on a boundary.
func at(r *rand.Rand) time.Time {
	switch r.IntN(12) {
	case 0:
		return from // included
	case 1:
		return to // excluded
	case 2:
		return to.Add(-time.Millisecond) // included
	case 3:
		return from.Add(-time.Second) // excluded
	case 4: // a Sunday and the Monday after, at the end of a month
		return time.Date(2025, 3, 30+r.IntN(2), r.IntN(24), r.IntN(60), 0, 0, time.UTC)
	}
	span := int64(to.Sub(from)/time.Second) + 6*86400
	return from.Add(-3 * 24 * time.Hour).Add(time.Duration(r.Int64N(span)) * time.Second)
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

func (w *world) seed(t *testing.T, db *ent.Client) {
	t.Helper()
	ctx := auth.NewContext(context.Background(), auth.System("test"))
	r := rand.New(rand.NewPCG(2025, 3))
	for _, u := range []struct {
		key  string
		role auth.Role
	}{{"rep1", auth.SalesRep}, {"rep2", auth.SalesRep}, {"manager", auth.SalesManager},
		{"finance", auth.Finance}, {"auditor", auth.Auditor}, {"warehouse", auth.Warehouse}} {
		x := db.User.Create().SetEmail(u.key + "@test.local").SetName(u.key).SetPasswordHash("x").
			SetRole(user.Role(u.role)).SaveX(ctx)
		w.users[u.key], w.userByID[x.ID] = x, x
	}
	rep1, rep2 := w.users["rep1"].ID, w.users["rep2"].ID
	var customers []*ent.Customer
	for i, owner := range []*int{&rep1, &rep1, &rep2, nil} {
		c := db.Customer.Create().SetName(fmt.Sprintf("Customer %d", i)).SetCurrency("EUR").
			SetNillableOwnerID(owner).SaveX(ctx)
		customers = append(customers, c)
		w.customers[c.ID] = c
	}
	var items []*ent.StockItem
	for _, sku := range []string{"SKU-A", "SKU-B", "SKU-C", "SKU-D"} {
		it := db.StockItem.Create().SetSku(sku).SetName(sku).SetUnitPriceMinor(1000).SetCurrency("EUR").
			SetOnHand(1000).SaveX(ctx)
		items = append(items, it)
		w.items[it.ID] = it
	}
	channels := []order.Channel{order.ChannelWEB, order.ChannelEMAIL, order.ChannelPHONE, order.ChannelFAX,
		order.ChannelSALES_REP, order.ChannelAPI}
	reasons := []cancellationrecord.ReasonCode{cancellationrecord.ReasonCodeCUSTOMER_REQUEST,
		cancellationrecord.ReasonCodePAYMENT_FAILED, cancellationrecord.ReasonCodeOUT_OF_STOCK,
		cancellationrecord.ReasonCodePRICE_ERROR, cancellationrecord.ReasonCodeFRAUD_SUSPECTED}
	for i := range 48 {
		c := customers[i%len(customers)]
		owner := c.OwnerID
		if i%7 == 3 { // the order's owner is not the customer's (reassigned customer)
			owner = pick(r, &rep1, &rep2, nil)
		}
		currency := pick(r, "EUR", "EUR", "USD", "JPY")
		o := db.Order.Create().SetNumber(fmt.Sprintf("SO-%04d", i)).SetChannel(pick(r, channels...)).
			SetCurrency(currency).SetCustomerID(c.ID).SetNillableOwnerID(owner).SaveX(ctx)
		w.orders[o.ID], w.ownerOfOrder[o.ID] = o, c.OwnerID
		var lines []*ent.OrderLine
		for p, k := range r.Perm(len(items))[:1+r.IntN(3)] {
			it := items[k]
			l := db.OrderLine.Create().SetOrderID(o.ID).SetPosition(p).SetSku(it.Sku).SetName(it.Name).
				SetQuantity(1 + r.IntN(9)).SetCurrency(currency).SetStockItemID(it.ID).SaveX(ctx)
			lines = append(lines, l)
			w.lines[l.ID] = l
		}

		// Cancellations: mostly executed, some still requested or rejected.
		for range r.IntN(3) {
			status := pick(r, cancellationrecord.StatusEXECUTED, cancellationrecord.StatusEXECUTED,
				cancellationrecord.StatusEXECUTED, cancellationrecord.StatusREQUESTED, cancellationrecord.StatusREJECTED)
			var executed *time.Time
			if status == cancellationrecord.StatusEXECUTED {
				x := at(r)
				executed = &x
			}
			rec := db.CancellationRecord.Create().SetKind(pick(r, cancellationrecord.KindCANCEL, cancellationrecord.KindVOID)).
				SetScope(cancellationrecord.ScopeFULL).SetReasonCode(pick(r, reasons...)).SetStatus(status).
				SetNillableExecutedAt(executed).SetAmountRefundedMinor(r.Int64N(100000)).
				SetCurrency(currency).SetOrderID(o.ID).SaveX(ctx)
			released := 0
			for _, l := range lines[:r.IntN(len(lines)+1)] {
				q := 1 + r.IntN(5)
				released += q
				w.movements = append(w.movements, db.StockMovement.Create().SetKind(stockmovement.KindRELEASE).
					SetQuantity(q).SetOnHandDelta(0).SetReservedDelta(-q).SetOnHandAfter(1000).SetReservedAfter(0).
					SetStockItemID(l.StockItemID).SetOrderID(o.ID).SetCancellationID(rec.ID).SaveX(ctx))
			}
			rec = rec.Update().SetQuantityReleased(released).SaveX(ctx)
			w.cancels[rec.ID] = rec
			w.cancelList = append(w.cancelList, rec)
			// Movements that are not releases by a cancellation.
			l := lines[0]
			w.movements = append(w.movements,
				db.StockMovement.Create().SetKind(stockmovement.KindRESERVATION).SetQuantity(7).SetOnHandDelta(0).
					SetReservedDelta(7).SetOnHandAfter(1000).SetReservedAfter(7).SetStockItemID(l.StockItemID).
					SetOrderID(o.ID).SetCancellationID(rec.ID).SaveX(ctx),
				db.StockMovement.Create().SetKind(stockmovement.KindRELEASE).SetQuantity(11).SetOnHandDelta(0).
					SetReservedDelta(-11).SetOnHandAfter(1000).SetReservedAfter(0).SetStockItemID(l.StockItemID).
					SetOrderID(o.ID).SaveX(ctx))
		}

		// Corrections: applied at once (decided_at empty) or after approval.
		for range r.IntN(3) {
			status := pick(r, ordercorrection.StatusAPPLIED, ordercorrection.StatusAPPLIED,
				ordercorrection.StatusPENDING_APPROVAL, ordercorrection.StatusREJECTED)
			created := at(r)
			var decided *time.Time
			if status != ordercorrection.StatusPENDING_APPROVAL && r.IntN(2) == 0 {
				x := created
				created = created.Add(-time.Duration(r.IntN(5)) * 24 * time.Hour)
				decided = &x
			}
			before := r.Int64N(100000)
			w.corrections = append(w.corrections, db.OrderCorrection.Create().
				SetErrorType(pick(r, ordercorrection.ErrorTypePRICE, ordercorrection.ErrorTypeQUANTITY,
					ordercorrection.ErrorTypeADDRESS, ordercorrection.ErrorTypeOTHER)).
				SetCause(pick(r, ordercorrection.CauseENTRY_ERROR, ordercorrection.CauseHUMAN_ERROR,
					ordercorrection.CauseSYSTEM_ERROR)).
				SetSeverity(ordercorrection.SeverityMINOR).SetStatus(status).SetDiff([]change.Field{}).
				SetRequest([]byte("{}")).SetTotalBeforeMinor(before).
				SetTotalAfterMinor(before+pick(r, 0, r.Int64N(5000), -r.Int64N(5000))).SetCurrency(currency).
				SetExpectedVersion(1).SetCreatedAt(created).SetNillableDecidedAt(decided).SetOrderID(o.ID).SaveX(ctx))
		}

		// Returns: received ones count, requested or rejected ones do not.
		if r.IntN(5) < 3 {
			status := pick(r, returnorder.StatusRECEIVED, returnorder.StatusREFUNDED, returnorder.StatusCLOSED,
				returnorder.StatusAPPROVED, returnorder.StatusREJECTED)
			var received *time.Time
			if x := at(r); status != returnorder.StatusREJECTED {
				received = &x
			}
			ro := db.ReturnOrder.Create().SetNumber(fmt.Sprintf("RMA-%04d", i)).SetStatus(status).
				SetCurrency(currency).SetNillableReceivedAt(received).SetOrderID(o.ID).SaveX(ctx)
			w.returns[ro.ID] = ro
			for _, l := range lines[:1+r.IntN(len(lines))] {
				q := 1 + r.IntN(4)
				restocked := r.IntN(q + 1)
				w.returnLines = append(w.returnLines, db.ReturnLine.Create().SetReturnOrderID(ro.ID).
					SetOrderLineID(l.ID).SetQuantity(q).SetQuantityRestocked(restocked).
					SetQuantityDamaged(r.IntN(q-restocked+1)).
					SetReason(pick(r, returnline.ReasonDEFECTIVE, returnline.ReasonWRONG_ITEM,
						returnline.ReasonNO_LONGER_NEEDED, returnline.ReasonDAMAGED_IN_TRANSIT)).SaveX(ctx))
			}
		}

		// Complaints of the order's customer, some resolved.
		for range r.IntN(3) {
			created := at(r)
			status := pick(r, complaint.StatusOPEN, complaint.StatusIN_PROGRESS, complaint.StatusRESOLVED,
				complaint.StatusCLOSED, complaint.StatusRESOLVED)
			var resolved *time.Time
			if status == complaint.StatusRESOLVED || status == complaint.StatusCLOSED || r.IntN(4) == 0 {
				// An open one with a resolution time was reopened.
				x := created.Add(time.Duration(60+r.IntN(30*86400)) * time.Second)
				resolved = &x
			}
			w.complaints = append(w.complaints, db.Complaint.Create().
				SetCategory(pick(r, complaint.CategoryDELIVERY, complaint.CategoryBILLING, complaint.CategoryPRODUCT_QUALITY)).
				SetSeverity(pick(r, complaint.SeverityLOW, complaint.SeverityHIGH, complaint.SeverityCRITICAL)).
				SetStatus(status).SetSubject("s").SetDescription("d").SetDueAt(created.Add(72*time.Hour)).
				SetCreatedAt(created).SetNillableResolvedAt(resolved).SetCustomerID(c.ID).SetOrderID(o.ID).SaveX(ctx))
		}
	}
	// A category and a severity of complaints none of which is resolved,
	// one of them about no order.
	for i, c := range customers {
		created := from.Add(time.Duration(i) * 24 * time.Hour)
		w.complaints = append(w.complaints, db.Complaint.Create().SetCategory(complaint.CategorySERVICE).
			SetSeverity(complaint.SeverityMEDIUM).SetStatus(pick(r, complaint.StatusOPEN, complaint.StatusIN_PROGRESS)).
			SetSubject("s").SetDescription("d").SetDueAt(created.Add(72*time.Hour)).SetCreatedAt(created).
			SetCustomerID(c.ID).SaveX(ctx))
	}
}

func viewerCtx(u *ent.User) context.Context {
	return auth.NewContext(context.Background(), auth.NewUser(u.ID, u.Name, auth.Role(u.Role), nil))
}

// visible reports whether the viewer may count the records of the order's customer.
func (w *world) visible(v *auth.Viewer, customerOwner *int) bool {
	return !v.OwnCustomersOnly() || (customerOwner != nil && *customerOwner == v.UserID)
}

func inRange(t *time.Time) bool { return t != nil && !t.Before(from) && t.Before(to) }

func monday(t time.Time) string {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day()-(int(t.Weekday())+6)%7, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

type group struct{ key, currency string }

func sortedKeys[V any](m map[group]V) []group {
	keys := make([]group, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b group) int {
		return cmp.Or(strings.Compare(a.key, b.key), strings.Compare(a.currency, b.currency))
	})
	return keys
}

func (w *world) wantCancellations(v *auth.Viewer, by report.CancellationGroupBy) []report.CancellationStat {
	counted := func(c *ent.CancellationRecord) bool {
		return c.Status == cancellationrecord.StatusEXECUTED && inRange(c.ExecutedAt) &&
			w.visible(v, w.ownerOfOrder[c.OrderID])
	}
	groups := map[group]*report.CancellationStat{}
	add := func(g group) *report.CancellationStat {
		if groups[g] == nil {
			groups[g] = &report.CancellationStat{Key: g.key, Currency: g.currency}
		}
		return groups[g]
	}
	if by == report.CancellationByStockItem {
		seen := map[group]map[int]bool{}
		for _, m := range w.movements {
			if m.Kind != stockmovement.KindRELEASE || m.CancellationID == nil || !counted(w.cancels[*m.CancellationID]) {
				continue
			}
			it := w.items[m.StockItemID]
			g := group{it.Sku, it.Currency}
			s := add(g)
			s.QuantityReleased += m.Quantity
			if seen[g] == nil {
				seen[g] = map[int]bool{}
			}
			if !seen[g][*m.CancellationID] {
				seen[g][*m.CancellationID] = true
				s.Count++
			}
		}
	} else {
		for _, c := range w.cancelList {
			if !counted(c) {
				continue
			}
			o := w.orders[c.OrderID]
			var key string
			switch by {
			case report.CancellationByReason:
				key = string(c.ReasonCode)
			case report.CancellationByDay:
				key = c.ExecutedAt.UTC().Format(time.DateOnly)
			case report.CancellationByWeek:
				key = monday(*c.ExecutedAt)
			case report.CancellationByMonth:
				key = c.ExecutedAt.UTC().Format("2006-01")
			case report.CancellationBySalesRep:
				key = report.Unassigned
				if o.OwnerID != nil {
					key = w.userByID[*o.OwnerID].Email
				}
			case report.CancellationByChannel:
				key = string(o.Channel)
			}
			s := add(group{key, c.Currency})
			s.Count++
			s.AmountRefundedMinor += c.AmountRefundedMinor
			s.QuantityReleased += c.QuantityReleased
		}
	}
	var out []report.CancellationStat
	for _, g := range sortedKeys(groups) {
		out = append(out, *groups[g])
	}
	return out
}

func (w *world) wantCorrections(v *auth.Viewer, by report.CorrectionGroupBy) []report.CorrectionStat {
	groups := map[group]*report.CorrectionStat{}
	for _, c := range w.corrections {
		when := c.CreatedAt
		if c.DecidedAt != nil {
			when = *c.DecidedAt
		}
		if c.Status != ordercorrection.StatusAPPLIED || !inRange(&when) || !w.visible(v, w.ownerOfOrder[c.OrderID]) {
			continue
		}
		key := string(c.ErrorType)
		if by == report.CorrectionByCause {
			key = string(c.Cause)
		}
		g := group{key, c.Currency}
		if groups[g] == nil {
			groups[g] = &report.CorrectionStat{Key: key, Currency: c.Currency}
		}
		s := groups[g]
		s.Count++
		if d := c.TotalAfterMinor - c.TotalBeforeMinor; d > 0 {
			s.AmountIncreaseMinor += d
		} else {
			s.AmountDecreaseMinor -= d
		}
	}
	var out []report.CorrectionStat
	for _, g := range sortedKeys(groups) {
		out = append(out, *groups[g])
	}
	return out
}

// complaintWant is a ComplaintStat with the exact mean, which the service
// rounds to whole seconds.
type complaintWant struct {
	report.ComplaintStat
	resolved int
	seconds  float64
}

func (w *world) wantComplaints(v *auth.Viewer, by report.ComplaintGroupBy) []complaintWant {
	groups := map[group]*complaintWant{}
	for _, c := range w.complaints {
		if !inRange(&c.CreatedAt) || !w.visible(v, w.customers[c.CustomerID].OwnerID) {
			continue
		}
		key := string(c.Category)
		if by == report.ComplaintBySeverity {
			key = string(c.Severity)
		}
		g := group{key: key}
		if groups[g] == nil {
			groups[g] = &complaintWant{ComplaintStat: report.ComplaintStat{Key: key}}
		}
		s := groups[g]
		s.Count++
		switch c.Status {
		case complaint.StatusOPEN, complaint.StatusIN_PROGRESS:
			s.OpenCount++
		default:
			if c.ResolvedAt != nil {
				s.resolved++
				s.seconds += c.ResolvedAt.Sub(c.CreatedAt).Seconds()
			}
		}
	}
	var out []complaintWant
	for _, g := range sortedKeys(groups) {
		out = append(out, *groups[g])
	}
	return out
}

func (w *world) wantReturns(v *auth.Viewer, by report.ReturnGroupBy) []report.ReturnStat {
	groups := map[group]*report.ReturnStat{}
	for _, l := range w.returnLines {
		ro := w.returns[l.ReturnOrderID]
		received := ro.Status == returnorder.StatusRECEIVED || ro.Status == returnorder.StatusREFUNDED ||
			ro.Status == returnorder.StatusCLOSED
		if !received || !inRange(ro.ReceivedAt) || !w.visible(v, w.ownerOfOrder[ro.OrderID]) {
			continue
		}
		var key string
		switch by {
		case report.ReturnByReason:
			key = string(l.Reason)
		case report.ReturnByStockItem:
			key = w.lines[l.OrderLineID].Sku
		case report.ReturnByMonth:
			key = ro.ReceivedAt.UTC().Format("2006-01")
		}
		g := group{key: key}
		if groups[g] == nil {
			groups[g] = &report.ReturnStat{Key: key}
		}
		s := groups[g]
		s.Count++
		s.QuantityRestocked += l.QuantityRestocked
		s.QuantityDamaged += l.QuantityDamaged
	}
	var out []report.ReturnStat
	for _, g := range sortedKeys(groups) {
		out = append(out, *groups[g])
	}
	return out
}

// call runs one statistic and checks that it sent exactly one SQL statement.
func call[T any](t *testing.T, w *world, name string, f func() ([]T, error)) []T {
	t.Helper()
	w.mu.Lock()
	before := w.statements
	w.mu.Unlock()
	got, err := f()
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	w.mu.Lock()
	n, last := w.statements-before, w.queries[len(w.queries)-1]
	w.mu.Unlock()
	if n != 1 {
		t.Errorf("%s: %d SQL statements, want 1", name, n)
	}
	if testing.Verbose() {
		t.Logf("%s: %s", name, last)
	}
	return got
}

func lastQuery(w *world) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.queries[len(w.queries)-1]
}

var (
	cancellationGroups = []report.CancellationGroupBy{report.CancellationByReason, report.CancellationByDay,
		report.CancellationByWeek, report.CancellationByMonth, report.CancellationBySalesRep,
		report.CancellationByStockItem, report.CancellationByChannel}
	correctionGroups = []report.CorrectionGroupBy{report.CorrectionByErrorType, report.CorrectionByCause}
	complaintGroups  = []report.ComplaintGroupBy{report.ComplaintByCategory, report.ComplaintBySeverity}
	returnGroups     = []report.ReturnGroupBy{report.ReturnByReason, report.ReturnByStockItem, report.ReturnByMonth}
)

// TestStats compares every grouping of every statistic with the groups
// computed from the seeded values, for readers of everything and for each
// sales rep, and counts one SQL statement per call.
func TestStats(t *testing.T) {
	w := newWorld(t)
	sizes := map[string]int{} // total count per viewer, to see the reps' filter bite
	for _, who := range []string{"manager", "finance", "auditor", "rep1", "rep2"} {
		u := w.users[who]
		ctx, v := viewerCtx(u), auth.NewUser(u.ID, u.Name, auth.Role(u.Role), nil)
		t.Run(who, func(t *testing.T) {
			for _, by := range cancellationGroups {
				got := call(t, w, "cancellations/"+string(by), func() ([]report.CancellationStat, error) {
					return w.svc.Cancellations(ctx, from, to, by)
				})
				if want := w.wantCancellations(v, by); !reflect.DeepEqual(got, want) {
					t.Errorf("cancellations by %s:\n got %+v\nwant %+v", by, got, want)
				}
				if by == report.CancellationByReason {
					for _, s := range got {
						sizes[who] += s.Count
					}
					if v.OwnCustomersOnly() && !strings.Contains(lastQuery(w), "owner_id") {
						t.Errorf("a rep's statement has no ownership filter: %s", lastQuery(w))
					}
				}
			}
			for _, by := range correctionGroups {
				got := call(t, w, "corrections/"+string(by), func() ([]report.CorrectionStat, error) {
					return w.svc.Corrections(ctx, from, to, by)
				})
				if want := w.wantCorrections(v, by); !reflect.DeepEqual(got, want) {
					t.Errorf("corrections by %s:\n got %+v\nwant %+v", by, got, want)
				}
			}
			for _, by := range complaintGroups {
				got := call(t, w, "complaints/"+string(by), func() ([]report.ComplaintStat, error) {
					return w.svc.Complaints(ctx, from, to, by)
				})
				want := w.wantComplaints(v, by)
				if len(got) != len(want) {
					t.Errorf("complaints by %s: %d groups, want %d:\n got %+v\nwant %+v", by, len(got), len(want), got, want)
					continue
				}
				for i, g := range got {
					x := want[i]
					if g.Key != x.Key || g.Count != x.Count || g.OpenCount != x.OpenCount {
						t.Errorf("complaints by %s: got %+v, want %+v", by, g, x.ComplaintStat)
					}
					switch {
					case x.resolved == 0 && g.MeanSecondsToResolve != nil:
						t.Errorf("complaints by %s, %s: mean %d, want none resolved", by, g.Key, *g.MeanSecondsToResolve)
					case x.resolved > 0 && (g.MeanSecondsToResolve == nil ||
						math.Abs(float64(*g.MeanSecondsToResolve)-x.seconds/float64(x.resolved)) > 0.5):
						t.Errorf("complaints by %s, %s: mean %v, want %.2f s rounded", by, g.Key,
							g.MeanSecondsToResolve, x.seconds/float64(x.resolved))
					}
				}
			}
			for _, by := range returnGroups {
				got := call(t, w, "returns/"+string(by), func() ([]report.ReturnStat, error) {
					return w.svc.Returns(ctx, from, to, by)
				})
				if want := w.wantReturns(v, by); !reflect.DeepEqual(got, want) {
					t.Errorf("returns by %s:\n got %+v\nwant %+v", by, got, want)
				}
			}
		})
	}
	if sizes["rep1"] == 0 || sizes["rep2"] == 0 || sizes["rep1"]+sizes["rep2"] >= sizes["manager"] ||
		sizes["finance"] != sizes["manager"] || sizes["auditor"] != sizes["manager"] {
		t.Errorf("executed cancellations seen: %v; want each rep a part, the others all", sizes)
	}
}

// TestStatsDataSetIsVaried guards the test above against a data set too
// plain to catch anything: several currencies under one key, data outside
// the range, weeks across a month, unassigned orders, null means.
func TestStatsDataSetIsVaried(t *testing.T) {
	w := newWorld(t)
	all := auth.NewUser(w.users["manager"].ID, "manager", auth.SalesManager, nil)
	currencies := map[string]map[string]bool{}
	for _, s := range w.wantCancellations(all, report.CancellationByReason) {
		if currencies[s.Key] == nil {
			currencies[s.Key] = map[string]bool{}
		}
		currencies[s.Key][s.Currency] = true
	}
	multi := false
	for _, cs := range currencies {
		multi = multi || len(cs) > 1
	}
	outside, executed := 0, 0
	for _, c := range w.cancelList {
		if c.ExecutedAt != nil {
			executed++
			if !inRange(c.ExecutedAt) {
				outside++
			}
		}
	}
	keys := func(ss []report.CancellationStat) []string {
		var ks []string
		for _, s := range ss {
			ks = append(ks, s.Key)
		}
		return slices.Compact(ks) // sorted: one per key, whatever the currencies
	}
	weeks := keys(w.wantCancellations(all, report.CancellationByWeek))
	reps := keys(w.wantCancellations(all, report.CancellationBySalesRep))
	none := false
	for _, c := range w.wantComplaints(all, report.ComplaintBySeverity) {
		none = none || c.resolved == 0
	}
	switch {
	case !multi:
		t.Error("no reason has cancellations in two currencies")
	case outside == 0 || outside == executed:
		t.Errorf("%d of %d executed cancellations outside the range", outside, executed)
	case !slices.Contains(weeks, "2025-03-24") || !slices.Contains(weeks, "2025-03-31"):
		t.Errorf("weeks %v lack the ones around 2025-03-30/31", weeks)
	case !slices.Contains(reps, report.Unassigned) || len(reps) != 3:
		t.Errorf("sales rep keys %v", reps)
	case len(w.wantReturns(all, report.ReturnByReason)) < 3:
		t.Error("too few return groups")
	case !none:
		t.Error("every complaint group has a resolved one; the null mean is not exercised")
	}
}

// TestStatsRefusals: the permission is checked first, then the range; a
// refused call sends no SQL.
func TestStatsRefusals(t *testing.T) {
	w := newWorld(t)
	calls := func(ctx context.Context, from, to time.Time) map[string]error {
		_, e1 := w.svc.Cancellations(ctx, from, to, report.CancellationByReason)
		_, e2 := w.svc.Corrections(ctx, from, to, report.CorrectionByCause)
		_, e3 := w.svc.Complaints(ctx, from, to, report.ComplaintByCategory)
		_, e4 := w.svc.Returns(ctx, from, to, report.ReturnByReason)
		return map[string]error{"cancellations": e1, "corrections": e2, "complaints": e3, "returns": e4}
	}
	before := len(w.queries)
	manager := viewerCtx(w.users["manager"])
	cases := []struct {
		name     string
		ctx      context.Context
		from, to time.Time
		code     fault.Code
		field    string
	}{
		{"anonymous", context.Background(), from, to, fault.Unauthenticated, ""},
		{"warehouse", viewerCtx(w.users["warehouse"]), from, to, fault.Forbidden, ""},
		{"warehouse, bad range", viewerCtx(w.users["warehouse"]), to, from, fault.Forbidden, ""},
		{"empty range", manager, from, from, fault.Invalid, "from"},
		{"reversed range", manager, to, from, fault.Invalid, "from"},
		{"367 days", manager, from, from.AddDate(0, 0, 367), fault.Invalid, "from"},
	}
	for _, c := range cases {
		for stat, err := range calls(c.ctx, c.from, c.to) {
			var fe *fault.Error
			if !errAs(err, &fe) || fe.Code != c.code || fe.Path != c.field {
				t.Errorf("%s, %s: err = %v, want %s on %q", c.name, stat, err, c.code, c.field)
			}
		}
	}
	if n := len(w.queries) - before; n != 0 {
		t.Errorf("refused calls sent %d statements", n)
	}
	// 366 days is allowed, as is an unknown grouping refused.
	if _, err := w.svc.Cancellations(manager, from, from.AddDate(0, 0, 366), report.CancellationByMonth); err != nil {
		t.Errorf("366 days: %v", err)
	}
	if _, err := w.svc.Returns(manager, from, to, "COLOUR"); fault.CodeOf(err) != fault.Invalid {
		t.Errorf("unknown grouping: %v", err)
	}
	// A range given in another zone means the same instants.
	cet := time.FixedZone("CET", 3600)
	got, err := w.svc.Cancellations(manager, from.In(cet), to.In(cet), report.CancellationByReason)
	if want := w.wantCancellations(auth.NewUser(0, "", auth.SalesManager, nil), report.CancellationByReason); err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("range in CET: %v\n got %+v\nwant %+v", err, got, want)
	}
}

func errAs(err error, fe **fault.Error) bool {
	e, ok := err.(*fault.Error)
	*fe = e
	return ok
}
