package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	atlas "ariga.io/atlas/sql/migrate"
	atlasmysql "ariga.io/atlas/sql/mysql"
	atlasschema "ariga.io/atlas/sql/schema"
	atlassqlite "ariga.io/atlas/sql/sqlite"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	entmigrate "orderdesk/ent/migrate"
	"orderdesk/migrations/baseline"
)

// Migration is one migration file that was applied, or is pending.
type Migration struct {
	// Name is the file, e.g. 20261202035503_baseline.sql.
	Name string
	// Statements is how many statements of the file were (or will be) run.
	Statements int
	// Adopted: the file (the baseline) was, or will be, recorded as
	// applied without running, because the database was created by the
	// former auto-migration and already has the schema it builds.
	Adopted bool
}

func (m Migration) String() string {
	if m.Adopted {
		return m.Name + " (adopted: the database already has its schema; recorded without running)"
	}
	return fmt.Sprintf("%s (%d statements)", m.Name, m.Statements)
}

// Migrate applies the pending migrations of the database's engine (the
// files of orderdesk/migrations, embedded in the binary).
func (db *DB) Migrate(ctx context.Context) error {
	_, err := db.ApplyMigrations(ctx)
	return err
}

// ApplyMigrations applies the pending migrations and returns them, in order.
// On MySQL it holds a named lock (GET_LOCK) meanwhile, so replicas starting
// together apply each file once; on SQLite each file runs in a transaction
// that takes the write lock first. A database created by the former
// auto-migration (orderdesk's tables, no revision history) is adopted: when
// its schema is the baseline's, the baseline is recorded as applied without
// running and the later files run; otherwise it is an *AdoptionError and
// nothing is written. Last, CheckComplete.
func (db *DB) ApplyMigrations(ctx context.Context) ([]Migration, error) {
	dir, err := migrationDir(db.Dialect)
	if err != nil {
		return nil, err
	}
	done, err := db.applyDir(ctx, dir)
	if err != nil {
		return done, err
	}
	return done, db.CheckComplete(ctx)
}

