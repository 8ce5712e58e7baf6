// Command bench measures orderdesk's hottest operations over HTTP against
// a freshly started server, side by side with the hand-written SQL server
// of /work/shared/bench/rawsql (the limit):
//
//	go run ./cmd/bench -rawsql /tmp/rawsql-copy -rounds 3 -secs 20
//	go run ./cmd/bench -orders 2000 -secs 5 -conc 16 -rounds 1   # quick look, orderdesk alone
//	go run ./cmd/bench -sqlite                                      # embedded SQLite, no limit
//
// It seeds its own MariaDB database (orderdesk_bench, dropped at the end)
// through the domain services with the limit's data shape, snapshots it,
// and runs list (a page of 50 orders with everything nested), void
// (voidOrder, each order once) and chain (request → manager approval →
// finance approval, which executes the cancellation) at each concurrency,
// interleaved with the limit's /list and /cancel. Every write run starts
// from the snapshot and is followed by invariant checks in plain SQL; a
// violation fails the command. See README.md "Benchmark".
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/go-sql-driver/mysql"

	"orderdesk/store"
)

type config struct {
	dsn, dbName     string
	orders, workers int
	dur             time.Duration
	concs           []int
	ops             []string
	rounds          int
	rawsql          string
	sqlite          bool
	maxBusy         int
	maxOther        int
	busyWait        time.Duration
	pool            int
	randSeed        int64
	keep            bool
	profiles        string
}

type bench struct {
	cfg   config
	out   io.Writer
	tmp   string
	admin *sql.DB // MariaDB, naming no database; nil on SQLite
	dbPID int     // mariadbd, 0 if unknown or SQLite

	odBin, limitBin string
	odDriver, odDSN string
	serverDSN       string // the MariaDB DSN naming no database (the limit's -dsn)
	jwtSecret       string
	metricsToken    string // opens orderdesk's /debug/pprof/ with -cpuprofile

	orders     []benchOrder
	snap       snapshot
	odDirty    bool // the bench database changed since the snapshot
	limitDirty bool // rawsql_peer changed since its seed
	created    []string
	results    []*runResult
}

func (b *bench) say(format string, a ...any) { fmt.Fprintf(b.out, format+"\n", a...) }

