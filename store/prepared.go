package store

import (
	"container/list"
	"context"
	"database/sql"
	"database/sql/driver"

	"github.com/go-sql-driver/mysql"
)

// preparedMySQL is the name of go-sql-driver's MySQL driver with each
// connection keeping its statements prepared (preparedConn).
const preparedMySQL = "orderdesk-mysql"

func init() { sql.Register(preparedMySQL, preparingDriver{}) }

// PreparedPerConnection is how many statements a MySQL connection keeps
// prepared, the most recently used. The server counts them all against
// max_prepared_stmt_count (16382 by default): 50 connections of a replica
// keep at most 3200.
const PreparedPerConnection = 64

// preparingDriver opens go-sql-driver's connections as preparedConns.
type preparingDriver struct{}

func (preparingDriver) Open(dsn string) (driver.Conn, error) {
	c, err := preparingDriver{}.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return c.Connect(context.Background())
}

func (preparingDriver) OpenConnector(dsn string) (driver.Connector, error) {
	c, err := mysql.MySQLDriver{}.OpenConnector(dsn)
	if err != nil {
		return nil, err
	}
	return preparingConnector{c}, nil
}

type preparingConnector struct{ driver.Connector }

func (c preparingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	if mc, ok := conn.(mysqlConn); ok {
		return &preparedConn{mysqlConn: mc, stmts: map[string]*list.Element{}, recent: list.New()}, nil
	}
	return conn, nil
}

func (preparingConnector) Driver() driver.Driver { return preparingDriver{} }

// mysqlConn is what database/sql uses of go-sql-driver's connection.
type mysqlConn interface {
	driver.Conn
	driver.ConnPrepareContext
	driver.ConnBeginTx
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// preparedConn runs every statement that has arguments as a server-side
// prepared statement, prepared the first time the connection sends its
// text and kept for the next time: one round trip a statement, as with
// interpolated arguments, and the server parses the text once per
// connection instead of at every execution. ent's statements repeat:
// the same few dozen texts make up every business action. Results come in
// the binary protocol, which neither side turns into and back from text.
//
// database/sql never uses a connection from two goroutines at once, so the
// cache needs no lock. Statements die with their connection.
type preparedConn struct {
	mysqlConn
	stmts  map[string]*list.Element // by text; values are *preparedStmt
	recent *list.List               // most recently used first
}

type preparedStmt struct {
	query string
	stmt  driver.Stmt
}

func (c *preparedConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if st := c.prepared(ctx, query, args); st != nil {
		return st.(driver.StmtExecContext).ExecContext(ctx, args)
	}
	return c.mysqlConn.ExecContext(ctx, query, args)
}

func (c *preparedConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if st := c.prepared(ctx, query, args); st != nil {
		return st.(driver.StmtQueryContext).QueryContext(ctx, args)
	}
	return c.mysqlConn.QueryContext(ctx, query, args)
}

// prepared is query's statement on this connection, prepared now if it is
// not yet; nil when the text goes as it is: it has no arguments (one round
// trip either way), or the server would not prepare it (the text path
// then reports whatever is wrong with it, as it always did).
func (c *preparedConn) prepared(ctx context.Context, query string, args []driver.NamedValue) driver.Stmt {
	if len(args) == 0 {
		return nil
	}
	if e, ok := c.stmts[query]; ok {
		c.recent.MoveToFront(e)
		return e.Value.(*preparedStmt).stmt
	}
	st, err := c.mysqlConn.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	if c.recent.Len() >= PreparedPerConnection {
		oldest := c.recent.Back()
		c.recent.Remove(oldest)
		p := oldest.Value.(*preparedStmt)
		delete(c.stmts, p.query)
		_ = p.stmt.Close() // no answer comes to a close; a broken connection is found by the next statement
	}
	c.stmts[query] = c.recent.PushFront(&preparedStmt{query: query, stmt: st})
	return st
}
