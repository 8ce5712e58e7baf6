package app_test

import (
	"context"
	"sync"
	"testing"

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
