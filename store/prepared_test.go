package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"orderdesk/store"
	"orderdesk/store/storetest"
)

// sessionCounters reads the connection's own counts of prepared
// statements, executions and closes. The statement has no arguments, so it
// goes as text and counts itself only in Questions.
func sessionCounters(t *testing.T, conn *sql.Conn) (prepared, executed, closed int) {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(),
		"SHOW SESSION STATUS WHERE Variable_name IN ('Com_stmt_prepare', 'Com_stmt_execute', 'Com_stmt_close')")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var name string
		var n int
		if err := rows.Scan(&name, &n); err != nil {
			t.Fatal(err)
		}
		switch name {
		case "Com_stmt_prepare":
			prepared = n
		case "Com_stmt_execute":
			executed = n
		case "Com_stmt_close":
			closed = n
		}
	}
	return prepared, executed, closed
}

func mysqlOnly(t *testing.T) *store.DB {
	t.Helper()
	if storetest.Driver() != store.MySQL {
		t.Skip("prepared statements are the MySQL driver's (set " + storetest.EnvMySQL + ")")
	}
	return storetest.New(t)
}

// TestPreparedStatements_OncePerConnection: a statement with arguments is
// prepared the first time a connection sends its text and only executed
// after that; the least recently used is closed when a connection holds
// PreparedPerConnection.
func TestPreparedStatements_OncePerConnection(t *testing.T) {
	db := mysqlOnly(t)
	ctx := context.Background()
	// A new connection, holding no statement of the migration's.
	db.SQL.SetMaxIdleConns(0)
	conn, err := db.SQL.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	p0, e0, c0 := sessionCounters(t, conn)
	for i := range 5 {
		var got int
		if err := conn.QueryRowContext(ctx, "SELECT ? + 1", i).Scan(&got); err != nil || got != i+1 {
			t.Fatalf("SELECT %d + 1 = %d, %v", i, got, err)
		}
	}
	p1, e1, c1 := sessionCounters(t, conn)
	if p1-p0 != 1 || e1-e0 != 5 || c1 != c0 {
		t.Fatalf("5 runs of one text: %d prepared, %d executed, %d closed; want 1, 5, 0", p1-p0, e1-e0, c1-c0)
	}

	// Fill the connection with other texts: the first is the least
	// recently used when one more comes, and is closed.
	for i := range store.PreparedPerConnection {
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("DO ? + %d", i), i); err != nil {
			t.Fatal(err)
		}
	}
	p2, _, c2 := sessionCounters(t, conn)
	if p2-p1 != store.PreparedPerConnection || c2-c1 != 1 {
		t.Fatalf("%d more texts: %d prepared, %d closed; want %d, 1", store.PreparedPerConnection, p2-p1, c2-c1, store.PreparedPerConnection)
	}
	var got int
	if err := conn.QueryRowContext(ctx, "SELECT ? + 1", 41).Scan(&got); err != nil || got != 42 {
		t.Fatalf("SELECT 41 + 1 = %d, %v", got, err)
	}
	if p3, _, _ := sessionCounters(t, conn); p3-p2 != 1 {
		t.Errorf("the closed statement again: %d prepared, want 1 (prepared anew)", p3-p2)
	}
}

// TestPreparedStatements_Values: what goes through prepared statements
// comes back as it went in: times in UTC to the microsecond, booleans,
// bytes, Chinese text, NULL and integers beyond 32 bits.
func TestPreparedStatements_Values(t *testing.T) {
	db := mysqlOnly(t)
	ctx := context.Background()
	if _, err := db.SQL.ExecContext(ctx, `CREATE TABLE prepared_values (id BIGINT PRIMARY KEY, at DATETIME(6) NOT NULL,
		ok BOOL NOT NULL, raw BLOB, note VARCHAR(100), maybe BIGINT NULL)`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 4, 8, 15, 30, 123456000, time.UTC)
	note := "退款已完成，库存已回退"
	if _, err := db.SQL.ExecContext(ctx, "INSERT INTO prepared_values VALUES (?, ?, ?, ?, ?, ?)",
		int64(1)<<40, at, true, []byte{0, 1, 2, 255}, note, nil); err != nil {
		t.Fatal(err)
	}
	var (
		gotAt   time.Time
		gotOK   bool
		gotRaw  []byte
		gotNote string
		maybe   sql.NullInt64
	)
	err := db.SQL.QueryRowContext(ctx, "SELECT at, ok, raw, note, maybe FROM prepared_values WHERE id = ?", int64(1)<<40).
		Scan(&gotAt, &gotOK, &gotRaw, &gotNote, &maybe)
	if err != nil {
		t.Fatal(err)
	}
	if !gotAt.Equal(at) || gotAt.Location() != time.UTC || !gotOK || string(gotRaw) != "\x00\x01\x02\xff" || gotNote != note || maybe.Valid {
		t.Errorf("read back %v (%v) %v %x %q %v; want %v UTC true 000102ff %q NULL", gotAt, gotAt.Location(), gotOK, gotRaw, gotNote, maybe, at, note)
	}
}

// TestPreparedStatements_ErrorsAsBefore: a statement the server will not
// prepare goes as text, and its error is the server's, as it always was.
func TestPreparedStatements_ErrorsAsBefore(t *testing.T) {
	db := mysqlOnly(t)
	_, err := db.SQL.ExecContext(context.Background(), "SELEC ? FROM nowhere", 1)
	if err == nil || !strings.Contains(err.Error(), "1064") {
		t.Errorf("a statement with a syntax error: %v, want the server's error 1064", err)
	}
}