func (db *DB) applyDir(ctx context.Context, dir atlas.Dir) ([]Migration, error) {
	var done []Migration
	var err error
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

// CheckComplete fails when the database lacks a table or column of the ent
// schema compiled into this binary: its migration files miss a change
// (scripts/migration was not run), and requests would fail one by one
// later. It reads only names, in one query, so it is cheap enough for every
// start; SchemaDrift is the full comparison.
func (db *DB) CheckComplete(ctx context.Context) error {
	query := "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p WHERE m.type = 'table'"
	if db.Dialect == dialect.MySQL {
		query = "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = DATABASE()"
	}
	rows, err := db.SQL.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	have := map[string]bool{}
	for rows.Next() {
		var table, column string
		if err := rows.Scan(&table, &column); err != nil {
			return err
		}
		have[table] = true
		have[table+"."+column] = true
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var missing []string
	for _, t := range entmigrate.Tables {
		if !have[t.Name] {
			missing = append(missing, "table "+t.Name)
			continue
		}
		for _, c := range t.Columns {
			if !have[t.Name+"."+c.Name] {
				missing = append(missing, "column "+t.Name+"."+c.Name)
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("after migrating, the database lacks %s of the ent schema: the migration files miss a "+
			"schema change (after go generate ./..., run scripts/migration <name>)", strings.Join(missing, ", "))
	}
	return nil
}

// PendingMigrations returns what ApplyMigrations would apply, changing
// nothing.
func (db *DB) PendingMigrations(ctx context.Context) ([]Migration, error) {
	dir, err := migrationDir(db.Dialect)
	if err != nil {
		return nil, err
	}
	return db.pendingIn(ctx, dir)
}

func (db *DB) pendingIn(ctx context.Context, dir atlas.Dir) ([]Migration, error) {
	tables, err := db.tableNames(ctx, db.SQL)
	if err != nil {
		return nil, err
	}
	base, err := db.adoption(ctx, db.SQL, dir, tables)
	if err != nil {
		return nil, err
	}
	var files []atlas.File
	if base != nil {
		// An adoption records the baseline and runs what follows it.
		all, err := dir.Files()
		if err != nil {
			return nil, err
		}
		files = all[1:]
	} else if files, err = db.pendingFiles(ctx, dir); err != nil {
		return nil, err
	}
	var pending []Migration
	if base != nil {
		pending = append(pending, Migration{Name: base.Name(), Adopted: true})
	}
	for _, f := range files {
		stmts, err := f.Stmts()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name(), err)
		}
		pending = append(pending, Migration{Name: f.Name(), Statements: len(stmts)})
	}
	return pending, nil
}

// pendingFiles asks atlas which files the revision history lacks.
func (db *DB) pendingFiles(ctx context.Context, dir atlas.Dir) ([]atlas.File, error) {
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
	return files, err
}

// newExecutor builds atlas's executor over drv. A baseline (adoption)
// records that file as applied when the history is empty; done receives
// each file the executor runs.
func newExecutor(drv atlas.Driver, dir atlas.Dir, rev *revisions, base atlas.File, done *[]Migration) (*atlas.Executor, error) {
	opts := []atlas.ExecutorOption{
		atlas.WithLogger(&recorder{done: done}),
		atlas.WithOperatorVersion("orderdesk"),
	}
	if base != nil {
		opts = append(opts, atlas.WithBaselineVersion(base.Version()))
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

// AdoptionError: a database created by the former auto-migration whose
// schema is not the baseline's, so recording the baseline as applied
// would lie.
type AdoptionError struct {
	Baseline   string   // the file that would have been recorded
	Statements []string // what would make the schema the baseline's
}

func (e *AdoptionError) Error() string {
	return fmt.Sprintf("the database has orderdesk's tables but no migration history (it was created by the former "+
		"auto-migration), and its schema is not the one %s builds (that of the last release that auto-migrated), so "+
		"it cannot be recorded as migrated that far. These statements would make it match:\n\t%s\n"+
		"Apply them by hand where they are right for your data (or restore a backup), then start again; "+
		"once the schema matches, orderdesk records the baseline as applied and runs the migrations after it",
		e.Baseline, strings.Join(e.Statements, ";\n\t")+";")
}

// adoption recognises a database created by the former auto-migration: it
// has orderdesk's tables and no revision. It returns the baseline (the
// first file) to record as applied when the database's schema is the one
// the baseline was written from (orderdesk/migrations/baseline, ent's own
// comparison), nil for any other database. tables is the database's, read
// in one statement: read apart from the revisions, another process could
// commit its first migration in between, and the database would look made
// by auto-migration.
func (db *DB) adoption(ctx context.Context, conn atlasschema.ExecQuerier, dir atlas.Dir, tables map[string]bool) (atlas.File, error) {
	if !hasEntTable(tables) {
		return nil, nil
	}
	if tables[revisionsTable] {
		revs, err := db.revisions(conn).ReadRevisions(ctx)
		if err != nil || len(revs) > 0 {
			return nil, err
		}
	}
	files, err := dir.Files()
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("no migration files embedded")
	}
	drift, err := db.schemaDrift(ctx, baseline.Tables)
	if err != nil {
		return nil, err
	}
	if len(drift) > 0 {
		return nil, &AdoptionError{Baseline: files[0].Name(), Statements: drift}
	}
	return files[0], nil
}

// hasEntTable reports whether tables holds one of the ent schema's, then
// or now.
func hasEntTable(tables map[string]bool) bool {
	for _, t := range append(slices.Clone(baseline.Tables), entmigrate.Tables...) {
		if tables[t.Name] {
			return true
		}
	}
	return false
}

// tableNames is the set of the database's tables.
func (db *DB) tableNames(ctx context.Context, conn atlasschema.ExecQuerier) (map[string]bool, error) {
	query := "SELECT name FROM sqlite_master WHERE type = 'table'"
	if db.Dialect == dialect.MySQL {
		query = "SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE()"
	}
	rows, err := conn.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		names[name] = true
	}
	return names, rows.Err()
}

// entSchemaMu serialises schemaDrift: ent's migration engine prepares the
// table descriptions it is given (shared globals) in place on every run.
var entSchemaMu sync.Mutex

// SchemaDrift returns the statements that would turn the database's schema
// into the ent schema compiled into this binary; none when they match. It
// is ent's own comparison (the former auto-migration's), with drops
// included, so a column or index the ent schema no longer has counts too.
// Nothing is applied.
func (db *DB) SchemaDrift(ctx context.Context) ([]string, error) {
	return db.schemaDrift(ctx, entmigrate.Tables)
}

func (db *DB) schemaDrift(ctx context.Context, tables []*schema.Table) ([]string, error) {
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
	if err := m.Create(ctx, tables...); err != nil {
		return nil, fmt.Errorf("comparing the database with the ent schema: %w", err)
	}
	return stmts, nil
}
