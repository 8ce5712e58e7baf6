package stock_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/auditevent"
	_ "orderdesk/ent/runtime" // registers privacy policies and hooks
	"orderdesk/ent/stockmovement"
	"orderdesk/fault"
	"orderdesk/stock"
	"orderdesk/store"
	"orderdesk/store/storetest"
)

type fixture struct {
	ctx context.Context
	db  *store.DB
	svc *stock.Service
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db := storetest.New(t)
	return &fixture{
		ctx: auth.NewContext(context.Background(), auth.System("test")),
		db:  db,
		svc: stock.New(db.Client, "EUR"),
	}
}

// item creates a stock item with onHand received and reserved reserved.
func (f *fixture) item(t *testing.T, sku string, onHand, reserved int) *ent.StockItem {
	t.Helper()
	it, err := f.svc.CreateItem(f.ctx, stock.NewItemRequest{SKU: sku, Name: "Item " + sku, UnitPrice: "1.00"})
	if err != nil {
		t.Fatalf("creating %s: %v", sku, err)
	}
	if onHand > 0 {
		if _, _, err := f.svc.Receive(f.ctx, stock.ReceiveRequest{ItemID: it.ID, Quantity: onHand}); err != nil {
			t.Fatalf("receiving %d of %s: %v", onHand, sku, err)
		}
	}
	if reserved > 0 {
		if err := f.apply(stock.Reserve(it.ID, reserved)); err != nil {
			t.Fatalf("reserving %d of %s: %v", reserved, sku, err)
		}
	}
	return f.get(t, it.ID)
}

func (f *fixture) apply(m stock.Movement) error {
	return store.WithTx(f.ctx, f.db.Client, func(tx *ent.Tx) error {
		_, err := stock.Apply(f.ctx, tx, m)
		return err
	})
}

