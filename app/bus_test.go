package app_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"orderdesk/app"
	"orderdesk/app/apptest"
	"orderdesk/bus"
	"orderdesk/ent"
	"orderdesk/ent/auditevent"
	"orderdesk/ent/notification"
	"orderdesk/store/storetest"
)

// natsURL is the NATS server the bus tests use: ORDERDESK_TEST_NATS_URL,
// else one on this machine's default port. Without one the tests are
// skipped, unless ORDERDESK_REQUIRE_NATS=1 (CI starts one and sets that).
func natsURL(t *testing.T) string {
	t.Helper()
	url := os.Getenv("ORDERDESK_TEST_NATS_URL")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(url, "nats://"), time.Second)
	if err == nil {
		conn.Close()
		return url
	}
	if os.Getenv("ORDERDESK_REQUIRE_NATS") == "1" {
		t.Fatalf("no NATS server at %s: %v", url, err)
	}
	t.Skipf("no NATS server at %s (set ORDERDESK_TEST_NATS_URL)", url)
	return ""
}

// busFor connects one server to the test's own stream.
func busFor(t *testing.T, url, prefix string) *bus.Bus {
	t.Helper()
	b, err := bus.Connect(context.Background(), url, prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	return b
}

// TestBus_ASubscriberSeesAnotherServersCancellation: two servers on one
// database and one NATS; a rep's timeline subscription and a warehouse
// clerk's notifications, both on server A, receive what a cancellation
// made on server B committed — every event once, in order.
func TestBus_ASubscriberSeesAnotherServersCancellation(t *testing.T) {
	url := natsURL(t)
	prefix := fmt.Sprintf("odtest%d", time.Now().UnixNano())
	a := apptest.NewWith(t, storetest.New(t), app.Options{Bus: busFor(t, url, prefix)})
	b := a.Replica(t, app.Options{Bus: busFor(t, url, prefix)})
	w := newWorldOn(t, a)
	o := w.createConfirmed(t, 1, 2)

	endLive(t, a)
	rep, clerk := live(t, a, "SALES_REP"), live(t, a, "WAREHOUSE")
	rep.subscribe(t, "1", `subscription($id: ID!) { orderEvents(orderId: $id) { `+eventFields+` } }`, apptest.Vars{"id": o.ID})
	clerk.subscribe(t, "n", `subscription { notificationAdded { id kind } }`, nil)
	subscribers(t, a, 2)

	before := lastEventID(t, a)
	told := 0
	if last, err := a.DB.Client.Notification.Query().Order(ent.Desc(notification.FieldID)).First(a.Sys); err == nil {
		told = last.ID
	}
	must(t, mutate(t, b.As(t, "SALES_REP"), "cancelOrder", `mutation($o: ID!) { cancelOrder(input: {orderId: $o,
		reasonCode: CUSTOMER_REQUEST}) { `+userErrors+` } }`, apptest.Vars{"o": o.ID}, nil))

	want := a.DB.Client.AuditEvent.Query().Where(auditevent.OrderID(atoi(t, o.ID)), auditevent.IDGT(before)).
		Order(ent.Asc(auditevent.FieldID)).AllX(a.Sys)
	if len(want) == 0 {
		t.Fatal("the cancellation recorded no event")
	}
	// What the order's creation committed before the subscriptions began
	// may still be on its way through the bus when they do: it comes
	// first, in order, and is not what this test waits for.
	var got struct{ OrderEvents eventView }
	for rep.data(t, "1", &got); atoi(t, got.OrderEvents.ID) <= before; rep.data(t, "1", &got) {
	}
	for i, e := range want {
		if i > 0 {
			rep.data(t, "1", &got)
		}
		if got.OrderEvents.ID != apptest.ID(e.ID) || got.OrderEvents.Action != e.Action {
			t.Fatalf("event %+v, want %d %s", got.OrderEvents, e.ID, e.Action)
		}
	}
	var n struct{ NotificationAdded struct{ ID, Kind string } }
	for clerk.data(t, "n", &n); atoi(t, n.NotificationAdded.ID) <= told; clerk.data(t, "n", &n) {
	}
	if n.NotificationAdded.Kind != "cancellation.executed" {
		t.Fatalf("the clerk was told %+v", n.NotificationAdded)
	}
	rep.quiet(t, 300*time.Millisecond)
	clerk.quiet(t, 100*time.Millisecond)
}

// TestBus_ReconnectingSubscriberGetsNoRepeats: a graphql-ws subscriber on
// server A whose connection drops connects again and subscribes again; it
// is told of what server B commits next, once, and of nothing it was told
// before.
func TestBus_ReconnectingSubscriberGetsNoRepeats(t *testing.T) {
	url := natsURL(t)
	prefix := fmt.Sprintf("odtest%d", time.Now().UnixNano())
	a := apptest.NewWith(t, storetest.New(t), app.Options{Bus: busFor(t, url, prefix)})
	b := a.Replica(t, app.Options{Bus: busFor(t, url, prefix)})
	onB := newWorldOn(t, b)
	endLive(t, a)
	const sub = `subscription { notificationAdded { kind order { number } } }`
	type note struct {
		NotificationAdded struct {
			Kind  string
			Order struct{ Number string }
		}
	}
	for round := range 2 {
		rep := live(t, a, "SALES_REP")
		rep.subscribe(t, "n", sub, nil)
		subscribers(t, a, 1)
		o := onB.createConfirmed(t, 1, 0)
		var got note
		rep.data(t, "n", &got)
		if got.NotificationAdded.Kind != "order.confirmed" || got.NotificationAdded.Order.Number != o.Number {
			t.Fatalf("round %d: told %+v, want order.confirmed of %s", round, got.NotificationAdded, o.Number)
		}
		rep.quiet(t, 300*time.Millisecond)
		_ = rep.conn.CloseNow() // the phone loses its network
		subscribers(t, a, 0)
	}
}
