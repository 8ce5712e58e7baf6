package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"orderdesk/account"
	"orderdesk/app"
	"orderdesk/auth"
	"orderdesk/customer"
	_ "orderdesk/ent/runtime" // registers ent hooks, defaults and privacy policies
	"orderdesk/graph/guard"
	"orderdesk/order"
	"orderdesk/stock"
	"orderdesk/store"
)

// The limit's data shape (rawsql/server seed): 27 users, 200 customers
// owned round-robin by 20 sales reps, 100 stock items priced 1.00–99.99
// with 100,000 on hand, and N CONFIRMED orders of 1–3 distinct items
// (1–5 each), each paid in full by one captured charge.
const (
	nReps      = 20
	nCustomers = 200
	nItems     = 100
	onHand     = 100000
	// Every seeded user's password; the database is the tool's own.
	benchPassword = "orderdesk-bench-password"
)

// benchUsers: 1 admin, 1 sales manager, 20 sales reps, 3 finance, 2
// warehouse = 27, as many as the limit seeds.
func benchUsers() []account.NewUserRequest {
	u := []account.NewUserRequest{
		{Email: "admin@bench.local", Name: "Bench Admin", Role: string(auth.Admin)},
		{Email: "manager@bench.local", Name: "Bench Manager", Role: string(auth.SalesManager)},
	}
	for i := 1; i <= nReps; i++ {
		u = append(u, account.NewUserRequest{Email: fmt.Sprintf("rep%02d@bench.local", i), Name: fmt.Sprintf("Rep %02d", i),
			Role: string(auth.SalesRep)})
	}
	for i := 1; i <= 3; i++ {
		u = append(u, account.NewUserRequest{Email: fmt.Sprintf("finance%d@bench.local", i), Name: fmt.Sprintf("Finance %d", i),
			Role: string(auth.Finance)})
	}
	for i := 1; i <= 2; i++ {
		u = append(u, account.NewUserRequest{Email: fmt.Sprintf("warehouse%d@bench.local", i), Name: fmt.Sprintf("Warehouse %d", i),
			Role: string(auth.Warehouse)})
	}
	for i := range u {
		u[i].Password = benchPassword
	}
	return u
}

// benchOrder is a seeded order: its id and its sales rep's email.
type benchOrder struct {
	id        int64
	repEmail  string
	createdAt time.Time
}