func (f *fixture) get(t *testing.T, id int) *ent.StockItem {
	t.Helper()
	it, err := f.db.Client.StockItem.Get(f.ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// checkLedger asserts the stock invariants of one item: onHand and reserved
// equal the sums of its movements' deltas, 0 ≤ reserved ≤ onHand, and each
// movement, in the order written, records the levels the running sums reach
// (so no level along the way was ever negative or over-reserved).
func (f *fixture) checkLedger(t *testing.T, id int) (*ent.StockItem, []*ent.StockMovement) {
	t.Helper()
	it := f.get(t, id)
	mvs := f.db.Client.StockMovement.Query().Where(stockmovement.StockItemID(id)).
		Order(ent.Asc(stockmovement.FieldID)).AllX(f.ctx)
	var on, res int
	for _, m := range mvs {
		on += m.OnHandDelta
		res += m.ReservedDelta
		if m.OnHandAfter != on || m.ReservedAfter != res {
			t.Errorf("%s movement %d (%s %d): after onHand %d reserved %d, running sums %d and %d",
				it.Sku, m.ID, m.Kind, m.Quantity, m.OnHandAfter, m.ReservedAfter, on, res)
		}
		if on < 0 || res < 0 || res > on {
			t.Errorf("%s movement %d took the levels to onHand %d reserved %d", it.Sku, m.ID, on, res)
		}
		if m.Quantity <= 0 {
			t.Errorf("%s movement %d has quantity %d", it.Sku, m.ID, m.Quantity)
		}
	}
	if it.OnHand != on || it.Reserved != res {
		t.Errorf("%s: onHand %d (Σ movements %d), reserved %d (Σ movements %d)", it.Sku, it.OnHand, on, it.Reserved, res)
	}
	if it.Reserved < 0 || it.Reserved > it.OnHand {
		t.Errorf("%s: reserved %d outside [0, onHand %d]", it.Sku, it.Reserved, it.OnHand)
	}
	return it, mvs
}

// TestApplyGuard runs each lifecycle movement against an item with 10 on
// hand of which 4 are reserved.
func TestApplyGuard(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name                   string
		move                   func(id int) stock.Movement
		wantCode               fault.Code // "" is success
		wantOnHand, wantReserv int
	}{
		{"OKReserveAvailable", func(id int) stock.Movement { return stock.Reserve(id, 6) }, "", 10, 10},
		{"ErrReserveMoreThanAvailable", func(id int) stock.Movement { return stock.Reserve(id, 7) }, fault.InsufficientStock, 10, 4},
		{"OKReleaseReserved", func(id int) stock.Movement { return stock.Release(id, 4) }, "", 10, 0},
		{"ErrReleaseMoreThanReserved", func(id int) stock.Movement { return stock.Release(id, 5) }, fault.InsufficientStock, 10, 4},
		{"OKShipReserved", func(id int) stock.Movement { return stock.Ship(id, 4) }, "", 6, 0},
		{"ErrShipMoreThanReserved", func(id int) stock.Movement { return stock.Ship(id, 5) }, fault.InsufficientStock, 10, 4},
		{"OKRestock", func(id int) stock.Movement { return stock.Restock(id, 3) }, "", 13, 4},
		{"ErrWriteOffReserved", func(id int) stock.Movement {
			return stock.Movement{ItemID: id, Kind: stockmovement.KindWRITE_OFF, Quantity: 7, OnHandDelta: -7}
		}, fault.InsufficientStock, 10, 4},
		{"OKWriteOffUnreserved", func(id int) stock.Movement {
			return stock.Movement{ItemID: id, Kind: stockmovement.KindWRITE_OFF, Quantity: 6, OnHandDelta: -6}
		}, "", 4, 4},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sku := fmt.Sprintf("GUARD-%d", i)
			it := f.item(t, sku, 10, 4)
			var mv *ent.StockMovement
			err := store.WithTx(f.ctx, f.db.Client, func(tx *ent.Tx) error {
				var err error
				mv, err = stock.Apply(f.ctx, tx, tc.move(it.ID))
				return err
			})
			if got := fault.CodeOf(err); got != tc.wantCode {
				t.Fatalf("Apply: code %q (err %v), want %q", got, err, tc.wantCode)
			}
			if tc.wantCode != "" {
				if !strings.Contains(err.Error(), sku) {
					t.Errorf("error %q does not name the SKU %s", err, sku)
				}
			} else if mv.OnHandAfter != tc.wantOnHand || mv.ReservedAfter != tc.wantReserv || mv.StockItemID != it.ID {
				t.Errorf("movement records onHand %d reserved %d, want %d and %d", mv.OnHandAfter, mv.ReservedAfter, tc.wantOnHand, tc.wantReserv)
			}
			got, _ := f.checkLedger(t, it.ID)
			if got.OnHand != tc.wantOnHand || got.Reserved != tc.wantReserv {
				t.Errorf("after: onHand %d reserved %d, want %d and %d", got.OnHand, got.Reserved, tc.wantOnHand, tc.wantReserv)
			}
		})
	}
	t.Run("ErrNonPositiveQuantity", func(t *testing.T) {
		it := f.item(t, "GUARD-ZERO", 10, 4)
		for _, q := range []int{0, -1} {
			if err := f.apply(stock.Reserve(it.ID, q)); err == nil {
				t.Errorf("Reserve(%d) succeeded", q)
			}
		}
		if got, mvs := f.checkLedger(t, it.ID); got.Reserved != 4 || len(mvs) != 2 {
			t.Errorf("reserved %d with %d movements after refused moves", got.Reserved, len(mvs))
		}
	})
	t.Run("ErrUnknownItem", func(t *testing.T) {
		it := f.item(t, "GUARD-GONE", 0, 0)
		err := f.apply(stock.Restock(it.ID+1000, 1))
		if fault.CodeOf(err) != fault.NotFound {
			t.Fatalf("Restock of a missing item: %v, want NOT_FOUND", err)
		}
		if n := f.db.Client.StockMovement.Query().Where(stockmovement.StockItemID(it.ID + 1000)).CountX(f.ctx); n != 0 {
			t.Fatalf("%d movements written for a missing item", n)
		}
	})
}

