package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	atlasmysql "ariga.io/atlas/sql/mysql"
	atlasschema "ariga.io/atlas/sql/schema"
	atlassqlite "ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	entmigrate "orderdesk/ent/migrate"
	"orderdesk/migrations"
)

// Migration is one migration file that was applied, or is pending.
type Migration struct {
	// Name is the file, e.g. 20261202035503_baseline.sql.
	Name string
	// Statements is how many statements of the file were (or will be) run.
	Statements int
	// Adopted: the file was (or will be) recorded as applied without
	// running, because the database was created by the former
	// auto-migration and already has the schema the files build.
	Adopted bool
}

func (m Migration) String() string {
	if m.Adopted {
		return m.Name + " (adopted: the existing schema matches, nothing run)"
	}
	return fmt.Sprintf("%s (%d statements)", m.Name, m.Statements)
}

// migrateLockTimeout is how long a replica waits while another one applies
// migrations to the same MySQL database.
const migrateLockTimeout = 10 * time.Minute

// Migrate applies the pending migrations of the database's engine (the
// files of orderdesk/migrations, embedded in the binary).
func (db *DB) Migrate(ctx context.Context) error {
	if os.Getenv("ZZ_AUTO") == "1" { // TEMPORARY A/B
		return db.Client.Schema.Create(ctx, entmigrate.WithForeignKeys(true))
	}
	_, err := db.ApplyMigrations(ctx)
	return err
}

// ApplyMigrations applies the pending migrations and returns them, in order.
// On MySQL it holds a named lock (GET_LOCK) meanwhile, so replicas starting
// together apply each file once; on SQLite each file runs in a transaction
// that takes the write lock first. A database created by the former
// auto-migration (orderdesk's tables, no revision history) is adopted: when
// its schema matches this binary's ent schema, the last migration is
// recorded as its baseline and nothing runs; otherwise it is an
// *AdoptionError and nothing is written.
func (db *DB) ApplyMigrations(ctx context.Context) ([]Migration, error) {
	dir, err := migrationDir(db.Dialect)
	if err != nil {
		return nil, err
	}
	var done []Migration
	switch db.Dialect {
	case dialect.MySQL:
		err = db.applyMySQL(ctx, dir, &done)
	default:
		err = db.applySQLite(ctx, dir, &done)
	}
	if err != nil {
		return done, fmt.Errorf("migrating the database: %w", err)
	}
	return done, nil
}

// PendingMigrations returns what ApplyMigrations would apply, changing
// nothing.
func (db *DB) PendingMigrations(ctx context.Context) ([]Migration, error) {
	dir, err := migrationDir(db.Dialect)
	if err != nil {
		return nil, err
	}
	baseline, err := db.adoption(ctx, db.SQL, dir)
	if err != nil {
		return nil, err
	}
	if baseline != nil {
		return []Migration{{Name: baseline.Name(), Adopted: true}}, nil
	}
	drv, err := db.atlasDriver(db.SQL)
	if err != nil {
		return nil, err
	}
	ex, err := atlas.NewExecutor(drv, dir, db.revisions(db.SQL))
	if err != nil {
		return nil, err
	}
	files, err := ex.Pending(ctx)
	if errors.Is(err, atlas.ErrNoPendingFiles) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	pending := make([]Migration, len(files))
	for i, f := range files {
		stmts, err := f.Stmts()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		pending[i] = Migration{Name: f.Name(), Statements: len(stmts)}
	}
	return pending, nil
}

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
	baseline, err := db.adoption(ctx, db.SQL, dir)
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
	return nil
}

