package store

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	atlas "ariga.io/atlas/sql/migrate"
)

// rebuildUsers is a SQLite table rebuild as atlas plans one (for a column
// change SQLite's ALTER TABLE cannot do): copy into a new table, drop,
// rename, with foreign keys off meanwhile. rows selects what is copied.
func rebuildUsers(t *testing.T, baseline atlas.File, rows string) []byte {
	t.Helper()
	stmts, err := baseline.Stmts()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(stmts, func(s string) bool { return strings.HasPrefix(s, "CREATE TABLE `users`") })
	if i < 0 {
		t.Fatal("no users table in the baseline")
	}
	create := strings.Replace(stmts[i], "`users`", "`new_users`", 1)
	return []byte("PRAGMA foreign_keys = off;\n" + create + "\n" +
		"INSERT INTO `new_users` SELECT * FROM `users` " + rows + ";\n" +
		"DROP TABLE `users`;\n" +
		"ALTER TABLE `new_users` RENAME TO `users`;\n" +
		"PRAGMA foreign_keys = on;\n")
}

// TestSQLiteRebuildRunsWithForeignKeysOff: a file that switches foreign
// keys off gets them off for real: switched before its transaction begins,
// since inside one the file's own pragma does nothing, and dropping users
// would null every reference to them (ON DELETE SET NULL). The control
// shows that loss; the migration must not cause it. A rebuild that breaks
// a foreign key is rolled back.
func TestSQLiteRebuildRunsWithForeignKeysOff(t *testing.T) {
	ctx := context.Background()
	embedded, err := migrationDir(SQLite)
	if err != nil {
		t.Fatal(err)
	}
	files, err := embedded.Files()
	if err != nil {
		t.Fatal(err)
	}
	baseline := memDirOf(t, files[:1])
	rebuild := rebuildUsers(t, files[0], "")
	withRebuild := memDirOf(t, append(files[:1:1], atlas.NewLocalFile("99990101000000_rebuild_users.sql", rebuild)))
	losingRows := memDirOf(t, append(files[:1:1], atlas.NewLocalFile("99990101000000_rebuild_users.sql",
		rebuildUsers(t, files[0], "WHERE 0"))))

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
		if len(done) != 1 || done[0].Statements != 6 {
			t.Fatalf("applied %v, want the rebuild's 6 statements", done)
		}
		if owner := ownerOf(t, db); owner != 7 {
			t.Fatalf("customer's owner after the rebuild: %d, want 7", owner)
		}
	})
	t.Run("BrokenForeignKeyRollsBack", func(t *testing.T) {
		db := migrateWithOwner(t)
		err := db.applySQLite(ctx, losingRows, new([]Migration))
		if err == nil || !strings.Contains(err.Error(), "foreign keys broken") {
			t.Fatalf("err = %v, want the rebuild refused", err)
		}
		var users, revs int
		if err := db.SQL.QueryRow("SELECT (SELECT COUNT(*) FROM users), (SELECT COUNT(*) FROM atlas_schema_revisions)").Scan(&users, &revs); err != nil {
			t.Fatal(err)
		}
		if users != 1 || revs != 1 {
			t.Fatalf("after the refused rebuild: %d users, %d revisions; want 1 and 1 (nothing changed)", users, revs)
		}
		var on int
		if err := db.SQL.QueryRow("PRAGMA foreign_keys").Scan(&on); err != nil || on != 1 {
			t.Fatalf("foreign keys %d (%v) after the refused rebuild, want on", on, err)
		}
	})
	t.Run("ControlInsideTransaction", func(t *testing.T) {
		db := migrateWithOwner(t)
		tx, err := db.SQL.Begin()
		if err != nil {
			t.Fatal(err)
		}
		stmts, err := atlas.NewLocalFile("x.sql", rebuild).Stmts()
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
func memDirOf(t *testing.T, files []atlas.File) *atlas.MemDir {
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