// seedOrderdesk fills an empty database through the domain services, as
// the staff would: reps create and submit, the manager confirms (stock is
// reserved, credit checked), finance records the full payment. It returns
// the orders by id, ascending.
func seedOrderdesk(ctx context.Context, driver, dsn string, nOrders, workers int, randSeed int64, out io.Writer) ([]benchOrder, error) {
	db, err := store.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	tokens, err := auth.NewTokens([]byte(hex.EncodeToString(secret)), time.Hour)
	if err != nil {
		return nil, err
	}
	a := app.New(db, app.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Tokens: tokens,
		BcryptCost: bcrypt.MinCost, Currency: "EUR", Limits: guard.DefaultLimits(), Policy: order.DefaultPolicy})
	sys := auth.NewContext(ctx, auth.System("bench"))
	rng := mrand.New(mrand.NewSource(randSeed))

	as := map[string]context.Context{}
	var reps []int // user ids
	repEmail := map[int]string{}
	for _, u := range benchUsers() {
		created, err := a.Accounts.CreateUser(sys, u)
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", u.Email, err)
		}
		as[u.Email] = auth.NewContext(ctx, account.ViewerOf(created))
		if u.Role == string(auth.SalesRep) {
			reps = append(reps, created.ID)
			repEmail[created.ID] = u.Email
		}
	}
	customers := make([]int, nCustomers)
	custRep := make([]string, nCustomers)
	for i := range customers {
		name := fmt.Sprintf("Customer %03d GmbH", i+1)
		credit := money2(int64(500000 + rng.Intn(50)*100000)) // 5,000.00 – 54,000.00
		owner := reps[i%nReps]
		c, err := a.Customers.Create(sys, customer.NewRequest{Fields: customer.Fields{Name: &name, CreditLimit: &credit, OwnerID: &owner}})
		if err != nil {
			return nil, fmt.Errorf("customer %s: %w", name, err)
		}
		customers[i], custRep[i] = c.ID, repEmail[owner]
	}
	items := make([]int, nItems)
	for i := range items {
		price := int64(100 + rng.Intn(99)*100 + rng.Intn(100)) // 1.00 – 99.99
		it, err := a.Stock.CreateItem(sys, stock.NewItemRequest{SKU: fmt.Sprintf("SKU-%04d", i+1),
			Name: fmt.Sprintf("Stock item %d", i+1), UnitPrice: money2(price)})
		if err != nil {
			return nil, fmt.Errorf("stock item %d: %w", i+1, err)
		}
		if _, _, err := a.Stock.Receive(sys, stock.ReceiveRequest{ItemID: it.ID, Quantity: onHand, Note: "initial stock"}); err != nil {
			return nil, fmt.Errorf("receiving stock item %d: %w", i+1, err)
		}
		items[i] = it.ID
	}

	manager, finance := as["manager@bench.local"], as["finance1@bench.local"]
	one := func(i int) error {
		r := mrand.New(mrand.NewSource(randSeed*1_000_003 + int64(i)))
		ci := r.Intn(nCustomers)
		rep := as[custRep[ci]]
		var lines []order.LineRequest
		picked := map[int]bool{}
		for n := 1 + r.Intn(3); len(lines) < n; {
			it := r.Intn(nItems)
			if picked[it] {
				continue
			}
			picked[it] = true
			lines = append(lines, order.LineRequest{StockItemID: items[it], Quantity: 1 + r.Intn(5)})
		}
		res, err := a.Orders.Create(rep, order.CreateRequest{CustomerID: customers[ci], Channel: "SALES_REP", Lines: lines})
		if err != nil {
			return fmt.Errorf("createOrder: %w", err)
		}
		id := res.Order.ID
		if _, err := a.Orders.Submit(rep, order.TransitionRequest{OrderID: id}); err != nil {
			return fmt.Errorf("submitOrder %d: %w", id, err)
		}
		res, err = a.Orders.Confirm(manager, order.ConfirmRequest{OrderID: id})
		if err != nil {
			return fmt.Errorf("confirmOrder %d: %w", id, err)
		}
		if _, err := a.Orders.RecordPayment(finance, order.RecordPaymentRequest{OrderID: id,
			Amount: money2(res.Order.TotalMinor), Method: "BANK_TRANSFER"}); err != nil {
			return fmt.Errorf("recordPayment %d: %w", id, err)
		}
		return nil
	}

	start := time.Now()
	var (
		next, done atomic.Int64
		wg         sync.WaitGroup
		mu         sync.Mutex
		firstErr   error
	)
	stop := make(chan struct{})
	go func() { // progress
		t := time.NewTicker(15 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				n := done.Load()
				fmt.Fprintf(out, "  seeded %d/%d orders (%.0f/s)\n", n, nOrders, float64(n)/time.Since(start).Seconds())
			}
		}
	}()
	for range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= nOrders {
					return
				}
				if err := one(i); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("order %d of %d: %w", i+1, nOrders, err)
					}
					mu.Unlock()
					next.Store(int64(nOrders)) // the others stop too
					return
				}
				done.Add(1)
			}
		})
	}
	wg.Wait()
	close(stop)
	if firstErr != nil {
		return nil, firstErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	fmt.Fprintf(out, "seeded %d orders through the domain services with %d workers in %.1fs (%.0f orders/s; 4 transactions each)\n",
		nOrders, workers, time.Since(start).Seconds(), float64(nOrders)/time.Since(start).Seconds())
	if err := settle(ctx, a, workers, out); err != nil {
		return nil, err
	}

	// What the runs act on, read back as plain rows.
	rows, err := db.SQL.QueryContext(ctx, `SELECT o.id, u.email, o.created_at FROM orders o JOIN users u ON u.id = o.owner_id
		WHERE o.status = 'CONFIRMED' AND o.captured_minor = o.total_minor ORDER BY o.id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var orders []benchOrder
	for rows.Next() {
		var o benchOrder
		if err := rows.Scan(&o.id, &o.repEmail, &o.createdAt); err != nil {
			return nil, err
		}
		orders = append(orders, o)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(orders) != nOrders {
		return nil, fmt.Errorf("seeded %d orders, but %d are CONFIRMED and paid in full", nOrders, len(orders))
	}
	if driver == store.SQLite { // everything into the main file, for the snapshot
		if _, err := db.SQL.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
			return nil, err
		}
	}
	return orders, nil
}

// settle does what a running server does behind the seeding's commits: the
// relay dispatches the outbox's events and the sender settles the queued
// customer notices (SKIPPED: the bench has no mail server). Without it
// every run's fresh server would first work through the whole backlog of
// the seeding, during the run it measures.
func settle(ctx context.Context, a *app.App, workers int, out io.Writer) error {
	start := time.Now()
	sys := auth.NewContext(ctx, auth.System("bench"))
	events := 0
	for {
		n, err := a.Relay.Round(sys)
		if err != nil {
			return fmt.Errorf("dispatching the outbox: %w", err)
		}
		if n == 0 {
			break
		}
		events += n
	}
	// Senders may run side by side (each notice is taken in its own
	// transaction), so the backlog is settled by several at once.
	var notices atomic.Int64
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				n, err := a.Notices.DeliverDue(sys)
				if err != nil || n == 0 {
					errs[w] = err
					return
				}
				notices.Add(int64(n))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("settling customer notices: %w", err)
	}
	// A sender that found its batch settled by the others stopped early:
	// one more, alone, settles what is left.
	for ctx.Err() == nil {
		n, err := a.Notices.DeliverDue(sys)
		if err != nil {
			return fmt.Errorf("settling customer notices: %w", err)
		}
		if n == 0 {
			break
		}
		notices.Add(int64(n))
	}
	fmt.Fprintf(out, "settled the seeding's backlog as servers do in %.1fs: %d outbox events dispatched, %d customer notices settled\n",
		time.Since(start).Seconds(), events, notices.Load())
	return ctx.Err()
}

// money2 formats minor units of a two-decimal currency.
func money2(minor int64) string { return fmt.Sprintf("%d.%02d", minor/100, minor%100) }

// ---- snapshots: every write run starts from the seeded data

// snapshot keeps a copy of the seeded database and puts it back.
type snapshot interface {
	take(ctx context.Context) error
	restore(ctx context.Context) error
	drop(ctx context.Context) error
}

// mysqlSnapshot copies every table of db into snap (CREATE TABLE … LIKE +
// INSERT … SELECT) and back. Restoring refills db's own tables (so their
// foreign keys stay, which CREATE TABLE … LIKE does not copy) and sets each
// table's AUTO_INCREMENT back: ids are global (each type has its own id
// range), and TRUNCATE would reset the counters to 1.
type mysqlSnapshot struct {
	admin    *sql.DB // names no database
	db, snap string
	tables   []string
	autoInc  map[string]int64
}

func (s *mysqlSnapshot) take(ctx context.Context) error {
	if _, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+s.snap+"`"); err != nil {
		return err
	}
	if _, err := s.admin.ExecContext(ctx, "CREATE DATABASE `"+s.snap+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		return err
	}
	var err error
	if s.tables, s.autoInc, err = autoIncrements(ctx, s.admin, s.db); err != nil {
		return err
	}
	for _, t := range s.tables {
		for _, q := range []string{
			fmt.Sprintf("CREATE TABLE `%s`.`%s` LIKE `%s`.`%s`", s.snap, t, s.db, t),
			fmt.Sprintf("INSERT INTO `%s`.`%s` SELECT * FROM `%s`.`%s`", s.snap, t, s.db, t),
		} {
			if _, err := s.admin.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("snapshot of %s: %w", t, err)
			}
		}
	}
	return nil
}

