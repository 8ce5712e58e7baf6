package app_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"orderdesk/app/apptest"
	"orderdesk/ent/auditevent"
	"orderdesk/webhook"
)

// TestWebhook_TwoRelaysDeliverOnce: two servers' relays over one database
// (MariaDB in the suite's second pass) dispatch and deliver at the same
// time while orders change: every event reaches the endpoint exactly once.
func TestWebhook_TwoRelaysDeliverOnce(t *testing.T) {
	for round := range 3 {
		w := newWorld(t)
		r := newReceiver(t)
		w.subscribe(t, r, "order.*", "payment.*")
		allow, _ := webhook.ParseAddresses("127.0.0.0/8")
		relays := []*webhook.Relay{w.env.Relay, webhook.NewRelay(w.env.DB.Client, allow)}
		stop := make(chan struct{})
		var wg sync.WaitGroup
		for _, rl := range relays {
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					default:
					}
					if _, err := rl.Round(context.Background()); err != nil {
						t.Errorf("round %d: %v", round, err)
					}
				}
			})
		}
		for range 4 {
			o := w.createConfirmed(t, 1, 0)
			w.pay(t, o.ID, o.Total.Amount)
		}
		close(stop)
		wg.Wait()
		w.relay(t) // what the last commits left
		seen := map[string]int{}
		for _, m := range r.messages() {
			seen[m.ID]++
		}
		var events int
		if err := w.env.DB.SQL.QueryRow(`SELECT COUNT(*) FROM outbox_events WHERE type LIKE 'order.%' OR type LIKE 'payment.%'`).Scan(&events); err != nil {
			t.Fatal(err)
		}
		if len(seen) != events {
			t.Fatalf("round %d: %d of %d events received", round, len(seen), events)
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("round %d: %s received %d times", round, id, n)
			}
		}
	}
}

// TestWebhook_EndpointChangedWhileActionsCommit: an endpoint created, or
// switched on again, while voids commit on other connections (MariaDB in
// the suite's second pass) gets the event of every void that occurred from
// that change on (and, when created, none before), though an action writes
// only the events some endpoint takes (outbox.taken).
func TestWebhook_EndpointChangedWhileActionsCommit(t *testing.T) {
	integrator := func(w *world) *apptest.Client { return w.env.As(t, "INTEGRATOR") }
	switchTo := func(w *world, id string, on bool) {
		must(t, mutate(t, integrator(w), "updateWebhookEndpoint", `mutation($id: ID!, $on: Boolean!) {
			updateWebhookEndpoint(input: {id: $id, active: $on}) { `+userErrors+` } }`, apptest.Vars{"id": id, "on": on}, nil))
	}
	after := 0 // voids that occurred after the change, over the rounds
	for round := range 6 {
		switchedOn := round%2 == 1 // else created
		w := newWorld(t)
		var orders []orderView
		for range 16 {
			o := w.createConfirmed(t, 0, 1)
			w.pay(t, o.ID, o.Total.Amount)
			orders = append(orders, o)
		}
		manager := w.env.As(t, "SALES_MANAGER")
		r := newReceiver(t)
		var ep endpointView
		if switchedOn {
			ep = w.subscribe(t, r, "order.voided")
			switchTo(w, ep.ID, false)
		}
		// The change takes 30 ms after it is stamped, as on a busy server:
		// voids that begin meanwhile still reach the endpoint.
		w.env.Webhooks.Now = func() time.Time {
			now := time.Now()
			time.Sleep(30 * time.Millisecond)
			return now
		}
		var next atomic.Int32
		started := make(chan struct{})
		var once sync.Once
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if i >= len(orders) {
						return
					}
					if i == 3 {
						once.Do(func() { close(started) })
					}
					if errs := mutate(t, manager, "voidOrder", `mutation($o: ID!) { voidOrder(input: {orderId: $o,
						reasonCode: DUPLICATE_ORDER}) { `+userErrors+` } }`, apptest.Vars{"o": orders[i].ID}, nil); len(errs) > 0 {
						t.Errorf("round %d: void %d: %+v", round, i, errs)
					}
				}
			})
		}
		<-started
		if switchedOn {
			switchTo(w, ep.ID, true)
		} else {
			ep = w.subscribe(t, r, "order.voided")
		}
		wg.Wait()
		w.relay(t)
		saved := w.env.DB.Client.WebhookEndpoint.GetX(w.env.Sys, cxAtoi(t, ep.ID))
		change, what := saved.CreatedAt, "creation"
		if switchedOn {
			change, what = saved.UpdatedAt, "switching on"
		}
		got := map[string]bool{}
		for _, m := range r.messages() {
			order, _ := m.Body["order"].(map[string]any)
			got[fmt.Sprint(order["id"])] = true
		}
		voids := w.env.DB.Client.AuditEvent.Query().Where(auditevent.Action("order.voided")).AllX(w.env.Sys)
		if len(voids) != len(orders) {
			t.Fatalf("round %d: %d voids recorded, want %d", round, len(voids), len(orders))
		}
		for _, v := range voids {
			id := strconv.Itoa(*v.OrderID)
			switch {
			case !v.CreatedAt.Before(change) && !got[id]:
				t.Errorf("round %d: the void of %s at %s, after the endpoint's %s at %s, did not reach it",
					round, id, v.CreatedAt.Format(time.RFC3339Nano), what, change.Format(time.RFC3339Nano))
			case v.CreatedAt.Before(change) && got[id] && !switchedOn:
				// Switched on again, it may also get a void from shortly
				// before, which read the endpoint's interest after the change.
				t.Errorf("round %d: the void of %s before the endpoint's %s reached it", round, id, what)
			case !v.CreatedAt.Before(change):
				after++
			}
		}
	}
	t.Logf("%d of 96 voids occurred after their endpoint's creation or switching on", after)
}
