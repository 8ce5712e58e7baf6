package report

import (
	"context"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"orderdesk/auth"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/ent/order"
	"orderdesk/ent/ordercorrection"
	"orderdesk/fault"
)

// TrendPeriod is the length of a reason trend's periods.
type TrendPeriod string

const (
	TrendWeek  TrendPeriod = "WEEK"  // Monday to Monday, UTC
	TrendMonth TrendPeriod = "MONTH" // calendar months, UTC
)

// ReasonKind is what went wrong, and where its reason comes from.
type ReasonKind string

const (
	KindCancellation ReasonKind = "CANCELLATION" // executed cancellations, by reason code
	KindVoid         ReasonKind = "VOID"         // executed voids, by reason code
	KindRejection    ReasonKind = "REJECTION"    // orders rejected in review, by reason code
	KindCorrection   ReasonKind = "CORRECTION"   // applied corrections, by cause
)

// ReasonKinds lists the kinds in the order trends list them.
var ReasonKinds = []ReasonKind{KindCancellation, KindVoid, KindRejection, KindCorrection}

// ReasonTrend is the count of one reason in one period.
type ReasonTrend struct {
	PeriodStart time.Time
	Period      string // YYYY-MM-DD of the week's Monday, or YYYY-MM
	Kind        ReasonKind
	Reason      string
	Count       int
}

// MaxTrendPeriods bounds how far back a trend reaches, per period length.
var MaxTrendPeriods = map[TrendPeriod]int{TrendWeek: 52, TrendMonth: 12}

// trendRow is one group of a trend statement.
type trendRow struct {
	Period string `sql:"stat_period"`
	Reason string `sql:"stat_reason"`
	Count  int    `sql:"stat_count"`
}

// ReasonTrends counts, for the last n periods up to now (the current one
// included), the records of kind (every kind when nil) per reason and
// period: executed cancellations and voids by executed_at, rejected orders
// by closed_at, applied corrections by when they applied. One aggregate
// statement per kind, grouped by the period key the other statistics use
// (the week's Monday or the month, computed by the database). Only periods
// and reasons with a count are listed, by period, kind and reason. Needs
// stats:read; a sales rep counts their own customers' records.
func (s *Service) ReasonTrends(ctx context.Context, now time.Time, p TrendPeriod, n int, kind *ReasonKind) ([]ReasonTrend, error) {
	if _, err := auth.Require(ctx, auth.StatsRead); err != nil {
		return nil, err
	}
	most, ok := MaxTrendPeriods[p]
	if !ok {
		return nil, fault.New(fault.Invalid, "period", "unknown period %q", string(p))
	}
	if n < 1 || n > most {
		return nil, fault.New(fault.Invalid, "periods", "must be between 1 and %d", most)
	}
	kinds := ReasonKinds
	if kind != nil {
		if !validKind(*kind) {
			return nil, fault.New(fault.Invalid, "kind", "unknown kind %q", string(*kind))
		}
		kinds = []ReasonKind{*kind}
	}
	starts := PeriodStarts(now, p, n)
	from := starts[0]
	var out []ReasonTrend
	for _, k := range kinds {
		rows, err := s.trend(ctx, k, p, from)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			start, err := parsePeriod(p, r.Period)
			if err != nil {
				return nil, err
			}
			out = append(out, ReasonTrend{PeriodStart: start, Period: r.Period, Kind: k, Reason: r.Reason, Count: r.Count})
		}
	}
	order := map[ReasonKind]int{}
	for i, k := range ReasonKinds {
		order[k] = i
	}
	sortTrends(out, order)
	return out, nil
}

func validKind(k ReasonKind) bool {
	for _, x := range ReasonKinds {
		if x == k {
			return true
		}
	}
	return false
}

// trend runs the statement of one kind from the first period's start on.
// Records stamped later than now (clock skew between servers) count in the
// period they fall in.
func (s *Service) trend(ctx context.Context, k ReasonKind, p TrendPeriod, from time.Time) ([]trendRow, error) {
	group := func(at, reason string) func(*sql.Selector) {
		return func(q *sql.Selector) {
			d := dialectOf(q)
			key := d.week(at)
			if p == TrendMonth {
				key = d.month(at)
			}
			q.Where(sql.ExprP(at+" >= ?", from))
			q.Select(key+" AS stat_period", reason+" AS stat_reason", "COUNT(*) AS stat_count").
				GroupBy("stat_period", "stat_reason")
		}
	}
	var rows []trendRow
	var err error
	switch k {
	case KindCancellation, KindVoid:
		kind := cancellationrecord.KindCANCEL
		if k == KindVoid {
			kind = cancellationrecord.KindVOID
		}
		err = s.client.CancellationRecord.Query().
			Where(cancellationrecord.StatusEQ(cancellationrecord.StatusEXECUTED), cancellationrecord.KindEQ(kind)).
			Modify(func(q *sql.Selector) {
				group(q.C(cancellationrecord.FieldExecutedAt), q.C(cancellationrecord.FieldReasonCode))(q)
			}).Scan(ctx, &rows)
	case KindRejection:
		err = s.client.Order.Query().Where(order.StatusEQ(order.StatusREJECTED), order.ClosedAtNotNil()).
			Modify(func(q *sql.Selector) {
				group(q.C(order.FieldClosedAt), q.C(order.FieldStatusReason))(q)
			}).Scan(ctx, &rows)
	case KindCorrection:
		// Approved corrections applied when decided, the others at once.
		err = s.client.OrderCorrection.Query().Where(ordercorrection.StatusEQ(ordercorrection.StatusAPPLIED)).
			Modify(func(q *sql.Selector) {
				at := "COALESCE(" + q.C(ordercorrection.FieldDecidedAt) + ", " + q.C(ordercorrection.FieldCreatedAt) + ")"
				group(at, q.C(ordercorrection.FieldCause))(q)
			}).Scan(ctx, &rows)
	}
	return rows, err
}

// PeriodStarts are the first instants of the last n periods up to now,
// oldest first: Mondays 00:00 UTC for weeks, the 1st 00:00 UTC for months.
func PeriodStarts(now time.Time, p TrendPeriod, n int) []time.Time {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	starts := make([]time.Time, n)
	for i := range n {
		back := n - 1 - i
		if p == TrendMonth {
			starts[i] = time.Date(now.Year(), now.Month()-time.Month(back), 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		monday := day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
		starts[i] = monday.AddDate(0, 0, -7*back)
	}
	return starts
}

func parsePeriod(p TrendPeriod, key string) (time.Time, error) {
	layout := time.DateOnly
	if p == TrendMonth {
		layout = "2006-01"
	}
	return time.ParseInLocation(layout, key, time.UTC)
}

func sortTrends(rows []ReasonTrend, kindOrder map[ReasonKind]int) {
	less := func(a, b ReasonTrend) int {
		if c := a.PeriodStart.Compare(b.PeriodStart); c != 0 {
			return c
		}
		if c := kindOrder[a.Kind] - kindOrder[b.Kind]; c != 0 {
			return c
		}
		return strings.Compare(a.Reason, b.Reason)
	}
	slices.SortFunc(rows, less)
}