func (s *mysqlSnapshot) restore(ctx context.Context) error {
	conn, err := s.admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	exec := func(q string) error {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("restore: %s: %w", q, err)
		}
		return nil
	}
	for _, q := range []string{"SET SESSION foreign_key_checks = 0", "SET SESSION unique_checks = 0"} {
		if err := exec(q); err != nil {
			return err
		}
	}
	for _, t := range s.tables {
		for _, q := range []string{fmt.Sprintf("TRUNCATE TABLE `%s`.`%s`", s.db, t),
			fmt.Sprintf("INSERT INTO `%s`.`%s` SELECT * FROM `%s`.`%s`", s.db, t, s.snap, t)} {
			if err := exec(q); err != nil {
				return err
			}
		}
	}
	// TRUNCATE started the counters at 1; the refill moved those of tables
	// with rows past their highest id. Set back the ones that differ.
	tables, now, err := autoIncrements(ctx, conn, s.db)
	if err != nil {
		return err
	}
	var fix []string
	for _, t := range tables {
		if want := s.autoInc[t]; want > 0 && now[t] != want {
			fix = append(fix, fmt.Sprintf("ALTER TABLE `%s`.`%s` AUTO_INCREMENT = %d", s.db, t, want))
		}
	}
	for _, q := range append(fix, "SET SESSION foreign_key_checks = 1", "SET SESSION unique_checks = 1") {
		if err := exec(q); err != nil {
			return err
		}
	}
	var all []string
	for _, t := range s.tables {
		all = append(all, fmt.Sprintf("`%s`.`%s`", s.db, t))
	}
	rows, err := conn.QueryContext(ctx, "ANALYZE TABLE "+strings.Join(all, ", ")) // a result set per table
	if err != nil {
		return fmt.Errorf("restore: ANALYZE TABLE: %w", err)
	}
	for rows.Next() {
	}
	return rows.Close()
}

func (s *mysqlSnapshot) drop(ctx context.Context) error {
	_, err := s.admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+s.snap+"`")
	return err
}

// sqliteSnapshot copies the database file (the server is stopped, so the
// write-ahead log has been checkpointed into it).
type sqliteSnapshot struct{ path, snap string }

func (s *sqliteSnapshot) take(context.Context) error { return copyFile(s.path, s.snap) }

func (s *sqliteSnapshot) restore(context.Context) error {
	for _, p := range []string{s.path, s.path + "-wal", s.path + "-shm"} {
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return copyFile(s.snap, s.path)
}

func (s *sqliteSnapshot) drop(context.Context) error { return os.Remove(s.snap) }

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	if err := os.MkdirAll(filepath.Dir(to), 0o700); err != nil {
		return err
	}
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// autoIncrements lists the base tables of database db, by name, with the
// next AUTO_INCREMENT value of each.
func autoIncrements(ctx context.Context, q interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, db string) ([]string, map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT TABLE_NAME, COALESCE(AUTO_INCREMENT, 0) FROM information_schema.TABLES
		WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME`, db)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var tables []string
	next := map[string]int64{}
	for rows.Next() {
		var t string
		var ai int64
		if err := rows.Scan(&t, &ai); err != nil {
			return nil, nil, err
		}
		tables = append(tables, t)
		next[t] = ai
	}
	return tables, next, rows.Err()
}
