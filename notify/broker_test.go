package notify_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	entorder "orderdesk/ent/order"
	_ "orderdesk/ent/runtime" // privacy policies and hooks
	"orderdesk/ent/user"
	"orderdesk/notify"
	"orderdesk/store"
	"orderdesk/store/storetest"
)

func receive[T any](t *testing.T, ch <-chan T) T {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("channel closed")
		}
		return v
	case <-time.After(2 * time.Second):
		t.Fatal("nothing received")
	}
	var zero T
	return zero
}

func nothing[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	select {
	case v, ok := <-ch:
		if ok {
			t.Fatalf("unexpected delivery %v", v)
		}
	case <-time.After(50 * time.Millisecond):
	}
}

func closed[T any](t *testing.T, ch <-chan T) {
	t.Helper()
	deadline := time.After(2 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-deadline:
			t.Fatal("channel not closed")
		}
	}
}

func orderID(id int) *int { return &id }

func TestBroker_FanOutByRecipientAndOrder(t *testing.T) {
	b := notify.NewBroker()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ann1, ann2 := b.SubscribeNotifications(ctx, 1), b.SubscribeNotifications(ctx, 1)
	bob := b.SubscribeNotifications(ctx, 2)
	order7 := b.SubscribeOrder(ctx, 7)

	b.Publish([]*ent.Notification{{ID: 10, RecipientID: 1}, {ID: 11, RecipientID: 3}})
	if n := receive(t, ann1); n.ID != 10 {
		t.Fatalf("ann1 got %d", n.ID)
	}
	if n := receive(t, ann2); n.ID != 10 {
		t.Fatalf("ann2 got %d", n.ID)
	}
	nothing(t, bob)

	b.PublishEvent(&ent.AuditEvent{ID: 20, OrderID: orderID(8)})
	b.PublishEvent(&ent.AuditEvent{ID: 21}) // no order
	b.PublishEvent(&ent.AuditEvent{ID: 22, OrderID: orderID(7)})
	if e := receive(t, order7); e.ID != 22 {
		t.Fatalf("order 7 got event %d", e.ID)
	}
	nothing(t, order7)
}

func TestBroker_UnsubscribesWhenContextEnds(t *testing.T) {
	b := notify.NewBroker()
	ctx, cancel := context.WithCancel(context.Background())
	ch := b.SubscribeOrder(ctx, 1)
	other := b.SubscribeOrder(context.Background(), 1)
	if n := b.Subscribers(); n != 2 {
		t.Fatalf("%d subscribers, want 2", n)
	}
	cancel()
	closed(t, ch)
	if n := b.Subscribers(); n != 1 {
		t.Fatalf("%d subscribers after cancel, want 1", n)
	}
	b.PublishEvent(&ent.AuditEvent{ID: 1, OrderID: orderID(1)})
	if e := receive(t, other); e.ID != 1 {
		t.Fatalf("got %d", e.ID)
	}
}

// A subscriber that does not read is disconnected once its buffer is full;
// the publisher never waits for it, and the others still get everything.
func TestBroker_SlowSubscriberIsDisconnectedNotWaitedFor(t *testing.T) {
	b := notify.NewBroker()
	ctx := context.Background()
	slow := b.SubscribeNotifications(ctx, 1)
	fast := b.SubscribeNotifications(ctx, 1)
	var got []int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := range fast {
			got = append(got, n.ID)
			if len(got) == 3*notify.SubscriberBuffer {
				return
			}
		}
	}()
	published := make(chan struct{})
	go func() {
		defer close(published)
		for i := range 3 * notify.SubscriberBuffer {
			b.Publish([]*ent.Notification{{ID: i, RecipientID: 1}})
			if i%8 == 0 {
				time.Sleep(time.Millisecond) // let the fast reader keep up
			}
		}
	}()
	select {
	case <-published:
	case <-time.After(5 * time.Second):
		t.Fatal("Publish blocked on a subscriber that does not read")
	}
	<-done
	for i, id := range got {
		if id != i {
			t.Fatalf("fast subscriber got %v", got)
		}
	}
	n := 0
	for range slow {
		n++
	}
	if n != notify.SubscriberBuffer {
		t.Fatalf("slow subscriber got %d before being disconnected, want %d", n, notify.SubscriberBuffer)
	}
	if s := b.Subscribers(); s != 1 {
		t.Fatalf("%d subscribers left, want 1", s)
	}
}

