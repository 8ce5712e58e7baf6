package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"orderdesk/store"
	"orderdesk/store/storetest"
)

// TestReady_ReadOnly: a database that takes no writes is not ready.
func TestReady_ReadOnly(t *testing.T) {
	ctx := context.Background()
	db := storetest.New(t)
	if err := db.Ready(ctx); err != nil {
		t.Fatalf("a writable database: %v", err)
	}
	switch storetest.Driver() {
	case store.MySQL:
		// The whole server goes read-only for a moment; the tests connect
		// as root, whose writes read_only does not stop.
		cfg, err := mysql.ParseDSN(os.Getenv(storetest.EnvMySQL))
		if err != nil {
			t.Fatal(err)
		}
		admin, err := sql.Open("mysql", cfg.FormatDSN())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = admin.Close() })
		variable := "read_only"
		if storetest.TiDB(t, admin) {
			variable = "tidb_super_read_only" // TiDB's read_only does nothing
		}
		if _, err := admin.Exec("SET GLOBAL " + variable + " = 1"); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if _, err := admin.Exec("SET GLOBAL " + variable + " = 0"); err != nil {
				t.Errorf("restoring read_only: %v", err)
			}
		})
		if err := db.Ready(ctx); err == nil {
			t.Fatal("a read-only server is ready")
		}
	default:
		path := filepath.Join(t.TempDir(), "ro.db")
		if db, err := store.Open(store.SQLite, path); err != nil || db.Migrate(ctx) != nil {
			t.Fatalf("creating %s: %v", path, err)
		} else {
			_ = db.Close()
		}
		ro, err := store.Open(store.SQLite, "file:"+path+"?_pragma=query_only(1)")
		if err != nil {
			t.Fatal(err)
		}
		defer ro.Close()
		if err := ro.Ready(ctx); err == nil {
			t.Fatal("a query-only database is ready")
		}
	}
}

// TestUnavailable: errors that mean "try again later" are told from the
// caller's mistakes.
func TestUnavailable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{context.DeadlineExceeded, true},
		{fmt.Errorf("querying: %w", mysql.ErrInvalidConn), true},
		{&mysql.MySQLError{Number: 1290, Message: "read-only"}, true},
		{&mysql.MySQLError{Number: 1205}, true},
		{&mysql.MySQLError{Number: 1062, Message: "duplicate"}, false},
		{errors.New("attempt to write a readonly database (SQLITE_READONLY)"), true},
		{errors.New("no such customer"), false},
	} {
		if got := store.Unavailable(c.err); got != c.want {
			t.Errorf("Unavailable(%v) = %v, want %v", c.err, got, c.want)
		}
	}
}

// TestOpenWith_BoundsWaits: every MySQL connection waits at most the
// configured lock wait for a row lock, and its reads time out.
func TestOpenWith_BoundsWaits(t *testing.T) {
	if storetest.Driver() != store.MySQL {
		t.Skip("lock waits and network timeouts are MySQL's")
	}
	_, dsn := storetest.NewDSN(t)
	db, err := store.OpenWith(store.MySQL, dsn, store.Options{LockWait: 3 * time.Second, Timeout: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	var wait int
	if err := db.SQL.QueryRowContext(ctx, "SELECT @@session.innodb_lock_wait_timeout").Scan(&wait); err != nil || wait != 3 {
		t.Fatalf("innodb_lock_wait_timeout = %d (%v), want 3", wait, err)
	}
	// A statement whose answer takes longer than the timeout is cut off,
	// and the failure reads as the database being unavailable.
	_, err = db.SQL.ExecContext(ctx, "SELECT SLEEP(2)")
	if err == nil || !store.Unavailable(err) {
		t.Fatalf("a 2 s statement under a 200 ms timeout: %v, want an unavailable error", err)
	}
}
