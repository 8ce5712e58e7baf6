// Package store opens the database (embedded SQLite or MySQL/MariaDB),
// migrates it with the versioned migrations of orderdesk/migrations (see
// migrate.go), and runs business actions in transactions.
package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"github.com/go-sql-driver/mysql"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"orderdesk/ent"
)

// Drivers.
const (
	SQLite = "sqlite"
	MySQL  = "mysql"
)

// DB is an open database.
type DB struct {
	Client *ent.Client
	// Driver is the client's driver, for wrapping it (tests count the
	// statements it sends).
	Driver  dialect.Driver
	SQL     *sql.DB
	Dialect string
}

// Options say how the database is reached: how long it may keep a request
// waiting, and through what database/sql handle.
type Options struct {
	// Timeout bounds each network read and write to MySQL (a statement
	// whose answer does not come) and the dial; default DefaultTimeout.
	Timeout time.Duration
	// LockWait bounds how long a MySQL statement waits for a row lock
	// (innodb_lock_wait_timeout, whole seconds); default DefaultLockWait.
	LockWait time.Duration
	// OpenSQL opens the database/sql handle in place of sql.Open, e.g.
	// with the driver wrapped for tracing (telemetry.Tracing.OpenSQL).
	OpenSQL func(driverName, dsn string) (*sql.DB, error)
}

// Defaults of Options: long enough for the slowest report, short enough
// that a stalled database frees the server's connections.
const (
	DefaultTimeout  = 10 * time.Second
	DefaultLockWait = 5 * time.Second
)

// Open connects to the database with the default Options.
func Open(driver, dsn string) (*DB, error) { return OpenWith(driver, dsn, Options{}) }

// OpenWith connects to the database. For SQLite the DSN is a file path or a
// file: URI; the pragmas orderdesk relies on are added to it. For MySQL it is
// a go-sql-driver DSN; times are read as UTC.
func OpenWith(driver, dsn string, o Options) (*DB, error) {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.LockWait <= 0 {
		o.LockWait = DefaultLockWait
	}
	if o.OpenSQL == nil {
		o.OpenSQL = sql.Open
	}
	switch driver {
	case SQLite:
		db, err := o.OpenSQL("sqlite", sqliteDSN(dsn))
		if err != nil {
			return nil, err
		}
		drv := newSerialWrites(entsql.OpenDB(dialect.SQLite, db))
		return &DB{Client: ent.NewClient(ent.Driver(drv)), Driver: drv, SQL: db, Dialect: dialect.SQLite}, nil
	case MySQL:
		cfg, err := mysql.ParseDSN(dsn)
		if err != nil {
			return nil, fmt.Errorf("ORDERDESK_DB_DSN: %w", err)
		}
		cfg.ParseTime = true
		cfg.Loc = time.UTC
		// Statements with arguments run prepared, once per connection
		// (preparedConn); one the server will not prepare has its
		// arguments interpolated client-side: one round trip either way,
		// never prepare, execute and close.
		cfg.InterpolateParams = true
		// A DSN's own timeouts win over the defaults.
		if cfg.Timeout == 0 {
			cfg.Timeout = min(o.Timeout, 5*time.Second)
		}
		if cfg.ReadTimeout == 0 {
			cfg.ReadTimeout = o.Timeout
		}
		if cfg.WriteTimeout == 0 {
			cfg.WriteTimeout = o.Timeout
		}
		if cfg.Params == nil {
			cfg.Params = map[string]string{}
		}
		if _, ok := cfg.Params["innodb_lock_wait_timeout"]; !ok {
			cfg.Params["innodb_lock_wait_timeout"] = strconv.Itoa(max(1, int(o.LockWait/time.Second)))
		}
		if err := readCommitted(cfg); err != nil {
			return nil, err
		}
		db, err := o.OpenSQL(preparedMySQL, cfg.FormatDSN())
		if err != nil {
			return nil, err
		}
		// As many idle as open: a burst past the idle count would close
		// connections only to open them again (seen at 64 clients).
		db.SetMaxOpenConns(50)
		db.SetMaxIdleConns(50)
		db.SetConnMaxLifetime(30 * time.Minute)
		drv := entsql.OpenDB(dialect.MySQL, db)
		return &DB{Client: ent.NewClient(ent.Driver(drv)), Driver: drv, SQL: db, Dialect: dialect.MySQL}, nil
	default:
		return nil, fmt.Errorf("unknown database driver %q (use %q or %q)", driver, SQLite, MySQL)
	}
}

// readCommitted makes every connection READ COMMITTED when it opens (see
// WithTx for why), so that no transaction spends a round trip setting it.
// MariaDB names the variable tx_isolation; MySQL 8 and TiDB
// transaction_isolation. A server that cannot be asked is left to fail at
// first use, where the error says more. It also notes a TiDB server, which
// has no shared locks (SharedLocks).
func readCommitted(cfg *mysql.Config) error {
	probe, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return err
	}
	defer probe.Close()
	name := "transaction_isolation"
	var version string
	if probe.QueryRow("SELECT VERSION()").Scan(&version) == nil && strings.Contains(version, "MariaDB") {
		name = "tx_isolation"
	}
	if strings.Contains(version, "TiDB") {
		noSharedLocks.Store(true)
	}
	cfg.Params[name] = "'READ-COMMITTED'"
	return nil
}

// sqliteDSN turns a path into a URI with foreign keys on, WAL journaling,
// a busy timeout, and BEGIN IMMEDIATE transactions: a transaction takes the
// write lock when it starts, so two writers queue instead of deadlocking on
// a lock upgrade.
func sqliteDSN(dsn string) string {
	if !strings.HasPrefix(dsn, "file:") {
		dsn = "file:" + dsn
	}
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	q := url.Values{}
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Set("_txlock", "immediate")
	return dsn + sep + q.Encode()
}

// Ping checks the database answers.
func (db *DB) Ping(ctx context.Context) error { return db.SQL.PingContext(ctx) }

// Close closes the database.
func (db *DB) Close() error { return db.Client.Close() }
