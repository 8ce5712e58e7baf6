package storetest

import (
	"context"
	"io"
	"net"
	"sync"
	"testing"

	"github.com/go-sql-driver/mysql"

	"orderdesk/store"
)

// Line is a TCP relay between a test's server and MySQL: cutting it breaks
// every connection and refuses new ones, as a database that went down
// would; mending it lets connections through again on the same address.
type Line struct {
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

// NewBehindLine opens a fresh, migrated MySQL database reached through a
// Line. It skips the test on SQLite: an embedded database has no connection
// to cut.
func NewBehindLine(t testing.TB) (*store.DB, *Line) {
	t.Helper()
	if Driver() != store.MySQL {
		t.Skip("an embedded SQLite database has no connection to cut")
	}
	_, dsn := NewDSN(t)
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	l := &Line{target: cfg.Addr, conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l.addr = ln.Addr().String()
	l.serve(ln)
	t.Cleanup(l.Cut)
	cfg.Addr = l.addr
	db, err := store.Open(store.MySQL, cfg.FormatDSN())
	if err != nil {
		t.Fatalf("opening test database: %v", err)
	}
	t.Cleanup(func() { _ = db.Close() })
	if err := db.Migrate(context.Background()); err != nil {
		t.Fatalf("migrating test database: %v", err)
	}
	return db, l
}

func (l *Line) serve(ln net.Listener) {
	l.mu.Lock()
	l.ln = ln
	l.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go l.relay(c)
		}
	}()
}

func (l *Line) relay(c net.Conn) {
	up, err := net.Dial("tcp", l.target)
	if err != nil {
		_ = c.Close()
		return
	}
	l.mu.Lock()
	if l.ln == nil { // cut while dialling
		l.mu.Unlock()
		_, _ = c.Close(), up.Close()
		return
	}
	l.conns[c], l.conns[up] = true, true
	l.mu.Unlock()
	go func() { _, _ = io.Copy(up, c); _ = up.Close() }()
	_, _ = io.Copy(c, up)
	_ = c.Close()
}

// Cut closes the listener and every relayed connection.
func (l *Line) Cut() {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		_ = l.ln.Close()
		l.ln = nil
	}
	for c := range l.conns {
		_ = c.Close()
		delete(l.conns, c)
	}
}

// Mend listens again on the same address.
func (l *Line) Mend(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", l.addr)
	if err != nil {
		t.Fatalf("listening again on %s: %v", l.addr, err)
	}
	l.serve(ln)
}
