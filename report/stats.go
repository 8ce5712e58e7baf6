// Package report computes the reason analytics: how many orders went wrong,
// why, and what it cost — cancellations and voids, corrections, complaints
// and returns, grouped by a key over a time range.
//
// Each statistic is exactly one aggregate SQL statement: grouping, counting
// and summing happen in the database, never over rows loaded into Go. The
// statements go through the ent client with the viewer's context, so the
// privacy policies of the queried entity add their row filter: a sales rep
// (auth.Viewer.OwnCustomersOnly) counts only the records of their own
// customers; managers, finance and auditors count everything.
//
// Amounts are exact int64 minor units. Every group that carries money is
// also grouped by currency, so amounts of different currencies are never
// added together: a key may appear once per currency.
package report

import (
	"context"
	"slices"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql"

	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/ent/complaint"
	"orderdesk/ent/order"
	"orderdesk/ent/ordercorrection"
	"orderdesk/ent/orderline"
	"orderdesk/ent/returnline"
	"orderdesk/ent/returnorder"
	"orderdesk/ent/stockitem"
	"orderdesk/ent/stockmovement"
	"orderdesk/ent/user"
	"orderdesk/fault"
)

// MaxRange is the longest time range a report may cover.
const MaxRange = 366 * 24 * time.Hour

// Unassigned is the SALES_REP key of orders without an owner.
const Unassigned = "unassigned"

// Service computes the statistics.
type Service struct{ client *ent.Client }

// New returns the service over client.
func New(client *ent.Client) *Service { return &Service{client: client} }

// CancellationGroupBy is how cancellation statistics are grouped.
type CancellationGroupBy string

const (
	CancellationByReason    CancellationGroupBy = "REASON"     // reason code
	CancellationByDay       CancellationGroupBy = "DAY"        // YYYY-MM-DD of executed_at (UTC)
	CancellationByWeek      CancellationGroupBy = "WEEK"       // YYYY-MM-DD of the Monday of that week
	CancellationByMonth     CancellationGroupBy = "MONTH"      // YYYY-MM
	CancellationBySalesRep  CancellationGroupBy = "SALES_REP"  // email of the order's owner, or "unassigned"
	CancellationByStockItem CancellationGroupBy = "STOCK_ITEM" // SKU of the released stock
	CancellationByChannel   CancellationGroupBy = "CHANNEL"    // the order's channel
	CancellationByKind      CancellationGroupBy = "KIND"       // CANCEL or VOID
)

// CancellationStat is one group of executed cancellations and voids.
//
// For CancellationByStockItem a cancellation counts once under every SKU it
// released stock of (Count is the number of distinct cancellations), and
// QuantityReleased is the sum of its RELEASE movements of that SKU. A
// cancellation's refund is not attributable to a SKU, so AmountRefundedMinor
// is always 0 for that grouping (it is not prorated), and Currency is the
// stock item's currency.
type CancellationStat struct {
	Key                 string `sql:"stat_key"`
	Currency            string `sql:"stat_currency"`
	Count               int    `sql:"stat_count"`
	AmountRefundedMinor int64  `sql:"stat_amount"`
	QuantityReleased    int    `sql:"stat_quantity"`
}

// CorrectionGroupBy is how correction statistics are grouped.
type CorrectionGroupBy string

const (
	CorrectionByErrorType CorrectionGroupBy = "ERROR_TYPE"
	CorrectionByCause     CorrectionGroupBy = "CAUSE"
)

// CorrectionStat is one group of applied corrections. AmountIncreaseMinor
// is the sum of the order total increases, AmountDecreaseMinor the sum of
// the decreases, as a non-negative magnitude.
type CorrectionStat struct {
	Key                 string `sql:"stat_key"`
	Currency            string `sql:"stat_currency"`
	Count               int    `sql:"stat_count"`
	AmountIncreaseMinor int64  `sql:"stat_increase"`
	AmountDecreaseMinor int64  `sql:"stat_decrease"`
}

// ComplaintGroupBy is how complaint statistics are grouped.
type ComplaintGroupBy string

const (
	ComplaintByCategory ComplaintGroupBy = "CATEGORY"
	ComplaintBySeverity ComplaintGroupBy = "SEVERITY"
)

// ComplaintStat is one group of complaints filed in the range. OpenCount
// counts those still OPEN or IN_PROGRESS. MeanSecondsToResolve is the mean
// time from filing to resolved_at over those RESOLVED or CLOSED with a
// resolution time, rounded to whole seconds; nil when there is none.
type ComplaintStat struct {
	Key                  string `sql:"stat_key"`
	Count                int    `sql:"stat_count"`
	OpenCount            int    `sql:"stat_open"`
	MeanSecondsToResolve *int64 `sql:"stat_mean_seconds"`
}

