package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-sql-driver/mysql"

	"orderdesk/ent"
)

// MaxAttempts bounds how often a transaction that lost a deadlock or a lock
// wait is run again.
const MaxAttempts = 5

// WithTx runs fn in one transaction and commits it; any error or panic rolls
// it back. A deadlock or lock timeout reruns fn from the start, at most
// MaxAttempts times, so fn must do nothing outside the transaction: work that
// must follow the commit goes in tx.OnCommit hooks.
func WithTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := runTx(ctx, client, fn)
		if err == nil || !Retryable(err) || attempt == MaxAttempts {
			return err
		}
		// Jittered backoff lets the winner finish before the retry.
		wait := time.Duration(attempt*attempt)*5*time.Millisecond + rand.N(10*time.Millisecond)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		observeRetry(ctx)
	}
}

type retryKey struct{}

// WithRetryObserver returns ctx in which WithTx calls observe each time it
// runs a transaction again, so that operators see lock contention (the
// metrics count it) without store knowing who watches.
func WithRetryObserver(ctx context.Context, observe func()) context.Context {
	return context.WithValue(ctx, retryKey{}, observe)
}

func observeRetry(ctx context.Context) {
	if observe, ok := ctx.Value(retryKey{}).(func()); ok {
		observe()
	}
}

// Transactions run READ COMMITTED, so that every read in a transaction sees
// what committed before it, also after waiting for a row lock. Under MySQL's
// default REPEATABLE READ the first plain read would fix a snapshot that a
// later lock wait leaves stale. Correctness rests on row locks and guarded
// updates, not on snapshots. The level is set once per MySQL connection
// when it opens (Open), not per transaction; SQLite serialises writers.

func runTx(ctx context.Context, client *ent.Client, fn func(tx *ent.Tx) error) (err error) {
	tx, err := client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("starting transaction: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		if rerr := tx.Rollback(); rerr != nil {
			return errors.Join(err, fmt.Errorf("rolling back: %w", rerr))
		}
		return err
	}
	if err := tx.Commit(); err != nil {
		// A commit hook that refuses leaves the transaction open; one that
		// reached the database has ended it, and this is a no-op.
		_ = tx.Rollback()
		return fmt.Errorf("committing: %w", err)
	}
	return nil
}

// ErrRetry asks WithTx to run the transaction again: something it read has
// changed under it (e.g. a concurrent insert of the same unique key).
var ErrRetry = errors.New("transaction must be retried")

// Retryable reports whether err is a lost race for locks that a fresh run
// of the transaction may win: a MySQL deadlock or lock wait timeout, TiDB's
// write conflicts, a busy SQLite database, or ErrRetry.
func Retryable(err error) bool {
	if errors.Is(err, ErrRetry) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1213, 1205: // deadlock, lock wait timeout
			return true
		case 9007, 8002, 8022, 8028: // TiDB: write conflict, SELECT FOR UPDATE conflict, retry failed, schema changed
			return true
		case 1105: // TiDB's generic error, which its lock conflicts use too
			return strings.Contains(me.Message, "pessimistic lock retry limit reached") ||
				strings.Contains(me.Message, "Write conflict")
		}
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

// IsDuplicate reports whether err is a unique-key violation.
func IsDuplicate(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062
	}
	return ent.IsConstraintError(err) && strings.Contains(err.Error(), "UNIQUE")
}

// ForUpdate is a query modifier that locks the selected rows until the
// transaction ends. SQLite has no row locks and needs none: its transactions
// begin IMMEDIATE, so writers are already serialised.
func ForUpdate(s *entsql.Selector) {
	if s.Dialect() != dialect.SQLite {
		s.ForUpdate()
	}
}

// ForShare is a query modifier that locks the selected rows against
// writers, not against other readers, until the transaction ends (MySQL's
// LOCK IN SHARE MODE, which MariaDB also reads). SQLite, as for ForUpdate,
// needs none. TiDB has no shared locks: see SharedLocks.
func ForShare(s *entsql.Selector) {
	if s.Dialect() != dialect.SQLite {
		s.ForShare(entsql.WithLockClause("LOCK IN SHARE MODE"))
	}
}

