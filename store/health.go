package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"net"
	"strings"
	"syscall"

	"entgo.io/ent/dialect"
	"github.com/go-sql-driver/mysql"
)

// Unavailable reports whether err means the database cannot serve for now
// rather than that the request was wrong: it does not answer, the
// connection broke, it is read-only, or it was too busy for the time
// allowed. Such a request may be retried later as it is.
func Unavailable(err error) bool {
	if err == nil {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, driver.ErrBadConn) ||
		errors.Is(err, mysql.ErrInvalidConn) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1290, // the server runs with --read-only (ER_OPTION_PREVENTS_STATEMENT)
			1792,       // a read-only transaction
			1836,       // ER_READ_ONLY_MODE
			1205,       // lock wait timeout, after WithTx's retries
			1213,       // deadlock, after WithTx's retries
			1040,       // too many connections
			1053,       // server shutdown in progress
			1927,       // connection killed (MariaDB)
			2006, 2013: // server gone away, lost connection
			return true
		}
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked") ||
		strings.Contains(msg, "SQLITE_READONLY") || strings.Contains(msg, "readonly database") ||
		strings.Contains(msg, "connection refused") || strings.Contains(msg, "invalid connection")
}

// errReadOnly is Ready's answer for a database that takes no writes.
var errReadOnly = errors.New("the database is read-only")

// Ready checks that the database answers and takes writes: a replica
// promoted wrong or a server put in read-only mode must take the server
// out of the load balancer, not answer every write with an error.
func (db *DB) Ready(ctx context.Context) error {
	switch db.Dialect {
	case dialect.MySQL:
		var readOnly bool
		var version string
		if err := db.SQL.QueryRowContext(ctx, "SELECT @@global.read_only, VERSION()").Scan(&readOnly, &version); err != nil {
			return err
		}
		if strings.Contains(version, "TiDB") {
			// TiDB keeps read_only for compatibility only; its own switch
			// is tidb_super_read_only.
			if err := db.SQL.QueryRowContext(ctx, "SELECT @@global.tidb_super_read_only").Scan(&readOnly); err != nil {
				return err
			}
		}
		if readOnly {
			return errReadOnly
		}
		return nil
	default:
		var queryOnly bool
		if err := db.SQL.QueryRowContext(ctx, "PRAGMA query_only").Scan(&queryOnly); err != nil {
			return err
		}
		if queryOnly {
			return errReadOnly
		}
		return nil
	}
}
