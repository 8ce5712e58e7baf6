package store_test

import (
	"context"
	"errors"
	"io/fs"
	"maps"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"entgo.io/ent/dialect"
	"entgo.io/ent/dialect/sql/schema"

	"orderdesk/auth"
	entmigrate "orderdesk/ent/migrate"
	"orderdesk/migrations"
	"orderdesk/migrations/baseline"
	"orderdesk/store"
	"orderdesk/store/storetest"
)

// TestMigrationsMatchEntSchema is the drift check: the migration files,
// applied to an empty database, build exactly the schema of ent/schema. It
// fails when the ent schema changed (and go generate ran) without a new
// migration.
func TestMigrationsMatchEntSchema(t *testing.T) {
	db := openEmpty(t)
	comparesStructure(t, db)
	ctx := context.Background()
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	drift, err := db.SchemaDrift(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) > 0 {
		t.Fatalf("the %s migrations do not build the ent schema; after go generate ./..., run scripts/migration <name> "+
			"and commit the files. Missing:\n%s", db.Dialect, strings.Join(drift, ";\n"))
	}

	// The comparison sees a difference in either direction: a column the
	// ent schema has and the database lacks (a field added without a
	// migration), and one the ent schema no longer has.
	exec(t, db, "ALTER TABLE users DROP COLUMN last_login_at")
	exec(t, db, "ALTER TABLE sequences ADD COLUMN drift_probe INTEGER NULL")
	drift, err = db.SchemaDrift(ctx)
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(drift, "\n")
	if !strings.Contains(all, "last_login_at") || !strings.Contains(all, "sequences") {
		t.Fatalf("drift after changing two columns:\n%s\nwant both tables changed", all)
	}
}

// TestMigrationsMatchAutoMigration: the files build what the former
// auto-migration (ent's Schema.Create) built, down to the DDL the server
// reports and each table's ID range start (AUTO_INCREMENT on MySQL,
// sqlite_sequence on SQLite), so the first row of every table gets the ID
// it got before.
func TestMigrationsMatchAutoMigration(t *testing.T) {
	ctx := auth.NewContext(context.Background(), auth.System("test"))
	versioned, auto := openEmpty(t), openEmpty(t)
	comparesStructure(t, versioned)
	if err := versioned.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	autoMigrate(t, auto)

	want, got := ddl(t, auto), ddl(t, versioned)
	// The rows the migrations insert took the first IDs of their ranges:
	// their DDL differs by the AUTO_INCREMENT that shows, their starts by
	// the rows.
	seeded := map[string]int64{"webhook_interests": 1}
	for name := range seeded {
		got[name] = autoIncrement.ReplaceAllString(got[name], "")
		want[name] = autoIncrement.ReplaceAllString(want[name], "")
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		if got[name] != want[name] {
			t.Errorf("%s differs from auto-migration:\n got %s\nwant %s", name, got[name], want[name])
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("%s is not made by auto-migration: %s", name, got[name])
		}
	}
	w, g := idStarts(t, auto), idStarts(t, versioned)
	for name, rows := range seeded {
		g[name] -= rows
	}
	if !maps.Equal(w, g) {
		t.Errorf("ID range starts:\n got %v\nwant %v", g, w)
	}
	if len(want) < len(entmigrate.Tables) {
		t.Fatalf("auto-migration made %d objects for %d tables", len(want), len(entmigrate.Tables))
	}

	// First rows: the same IDs, in the table's own range.
	for _, db := range []*store.DB{versioned, auto} {
		db.Client.Sequence.Create().SetName("first").ExecX(ctx)
		db.Client.LoginFailure.Create().SetKey("k").SetCount(1).SetFirstAt(time.Now()).SetLastAt(time.Now()).ExecX(ctx)
	}
	for _, q := range []string{"SELECT id FROM sequences", "SELECT id FROM login_failures"} {
		v, a := queryInt(t, versioned, q), queryInt(t, auto, q)
		if v != a || v < 1<<32 {
			t.Errorf("%s: %d after migrations, %d after auto-migration", q, v, a)
		}
	}
}

// TestMigrateTwiceIsNoop: a second run applies nothing and changes nothing.
func TestMigrateTwiceIsNoop(t *testing.T) {
	db := openEmpty(t)
	ctx := context.Background()
	first, err := db.ApplyMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if names(first) == "" || first[0].Statements == 0 || first[0].Adopted {
		t.Fatalf("first run applied %v", first)
	}
	before, revs := ddl(t, db), queryInt(t, db, "SELECT COUNT(*) FROM atlas_schema_revisions")
	again, err := db.ApplyMigrations(ctx)
	if err != nil || len(again) > 0 {
		t.Fatalf("second run: %v, %v; want nothing applied", again, err)
	}
	if pending, err := db.PendingMigrations(ctx); err != nil || len(pending) > 0 {
		t.Fatalf("pending after migrating: %v, %v", pending, err)
	}
	if !maps.Equal(before, ddl(t, db)) || revs != queryInt(t, db, "SELECT COUNT(*) FROM atlas_schema_revisions") {
		t.Fatal("the second run changed the schema or the history")
	}
	if revs != int64(len(files(t, db))) {
		t.Fatalf("%d revisions for %d files", revs, len(files(t, db)))
	}
}