var dbNameRE = regexp.MustCompile(`^orderdesk_bench[a-z0-9_]*$`)

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var c config
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.dsn, "dsn", "root@tcp(127.0.0.1:3306)/?parseTime=true", "MariaDB DSN naming no database")
	fs.StringVar(&c.dbName, "db", "orderdesk_bench", "the tool's own database (orderdesk_bench…; created and dropped); the snapshot is <db>_snap")
	fs.IntVar(&c.orders, "orders", 20000, "orders to seed (default 5000 with -sqlite)")
	fs.IntVar(&c.workers, "seed-workers", 16, "goroutines seeding orders")
	secs := fs.Float64("secs", 20, "seconds per run, (0, 600]")
	conc := fs.String("conc", "1,16,64", "concurrencies, comma-separated")
	ops := fs.String("ops", "list,void,chain", "operations: list, void, chain")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds (each runs every operation at every concurrency, interleaved with the limit)")
	fs.StringVar(&c.rawsql, "rawsql", "", "a copy of /work/shared/bench/rawsql: also build, seed and run the limit, interleaved")
	fs.BoolVar(&c.sqlite, "sqlite", false, "run orderdesk on an embedded SQLite file instead of MariaDB (no limit, no MariaDB counters)")
	fs.IntVar(&c.maxBusy, "max-busy", 25, "refuse to start a run while the machine is busier than this, in % of all CPUs")
	fs.IntVar(&c.maxOther, "max-other", 25, "mark (⚠) a run during which other processes used more than this % of one CPU, or wrote more than this many MiB per 10 s")
	fs.DurationVar(&c.busyWait, "busy-wait", 2*time.Minute, "how long to wait for a quiet machine before giving up")
	fs.IntVar(&c.pool, "pool", 32, "the limit's connection pool (its -pool)")
	fs.Int64Var(&c.randSeed, "rand-seed", 1, "random seed of the seeded data")
	fs.BoolVar(&c.keep, "keep", false, "keep the databases at the end")
	fs.StringVar(&c.profiles, "cpuprofile", "", "a folder: write orderdesk's CPU profile of each run there (<op>-c<N>-r<round>.pprof) and its heap at the run's end (.heap); go tool pprof reads them")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments %v", fs.Args())
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if c.sqlite && !set["orders"] {
		c.orders = 5000
	}
	var errs []error
	if *secs <= 0 || *secs > 600 {
		errs = append(errs, fmt.Errorf("-secs must be in (0, 600]"))
	}
	c.dur = time.Duration(*secs * float64(time.Second))
	for _, s := range strings.Split(*conc, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 || n > 1024 {
			errs = append(errs, fmt.Errorf("-conc: %q is not a concurrency in [1, 1024]", s))
			continue
		}
		c.concs = append(c.concs, n)
	}
	for _, s := range strings.Split(*ops, ",") {
		s = strings.TrimSpace(s)
		if s != "list" && s != "void" && s != "chain" {
			errs = append(errs, fmt.Errorf("-ops: unknown operation %q", s))
			continue
		}
		c.ops = append(c.ops, s)
	}
	if c.orders < 100 {
		errs = append(errs, fmt.Errorf("-orders must be at least 100"))
	}
	if c.rounds < 1 || c.workers < 1 {
		errs = append(errs, fmt.Errorf("-rounds and -seed-workers must be at least 1"))
	}
	if !dbNameRE.MatchString(c.dbName) || strings.HasSuffix(c.dbName, "_snap") {
		errs = append(errs, fmt.Errorf("-db %q: refusing a database that is not the tool's own (orderdesk_bench, orderdesk_bench_…)", c.dbName))
	}
	if c.sqlite && c.rawsql != "" {
		errs = append(errs, fmt.Errorf("-sqlite runs without the limit: drop -rawsql"))
	}
	if c.rawsql != "" {
		abs, err := filepath.Abs(c.rawsql)
		if err == nil && strings.HasPrefix(abs, "/work/shared/") {
			errs = append(errs, fmt.Errorf("-rawsql: /work/shared is read-only; copy it out first (cp -r /work/shared/bench/rawsql /tmp/rawsql-copy)"))
		}
		if _, err := os.Stat(filepath.Join(c.rawsql, "server", "main.go")); err != nil {
			errs = append(errs, fmt.Errorf("-rawsql %s: no server/main.go there", c.rawsql))
		}
	}
	return c, errors.Join(errs...)
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "bench:", err)
		}
		return 2
	}
	b := &bench{cfg: cfg, out: stdout, jwtSecret: randomSecret()}
	if cfg.profiles != "" {
		if err := os.MkdirAll(cfg.profiles, 0o755); err != nil {
			fmt.Fprintln(stderr, "bench:", err)
			return 2
		}
		b.metricsToken = randomSecret()
	}
	defer b.cleanup()
	if err := b.setup(ctx); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return 1
	}
	err = b.rounds(ctx)
	b.summary()
	failed := slices.ContainsFunc(b.results, func(r *runResult) bool { return r.failed })
	switch {
	case err != nil:
		fmt.Fprintln(stderr, "bench:", err)
		if errors.Is(err, errBusy) {
			return 3
		}
		return 1
	case failed:
		fmt.Fprintln(stderr, "bench: an invariant was violated (see above)")
		return 1
	}
	return 0
}

// moduleRoot finds the orderdesk module from the working directory up.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.HasPrefix(string(b), "module orderdesk\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("run it inside the orderdesk module (go run ./cmd/bench)")
		}
		dir = parent
	}
}

