package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
)

// migrateLockTimeout is how long a replica waits while another one applies
// migrations to the same MySQL database.
const migrateLockTimeout = 10 * time.Minute

// applyMySQL runs the pending files under a named lock. MySQL commits each
// DDL statement on its own, so a file cannot be atomic; atlas records every
// statement in the revision as it goes, and a run after a failure resumes
// at the failed statement.
func (db *DB) applyMySQL(ctx context.Context, dir atlas.Dir, done *[]Migration) error {
	drv, err := db.atlasDriver(db.SQL)
	if err != nil {
		return err
	}
	unlock, err := db.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	tables, err := db.tableNames(ctx, db.SQL)
	if err != nil {
		return err
	}
	baseline, err := db.adoption(ctx, db.SQL, dir, tables)
	if err != nil {
		return err
	}
	rev := db.revisions(db.SQL)
	if err := rev.create(ctx); err != nil {
		return err
	}
	ex, err := newExecutor(drv, dir, rev, baseline, done)
	if err != nil {
		return err
	}
	if err := ex.ExecuteN(ctx, 0); err != nil && !errors.Is(err, atlas.ErrNoPendingFiles) {
		return err
	}
	if baseline != nil {
		*done = append([]Migration{{Name: baseline.Name(), Adopted: true}}, *done...)
	}
	return nil
}

// applySQLite runs each pending file in its own transaction on one
// connection. The transaction begins IMMEDIATE (sqliteDSN), so it holds the
// write lock from the moment it reads which files are pending until the
// file and its revision are committed: a second process migrating the same
// file waits, then finds nothing left to do; a file that fails leaves
// nothing behind.
func (db *DB) applySQLite(ctx context.Context, dir atlas.Dir, done *[]Migration) error {
	conn, err := db.sqliteConn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The checks share the connection: opening a SQLite connection (its
	// pragmas) costs more than they do.
	tables, err := db.tableNames(ctx, conn)
	if err != nil {
		return err
	}
	if len(tables) == 0 {
		return db.installSQLite(ctx, conn, dir, done)
	}
	baseline, err := db.adoption(ctx, conn, dir, tables)
	if err != nil {
		return err
	}
	fkOff := false
	for {
		step, err := db.nextSQLiteFile(ctx, conn, dir, baseline, fkOff, done)
		switch {
		case err != nil:
			return err
		case step.wantFKOff != fkOff:
			fkOff = step.wantFKOff // the same step again, foreign keys set as the file needs
			continue
		}
		if baseline != nil {
			*done = append([]Migration{{Name: baseline.Name(), Adopted: true}}, *done...)
			baseline = nil // recorded with the first step
		}
		if step.pending <= 1 {
			return nil // nothing was pending, or that was the last
		}
	}
}

// installSQLite runs every file on an empty database in one transaction,
// foreign keys off and checked before the commit: with no rows, switching
// them off changes nothing a file does, and one transaction instead of one
// a file (some twice, to switch the pragma) halves what a fresh database
// costs, i.e. every test's. A second process doing the same waits for the
// write lock, then finds nothing pending.
func (db *DB) installSQLite(ctx context.Context, conn *sql.Conn, dir atlas.Dir, done *[]Migration) (err error) {
	// A first, short commit writes the file's header, WAL mode included:
	// until then the new file is in rollback-journal mode, where another
	// process opening it during the long transaction below gets
	// SQLITE_BUSY (seen with two servers starting on one new file).
	if err := db.revisions(conn).create(ctx); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = off"); err != nil {
		return err
	}
	defer func() {
		if _, on := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = on"); on != nil && err == nil {
			err = on
		}
	}()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := db.installIn(ctx, tx, dir, done); err != nil {
		return errors.Join(err, tx.Rollback())
	}
	return tx.Commit()
}

func (db *DB) installIn(ctx context.Context, tx *sql.Tx, dir atlas.Dir, done *[]Migration) error {
	rev := db.revisions(tx)
	if err := rev.create(ctx); err != nil {
		return err
	}
	rev.holdWrites()
	drv, err := db.atlasDriver(tx)
	if err != nil {
		return err
	}
	ex, err := newExecutor(drv, dir, rev, nil, done)
	if err != nil {
		return err
	}
	switch err := ex.ExecuteN(ctx, 0); {
	case errors.Is(err, atlas.ErrNoPendingFiles):
		return nil
	case err != nil:
		return err
	}
	if err := foreignKeyCheck(ctx, tx, "the migrations"); err != nil {
		return err
	}
	return rev.flush(ctx)
}

