package main

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"orderdesk/store"
)

// DESIGN.md's invariants in plain SQL (MariaDB and SQLite alike), each the
// number of rows that break it; all must be 0. Run after every write run,
// with the server stopped.
var invariants = []struct{ name, sql string }{
	{"stock onHand = Σ movements", `SELECT COUNT(*) FROM stock_items s LEFT JOIN (
		SELECT stock_item_id, SUM(on_hand_delta) AS h FROM stock_movements GROUP BY stock_item_id) m ON m.stock_item_id = s.id
		WHERE s.on_hand <> COALESCE(m.h, 0)`},
	{"stock reserved = Σ movements", `SELECT COUNT(*) FROM stock_items s LEFT JOIN (
		SELECT stock_item_id, SUM(reserved_delta) AS r FROM stock_movements GROUP BY stock_item_id) m ON m.stock_item_id = s.id
		WHERE s.reserved <> COALESCE(m.r, 0)`},
	{"stock 0 ≤ reserved ≤ onHand, onHand ≥ 0", `SELECT COUNT(*) FROM stock_items WHERE on_hand < 0 OR reserved < 0 OR reserved > on_hand`},
	{"stock reserved = Σ lines' quantity_reserved", `SELECT COUNT(*) FROM stock_items s LEFT JOIN (
		SELECT stock_item_id, SUM(quantity_reserved) AS r FROM order_lines GROUP BY stock_item_id) l ON l.stock_item_id = s.id
		WHERE s.reserved <> COALESCE(l.r, 0)`},
	{"order refunded ≤ captured", `SELECT COUNT(*) FROM orders o JOIN (` + paymentSums + `) p ON p.order_id = o.id
		WHERE p.refunded > p.captured`},
	{"order captured/refunded = its payments", `SELECT COUNT(*) FROM orders o LEFT JOIN (` + paymentSums + `) p ON p.order_id = o.id
		WHERE o.captured_minor <> COALESCE(p.captured, 0) OR o.refunded_minor <> COALESCE(p.refunded, 0)`},
	{"order cash ledger Σ = captured − refunded", `SELECT COUNT(*) FROM orders o
		LEFT JOIN (` + paymentSums + `) p ON p.order_id = o.id
		LEFT JOIN (SELECT order_id, SUM(amount_minor) AS cash FROM ledger_entries WHERE kind <> 'CREDIT_NOTE' GROUP BY order_id) le
		ON le.order_id = o.id
		WHERE COALESCE(le.cash, 0) <> COALESCE(p.captured, 0) - COALESCE(p.refunded, 0)`},
	{"order credit notes = −credited", `SELECT COUNT(*) FROM orders o LEFT JOIN (
		SELECT order_id, SUM(amount_minor) AS credit FROM ledger_entries WHERE kind = 'CREDIT_NOTE' GROUP BY order_id) le
		ON le.order_id = o.id WHERE COALESCE(le.credit, 0) <> -o.credited_minor`},
	{"charge refunded = Σ its refunds ≤ amount", `SELECT COUNT(*) FROM payments ch LEFT JOIN (
		SELECT refund_of_id, SUM(amount_minor) AS s FROM payments WHERE kind = 'REFUND' AND status = 'CAPTURED' GROUP BY refund_of_id) r
		ON r.refund_of_id = ch.id
		WHERE ch.kind = 'CHARGE' AND (ch.refunded_minor <> COALESCE(r.s, 0) OR ch.refunded_minor > ch.amount_minor)`},
	{"refund has a REFUND ledger entry", `SELECT COUNT(*) FROM payments p WHERE p.kind = 'REFUND' AND p.status = 'CAPTURED'
		AND NOT EXISTS (SELECT 1 FROM ledger_entries l WHERE l.payment_id = p.id AND l.kind = 'REFUND')`},
	{"captured/cancelled/failed payment has an audit event", `SELECT COUNT(*) FROM payments p
		WHERE p.status IN ('CAPTURED', 'CANCELLED', 'FAILED')
		AND NOT EXISTS (SELECT 1 FROM audit_events a WHERE a.subject_type = 'Payment' AND a.subject_id = p.id)`},
	{"cancelled/voided order has one order.cancelled/voided audit event", `SELECT COUNT(*) FROM orders o
		WHERE o.status IN ('CANCELLED', 'VOIDED') AND (SELECT COUNT(*) FROM audit_events a WHERE a.subject_type = 'Order'
		AND a.subject_id = o.id AND a.action IN ('order.cancelled', 'order.voided')) <> 1`},
	{"cancelled/voided order holds no reservation", `SELECT COUNT(DISTINCT o.id) FROM orders o JOIN order_lines l ON l.order_id = o.id
		WHERE o.status IN ('CANCELLED', 'VOIDED') AND l.quantity_reserved <> 0`},
	{"cancelled/voided order refunded all it captured", `SELECT COUNT(*) FROM orders
		WHERE status IN ('CANCELLED', 'VOIDED') AND refunded_minor <> captured_minor`},
	{"cancelled/voided order has exactly one executed record", `SELECT COUNT(*) FROM orders o
		WHERE o.status IN ('CANCELLED', 'VOIDED') AND (SELECT COUNT(*) FROM cancellation_records c
		WHERE c.order_id = o.id AND c.status = 'EXECUTED') <> 1`},
	{"executed record on an order still open", `SELECT COUNT(*) FROM cancellation_records c JOIN orders o ON o.id = c.order_id
		WHERE c.status = 'EXECUTED' AND c.scope = 'FULL' AND o.status NOT IN ('CANCELLED', 'VOIDED')`},
	{"closed order has a closing time", `SELECT COUNT(*) FROM orders
		WHERE status IN ('CANCELLED', 'VOIDED', 'REJECTED') AND closed_at IS NULL`},
	{"closed order written no more after it closed", `SELECT COUNT(*) FROM orders o WHERE o.closed_at IS NOT NULL AND (
		o.updated_at > o.closed_at
		OR EXISTS (SELECT 1 FROM payments p WHERE p.order_id = o.id AND p.updated_at > o.closed_at)
		OR EXISTS (SELECT 1 FROM cancellation_records c WHERE c.order_id = o.id AND c.updated_at > o.closed_at))`},
}