func (b *bench) setup(ctx context.Context) error {
	root, err := moduleRoot()
	if err != nil {
		return err
	}
	if b.tmp, err = os.MkdirTemp("", "orderdesk-bench-"); err != nil {
		return err
	}
	b.header(ctx, root)
	t := time.Now()
	b.odBin = filepath.Join(b.tmp, "orderdesk")
	if err := goBuild(ctx, root, ".", b.odBin); err != nil {
		return err
	}
	if b.cfg.rawsql != "" {
		b.limitBin = filepath.Join(b.tmp, "rawsql-server")
		if err := goBuild(ctx, b.cfg.rawsql, "./server", b.limitBin); err != nil {
			return err
		}
	}
	b.say("built the server(s) in %.1fs", time.Since(t).Seconds())

	if b.cfg.sqlite {
		b.odDriver, b.odDSN = store.SQLite, filepath.Join(b.tmp, b.cfg.dbName+".db")
		b.snap = &sqliteSnapshot{path: b.odDSN, snap: filepath.Join(b.tmp, b.cfg.dbName+".snap.db")}
	} else {
		mc, err := mysql.ParseDSN(b.cfg.dsn)
		if err != nil {
			return fmt.Errorf("-dsn: %w", err)
		}
		if mc.DBName != "" {
			return fmt.Errorf("-dsn names the database %q: give a DSN naming none (the tool uses -db %s)", mc.DBName, b.cfg.dbName)
		}
		mc.ParseTime = true
		b.serverDSN = mc.FormatDSN()
		mc.DBName = b.cfg.dbName
		b.odDriver, b.odDSN = store.MySQL, mc.FormatDSN()
		if b.admin, err = sql.Open("mysql", b.serverDSN); err != nil {
			return err
		}
		b.admin.SetMaxOpenConns(2)
		pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = b.admin.PingContext(pctx)
		cancel()
		if err != nil {
			return fmt.Errorf("MariaDB at %s: %w (scripts/mariadb starts one)", mc.Addr, err)
		}
		if b.dbPID = findMariaDB(); b.dbPID == 0 {
			b.say("mariadbd's pid not found: no MariaDB CPU figures")
		}
		var version, settings string
		_ = b.admin.QueryRowContext(ctx, `SELECT VERSION(), CONCAT('buffer_pool=', @@innodb_buffer_pool_size>>20, 'MiB flush_log_at_trx_commit=',
			@@innodb_flush_log_at_trx_commit, ' isolation=', @@tx_isolation, ' max_connections=', @@max_connections)`).Scan(&version, &settings)
		b.say("mariadb: %s %s (pid %d)", version, settings, b.dbPID)
		for _, q := range []string{"DROP DATABASE IF EXISTS `" + b.cfg.dbName + "`",
			"CREATE DATABASE `" + b.cfg.dbName + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"} {
			if _, err := b.admin.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		b.created = append(b.created, b.cfg.dbName, b.cfg.dbName+"_snap")
		b.snap = &mysqlSnapshot{admin: b.admin, db: b.cfg.dbName, snap: b.cfg.dbName + "_snap"}
	}

	b.say("\nseeding %s (%s) through the domain services: 27 users, %d customers, %d stock items, %d CONFIRMED paid orders",
		b.cfg.dbName, b.odDriver, nCustomers, nItems, b.cfg.orders)
	self0, db0 := selfCPU(), int64(0)
	if b.dbPID > 0 {
		db0, _ = procTicks(b.dbPID)
	}
	if b.orders, err = seedOrderdesk(ctx, b.odDriver, b.odDSN, b.cfg.orders, b.cfg.workers, b.cfg.randSeed, b.out); err != nil {
		return fmt.Errorf("seeding: %w", err)
	}
	cpu := fmt.Sprintf("CPU used seeding: this tool (the services) %.1fs", (selfCPU() - self0).Seconds())
	if b.dbPID > 0 {
		db1, _ := procTicks(b.dbPID)
		cpu += fmt.Sprintf(", mariadbd %.1fs", float64(db1-db0)/clkTck)
	}
	b.say("%s", cpu)
	t = time.Now()
	if err := b.snap.take(ctx); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	b.say("snapshot taken in %.1fs", time.Since(t).Seconds())

	if b.limitBin != "" {
		var exists int
		_ = b.admin.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = 'rawsql_peer'").Scan(&exists)
		if exists == 0 {
			b.created = append(b.created, "rawsql_peer")
		}
		line, err := b.seedLimit(ctx)
		if err != nil {
			return err
		}
		b.say("limit seeded: %s", line)
	}
	b.say("")
	return nil
}

func (b *bench) header(ctx context.Context, root string) {
	commit := "unknown"
	if out, err := exec.CommandContext(ctx, "git", "-C", root, "rev-parse", "--short", "HEAD").Output(); err == nil {
		commit = strings.TrimSpace(string(out))
		if st, err := exec.CommandContext(ctx, "git", "-C", root, "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
			commit += " + uncommitted changes"
		}
	}
	goVersion, _ := exec.CommandContext(ctx, "go", "env", "GOVERSION").Output()
	b.say("# orderdesk bench %s", time.Now().UTC().Format("2006-01-02 15:04:05Z"))
	b.say("orderdesk %s (%s); %d CPUs, %d MiB; %s", commit, root, cpus(), procStatusMemMiB(), strings.TrimSpace(string(goVersion)))
	db := "MariaDB " + b.cfg.dsn
	if b.cfg.sqlite {
		db = "SQLite"
	}
	limit := "without the limit"
	if b.cfg.rawsql != "" {
		limit = "interleaved with the limit (" + b.cfg.rawsql + ")"
	}
	b.say("%s; %d orders; %s per run; concurrency %v; operations %v; %d round(s) %s; -max-busy %d%%",
		db, b.cfg.orders, b.cfg.dur, b.cfg.concs, b.cfg.ops, b.cfg.rounds, limit, b.cfg.maxBusy)
}

func procStatusMemMiB() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b))
	if len(f) >= 2 {
		n, _ := strconv.ParseInt(f[1], 10, 64)
		return n / 1024
	}
	return 0
}

