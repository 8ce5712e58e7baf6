package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"entgo.io/ent/dialect"

	"orderdesk/auth"
	"orderdesk/ent"
	_ "orderdesk/ent/runtime"
	"orderdesk/store"
	"orderdesk/store/storetest"
)

func TestWithTx(t *testing.T) {
	db := storetest.New(t)
	ctx := auth.NewContext(context.Background(), auth.System("test"))

	t.Run("CommitsOnSuccess", func(t *testing.T) {
		err := store.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
			return tx.Sequence.Create().SetName("a").Exec(ctx)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n := db.Client.Sequence.Query().CountX(ctx); n != 1 {
			t.Fatalf("%d sequences after commit, want 1", n)
		}
	})
	t.Run("RollsBackOnError", func(t *testing.T) {
		boom := errors.New("boom")
		err := store.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
			if err := tx.Sequence.Create().SetName("b").Exec(ctx); err != nil {
				return err
			}
			return boom
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		if n := db.Client.Sequence.Query().CountX(ctx); n != 1 {
			t.Fatalf("%d sequences after rollback, want 1", n)
		}
	})
	t.Run("RollsBackOnPanic", func(t *testing.T) {
		func() {
			defer func() { _ = recover() }()
			_ = store.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
				tx.Sequence.Create().SetName("c").ExecX(ctx)
				panic("boom")
			})
		}()
		if n := db.Client.Sequence.Query().CountX(ctx); n != 1 {
			t.Fatalf("%d sequences after panic, want 1", n)
		}
	})
	t.Run("DuplicateIsRecognised", func(t *testing.T) {
		err := db.Client.Sequence.Create().SetName("a").Exec(ctx)
		if !store.IsDuplicate(err) {
			t.Fatalf("IsDuplicate(%v) = false", err)
		}
	})
}

// TestTransactionsReadCommitted: on MySQL every transaction runs READ
// COMMITTED, which the connection sets when it opens.
func TestTransactionsReadCommitted(t *testing.T) {
	db := storetest.New(t)
	if db.Dialect != dialect.MySQL {
		t.Skip("SQLite serialises writers; isolation levels do not apply")
	}
	ctx := context.Background()
	for range 3 { // several connections of the pool
		tx, err := db.SQL.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var level string
		err = tx.QueryRowContext(ctx, "SELECT @@SESSION.tx_isolation").Scan(&level)
		if err != nil {
			err = tx.QueryRowContext(ctx, "SELECT @@SESSION.transaction_isolation").Scan(&level)
		}
		_ = tx.Rollback()
		if err != nil || level != "READ-COMMITTED" {
			t.Fatalf("transaction isolation %q (%v), want READ-COMMITTED", level, err)
		}
	}
}

// TestSQLiteTransactionsQueue: on SQLite, transactions run one at a time,
// queued in Go rather than by SQLite's busy retries, and a caller that gives
// up waiting gets its context's error.
func TestSQLiteTransactionsQueue(t *testing.T) {
	db := storetest.New(t)
	if db.Dialect != dialect.SQLite {
		t.Skip("MySQL runs transactions side by side, serialised by row locks")
	}
	ctx := auth.NewContext(context.Background(), auth.System("test"))
	type span struct{ start, end time.Time }
	var mu sync.Mutex
	var spans []span
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := store.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
				s := span{start: time.Now()}
				if err := tx.Sequence.Create().SetName(fmt.Sprint("q", i)).Exec(ctx); err != nil {
					return err
				}
				time.Sleep(5 * time.Millisecond)
				s.end = time.Now()
				mu.Lock()
				spans = append(spans, s)
				mu.Unlock()
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	slices.SortFunc(spans, func(a, b span) int { return a.start.Compare(b.start) })
	for i := 1; i < len(spans); i++ {
		if spans[i].start.Before(spans[i-1].end) {
			t.Errorf("transaction %d began before the one before it ended", i)
		}
	}
	held := make(chan struct{})
	release := make(chan struct{})
	go func() {
		_ = store.WithTx(ctx, db.Client, func(tx *ent.Tx) error { close(held); <-release; return nil })
	}()
	<-held
	waiting, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	err := store.WithTx(waiting, db.Client, func(tx *ent.Tx) error { return nil })
	close(release)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting past the deadline: %v, want the context's error", err)
	}
}