// TestPendingMigrations: on an empty database every file is pending, and
// asking writes nothing, not even the revisions table.
func TestPendingMigrations(t *testing.T) {
	db := openEmpty(t)
	ctx := context.Background()
	pending, err := db.PendingMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := names(pending), strings.Join(files(t, db), ","); got != want {
		t.Fatalf("pending %s, want %s", got, want)
	}
	for _, m := range pending {
		if m.Statements == 0 || m.Adopted {
			t.Errorf("pending %v", m)
		}
	}
	if objects := ddl(t, db); len(objects) > 0 || tableExists(t, db, "atlas_schema_revisions") {
		t.Fatalf("asking what is pending created %v", slices.Collect(maps.Keys(objects)))
	}
}

// TestMigrateAdoptsAutoMigratedDatabase: a database the former
// auto-migration created (the schema of the last release that
// auto-migrated, orderdesk/migrations/baseline), with data, gets its
// baseline recorded without running it, then the files after it, and keeps
// its rows.
func TestMigrateAdoptsAutoMigratedDatabase(t *testing.T) {
	ctx := auth.NewContext(context.Background(), auth.System("test"))
	db := openEmpty(t)
	comparesStructure(t, db)
	autoMigrateBaseline(t, db)
	exec(t, db, "INSERT INTO sequences (name, `last_value`) VALUES ('kept', 41)") // LAST_VALUE is a function
	all := files(t, db)

	pending, err := db.PendingMigrations(ctx)
	if err != nil || len(pending) != len(all) || !pending[0].Adopted || pending[0].Name != all[0] {
		t.Fatalf("pending on an auto-migrated database: %v, %v; want %s adopted, then the rest", pending, err, all[0])
	}
	done, err := db.ApplyMigrations(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != len(all) || !done[0].Adopted || done[0].Name != all[0] || names(done) != strings.Join(all, ",") {
		t.Fatalf("applied %v, want %s adopted, then the rest run", done, all[0])
	}
	for _, m := range done[1:] {
		if m.Adopted || m.Statements == 0 {
			t.Errorf("%v: want run", m)
		}
	}
	if got := db.Client.Sequence.Query().OnlyX(ctx); got.Name != "kept" || got.LastValue != 41 {
		t.Fatalf("row after adoption: %+v", got)
	}
	if n := queryInt(t, db, "SELECT COUNT(*) FROM atlas_schema_revisions WHERE type = 1 AND version = '"+
		strings.SplitN(all[0], "_", 2)[0]+"'"); n != 1 {
		t.Fatalf("%d baseline revisions for %s, want 1", n, all[0])
	}
	if drift, err := db.SchemaDrift(ctx); err != nil || len(drift) > 0 {
		t.Fatalf("schema after adoption: %v, %v", drift, err)
	}
	if again, err := db.ApplyMigrations(ctx); err != nil || len(again) > 0 {
		t.Fatalf("after adoption: %v, %v; want nothing applied", again, err)
	}
}

// TestMigrateRefusesMismatchedAutoMigratedDatabase: an auto-migrated
// database whose schema is not the baseline's (here: it predates
// login_failures) is refused with the statements that would fix it, and
// nothing is written.
func TestMigrateRefusesMismatchedAutoMigratedDatabase(t *testing.T) {
	db := openEmpty(t)
	ctx := context.Background()
	autoMigrateBaseline(t, db)
	exec(t, db, "DROP TABLE login_failures")

	_, err := db.ApplyMigrations(ctx)
	var adopt *store.AdoptionError
	if !errors.As(err, &adopt) {
		t.Fatalf("err = %v, want an AdoptionError", err)
	}
	if !strings.Contains(err.Error(), "CREATE TABLE `login_failures`") || !strings.Contains(err.Error(), "auto-migration") {
		t.Fatalf("error does not say what differs: %v", err)
	}
	if _, err := db.PendingMigrations(ctx); !errors.As(err, &adopt) {
		t.Fatalf("pending: %v, want the same AdoptionError", err)
	}
	if tableExists(t, db, "atlas_schema_revisions") || tableExists(t, db, "login_failures") {
		t.Fatal("a refused adoption wrote to the database")
	}
}

// TestBaselineSnapshotMatchesBaselineFile: the schema adoption compares
// with (orderdesk/migrations/baseline) is the one the baseline file builds.
func TestBaselineSnapshotMatchesBaselineFile(t *testing.T) {
	db := openEmpty(t)
	comparesStructure(t, db)
	ctx := context.Background()
	engine := "sqlite"
	if db.Dialect == dialect.MySQL {
		engine = "mysql"
	}
	all, err := embeddedDir(t, engine).Files()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.ApplyMigrationsIn(ctx, dirOf(t, all[:1])); err != nil {
		t.Fatal(err)
	}
	drift, err := db.BaselineDrift(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(drift) > 0 {
		t.Fatalf("%s does not build the baseline snapshot:\n%s", all[0].Name(), strings.Join(drift, ";\n"))
	}
}

// TestMigrateConcurrentStarts: two servers starting together on one
// database apply each file once between them, and both start.
func TestMigrateConcurrentStarts(t *testing.T) {
	driver, dsn := storetest.NewDSN(t)
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		applied []store.Migration
	)
	for range 2 {
		db, err := store.Open(driver, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = db.Close() })
		wg.Go(func() {
			done, err := db.ApplyMigrations(context.Background())
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			applied = append(applied, done...)
			mu.Unlock()
		})
	}
	wg.Wait()
	db, err := store.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if got, want := names(applied), strings.Join(files(t, db), ","); got != want {
		t.Fatalf("applied %s between them, want each file once: %s", got, want)
	}
	comparesStructure(t, db)
	if drift, err := db.SchemaDrift(context.Background()); err != nil || len(drift) > 0 {
		t.Fatalf("schema after concurrent starts: %v, %v", drift, err)
	}
}