// rounds runs every operation at every concurrency, orderdesk then the
// limit, round after round.
func (b *bench) rounds(ctx context.Context) error {
	limitOf := map[string]string{"list": "list", "void": "cancel", "chain": "cancel"}
	for round := 1; round <= b.cfg.rounds; round++ {
		b.say("## round %d", round)
		for _, c := range b.cfg.concs {
			for _, op := range b.cfg.ops {
				if err := b.one(ctx, round, "orderdesk", op, c); err != nil {
					return err
				}
				// The chain is compared with the limit's /cancel, run once per
				// round and concurrency (after void when both are run).
				if b.limitBin == "" || (op == "chain" && slices.Contains(b.cfg.ops, "void")) {
					continue
				}
				if err := b.one(ctx, round, "limit", limitOf[op], c); err != nil {
					return err
				}
			}
		}
		b.roundTable(round)
	}
	return nil
}

func (b *bench) one(ctx context.Context, round int, system, op string, c int) error {
	b.say("\n### %s %s c%d (round %d)", op, system, c, round)
	var r *runResult
	var err error
	if system == "orderdesk" {
		r, err = b.runOrderdesk(ctx, round, op, c)
	} else {
		r, err = b.runLimit(ctx, round, op, c)
	}
	if err != nil {
		return fmt.Errorf("%s %s c%d: %w", system, op, c, err)
	}
	b.results = append(b.results, r)
	b.printRun(r)
	return nil
}

func (b *bench) cleanup() {
	stopAll()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if b.admin != nil {
		if !b.cfg.keep {
			for _, name := range b.created {
				if _, err := b.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
					fmt.Fprintf(os.Stderr, "bench: dropping %s: %v\n", name, err)
				}
			}
		} else if len(b.created) > 0 {
			fmt.Fprintf(b.out, "kept the databases %s\n", strings.Join(b.created, ", "))
		}
		b.admin.Close()
	}
	if b.tmp != "" {
		if b.cfg.keep {
			fmt.Fprintf(b.out, "kept %s (server logs)\n", b.tmp)
		} else {
			os.RemoveAll(b.tmp)
		}
	}
}

// ---- output