func TestBroker_ConcurrentUse(t *testing.T) {
	b := notify.NewBroker()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			ctx, cancel := context.WithCancel(context.Background())
			ch := b.SubscribeOrder(ctx, i%3)
			for j := range 50 {
				b.PublishEvent(&ent.AuditEvent{ID: j, OrderID: orderID(j % 3)})
			}
			cancel()
			for range ch {
			}
		})
	}
	wg.Wait()
	if n := b.Subscribers(); n != 0 {
		t.Fatalf("%d subscribers left", n)
	}
	var nilBroker *notify.Broker
	nilBroker.Publish([]*ent.Notification{{ID: 1}}) // no broker: nothing to do
	nilBroker.PublishEvent(&ent.AuditEvent{ID: 1, OrderID: orderID(1)})
}

// Notifications and order events written in a transaction are published
// after it commits — in the order they were written, detached from the
// transaction — and never when it rolls back.
func TestBroker_PublishesAfterCommitOnly(t *testing.T) {
	db := storetest.New(t)
	b := notify.NewBroker()
	sys := auth.NewContext(context.Background(), auth.System("test"))
	u := db.Client.User.Create().SetEmail("rep@test.local").SetName("Rep").SetPasswordHash("x").
		SetRole(user.RoleSALES_REP).SaveX(sys)
	c := db.Client.Customer.Create().SetName("Acme").SetCurrency("EUR").SaveX(sys)
	o := db.Client.Order.Create().SetNumber("SO-1").SetCustomerID(c.ID).SetChannel(entorder.ChannelWEB).SetCurrency("EUR").SaveX(sys)

	ctx := notify.WithBroker(sys, b)
	sub, cancel := context.WithCancel(context.Background())
	defer cancel()
	notes := b.SubscribeNotifications(sub, u.ID)
	events := b.SubscribeOrder(sub, o.ID)

	write := func(ctx context.Context, fail error) error {
		return store.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
			for _, action := range []string{"order.first", "order.second", "order.third"} {
				if err := audit.Record(ctx, tx, audit.Event{Action: action, SubjectType: "Order", SubjectID: o.ID, OrderID: &o.ID}); err != nil {
					return err
				}
			}
			if err := audit.Record(ctx, tx, audit.Event{Action: "stock.unrelated", SubjectType: "StockItem", SubjectID: 1}); err != nil {
				return err
			}
			if err := notify.Send(ctx, tx, new(notify.Recipients).User(&u.ID), notify.Notice{Kind: "order.confirmed",
				Title: "Order SO-1 confirmed", SubjectType: "Order", SubjectID: o.ID, OrderID: &o.ID}); err != nil {
				return err
			}
			nothing(t, events) // not before the commit
			nothing(t, notes)
			return fail
		})
	}

	boom := errors.New("boom")
	if err := write(ctx, boom); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	nothing(t, events)
	nothing(t, notes)

	if err := write(sys, nil); err != nil { // no broker in ctx
		t.Fatal(err)
	}
	nothing(t, events)
	nothing(t, notes)

	if err := write(ctx, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"order.first", "order.second", "order.third"} {
		e := receive(t, events)
		if e.Action != want {
			t.Fatalf("event %q, want %q (in the order written)", e.Action, want)
		}
		// Detached from the finished transaction: its edges still load.
		if got, err := e.QueryOrder().Only(sys); err != nil || got.ID != o.ID {
			t.Fatalf("loading the order of a published event: %v", err)
		}
	}
	nothing(t, events)
	n := receive(t, notes)
	if n.Kind != "order.confirmed" || n.RecipientID != u.ID || n.ID == 0 {
		t.Fatalf("notification %+v", n)
	}
	if got, err := n.QueryRecipient().Only(sys); err != nil || got.ID != u.ID {
		t.Fatalf("loading the recipient of a published notification: %v", err)
	}
}