// TestConcurrentReservations: 40 transactions race to reserve 3 each of 100
// on hand; exactly 33 win and the ledger stays exact.
func TestConcurrentReservations(t *testing.T) {
	f := newFixture(t)
	it := f.item(t, "RACE-1", 100, 0)
	const workers = 40
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		ok   int
		errs = map[string]int{}
	)
	start := make(chan struct{})
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			err := store.WithTx(f.ctx, f.db.Client, func(tx *ent.Tx) error {
				_, err := stock.Apply(f.ctx, tx, stock.Reserve(it.ID, 3))
				return err
			})
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				ok++
			case fault.CodeOf(err) == fault.InsufficientStock:
				errs[string(fault.InsufficientStock)]++
			default:
				errs[err.Error()]++
			}
		}()
	}
	close(start)
	wg.Wait()
	if ok != 33 || errs[string(fault.InsufficientStock)] != workers-33 || len(errs) != 1 {
		t.Errorf("%d reservations succeeded, failures %v; want 33 and %d INSUFFICIENT_STOCK", ok, errs, workers-33)
	}
	got, mvs := f.checkLedger(t, it.ID)
	if got.Reserved != 99 || got.OnHand != 100 {
		t.Errorf("after the race: onHand %d reserved %d, want 100 and 99", got.OnHand, got.Reserved)
	}
	if n := countKind(mvs, stockmovement.KindRESERVATION); n != ok {
		t.Errorf("%d RESERVATION movements for %d successful reservations", n, ok)
	}
}

// TestConcurrentReceiveAndAdjust: receipts and write-downs through the
// Service race on one item; every accepted change is in the ledger, refused
// ones change nothing, and onHand never goes negative.
func TestConcurrentReceiveAndAdjust(t *testing.T) {
	f := newFixture(t)
	it := f.item(t, "RACE-2", 20, 5)
	const rounds = 15
	var (
		wg                 sync.WaitGroup
		mu                 sync.Mutex
		received, adjusted int
		refused            int
		other              []string
	)
	start := make(chan struct{})
	for i := range 2 * rounds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			var err error
			if i%2 == 0 {
				_, _, err = f.svc.Receive(f.ctx, stock.ReceiveRequest{ItemID: it.ID, Quantity: 2, Note: "race"})
			} else {
				reason := stock.CountCorrection
				if i%4 == 1 {
					reason = stock.Lost
				}
				_, _, err = f.svc.Adjust(f.ctx, stock.AdjustRequest{ItemID: it.ID, Delta: -4, Reason: reason})
			}
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil && i%2 == 0:
				received++
			case err == nil:
				adjusted++
			case i%2 == 1 && fault.CodeOf(err) == fault.InsufficientStock:
				refused++
			default:
				other = append(other, err.Error())
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(other) > 0 {
		t.Errorf("unexpected failures: %v", other)
	}
	if received != rounds || adjusted+refused != rounds {
		t.Errorf("%d receipts, %d adjustments, %d refused; want %d receipts and %d adjustments in all", received, adjusted, refused, rounds, rounds)
	}
	got, mvs := f.checkLedger(t, it.ID)
	if want := 20 + 2*received - 4*adjusted; got.OnHand != want || got.Reserved != 5 {
		t.Errorf("onHand %d reserved %d, want %d and 5", got.OnHand, got.Reserved, want)
	}
	if n := countKind(mvs, stockmovement.KindRECEIPT); n != received+1 {
		t.Errorf("%d RECEIPT movements, want %d", n, received+1)
	}
	if n := countKind(mvs, stockmovement.KindADJUSTMENT) + countKind(mvs, stockmovement.KindWRITE_OFF); n != adjusted {
		t.Errorf("%d ADJUSTMENT/WRITE_OFF movements, want %d", n, adjusted)
	}
	// Each accepted change has its audit event, in the same transaction.
	if n := f.db.Client.AuditEvent.Query().Where(auditevent.SubjectType("StockItem"), auditevent.SubjectID(it.ID),
		auditevent.ActionIn("stock.received", "stock.adjusted")).CountX(f.ctx); n != received+adjusted+1 {
		t.Errorf("%d audit events for %d receipts and adjustments", n, received+adjusted+1)
	}
}