// ReturnGroupBy is how return statistics are grouped.
type ReturnGroupBy string

const (
	ReturnByReason    ReturnGroupBy = "REASON"     // the line's return reason
	ReturnByStockItem ReturnGroupBy = "STOCK_ITEM" // SKU of the returned order line
	ReturnByMonth     ReturnGroupBy = "MONTH"      // YYYY-MM of received_at (UTC)
)

// ReturnStat is one group of the lines of returns received in the range
// (status RECEIVED, REFUNDED or CLOSED).
type ReturnStat struct {
	Key               string `sql:"stat_key"`
	Count             int    `sql:"stat_count"`
	QuantityRestocked int    `sql:"stat_restocked"`
	QuantityDamaged   int    `sql:"stat_damaged"`
}

// Cancellations groups the cancellations and voids executed in [from, to).
func (s *Service) Cancellations(ctx context.Context, from, to time.Time, by CancellationGroupBy) ([]CancellationStat, error) {
	if _, err := auth.Require(ctx, auth.StatsRead); err != nil {
		return nil, err
	}
	from, to, err := window(from, to)
	if err != nil {
		return nil, err
	}
	if !slices.Contains([]CancellationGroupBy{CancellationByReason, CancellationByDay, CancellationByWeek,
		CancellationByMonth, CancellationBySalesRep, CancellationByStockItem, CancellationByChannel, CancellationByKind}, by) {
		return nil, badGroup(by)
	}
	var rows []CancellationStat
	err = s.client.CancellationRecord.Query().
		Where(cancellationrecord.StatusEQ(cancellationrecord.StatusEXECUTED),
			cancellationrecord.ExecutedAtGTE(from), cancellationrecord.ExecutedAtLT(to)).
		Modify(func(q *sql.Selector) {
			d := dialectOf(q)
			key, currency := "", q.C(cancellationrecord.FieldCurrency)
			count := "COUNT(*)"
			amount := d.sum(q.C(cancellationrecord.FieldAmountRefundedMinor))
			quantity := d.sum(q.C(cancellationrecord.FieldQuantityReleased))
			switch by {
			case CancellationByReason:
				key = q.C(cancellationrecord.FieldReasonCode)
			case CancellationByKind:
				key = q.C(cancellationrecord.FieldKind)
			case CancellationByDay:
				key = d.day(q.C(cancellationrecord.FieldExecutedAt))
			case CancellationByWeek:
				key = d.week(q.C(cancellationrecord.FieldExecutedAt))
			case CancellationByMonth:
				key = d.month(q.C(cancellationrecord.FieldExecutedAt))
			case CancellationByChannel:
				o := d.table(order.Table, "o")
				q.Join(o).On(q.C(cancellationrecord.FieldOrderID), o.C(order.FieldID))
				key = o.C(order.FieldChannel)
			case CancellationBySalesRep:
				o, u := d.table(order.Table, "o"), d.table(user.Table, "u")
				q.Join(o).On(q.C(cancellationrecord.FieldOrderID), o.C(order.FieldID))
				q.LeftJoin(u).On(o.C(order.FieldOwnerID), u.C(user.FieldID))
				key = "COALESCE(" + u.C(user.FieldEmail) + ", '" + Unassigned + "')"
			case CancellationByStockItem:
				// Stock released by the cancellation: its RELEASE movements.
				m, si := d.table(stockmovement.Table, "m"), d.table(stockitem.Table, "si")
				q.Join(m).OnP(sql.And(
					sql.ColumnsEQ(m.C(stockmovement.FieldCancellationID), q.C(cancellationrecord.FieldID)),
					sql.EQ(m.C(stockmovement.FieldKind), stockmovement.KindRELEASE.String())))
				q.Join(si).On(m.C(stockmovement.FieldStockItemID), si.C(stockitem.FieldID))
				key, currency = si.C(stockitem.FieldSku), si.C(stockitem.FieldCurrency)
				count = "COUNT(DISTINCT " + q.C(cancellationrecord.FieldID) + ")"
				amount = "0" // a refund is not attributable to a SKU; see CancellationStat
				quantity = d.sum(m.C(stockmovement.FieldQuantity))
			}
			q.Select(key+" AS stat_key", currency+" AS stat_currency", count+" AS stat_count",
				amount+" AS stat_amount", quantity+" AS stat_quantity").
				GroupBy("stat_key", "stat_currency").OrderBy("stat_key", "stat_currency")
		}).
		Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	sortBy(rows, func(r CancellationStat) (string, string) { return r.Key, r.Currency })
	return rows, nil
}