// applySQLite runs each pending file in its own transaction on one
// connection. The transaction begins IMMEDIATE (sqliteDSN), so it holds the
// write lock from the moment it reads which files are pending until the
// file and its revision are committed: a second process migrating the same
// file waits, then finds nothing left to do.
func (db *DB) applySQLite(ctx context.Context, dir atlas.Dir, done *[]Migration) error {
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The checks share the connection: opening a SQLite connection (its
	// pragmas) costs more than they do.
	baseline, err := db.adoption(ctx, conn, dir)
	if err != nil {
		return err
	}
	for {
		pending, err := db.nextSQLiteFile(ctx, conn, dir, baseline, done)
		if err != nil || pending <= 1 {
			return err // failed, nothing was pending, or that was the last
		}
		baseline = nil // recorded with the first file
	}
}

// nextSQLiteFile runs the first pending file and returns how many files
// were pending (0: none). A file that switches foreign keys off (SQLite's
// table rebuilds) runs after the transaction, where that pragma works.
func (db *DB) nextSQLiteFile(ctx context.Context, conn *sql.Conn, dir atlas.Dir, baseline atlas.File, done *[]Migration) (int, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	pending, later, err := db.runPendingIn(ctx, tx, dir, baseline, done)
	if err != nil {
		_ = tx.Rollback()
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	if later != nil {
		return pending, db.execOn(ctx, conn, dir, later, done)
	}
	return pending, nil
}

// runPendingIn reads within tx which files are pending and runs the first,
// unless it must run outside a transaction: then it is returned as later.
func (db *DB) runPendingIn(ctx context.Context, tx *sql.Tx, dir atlas.Dir, baseline atlas.File, done *[]Migration) (pending int, later atlas.File, err error) {
	rev := db.revisions(tx)
	if err := rev.create(ctx); err != nil {
		return 0, nil, err
	}
	rev.holdWrites()
	drv, err := db.atlasDriver(tx)
	if err != nil {
		return 0, nil, err
	}
	ex, err := newExecutor(drv, dir, rev, baseline, done)
	if err != nil {
		return 0, nil, err
	}
	files, err := ex.Pending(ctx) // writes the baseline of an adoption
	switch {
	case errors.Is(err, atlas.ErrNoPendingFiles):
		return 0, nil, rev.flush(ctx)
	case err != nil:
		return 0, nil, err
	case outsideTx(files[0]):
		return len(files), files[0], rev.flush(ctx)
	}
	if err := ex.Execute(ctx, files[0]); err != nil {
		return 0, nil, err
	}
	return len(files), nil, rev.flush(ctx)
}

// execOn runs one file straight on conn, outside any transaction.
func (db *DB) execOn(ctx context.Context, conn *sql.Conn, dir atlas.Dir, f atlas.File, done *[]Migration) (err error) {
	defer func() {
		// A file that failed half-way may have left foreign keys off on
		// this connection, and the pool would hand it on.
		if _, on := conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA foreign_keys = on"); on != nil && err == nil {
			err = on
		}
	}()
	drv, err := db.atlasDriver(conn)
	if err != nil {
		return err
	}
	ex, err := newExecutor(drv, dir, db.revisions(conn), nil, done)
	if err != nil {
		return err
	}
	return ex.Execute(ctx, f)
}

// outsideTx reports whether a SQLite file must run outside a transaction:
// it says so (Atlas's txmode directive), or it toggles foreign keys, which
// SQLite ignores inside one; left on, rebuilding a referenced table would
// cascade its implicit DELETE to the rows that reference it.
func outsideTx(f atlas.File) bool {
	if d, ok := f.(interface{ Directive(string) []string }); ok && slices.Contains(d.Directive("txmode"), "none") {
		return true
	}
	return strings.Contains(strings.ToUpper(string(f.Bytes())), "PRAGMA FOREIGN_KEYS")
}

// newExecutor builds atlas's executor over drv. A baseline (adoption)
// records that file as applied when the history is empty; done receives
// each file the executor runs.
func newExecutor(drv atlas.Driver, dir atlas.Dir, rev *revisions, baseline atlas.File, done *[]Migration) (*atlas.Executor, error) {
	opts := []atlas.ExecutorOption{
		atlas.WithLogger(&recorder{done: done}),
		atlas.WithOperatorVersion("orderdesk"),
	}
	if baseline != nil {
		opts = append(opts, atlas.WithBaselineVersion(baseline.Version()))
		*done = append(*done, Migration{Name: baseline.Name(), Adopted: true})
	}
	return atlas.NewExecutor(drv, dir, rev, opts...)
}

// recorder turns the executor's log into the list ApplyMigrations returns.
type recorder struct{ done *[]Migration }

func (r *recorder) Log(e atlas.LogEntry) {
	switch e := e.(type) {
	case atlas.LogFile:
		*r.done = append(*r.done, Migration{Name: e.File.Name()})
	case atlas.LogStmt:
		if n := len(*r.done); n > 0 {
			(*r.done)[n-1].Statements++
		}
	}
}

func (db *DB) atlasDriver(conn atlasschema.ExecQuerier) (atlas.Driver, error) {
	if db.Dialect == dialect.MySQL {
		return atlasmysql.Open(conn)
	}
	return atlassqlite.Open(conn)
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
		if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK(?, 2)", name).Scan(&got); err != nil {
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

// AdoptionError: a database created by the former auto-migration whose
// schema does not match the one the migration files build, so recording
// them as applied would lie.
type AdoptionError struct {
	Baseline   string   // the file that would have been recorded
	Statements []string // what would make the schema match
}

func (e *AdoptionError) Error() string {
	return fmt.Sprintf("the database has orderdesk's tables but no migration history (it was created by the former "+
		"auto-migration), and its schema differs from the one the migrations build, so it cannot be recorded as migrated "+
		"up to %s. These statements would make it match:\n\t%s\n"+
		"Apply them by hand where they are right for your data (or restore a backup), then start again; "+
		"once the schema matches, orderdesk records the migrations as applied without running them",
		e.Baseline, strings.Join(e.Statements, ";\n\t")+";")
}

// adoption recognises a database created by the former auto-migration: it
// has orderdesk's tables and no revision. It returns the file to record as
// its baseline (the last one: the ent schema of this binary is the schema
// all files build, which TestMigrationsMatchEntSchema keeps true), or nil
// for any other database.
func (db *DB) adoption(ctx context.Context, conn atlasschema.ExecQuerier, dir atlas.Dir) (atlas.File, error) {
	revs, err := db.revisions(conn).ReadRevisions(ctx)
	if err != nil || len(revs) > 0 {
		return nil, err
	}
	legacy, err := db.hasEntTables(ctx, conn)
	if err != nil || !legacy {
		return nil, err
	}
	files, err := dir.Files()
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("no migration files embedded")
	}
	last := files[len(files)-1]
	drift, err := db.SchemaDrift(ctx)
	if err != nil {
		return nil, err
	}
	if len(drift) > 0 {
		return nil, &AdoptionError{Baseline: last.Name(), Statements: drift}
	}
	return last, nil
}

// hasEntTables reports whether any table of the ent schema exists.
func (db *DB) hasEntTables(ctx context.Context, conn atlasschema.ExecQuerier) (bool, error) {
	names := make(map[string]bool, len(entmigrate.Tables))
	for _, t := range entmigrate.Tables {
		names[t.Name] = true
	}
	query := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if db.Dialect == dialect.MySQL {
		query = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
	}
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	found := false
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return false, err
		}
		found = found || names[name]
	}
	return found, rows.Err()
}

