package store

import (
	"context"
	"path/filepath"
	"testing"

	atlas "ariga.io/atlas/sql/migrate"
)

// rebuildUsers is a SQLite table rebuild as atlas plans one (a column
// change SQLite's ALTER TABLE cannot do): copy, drop, rename, with foreign
// keys off meanwhile.
const rebuildUsers = `PRAGMA foreign_keys = off;
CREATE TABLE new_users AS SELECT * FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
PRAGMA foreign_keys = on;
`

// TestSQLiteRebuildRunsOutsideTransaction: a file that switches foreign
// keys off runs outside a transaction, where the pragma works. Inside one,
// dropping users would null every reference to them (ON DELETE SET NULL):
// the control below shows that loss, the migration must not cause it.
func TestSQLiteRebuildRunsOutsideTransaction(t *testing.T) {
	ctx := context.Background()
	embedded, err := migrationDir(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	files, err := embedded.Files()
	if err != nil {
		t.Fatal(err)
	}
	baseline := dirOf(t, files[:1])
	withRebuild := dirOf(t, append(files[:1:1], atlas.NewLocalFile("99990101000000_rebuild_users.sql", []byte(rebuildUsers))))

	migrateWithOwner := func(t *testing.T) *DB {
		db, err := Open(SQLite, filepath.Join(t.TempDir(), "test.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		if err := db.applySQLite(ctx, baseline, new([]Migration)); err != nil {
			t.Fatal(err)
		}
		mustExec(t, db, `INSERT INTO users (id, created_at, updated_at, email, name, password_hash, role)
			VALUES (7, '2026-01-01', '2026-01-01', 'a@b.c', 'A', 'x', 'ADMIN')`)
		mustExec(t, db, `INSERT INTO customers (created_at, updated_at, name, currency, owner_id)
			VALUES ('2026-01-01', '2026-01-01', 'C', 'EUR', 7)`)
		return db
	}

	t.Run("Migration", func(t *testing.T) {
		db := migrateWithOwner(t)
		var done []Migration
		if err := db.applySQLite(ctx, withRebuild, &done); err != nil {
			t.Fatal(err)
		}
		if len(done) != 1 || done[0].Statements != 5 {
			t.Fatalf("applied %v, want the rebuild's 5 statements", done)
		}
		if owner := ownerOf(t, db); owner != 7 {
			t.Fatalf("customer's owner after the rebuild: %d, want 7", owner)
		}
	})
	t.Run("ControlInsideTransaction", func(t *testing.T) {
		db := migrateWithOwner(t)
		tx, err := db.SQL.Begin()
		if err != nil {
			t.Fatal(err)
		}
		stmts, err := atlas.NewLocalFile("x.sql", []byte(rebuildUsers)).Stmts()
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stmts {
			if _, err := tx.Exec(s); err != nil {
				t.Fatal(err)
			}
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		if owner := ownerOf(t, db); owner != 0 {
			t.Fatalf("owner %d inside a transaction; the control expects SQLite to have nulled it", owner)
		}
	})
}

// dirOf is a migration directory of the given files, with its atlas.sum.
func dirOf(t *testing.T, files []atlas.File) *atlas.MemDir {
	t.Helper()
	dir := &atlas.MemDir{}
	for _, f := range files {
		if err := dir.WriteFile(f.Name(), f.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	sum, err := dir.Checksum()
	if err != nil {
		t.Fatal(err)
	}
	if err := atlas.WriteSumFile(dir, sum); err != nil {
		t.Fatal(err)
	}
	return dir
}

func ownerOf(t *testing.T, db *DB) int64 {
	t.Helper()
	var owner *int64
	if err := db.SQL.QueryRow("SELECT owner_id FROM customers").Scan(&owner); err != nil {
		t.Fatal(err)
	}
	if owner == nil {
		return 0
	}
	return *owner
}

func mustExec(t *testing.T, db *DB, stmt string) {
	t.Helper()
	if _, err := db.SQL.Exec(stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}