func (b *bench) printRun(r *runResult) {
	res, m := r.res, r.m
	b.say("%.1f ops/s  p50 %.1f  p90 %.1f  p99 %.1f  max %.1f ms  ok %d  errors %d  stop %s after %.1fs",
		res.opsPerSec, res.p50, res.p90, res.p99, res.max, res.ok, res.errors, res.stop, res.elapsed.Seconds())
	if len(res.steps) > 0 {
		b.say("  steps: %s", strings.Join(res.steps, "; "))
	}
	if res.errors > 0 {
		b.say("  errors by kind: %s", res.kinds())
		for _, s := range res.samples[:min(3, len(res.samples))] {
			b.say("  error sample: %s", s)
		}
	}
	if m.db != nil {
		d := m.db
		po := func(name string) float64 { return r.perOp(float64(d.get(name))) }
		b.say("  MariaDB per op: stmts %.1f, trips %.1f (prepare %.1f execute %.1f close %.1f) | select %.1f insert %.1f update %.1f delete %.1f begin %.1f commit %.1f rollback %.2f | row lock waits %.2f (%.1f ms), deadlocks %d, fsyncs %.2f, new connections %d",
			po("Questions"), r.perOp(float64(trips(d))), po("Com_stmt_prepare"), po("Com_stmt_execute"), po("Com_stmt_close"),
			po("Com_select"), po("Com_insert"), po("Com_update"), po("Com_delete"), po("Com_begin"), po("Com_commit"), po("Com_rollback"),
			po("Innodb_row_lock_waits"), po("Innodb_row_lock_time"), d.get("Innodb_deadlocks"), po("Innodb_data_fsyncs"), d.get("Connections"))
	}
	db := "n/a"
	if b.dbPID > 0 && !b.cfg.sqlite {
		db = fmt.Sprintf("%.2f ms", r.perOp(m.mariadbMS))
	}
	wallMS := float64(m.wall.Milliseconds())
	b.say("  CPU per op: server %.2f ms, mariadbd %s, driver %.2f ms | over the run (of %d00%%): server %.0f%%, mariadbd %.0f%%, driver %.0f%%, irq %.0f%%, other %.0f%% | disk %.0f%% busy, other writes %.1f MiB | server VmHWM %d MiB | machine %d%% busy before",
		r.perOp(m.serverMS), db, r.perOp(m.selfMS), cpus(), m.serverMS/wallMS*100, m.mariadbMS/wallMS*100, m.selfMS/wallMS*100,
		m.irqPct, m.otherPct, m.diskPct, m.otherWriteMiB, r.hwmKB/1024, r.busyBefore)
	if r.system == "orderdesk" {
		b.say("  server log: %d WARN/ERROR lines", r.logProblems)
		for _, s := range r.logSamples {
			b.say("    %s", s)
		}
	}
	if r.invariants != "" {
		b.say("  invariants: %s", r.invariants)
	}
}

func trips(d counters) int64 {
	return d.get("Questions") + d.get("Com_stmt_prepare") + d.get("Com_stmt_close")
}