// TestMigrationDirectoriesIntact: each engine's files match its atlas.sum
// (an edited or hand-added file must be re-hashed on purpose), and both
// engines hold the same history.
func TestMigrationDirectoriesIntact(t *testing.T) {
	var versions []string
	for _, engine := range []string{"mysql", "sqlite"} {
		dir := embeddedDir(t, engine)
		if err := atlas.Validate(dir); err != nil {
			t.Errorf("%s: %v (files changed by hand? regenerate atlas.sum or the file with scripts/migration)", engine, err)
		}
		list, err := dir.Files()
		if err != nil {
			t.Fatal(err)
		}
		var vs []string
		for _, f := range list {
			vs = append(vs, f.Version())
		}
		versions = append(versions, strings.Join(vs, ","))
	}
	if versions[0] != versions[1] {
		t.Errorf("mysql has versions %s, sqlite %s", versions[0], versions[1])
	}
}

// BenchmarkMigrateEmpty compares what a test pays for a fresh database:
// the migration files against the former auto-migration.
func BenchmarkMigrateEmpty(b *testing.B) {
	b.Run("versioned", func(b *testing.B) {
		for b.Loop() {
			if err := openEmpty(b).Migrate(context.Background()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("auto", func(b *testing.B) {
		for b.Loop() {
			autoMigrate(b, openEmpty(b))
		}
	})
}

// openEmpty opens a database with no tables, the way storetest makes them.
// comparesStructure skips the rest of a test that compares the tables a
// database holds with the ent schema or the baseline snapshot, when the
// database is TiDB: atlas reads TiDB's tables back with the indexes of
// foreign keys and its clustered primary keys spelt its own way, so the
// comparison finds differences where there are none. The files themselves
// run on TiDB as every other test's database shows; the structure is
// compared on MariaDB and SQLite.
func comparesStructure(t *testing.T, db *store.DB) {
	t.Helper()
	if db.Dialect != dialect.MySQL {
		return
	}
	if storetest.TiDB(t, db.SQL) {
		t.Skip("structure comparisons run on MariaDB and SQLite: atlas reads TiDB's foreign-key indexes its own way")
	}
}

func openEmpty(t testing.TB) *store.DB {
	t.Helper()
	driver, dsn := storetest.NewDSN(t)
	db, err := store.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// autoMigrate is what Migrate did before versioned migrations.
func autoMigrate(t testing.TB, db *store.DB) {
	t.Helper()
	if err := db.Client.Schema.Create(context.Background(), entmigrate.WithForeignKeys(true)); err != nil {
		t.Fatal(err)
	}
}

// autoMigrateBaseline is what Migrate did in the last release that
// auto-migrated: ent's Schema.Create of its tables.
func autoMigrateBaseline(t testing.TB, db *store.DB) {
	t.Helper()
	m, err := schema.NewMigrate(db.Driver, schema.WithForeignKeys(true))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Create(context.Background(), baseline.Tables...); err != nil {
		t.Fatal(err)
	}
}

// dirOf is a migration directory of the given files, with its atlas.sum.
func dirOf(t testing.TB, files []atlas.File) *atlas.MemDir {
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

// ddl is each table's and index's definition as the server reports it
// (SHOW CREATE TABLE, sqlite_master), leaving out the migration history.
func ddl(t testing.TB, db *store.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	if db.Dialect == dialect.SQLite {
		rows, err := db.SQL.Query("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT IN ('sqlite_sequence', 'atlas_schema_revisions')")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var kind, name, sql string
			if err := rows.Scan(&kind, &name, &sql); err != nil {
				t.Fatal(err)
			}
			// A table rebuilt by a migration was renamed into place, and
			// SQLite then quotes its name its own way.
			sql = strings.Replace(sql, `CREATE TABLE "`+name+`"`, "CREATE TABLE `"+name+"`", 1)
			out[kind+" "+name] = sortedDefinitions(sql)
		}
		return out
	}
	for _, name := range tables(t, db) {
		var table, create string
		if err := db.SQL.QueryRow("SHOW CREATE TABLE `"+name+"`").Scan(&table, &create); err != nil {
			t.Fatal(err)
		}
		out[name] = sortedLines(create)
	}
	return out
}

// sortedDefinitions puts the column and constraint definitions of a
// SQLite CREATE TABLE in order: a column added by a later file (ALTER TABLE
// ADD COLUMN) comes last, which means nothing to orderdesk (it names every
// column it reads). Other statements are returned as they are.
func sortedDefinitions(create string) string {
	open, end := strings.Index(create, "("), strings.LastIndex(create, ")")
	if !strings.HasPrefix(create, "CREATE TABLE") || open < 0 || end < open {
		return create
	}
	var defs []string
	depth, quote, start := 0, rune(0), open+1
	for i, r := range create[open+1 : end] {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '`' || r == '\'' || r == '"':
			quote = r
		case r == '(':
			depth++
		case r == ')':
			depth--
		case r == ',' && depth == 0:
			defs = append(defs, strings.TrimSpace(create[start:open+1+i]))
			start = open + 1 + i + 1
		}
	}
	defs = append(defs, strings.TrimSpace(create[start:end]))
	slices.Sort(defs)
	return create[:open+1] + strings.Join(defs, ", ") + create[end:]
}

// sortedLines puts the lines of a MySQL CREATE TABLE in order: the files
// list a table's indexes by name, auto-migration in schema order, and a
// column added by a later file comes last; neither order means anything to
// orderdesk, which names every column it reads.
func sortedLines(create string) string {
	lines := strings.Split(create, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(strings.TrimSpace(l), ",")
	}
	slices.Sort(lines)
	return strings.Join(lines, "\n")
}

func tables(t testing.TB, db *store.DB) []string {
	t.Helper()
	rows, err := db.SQL.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name <> 'atlas_schema_revisions'")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	return names
}

// idStarts is where each table's next ID comes from.
var autoIncrement = regexp.MustCompile(` AUTO_INCREMENT=\d+`)

func idStarts(t testing.TB, db *store.DB) map[string]int64 {
	t.Helper()
	query := "SELECT name, seq FROM sqlite_sequence"
	if db.Dialect == dialect.MySQL {
		query = "SELECT table_name, COALESCE(auto_increment, 0) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name <> 'atlas_schema_revisions'"
	}
	rows, err := db.SQL.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var seq int64
		if err := rows.Scan(&name, &seq); err != nil {
			t.Fatal(err)
		}
		out[name] = seq
	}
	return out
}

func tableExists(t testing.TB, db *store.DB, name string) bool {
	t.Helper()
	query := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '" + name + "'"
	if db.Dialect == dialect.MySQL {
		query = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '" + name + "'"
	}
	return queryInt(t, db, query) > 0
}

func queryInt(t testing.TB, db *store.DB, query string) int64 {
	t.Helper()
	var n int64
	if err := db.SQL.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func exec(t testing.TB, db *store.DB, stmt string) {
	t.Helper()
	if _, err := db.SQL.Exec(stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

// files are the names of the engine's migration files, in order.
func files(t testing.TB, db *store.DB) []string {
	t.Helper()
	engine := "sqlite"
	if db.Dialect == dialect.MySQL {
		engine = "mysql"
	}
	list, err := embeddedDir(t, engine).Files()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(list))
	for i, f := range list {
		names[i] = f.Name()
	}
	return names
}

func embeddedDir(t testing.TB, engine string) *atlas.MemDir {
	t.Helper()
	src, err := migrations.FS(engine)
	if err != nil {
		t.Fatal(err)
	}
	dir := &atlas.MemDir{}
	entries, err := fs.ReadDir(src, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := fs.ReadFile(src, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := dir.WriteFile(e.Name(), b); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func names(ms []store.Migration) string {
	s := make([]string, len(ms))
	for i, m := range ms {
		s[i] = m.Name
	}
	slices.Sort(s)
	return strings.Join(s, ",")
}
