package app_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"orderdesk/app/apptest"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/outbox"
	"orderdesk/store"
)

// BenchmarkWebhookRelay relays committed events to a receiver on this
// machine that answers at once: each op is one round of the relay over
// 100 events of 100 subjects (as many orders changing at once), each
// dispatched, signed, posted and recorded; events/s is the throughput.
func BenchmarkWebhookRelay(b *testing.B) {
	env := apptest.New(b)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	b.Cleanup(srv.Close)
	var out struct {
		CreateWebhookEndpoint struct{ Errors []apptest.UserError }
	}
	env.As(b, "INTEGRATOR").MustDo(b, `mutation($u: String!) { createWebhookEndpoint(input: {url: $u}) { errors { code } } }`,
		apptest.Vars{"u": srv.URL + "/hooks"}, &out)
	if len(out.CreateWebhookEndpoint.Errors) > 0 {
		b.Fatal(out.CreateWebhookEndpoint.Errors)
	}
	ctx := auth.NewContext(context.Background(), auth.System("bench"))
	const batch = 100
	events := 0
	for b.Loop() {
		b.StopTimer()
		if err := store.WithTx(ctx, env.DB.Client, func(tx *ent.Tx) error {
			for i := range batch {
				if err := outbox.Add(ctx, tx, outbox.Event{Type: "order.updated", SubjectType: "Order", SubjectID: events + i}); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		n, err := env.Relay.Round(ctx)
		if err != nil || n != batch {
			b.Fatalf("settled %d of %d: %v", n, batch, err)
		}
		events += batch
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
}