func TestServiceValidation(t *testing.T) {
	f := newFixture(t)
	it := f.item(t, "VAL-1", 10, 3)
	tests := []struct {
		name  string
		do    func(ctx context.Context) error
		code  fault.Code
		field string
	}{
		{"ErrReceiveZero", func(ctx context.Context) error {
			_, _, err := f.svc.Receive(ctx, stock.ReceiveRequest{ItemID: it.ID, Quantity: 0})
			return err
		}, fault.Invalid, "input.quantity"},
		{"ErrReceiveTooMany", func(ctx context.Context) error {
			_, _, err := f.svc.Receive(ctx, stock.ReceiveRequest{ItemID: it.ID, Quantity: stock.MaxQuantity + 1})
			return err
		}, fault.Invalid, "input.quantity"},
		{"ErrReceiveUnknownItem", func(ctx context.Context) error {
			_, _, err := f.svc.Receive(ctx, stock.ReceiveRequest{ItemID: it.ID + 1000, Quantity: 1})
			return err
		}, fault.NotFound, "input.stockItemId"},
		{"ErrAdjustZero", func(ctx context.Context) error {
			_, _, err := f.svc.Adjust(ctx, stock.AdjustRequest{ItemID: it.ID, Delta: 0, Reason: stock.CountCorrection})
			return err
		}, fault.Invalid, "input.delta"},
		{"ErrDamagedPositive", func(ctx context.Context) error {
			_, _, err := f.svc.Adjust(ctx, stock.AdjustRequest{ItemID: it.ID, Delta: 2, Reason: stock.Damaged})
			return err
		}, fault.Invalid, "input.delta"},
		{"ErrFoundNegative", func(ctx context.Context) error {
			_, _, err := f.svc.Adjust(ctx, stock.AdjustRequest{ItemID: it.ID, Delta: -2, Reason: stock.Found})
			return err
		}, fault.Invalid, "input.delta"},
		{"ErrOtherWithoutNote", func(ctx context.Context) error {
			_, _, err := f.svc.Adjust(ctx, stock.AdjustRequest{ItemID: it.ID, Delta: 1, Reason: stock.OtherReason, Note: "  "})
			return err
		}, fault.Invalid, "input.note"},
		{"ErrUnknownReason", func(ctx context.Context) error {
			_, _, err := f.svc.Adjust(ctx, stock.AdjustRequest{ItemID: it.ID, Delta: 1, Reason: "WHIM"})
			return err
		}, fault.Invalid, "input.reason"},
		{"ErrBelowReserved", func(ctx context.Context) error {
			_, _, err := f.svc.Adjust(ctx, stock.AdjustRequest{ItemID: it.ID, Delta: -8, Reason: stock.CountCorrection})
			return err
		}, fault.InsufficientStock, ""},
		{"ErrBelowZero", func(ctx context.Context) error {
			_, _, err := f.svc.Adjust(ctx, stock.AdjustRequest{ItemID: it.ID, Delta: -11, Reason: stock.Lost})
			return err
		}, fault.InsufficientStock, ""},
		{"ErrWarehouseOnlyForAdjust", func(context.Context) error {
			ctx := auth.NewContext(context.Background(), auth.NewUser(1, "rep@test.local", auth.SalesRep, nil))
			_, _, err := f.svc.Adjust(ctx, stock.AdjustRequest{ItemID: it.ID, Delta: 1, Reason: stock.Found})
			return err
		}, fault.Forbidden, ""},
		{"ErrAnonymousReceive", func(context.Context) error {
			_, _, err := f.svc.Receive(context.Background(), stock.ReceiveRequest{ItemID: it.ID, Quantity: 1})
			return err
		}, fault.Unauthenticated, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.do(f.ctx)
			if fault.CodeOf(err) != tc.code {
				t.Fatalf("err %v, want %s", err, tc.code)
			}
			if tc.field != "" {
				var list fault.List
				var one *fault.Error
				switch {
				case errors.As(err, &list):
					if !hasField(list, tc.field) {
						t.Errorf("errors %v do not name %s", list, tc.field)
					}
				case errors.As(err, &one):
					if one.Path != tc.field {
						t.Errorf("error names %q, want %s", one.Path, tc.field)
					}
				}
			}
			if got, mvs := f.checkLedger(t, it.ID); got.OnHand != 10 || got.Reserved != 3 || len(mvs) != 2 {
				t.Errorf("refused change left onHand %d reserved %d and %d movements", got.OnHand, got.Reserved, len(mvs))
			}
		})
	}
}