// entSchemaMu serialises SchemaDrift: ent's migration engine prepares the
// shared table descriptions of ent/migrate in place on every run.
var entSchemaMu sync.Mutex

// SchemaDrift returns the statements that would turn the database's schema
// into the ent schema compiled into this binary; none when they match. It
// is ent's own comparison (the former auto-migration's), with drops
// included, so a column or index the ent schema no longer has counts too.
// Nothing is applied.
func (db *DB) SchemaDrift(ctx context.Context) ([]string, error) {
	var stmts []string
	capture := func(schema.Applier) schema.Applier {
		return schema.ApplyFunc(func(_ context.Context, _ dialect.ExecQuerier, plan *atlas.Plan) error {
			for _, c := range plan.Changes {
				stmts = append(stmts, c.Cmd)
			}
			return nil
		})
	}
	entSchemaMu.Lock()
	defer entSchemaMu.Unlock()
	m, err := schema.NewMigrate(db.Driver,
		schema.WithForeignKeys(true),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
		schema.WithApplyHook(capture),
	)
	if err != nil {
		return nil, err
	}
	if err := m.Create(ctx, entmigrate.Tables...); err != nil {
		return nil, fmt.Errorf("comparing the database with the ent schema: %w", err)
	}
	return stmts, nil
}

// migrationDir is the engine's embedded migration directory, read once.
func migrationDir(d string) (atlas.Dir, error) {
	engine := "sqlite"
	if d == dialect.MySQL {
		engine = "mysql"
	}
	return loadDir[engine]()
}

var loadDir = map[string]func() (atlas.Dir, error){
	"mysql":  sync.OnceValues(func() (atlas.Dir, error) { return readDir("mysql") }),
	"sqlite": sync.OnceValues(func() (atlas.Dir, error) { return readDir("sqlite") }),
}

// parsedDir is a migration directory whose files are split into statements
// once per process instead of at every run: splitting the SQLite baseline
// costs more than running it.
type parsedDir struct {
	*atlas.MemDir
	files []atlas.File
}

func (d *parsedDir) Files() ([]atlas.File, error) { return d.files, nil }

// parsedFile is a file with its statements split already. Atlas splits a
// file with the driver's own scanner only for *atlas.LocalFile; for any
// other file it asks the file, and gets these.
type parsedFile struct {
	*atlas.LocalFile
	stmts []*atlas.Stmt
}

func (f *parsedFile) StmtDecls() ([]*atlas.Stmt, error) { return f.stmts, nil }

func (f *parsedFile) Stmts() ([]string, error) {
	texts := make([]string, len(f.stmts))
	for i, s := range f.stmts {
		texts[i] = s.Text
	}
	return texts, nil
}

// parse splits each file as the engine's atlas driver would.
func parse(engine string, mem *atlas.MemDir) (*parsedDir, error) {
	scan := (*atlassqlite.Driver)(nil).ScanStmts
	if engine == "mysql" {
		scan = (*atlasmysql.Driver)(nil).ScanStmts
	}
	files, err := mem.Files()
	if err != nil {
		return nil, err
	}
	dir := &parsedDir{MemDir: mem}
	for _, f := range files {
		stmts, err := scan(string(f.Bytes()))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		dir.files = append(dir.files, &parsedFile{LocalFile: f.(*atlas.LocalFile), stmts: stmts})
	}
	return dir, nil
}

// readDir copies an embedded directory into one atlas can read; its
// atlas.sum comes along, so the executor still refuses edited files.
func readDir(engine string) (atlas.Dir, error) {
	src, err := migrations.FS(engine)
	if err != nil {
		return nil, err
	}
	entries, err := fs.ReadDir(src, ".")
	if err != nil {
		return nil, err
	}
	dir := &atlas.MemDir{}
	for _, e := range entries {
		b, err := fs.ReadFile(src, e.Name())
		if err != nil {
			return nil, err
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			return nil, err
		}
	}
	return parse(engine, dir)
}