// paymentSums: per order, captured charges and captured refunds.
const paymentSums = `SELECT order_id,
	SUM(CASE WHEN kind = 'CHARGE' AND status = 'CAPTURED' THEN amount_minor ELSE 0 END) AS captured,
	SUM(CASE WHEN kind = 'REFUND' AND status = 'CAPTURED' THEN amount_minor ELSE 0 END) AS refunded
	FROM payments GROUP BY order_id`

// checkOrderdesk runs the invariants on the bench database and checks that
// each successful void or chain executed exactly once: as many EXECUTED
// cancellation records of the kind (and orders in the end status) as
// successful operations; the snapshot has none.
func (b *bench) checkOrderdesk(ctx context.Context, op string, res *loadResult) (string, bool, error) {
	var db *sql.DB
	if b.odDriver == store.MySQL {
		d, err := sql.Open("mysql", b.odDSN)
		if err != nil {
			return "", false, err
		}
		db = d
	} else {
		d, err := store.Open(store.SQLite, b.odDSN)
		if err != nil {
			return "", false, err
		}
		db = d.SQL
	}
	defer db.Close()
	var bad []string
	for _, inv := range invariants {
		var n int64
		if err := db.QueryRowContext(ctx, inv.sql).Scan(&n); err != nil {
			return "", false, fmt.Errorf("invariant %q: %w", inv.name, err)
		}
		if n != 0 {
			bad = append(bad, fmt.Sprintf("%s: %d rows", inv.name, n))
		}
	}
	kind, end := "VOID", "VOIDED"
	if op == "chain" {
		kind, end = "CANCEL", "CANCELLED"
	}
	count := func(q string, args ...any) (int64, error) {
		var n int64
		err := db.QueryRowContext(ctx, q, args...).Scan(&n)
		return n, err
	}
	executed, err := count(`SELECT COUNT(*) FROM cancellation_records WHERE status = 'EXECUTED' AND kind = ?`, kind)
	if err != nil {
		return "", false, err
	}
	closed, err := count(`SELECT COUNT(*) FROM orders WHERE status = ?`, end)
	if err != nil {
		return "", false, err
	}
	refunds, err := count(`SELECT COUNT(*) FROM payments WHERE kind = 'REFUND'`)
	if err != nil {
		return "", false, err
	}
	if executed != res.ok || closed != res.ok {
		bad = append(bad, fmt.Sprintf("executed once: %d EXECUTED %s records and %d %s orders for %d successful ops (%d failed)",
			executed, kind, closed, end, res.ok, res.errors))
	}
	var open []string
	rows, err := db.QueryContext(ctx, `SELECT status, COUNT(*) FROM cancellation_records WHERE status <> 'EXECUTED' GROUP BY status ORDER BY status`)
	if err != nil {
		return "", false, err
	}
	for rows.Next() {
		var s string
		var n int64
		if err := rows.Scan(&s, &n); err != nil {
			rows.Close()
			return "", false, err
		}
		open = append(open, fmt.Sprintf("%s %d", s, n))
	}
	rows.Close()
	extra := ""
	if len(open) > 0 {
		extra = "; records left undecided by failed chains: " + strings.Join(open, ", ")
	}
	if len(bad) > 0 {
		return "FAIL: " + strings.Join(bad, "; ") + extra, true, nil
	}
	return fmt.Sprintf("pass (%d invariants; %d EXECUTED %s records = %d %s orders = ok ops; %d refunds)%s",
		len(invariants), executed, kind, closed, end, refunds, extra), false, nil
}