func hasField(l fault.List, field string) bool {
	for _, e := range l {
		if e.Path == field {
			return true
		}
	}
	return false
}

func countKind(mvs []*ent.StockMovement, k stockmovement.Kind) int {
	n := 0
	for _, m := range mvs {
		if m.Kind == k {
			n++
		}
	}
	return n
}

// TestApplyAll: movements of several items book together, in the order
// given (stock one releases, another reserves); when any is refused,
// each short item is named once and nothing is written.
func TestApplyAll(t *testing.T) {
	f := newFixture(t)
	a := f.item(t, "A-1", 10, 6)
	b := f.item(t, "B-1", 5, 0)
	c := f.item(t, "C-1", 1, 0)
	book := func(ms ...stock.Movement) ([]*ent.StockMovement, error) {
		var out []*ent.StockMovement
		err := store.WithTx(f.ctx, f.db.Client, func(tx *ent.Tx) error {
			var err error
			out, err = stock.ApplyAll(f.ctx, tx, ms)
			return err
		})
		return out, err
	}
	// Release 6 of A, reserve 8 of A: possible only in that order.
	mvs, err := book(stock.Release(a.ID, 6), stock.Reserve(b.ID, 5), stock.Reserve(a.ID, 8))
	if err != nil {
		t.Fatal(err)
	}
	if got := f.get(t, a.ID); got.Reserved != 8 || got.OnHand != 10 {
		t.Errorf("A after release and reserve: onHand %d reserved %d, want 10 and 8", got.OnHand, got.Reserved)
	}
	if len(mvs) != 3 || mvs[0].ReservedAfter != 0 || mvs[2].ReservedAfter != 8 || mvs[1].ReservedAfter != 5 {
		t.Errorf("movements record the levels each left: %+v", mvs)
	}
	// B and C are short; A would be fine: nothing is written.
	before := f.db.Client.StockMovement.Query().CountX(f.ctx)
	_, err = book(stock.Reserve(a.ID, 2), stock.Reserve(b.ID, 1), stock.Reserve(c.ID, 2), stock.Reserve(c.ID, 1))
	errs, ok := fault.Expected(err)
	if !ok || len(errs) != 2 || !strings.Contains(errs[0].Message, "B-1") || !strings.Contains(errs[1].Message, "C-1") {
		t.Fatalf("refusal: %v, want INSUFFICIENT_STOCK for B-1 and C-1, once each", err)
	}
	for _, e := range errs {
		if e.Code != fault.InsufficientStock {
			t.Errorf("code %s, want %s", e.Code, fault.InsufficientStock)
		}
	}
	if got := f.get(t, a.ID); got.Reserved != 8 {
		t.Errorf("A reserved %d after a refused booking, want still 8", got.Reserved)
	}
	if after := f.db.Client.StockMovement.Query().CountX(f.ctx); after != before {
		t.Errorf("%d movements written by a refused booking", after-before)
	}
}
