package inbox

import (
	"fmt"
	"strings"
	"time"

	"entgo.io/ent/dialect/sql"

	"orderdesk/ent/invoice"
	entorder "orderdesk/ent/order"
)

// pred is a condition on a source's table. Every generated ent predicate
// converts to one, and one passes wherever ent takes a predicate or an
// order option, whatever the entity: the sources share the SQL below.
type pred = func(*sql.Selector)

// idColumn is the primary key of every table.
const idColumn = "id"

func and(ps ...pred) pred {
	return func(s *sql.Selector) {
		for _, p := range ps {
			p(s)
		}
	}
}

// owing selects the orders whose customer still owes money, what
// payment.Outstanding computes from the same columns: total − credited −
// (captured − refunded) > 0, in minor units.
func owing(s *sql.Selector) {
	s.Where(sql.ExprP(fmt.Sprintf("%s - %s - (%s - %s) > 0",
		s.C(entorder.FieldTotalMinor), s.C(entorder.FieldCreditedMinor),
		s.C(entorder.FieldCapturedMinor), s.C(entorder.FieldRefundedMinor))))
}

// withoutOpenInvoice selects the orders that have no OPEN invoice.
func withoutOpenInvoice(s *sql.Selector) {
	t := sql.Table(invoice.Table)
	s.Where(sql.Not(sql.Exists(sql.Select(t.C(invoice.FieldID)).From(t).Where(sql.And(
		sql.ColumnsEQ(t.C(invoice.FieldOrderID), s.C(entorder.FieldID)),
		sql.EQ(t.C(invoice.FieldStatus), invoice.StatusOPEN))))))
}

// sinceOf is the SQL expression of the time an item is open since: the
// first of the columns that is not NULL.
func sinceOf(s *sql.Selector, cols []string) string {
	if len(cols) == 1 {
		return s.C(cols[0])
	}
	qualified := make([]string, len(cols))
	for i, c := range cols {
		qualified[i] = s.C(c)
	}
	return "COALESCE(" + strings.Join(qualified, ", ") + ")"
}

// bySince orders a source's rows as the inbox lists them: by since, then
// id (the source's rank is the same for all of them).
func bySince(cols []string) pred {
	return func(s *sql.Selector) {
		s.OrderExpr(sql.Expr(sinceOf(s, cols)))
		s.OrderBy(s.C(idColumn))
	}
}

// after selects the rows of the source of the given rank that come after
// the key in the inbox order (since, source, id). The source is the same
// for every row, so past since the ranks decide unless they are equal;
// then the id does.
func after(cols []string, rank int, k Key) pred {
	return func(s *sql.Selector) {
		// Times are stored in UTC, and SQLite compares them as text: the
		// key's time must be UTC to compare equal to the stored one.
		since, at := sinceOf(s, cols), k.Since.UTC()
		switch {
		case rank > k.Source:
			s.Where(compare(since, sql.OpGTE, at))
		case rank < k.Source:
			s.Where(compare(since, sql.OpGT, at))
		default:
			s.Where(sql.Or(compare(since, sql.OpGT, at),
				sql.And(compare(since, sql.OpEQ, at), sql.GT(s.C(idColumn), k.ID))))
		}
	}
}

// compare is `expr op t`.
func compare(expr string, op sql.Op, t time.Time) *sql.Predicate {
	return sql.P(func(b *sql.Builder) { b.WriteString(expr).WriteOp(op).Arg(t) })
}