// noSharedLocks is set when this process opened a database whose shared
// locks are missing or no-ops (TiDB): a rule that needs them (the outbox's
// reading of the webhook interest) takes the way that needs none.
var noSharedLocks atomic.Bool

// SharedLocks reports whether the databases this process opened honour
// ForShare: false once one was TiDB.
func SharedLocks() bool { return !noSharedLocks.Load() }

type nowKey struct{}

// WithNow returns ctx carrying t as the time of the transaction about to
// run, so that every row one business action writes carries the same now.
func WithNow(ctx context.Context, t time.Time) context.Context {
	return context.WithValue(ctx, nowKey{}, t)
}

// Now is the transaction's time set by WithNow, or the current time.
func Now(ctx context.Context) time.Time {
	if t, ok := TxNow(ctx); ok {
		return t
	}
	return time.Now().UTC()
}

// TxNow is the transaction's time, when ctx carries one.
func TxNow(ctx context.Context) (time.Time, bool) {
	t, ok := ctx.Value(nowKey{}).(time.Time)
	return t, ok
}

// Execer runs a statement: an ent transaction (with the sql/execquery
// feature) is one.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// SetByID writes many rows of table in one UPDATE: row i (id ids[i]) gets
// values[i][j] in column cols[j], through CASE expressions on id, and every
// row gets the same value in each column of same. Column names are the
// caller's constants, never input. It is for rows the caller holds locked,
// whose new values it has worked out.
func SetByID(ctx context.Context, db Execer, table string, ids []int, cols []string, values [][]any, same map[string]any) error {
	if len(ids) == 0 {
		return nil
	}
	var q strings.Builder
	var args []any
	q.WriteString("UPDATE " + table + " SET ")
	for j, col := range cols {
		if j > 0 {
			q.WriteString(", ")
		}
		q.WriteString(col + " = CASE id")
		for i, id := range ids {
			q.WriteString(" WHEN ? THEN ?")
			args = append(args, id, values[i][j])
		}
		q.WriteString(" END")
	}
	names := make([]string, 0, len(same))
	for col := range same {
		names = append(names, col)
	}
	slices.Sort(names) // one statement text for one shape
	for _, col := range names {
		q.WriteString(", " + col + " = ?")
		args = append(args, same[col])
	}
	q.WriteString(" WHERE id IN (?" + strings.Repeat(", ?", len(ids)-1) + ")")
	for _, id := range ids {
		args = append(args, id)
	}
	_, err := db.ExecContext(ctx, q.String(), args...)
	return err
}

// EachInOwnTx runs fn for each id in a transaction of its own and counts
// the ids for which fn reports it did its work. One id failing is logged
// (naming what and the id) and does not stop the others: background rules
// announce records one by one, so that a record that cannot be announced
// does not hold back the rest.
func EachInOwnTx(ctx context.Context, client *ent.Client, ids []int, what string,
	fn func(ctx context.Context, tx *ent.Tx, id int) (bool, error)) int {
	n := 0
	for _, id := range ids {
		done := false
		err := WithTx(ctx, client, func(tx *ent.Tx) error {
			var err error
			done, err = fn(ctx, tx, id)
			return err
		})
		if err != nil {
			slog.ErrorContext(ctx, what+" failed", "id", id, "err", err)
			continue
		}
		if done {
			n++
		}
	}
	return n
}

// WakeOnCommit is an ent hook that calls wake once the transaction that
// created a row commits (at once outside a transaction): a background
// worker of this server — the notice sender, the webhook relay — picks
// the row up without waiting for its next round. Other servers find it on
// their own rounds.
func WakeOnCommit(wake func()) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			if err != nil || !m.Op().Is(ent.OpCreate) {
				return v, err
			}
			txm, ok := m.(interface{ Tx() (*ent.Tx, error) })
			if !ok {
				return v, nil
			}
			tx, terr := txm.Tx()
			if terr != nil { // not in a transaction: it is committed already
				wake()
				return v, nil
			}
			tx.OnCommit(func(next ent.Committer) ent.Committer {
				return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
					err := next.Commit(ctx, tx)
					if err == nil {
						wake()
					}
					return err
				})
			})
			return v, nil
		})
	}
}
