// Package storetest gives each test a fresh, migrated database: a SQLite
// file in the test's temporary directory, or, when ORDERDESK_TEST_MYSQL_DSN
// names a MySQL/MariaDB server, a database created on it for the test and
// dropped afterwards.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"

	"orderdesk/store"
)

// EnvMySQL names the server tests use, e.g.
// root@tcp(127.0.0.1:3306)/?parseTime=true.
const EnvMySQL = "ORDERDESK_TEST_MYSQL_DSN"

// Driver is the database the tests of this run use.
func Driver() string {
	if os.Getenv(EnvMySQL) != "" {
		return store.MySQL
	}
	return store.SQLite
}

// New opens a fresh, migrated database that is closed (and on MySQL
// dropped) when the test ends.
func New(t testing.TB) *store.DB {
	t.Helper()
	driver, dsn := NewDSN(t)
	db, err := store.Open(driver, dsn)
	if err != nil {
		t.Fatalf("opening test database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrating test database: %v", err)
	}
	return db
}

// NewDSN creates an empty database and returns how to open it.
func NewDSN(t testing.TB) (driver, dsn string) {
	t.Helper()
	server := os.Getenv(EnvMySQL)
	if server == "" {
		return store.SQLite, filepath.Join(t.TempDir(), "test.db")
	}
	cfg, err := mysql.ParseDSN(server)
	if err != nil {
		t.Fatalf("%s: %v", EnvMySQL, err)
	}
	name := "orderdesk_test_" + randomSuffix()
	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	if _, err := admin.Exec("CREATE DATABASE " + name + " CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		t.Fatalf("creating test database on %s: %v", cfg.Addr, err)
	}
	t.Cleanup(func() {
		if db, err := sql.Open("mysql", cfg.FormatDSN()); err == nil {
			_, _ = db.Exec("DROP DATABASE IF EXISTS " + name)
			_ = db.Close()
		}
	})
	cfg.DBName = name
	return store.MySQL, cfg.FormatDSN()
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TiDB reports whether the MySQL server behind db is TiDB, for the few
// tests that must reach it differently.
func TiDB(t testing.TB, db *sql.DB) bool {
	t.Helper()
	var version string
	if err := db.QueryRow("SELECT VERSION()").Scan(&version); err != nil {
		t.Fatal(err)
	}
	return strings.Contains(version, "TiDB")
}