// Corrections groups the corrections applied in [from, to): decided_at for
// those approved, created_at for those that applied at once.
func (s *Service) Corrections(ctx context.Context, from, to time.Time, by CorrectionGroupBy) ([]CorrectionStat, error) {
	if _, err := auth.Require(ctx, auth.StatsRead); err != nil {
		return nil, err
	}
	from, to, err := window(from, to)
	if err != nil {
		return nil, err
	}
	field := map[CorrectionGroupBy]string{
		CorrectionByErrorType: ordercorrection.FieldErrorType,
		CorrectionByCause:     ordercorrection.FieldCause,
	}[by]
	if field == "" {
		return nil, badGroup(by)
	}
	var rows []CorrectionStat
	err = s.client.OrderCorrection.Query().
		Where(ordercorrection.StatusEQ(ordercorrection.StatusAPPLIED)).
		Modify(func(q *sql.Selector) {
			d := dialectOf(q)
			at := "COALESCE(" + q.C(ordercorrection.FieldDecidedAt) + ", " + q.C(ordercorrection.FieldCreatedAt) + ")"
			q.Where(sql.And(sql.ExprP(at+" >= ?", from), sql.ExprP(at+" < ?", to)))
			before, after := q.C(ordercorrection.FieldTotalBeforeMinor), q.C(ordercorrection.FieldTotalAfterMinor)
			increase := "CASE WHEN " + after + " > " + before + " THEN " + after + " - " + before + " ELSE 0 END"
			decrease := "CASE WHEN " + after + " < " + before + " THEN " + before + " - " + after + " ELSE 0 END"
			q.Select(q.C(field)+" AS stat_key", q.C(ordercorrection.FieldCurrency)+" AS stat_currency",
				"COUNT(*) AS stat_count", d.sum(increase)+" AS stat_increase", d.sum(decrease)+" AS stat_decrease").
				GroupBy("stat_key", "stat_currency").OrderBy("stat_key", "stat_currency")
		}).
		Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	sortBy(rows, func(r CorrectionStat) (string, string) { return r.Key, r.Currency })
	return rows, nil
}

// Complaints groups the complaints filed (created) in [from, to).
func (s *Service) Complaints(ctx context.Context, from, to time.Time, by ComplaintGroupBy) ([]ComplaintStat, error) {
	if _, err := auth.Require(ctx, auth.StatsRead); err != nil {
		return nil, err
	}
	from, to, err := window(from, to)
	if err != nil {
		return nil, err
	}
	field := map[ComplaintGroupBy]string{
		ComplaintByCategory: complaint.FieldCategory,
		ComplaintBySeverity: complaint.FieldSeverity,
	}[by]
	if field == "" {
		return nil, badGroup(by)
	}
	var rows []ComplaintStat
	err = s.client.Complaint.Query().
		Where(complaint.CreatedAtGTE(from), complaint.CreatedAtLT(to)).
		Modify(func(q *sql.Selector) {
			d := dialectOf(q)
			status := q.C(complaint.FieldStatus)
			open := "COUNT(CASE WHEN " + status + " IN ('" + complaint.StatusOPEN.String() + "', '" +
				complaint.StatusIN_PROGRESS.String() + "') THEN 1 END)"
			// AVG skips the NULLs: complaints not resolved.
			seconds := "CASE WHEN " + status + " IN ('" + complaint.StatusRESOLVED.String() + "', '" +
				complaint.StatusCLOSED.String() + "') THEN " +
				d.seconds(q.C(complaint.FieldCreatedAt), q.C(complaint.FieldResolvedAt)) + " END"
			q.Select(q.C(field)+" AS stat_key", "COUNT(*) AS stat_count", open+" AS stat_open",
				d.cast("ROUND(AVG("+seconds+"))")+" AS stat_mean_seconds").
				GroupBy("stat_key").OrderBy("stat_key")
		}).
		Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	sortBy(rows, func(r ComplaintStat) (string, string) { return r.Key, "" })
	return rows, nil
}