func (b *bench) roundTable(round int) {
	b.say("\n#### round %d\n", round)
	b.say("| op | system | c | ops/s | p50 ms | p90 ms | p99 ms | max ms | errors | stmts/op | trips/op | server CPU ms/op | MariaDB CPU ms/op | server VmHWM MiB | other CPU %% (of %d00) | other writes MiB | invariants |", cpus())
	b.say("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	noisy := false
	for _, r := range b.results {
		if r.round != round {
			continue
		}
		stmts, tr, dbcpu := "n/a", "n/a", "n/a"
		if r.m.db != nil {
			stmts = fmt.Sprintf("%.1f", r.perOp(float64(r.m.db.get("Questions"))))
			tr = fmt.Sprintf("%.1f", r.perOp(float64(trips(r.m.db))))
		}
		if b.dbPID > 0 && !b.cfg.sqlite {
			dbcpu = fmt.Sprintf("%.2f", r.perOp(r.m.mariadbMS))
		}
		inv := "–"
		if r.invariants != "" {
			inv = "pass"
			if r.failed {
				inv = "**FAIL**"
			}
		}
		name := r.op
		if r.system == "limit" {
			name = "/" + r.op
		}
		other := fmt.Sprintf("%.0f", r.m.otherPct)
		if r.noisy(b.cfg.maxOther) {
			name += " ⚠"
			noisy = true
		}
		b.say("| %s | %s | %d | %.1f | %.1f | %.1f | %.1f | %.1f | %d | %s | %s | %.2f | %s | %d | %s | %.1f | %s |",
			name, r.system, r.conc, r.res.opsPerSec, r.res.p50, r.res.p90, r.res.p99, r.res.max, r.res.errors, stmts, tr,
			r.perOp(r.m.serverMS), dbcpu, r.hwmKB/1024, other, r.m.otherWriteMiB, inv)
	}
	if noisy {
		b.say("\n⚠ during the run other processes used more than -max-other %d%% of a CPU or wrote more than %d MiB per 10 s: its figures are disturbed.",
			b.cfg.maxOther, b.cfg.maxOther)
	}
	b.say("")
}

func (b *bench) find(round int, system, op string, c int) *runResult {
	for _, r := range b.results {
		if r.round == round && r.system == system && r.op == op && r.conc == c {
			return r
		}
	}
	return nil
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func joinF(v []float64, format string) string {
	var s []string
	for _, x := range v {
		s = append(s, fmt.Sprintf(format, x))
	}
	return strings.Join(s, " / ")
}

// markF is joinF("%.2f") with ⚠ after the values of disturbed runs.
func markF(v []float64, marks []bool) string {
	var s []string
	for i, x := range v {
		m := ""
		if marks[i] {
			m = " ⚠"
		}
		s = append(s, fmt.Sprintf("%.2f%s", x, m))
	}
	return strings.Join(s, " / ")
}

// summary: per operation and concurrency, orderdesk ÷ limit for ops/s and
// p99, per round and their median (the chain against the limit's /cancel).
func (b *bench) summary() {
	if len(b.results) == 0 {
		return
	}
	b.say("\n## summary\n")
	if b.cfg.sqlite {
		b.say("SQLite: no statement counters. CPU ms/op come from /proc/<pid>/stat (utime+stime) of the server process;\nVmHWM is its peak RSS (each run starts a fresh server); other %% is the CPU other processes used during the run.\n")
	} else {
		b.say("%s\n", countingNote)
	}
	limitOf := map[string]string{"list": "list", "void": "cancel", "chain": "cancel"}
	if b.limitBin == "" {
		b.say("| op | c | ops/s per round | median ops/s | p99 ms per round | stmts/op | server CPU ms/op |")
		b.say("|---|---|---|---|---|---|---|")
	} else {
		b.say("Ratios orderdesk ÷ limit (ops/s: higher is better, 1.0 = as fast as the limit; p99: lower is better); chain ÷ the limit's /cancel;\n⚠: other load disturbed one of the two runs.\n")
		b.say("| op | c | orderdesk ops/s | limit ops/s | ops/s ratio per round | **median ops/s ratio** | p99 ratio per round | **median p99 ratio** |")
		b.say("|---|---|---|---|---|---|---|---|")
	}
	for _, op := range b.cfg.ops {
		for _, c := range b.cfg.concs {
			var od, lim, ratio, p99r, p99, stmts, cpu []float64
			var marks []bool // a run of the pair was disturbed by other load
			for round := 1; round <= b.cfg.rounds; round++ {
				o := b.find(round, "orderdesk", op, c)
				if o == nil {
					continue
				}
				od, p99 = append(od, o.res.opsPerSec), append(p99, o.res.p99)
				if o.m.db != nil {
					stmts = append(stmts, o.perOp(float64(o.m.db.get("Questions"))))
				}
				cpu = append(cpu, o.perOp(o.m.serverMS))
				l := b.find(round, "limit", limitOf[op], c)
				if l == nil || l.res.opsPerSec == 0 || l.res.p99 == 0 {
					continue
				}
				lim = append(lim, l.res.opsPerSec)
				ratio = append(ratio, o.res.opsPerSec/l.res.opsPerSec)
				marks = append(marks, o.noisy(b.cfg.maxOther) || l.noisy(b.cfg.maxOther))
				p99r = append(p99r, o.res.p99/l.res.p99)
			}
			if len(od) == 0 {
				continue
			}
			if b.limitBin == "" {
				st := "n/a"
				if len(stmts) > 0 {
					st = fmt.Sprintf("%.1f", median(stmts))
				}
				b.say("| %s | %d | %s | %.1f | %s | %s | %.2f |", op, c, joinF(od, "%.1f"), median(od), joinF(p99, "%.1f"), st, median(cpu))
				continue
			}
			b.say("| %s | %d | %s | %s | %s | **%.2f** | %s | **%.2f** |", op, c, joinF(od, "%.1f"), joinF(lim, "%.1f"),
				markF(ratio, marks), median(ratio), markF(p99r, marks), median(p99r))
		}
	}
	var bad []string
	for _, r := range b.results {
		if r.failed {
			bad = append(bad, fmt.Sprintf("round %d %s %s c%d: %s", r.round, r.system, r.op, r.conc, r.invariants))
		}
	}
	b.say("")
	if len(bad) > 0 {
		b.say("INVARIANT VIOLATIONS:\n  %s", strings.Join(bad, "\n  "))
	} else if slices.ContainsFunc(b.results, func(r *runResult) bool { return r.invariants != "" }) {
		b.say("invariants: pass after every write run")
	}
}