// sqliteConn takes a connection of its own, retrying for a few seconds
// while opening one fails with SQLITE_BUSY: a connection runs its pragmas
// as it opens, and journal_mode(WAL) on a file another process is just
// creating gets SQLITE_BUSY without SQLite waiting busy_timeout (seen with
// two servers starting on one new file).
func (db *DB) sqliteConn(ctx context.Context) (*sql.Conn, error) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		conn, err := db.SQL.Conn(ctx)
		var code interface{ Code() int }
		if err == nil || !errors.As(err, &code) || code.Code()&0xff != 5 || time.Now().After(deadline) {
			return conn, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// sqliteStep is what one transaction of applySQLite found.
type sqliteStep struct {
	pending   int  // files pending when it began; 0: none
	wantFKOff bool // the first of them wants foreign keys off
}

// nextSQLiteFile runs the first pending file in a transaction, with foreign
// keys off if fkOff. When the file wants them set the other way, it runs
// nothing and says so: the pragma works only outside a transaction.
func (db *DB) nextSQLiteFile(ctx context.Context, conn *sql.Conn, dir atlas.Dir, baseline atlas.File, fkOff bool, done *[]Migration) (step sqliteStep, err error) {
	if fkOff {
		if _, err := conn.ExecContext(ctx, "PRAGMA foreign_keys = off"); err != nil {
			return step, err
		}
		defer func() {
			// The connection goes back to the pool afterwards.
			if _, on := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = on"); on != nil && err == nil {
				err = on
			}
		}()
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return step, err
	}
	step, err = db.runPendingIn(ctx, tx, dir, baseline, fkOff, done)
	if err != nil || step.wantFKOff != fkOff {
		return step, errors.Join(err, tx.Rollback())
	}
	return step, tx.Commit()
}

// runPendingIn reads within tx which files are pending and runs the first,
// if foreign keys are set as it wants. A file run with them off (SQLite's
// table rebuild: copy, drop, rename) is checked before the commit: the
// rebuilt tables must still satisfy every foreign key.
func (db *DB) runPendingIn(ctx context.Context, tx *sql.Tx, dir atlas.Dir, baseline atlas.File, fkOff bool, done *[]Migration) (sqliteStep, error) {
	rev := db.revisions(tx)
	if err := rev.create(ctx); err != nil {
		return sqliteStep{}, err
	}
	rev.holdWrites()
	drv, err := db.atlasDriver(tx)
	if err != nil {
		return sqliteStep{}, err
	}
	ex, err := newExecutor(drv, dir, rev, baseline, done)
	if err != nil {
		return sqliteStep{}, err
	}
	files, err := ex.Pending(ctx) // writes the baseline of an adoption
	switch {
	case errors.Is(err, atlas.ErrNoPendingFiles):
		return sqliteStep{}, rev.flush(ctx)
	case err != nil:
		return sqliteStep{}, err
	}
	step := sqliteStep{pending: len(files), wantFKOff: wantsForeignKeysOff(files[0])}
	if step.wantFKOff != fkOff {
		return step, nil
	}
	if err := ex.Execute(ctx, files[0]); err != nil {
		return step, err
	}
	if fkOff {
		if err := foreignKeyCheck(ctx, tx, files[0].Name()); err != nil {
			return step, err
		}
	}
	return step, rev.flush(ctx)
}

// wantsForeignKeysOff reports whether a SQLite file switches foreign keys
// off, as atlas's table rebuilds do: dropping the old table with them on
// would cascade to, or refuse for, every row that references it. Inside a
// transaction the file's own pragmas do nothing; SQLite's procedure for
// such changes is to switch them off before the transaction begins, and
// check them before it commits.
func wantsForeignKeysOff(f atlas.File) bool {
	return strings.Contains(strings.ToUpper(string(f.Bytes())), "PRAGMA FOREIGN_KEYS = OFF")
}

// foreignKeyCheck fails when any row breaks a foreign key.
func foreignKeyCheck(ctx context.Context, tx *sql.Tx, what string) error {
	rows, err := tx.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return err
	}
	defer rows.Close()
	var broken []string
	for rows.Next() {
		var table, parent string
		var rowid, fk sql.NullInt64
		if err := rows.Scan(&table, &rowid, &parent, &fk); err != nil {
			return err
		}
		broken = append(broken, fmt.Sprintf("%s row %d → %s", table, rowid.Int64, parent))
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(broken) > 0 {
		return fmt.Errorf("foreign keys broken by %s (rolled back): %s", what, strings.Join(broken, ", "))
	}
	return nil
}

// lock takes the MySQL named lock of this database's migrations, on a
// connection of its own, waiting at most migrateLockTimeout for another
// replica to finish. Named locks are server-wide, so the name carries the
// database's (MySQL caps names at 64 characters). It asks in short rounds:
// one long GET_LOCK would outlast the connection's read timeout.
func (db *DB) lock(ctx context.Context) (unlock func(), err error) {
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var schemaName string
	if err := conn.QueryRowContext(ctx, "SELECT DATABASE()").Scan(&schemaName); err != nil {
		conn.Close()
		return nil, err
	}
	name := "orderdesk_migrate." + schemaName
	if len(name) > 64 {
		sum := sha256.Sum256([]byte(schemaName))
		name = "orderdesk_migrate." + hex.EncodeToString(sum[:16])
	}
	deadline := time.Now().Add(migrateLockTimeout)
	for {
		var got sql.NullInt64
		err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 2)", name).Scan(&got)
		switch {
		case err != nil && Retryable(err) && time.Now().Before(deadline):
			// TiDB's GET_LOCK reports a holder's lock as a conflict, not as
			// a timeout (0): ask again, as for one.
			continue
		case err != nil:
			conn.Close()
			return nil, fmt.Errorf("taking the migration lock %q: %w", name, err)
		}
		if got.Int64 == 1 {
			return func() {
				_, _ = conn.ExecContext(context.WithoutCancel(ctx), "DO RELEASE_LOCK(?)", name)
				conn.Close()
			}, nil
		}
		if time.Now().After(deadline) {
			conn.Close()
			return nil, fmt.Errorf("another process has held the migration lock %q for over %s", name, migrateLockTimeout)
		}
	}
}