// Returns groups the lines of the returns received in [from, to).
func (s *Service) Returns(ctx context.Context, from, to time.Time, by ReturnGroupBy) ([]ReturnStat, error) {
	if _, err := auth.Require(ctx, auth.StatsRead); err != nil {
		return nil, err
	}
	from, to, err := window(from, to)
	if err != nil {
		return nil, err
	}
	if !slices.Contains([]ReturnGroupBy{ReturnByReason, ReturnByStockItem, ReturnByMonth}, by) {
		return nil, badGroup(by)
	}
	var rows []ReturnStat
	err = s.client.ReturnLine.Query().
		Modify(func(q *sql.Selector) {
			d := dialectOf(q)
			r := d.table(returnorder.Table, "r")
			q.Join(r).On(q.C(returnline.FieldReturnOrderID), r.C(returnorder.FieldID))
			q.Where(sql.And(
				sql.In(r.C(returnorder.FieldStatus), returnorder.StatusRECEIVED.String(),
					returnorder.StatusREFUNDED.String(), returnorder.StatusCLOSED.String()),
				sql.GTE(r.C(returnorder.FieldReceivedAt), from),
				sql.LT(r.C(returnorder.FieldReceivedAt), to)))
			var key string
			switch by {
			case ReturnByReason:
				key = q.C(returnline.FieldReason)
			case ReturnByMonth:
				key = d.month(r.C(returnorder.FieldReceivedAt))
			case ReturnByStockItem:
				l := d.table(orderline.Table, "l")
				q.Join(l).On(q.C(returnline.FieldOrderLineID), l.C(orderline.FieldID))
				key = l.C(orderline.FieldSku)
			}
			q.Select(key+" AS stat_key", "COUNT(*) AS stat_count",
				d.sum(q.C(returnline.FieldQuantityRestocked))+" AS stat_restocked",
				d.sum(q.C(returnline.FieldQuantityDamaged))+" AS stat_damaged").
				GroupBy("stat_key").OrderBy("stat_key")
		}).
		Scan(ctx, &rows)
	if err != nil {
		return nil, err
	}
	sortBy(rows, func(r ReturnStat) (string, string) { return r.Key, "" })
	return rows, nil
}

// window checks the range and returns it in UTC: on SQLite times are stored
// as text in UTC and compared as text.
func window(from, to time.Time) (time.Time, time.Time, error) {
	switch {
	case !from.Before(to):
		return from, to, fault.New(fault.Invalid, "from", "must be before to")
	case to.Sub(from) > MaxRange:
		return from, to, fault.New(fault.Invalid, "from", "the range may cover at most 366 days, not %.1f",
			to.Sub(from).Hours()/24)
	}
	return from.UTC(), to.UTC(), nil
}

func badGroup[T ~string](by T) error {
	return fault.New(fault.Invalid, "groupBy", "unknown grouping %q", string(by))
}

// sortBy orders the groups by key and currency, byte-wise: the database's
// collation may order differently (MySQL's *_ci collations ignore case).
func sortBy[T any](rows []T, key func(T) (string, string)) {
	slices.SortStableFunc(rows, func(a, b T) int {
		ka, ca := key(a)
		kb, cb := key(b)
		if c := strings.Compare(ka, kb); c != 0 {
			return c
		}
		return strings.Compare(ca, cb)
	})
}

// dialectSQL writes the expressions that differ between SQLite and MySQL.
type dialectSQL struct{ name string }

func dialectOf(q *sql.Selector) dialectSQL { return dialectSQL{q.Dialect()} }

func (d dialectSQL) mysql() bool { return d.name == dialect.MySQL }

func (d dialectSQL) table(name, alias string) *sql.SelectTable {
	return sql.Dialect(d.name).Table(name).As(alias)
}

// cast makes an integer of an aggregate: MySQL's SUM and AVG are DECIMAL.
func (d dialectSQL) cast(expr string) string {
	if d.mysql() {
		return "CAST(" + expr + " AS SIGNED)"
	}
	return "CAST(" + expr + " AS INTEGER)"
}

func (d dialectSQL) sum(expr string) string { return d.cast("SUM(" + expr + ")") }

// SQLite stores a time as the text of time.Time.String, which its date
// functions do not parse ("2025-03-10 09:30:00.5 +0000 UTC"); the first 19
// characters are the UTC date and time, as every time is stored in UTC.

// day is YYYY-MM-DD.
func (d dialectSQL) day(col string) string {
	if d.mysql() {
		return "DATE_FORMAT(" + col + ", '%Y-%m-%d')"
	}
	return "substr(" + col + ", 1, 10)"
}

// week is the YYYY-MM-DD of the Monday of the week.
func (d dialectSQL) week(col string) string {
	if d.mysql() {
		return "DATE_FORMAT(DATE_SUB(" + col + ", INTERVAL WEEKDAY(" + col + ") DAY), '%Y-%m-%d')"
	}
	// The next Sunday (or the day itself), then back to its Monday.
	return "date(substr(" + col + ", 1, 10), 'weekday 0', '-6 days')"
}

// month is YYYY-MM.
func (d dialectSQL) month(col string) string {
	if d.mysql() {
		return "DATE_FORMAT(" + col + ", '%Y-%m')"
	}
	return "substr(" + col + ", 1, 7)"
}

// seconds is the number of seconds from start to end, NULL when end is.
func (d dialectSQL) seconds(start, end string) string {
	if d.mysql() {
		return "TIMESTAMPDIFF(SECOND, " + start + ", " + end + ")"
	}
	return "(julianday(substr(" + end + ", 1, 19)) - julianday(substr(" + start + ", 1, 19))) * 86400"
}
