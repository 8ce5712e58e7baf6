package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"orderdesk/auth"
	"orderdesk/bus"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/outboxevent"
	"orderdesk/ent/predicate"
	"orderdesk/ent/webhookdelivery"
	"orderdesk/ent/webhookendpoint"
	"orderdesk/notify"
	"orderdesk/outbox"
	"orderdesk/store"
)

// Relay moves committed events out: Dispatch turns each outbox row into
// one delivery per active endpoint that takes its type, and Deliver posts
// the deliveries that are due. Several servers may run one each over the
// same database:
//   - dispatching locks the rows it dispatches (SELECT … FOR UPDATE) and
//     skips those another server dispatched while it waited, so each event
//     becomes its deliveries once;
//   - a delivery is taken by moving its next attempt forward by Lease in
//     one conditional update, as the notice sender does, so one server
//     posts it at a time, and one that dies with it leaves it to be taken
//     again when the lease ends: delivery is at least once, under the
//     event's stable webhook-id, which receivers use to drop repeats.
//
// An endpoint receives the events of one subject (an order and all it
// owns) in the order they committed: a delivery waits while an earlier one
// of its subject to the same endpoint is still pending.
type Relay struct {
	client    *ent.Client
	addresses Addresses
	http      *http.Client
	// Retries are the waits after each failed attempt; after the last
	// the delivery is FAILED.
	Retries []time.Duration
	// FlagAfter is how many deliveries given up in a row flag an
	// endpoint as failing (and tell its managers).
	FlagAfter int
	Lease     time.Duration
	Batch     int
	Now       func() time.Time
	// Bus, when set, carries the outbox's live records to every server's
	// subscribers (notify.Broker.Share).
	Bus  Publisher
	wake chan struct{}
}

// Publisher puts a live record on the bus under a message id.
type Publisher interface {
	Publish(ctx context.Context, id string, r bus.Record) error
}

// DefaultRetries is Standard Webhooks' suggested schedule: 5 s, 5 min,
// 30 min, 2 h, 5 h, 10 h, 10 h — eight attempts over about a day.
var DefaultRetries = []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour,
	5 * time.Hour, 10 * time.Hour, 10 * time.Hour}

// DefaultTimeout bounds one attempt.
const DefaultTimeout = 15 * time.Second

// NewRelay returns a relay over client posting to the addresses a permits.
func NewRelay(client *ent.Client, a Addresses) *Relay {
	return &Relay{client: client, addresses: a, http: a.client(DefaultTimeout), Retries: DefaultRetries,
		FlagAfter: 3, Lease: time.Minute, Batch: 100, Now: time.Now, wake: make(chan struct{}, 1)}
}

// SetTimeout sets how long one attempt may take.
func (r *Relay) SetTimeout(d time.Duration) { r.http = r.addresses.client(d) }

// Round dispatches what committed and delivers what is due; it returns
// how many deliveries it settled.
func (r *Relay) Round(ctx context.Context) (int, error) {
	ctx = auth.NewContext(ctx, auth.System("webhook-relay"))
	for {
		n, err := r.Dispatch(ctx)
		if err != nil {
			return 0, err
		}
		if n < r.Batch {
			break
		}
	}
	// A delivery waits for the earlier ones of its subject: each pass
	// sends the next of every subject, until a pass settles nothing.
	total := 0
	for {
		n, err := r.Deliver(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

// Dispatch turns up to Batch undispatched events into deliveries, in one
// transaction, and returns how many events it dispatched.
func (r *Relay) Dispatch(ctx context.Context) (int, error) {
	ctx = auth.NewContext(ctx, auth.System("webhook-relay"))
	now := r.Now().UTC()
	var n int
	err := store.WithTx(ctx, r.client, func(tx *ent.Tx) error {
		// Everything but the event's data, which only a delivery sends: a
		// commit wakes the relay, and decoding each event's snapshot of its
		// order here would cost every business action.
		rows, err := tx.OutboxEvent.Query().Where(outboxevent.DispatchedAtIsNil()).
			Order(ent.Asc(outboxevent.FieldID)).Limit(r.Batch).
			Select(outboxevent.FieldID, outboxevent.FieldType, outboxevent.FieldOrderID, outboxevent.FieldSubjectType,
				outboxevent.FieldSubjectID, outboxevent.FieldOccurredAt, outboxevent.FieldDispatchedAt,
				outboxevent.FieldSharesOrder).
			Modify(store.ForUpdate).All(ctx)
		if err != nil || len(rows) == 0 {
			return err
		}
		endpoints, err := tx.WebhookEndpoint.Query().Where(webhookendpoint.Active(true)).All(ctx)
		if err != nil {
			return err
		}
		var ids, live []int
		var deliveries []*ent.WebhookDeliveryCreate
		var delivered []*ent.OutboxEvent // events some endpoint takes
		for _, e := range rows {
			if e.DispatchedAt != nil { // another server dispatched it while this one waited
				continue
			}
			if outbox.Live(e.Type) {
				if err := r.publish(ctx, e); err != nil {
					return err
				}
				live = append(live, e.ID)
				continue
			}
			ids = append(ids, e.ID)
			taken := false
			for _, ep := range endpoints {
				if Takes(ep.EventTypes, e.Type) && !ep.CreatedAt.After(e.OccurredAt) {
					deliveries = append(deliveries, tx.WebhookDelivery.Create().SetEndpointID(ep.ID).SetEventID(e.ID).
						SetEventType(e.Type).SetSubjectKey(subjectKey(e)).SetNextAttemptAt(now))
					taken = true
				}
			}
			if taken {
				delivered = append(delivered, e)
			}
		}
		// What will be sent carries its whole payload; what no endpoint
		// takes is never read, and keeps sharing its order.
		if err := outbox.Complete(ctx, tx, rows, delivered); err != nil {
			return err
		}
		n = len(ids) + len(live)
		if len(live) > 0 { // on the bus: nothing more to keep
			if _, err := tx.OutboxEvent.Delete().Where(outboxevent.IDIn(live...)).Exec(ctx); err != nil {
				return err
			}
		}
		if len(ids) == 0 {
			return nil
		}
		if err := tx.WebhookDelivery.CreateBulk(deliveries...).Exec(ctx); err != nil {
			return err
		}
		return tx.OutboxEvent.Update().Where(outboxevent.IDIn(ids...)).SetDispatchedAt(now).Exec(ctx)
	})
	return n, err
}

// publish puts a live record on the bus, before the transaction that
// removes it from the outbox commits: a record published twice (that
// transaction failed) is dropped by the bus's duplicate window, as its
// message id is the record's.
func (r *Relay) publish(ctx context.Context, e *ent.OutboxEvent) error {
	if r.Bus == nil {
		return nil // no bus: nothing writes live records
	}
	kind := map[string]string{outbox.LiveEvent: "event", outbox.LiveNotification: "notification"}[e.Type]
	return r.Bus.Publish(ctx, outbox.ID(e.ID), bus.Record{Kind: kind, ID: e.SubjectID})
}

// subjectKey is what a delivery's order is kept by: the order the event
// belongs to, else its own subject.
func subjectKey(e *ent.OutboxEvent) string {
	if e.OrderID != nil {
		return "Order:" + strconv.Itoa(*e.OrderID)
	}
	return e.SubjectType + ":" + strconv.Itoa(e.SubjectID)
}

// due selects the deliveries a relay may take at now: pending, their next
// attempt come, not taken by another relay, and with no earlier delivery
// of their subject to their endpoint still pending.
func due(now time.Time) []predicate.WebhookDelivery {
	return []predicate.WebhookDelivery{webhookdelivery.StatusEQ(webhookdelivery.StatusPENDING),
		webhookdelivery.NextAttemptAtLTE(now),
		webhookdelivery.Or(webhookdelivery.TakenUntilIsNil(), webhookdelivery.TakenUntilLT(now)),
		func(s *entsql.Selector) {
			earlier := entsql.Table(webhookdelivery.Table).As("earlier")
			s.Where(entsql.Not(entsql.Exists(entsql.Select(earlier.C(webhookdelivery.FieldID)).From(earlier).Where(entsql.And(
				entsql.ColumnsEQ(earlier.C(webhookdelivery.FieldEndpointID), s.C(webhookdelivery.FieldEndpointID)),
				entsql.ColumnsEQ(earlier.C(webhookdelivery.FieldSubjectKey), s.C(webhookdelivery.FieldSubjectKey)),
				entsql.EQ(earlier.C(webhookdelivery.FieldStatus), webhookdelivery.StatusPENDING),
				entsql.ColumnsLT(earlier.C(webhookdelivery.FieldID), s.C(webhookdelivery.FieldID)))))))
		}}
}

// Deliver makes one attempt at each delivery due now, up to Batch, and
// returns how many it settled (succeeded or given up).
func (r *Relay) Deliver(ctx context.Context) (int, error) {
	ctx = auth.NewContext(ctx, auth.System("webhook-relay"))
	now := r.Now().UTC()
	ids, err := r.client.WebhookDelivery.Query().Where(due(now)...).
		Order(ent.Asc(webhookdelivery.FieldID)).Limit(r.Batch).IDs(ctx)
	if err != nil {
		return 0, err
	}
	settled := 0
	var errs []error
	for _, id := range ids {
		done, err := r.attempt(ctx, id, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("webhook delivery %d: %w", id, err))
		}
		if done {
			settled++
		}
	}
	return settled, errors.Join(errs...)
}

// attempt takes delivery id, if no other relay has, and posts it once.
func (r *Relay) attempt(ctx context.Context, id int, now time.Time) (bool, error) {
	lease := now.Add(r.Lease)
	taken, err := r.client.WebhookDelivery.Update().Where(append(due(now), webhookdelivery.ID(id))...).
		SetNextAttemptAt(lease).SetTakenUntil(lease).AddAttempts(1).AddVersion(1).Save(ctx)
	if err != nil || taken == 0 {
		return false, err
	}
	d, err := r.client.WebhookDelivery.Query().Where(webhookdelivery.ID(id)).WithEndpoint().WithEvent().Only(ctx)
	if err != nil {
		return false, err
	}
	res := r.post(ctx, d.Edges.Endpoint, d.Edges.Event, now)
	return r.settle(ctx, d, res, now)
}

// Message is the body of an event's message: Standard Webhooks' shape,
// with the event's id repeated for receivers that log bodies alone.
func Message(e *ent.OutboxEvent) ([]byte, error) {
	return json.Marshal(map[string]any{"id": outbox.ID(e.ID), "type": e.Type,
		"timestamp": e.OccurredAt.UTC().Format(time.RFC3339Nano), "data": e.Data})
}

type result struct {
	ok      bool
	code    *int
	latency int
	problem string
}

func (r *Relay) post(ctx context.Context, ep *ent.WebhookEndpoint, e *ent.OutboxEvent, now time.Time) result {
	body, err := Message(e)
	if err != nil {
		return result{problem: err.Error()}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ep.URL, bytes.NewReader(body))
	if err != nil {
		return result{problem: err.Error()}
	}
	secrets := []string{ep.Secret}
	if ep.PreviousSecret != "" && ep.PreviousSecretUntil != nil && now.Before(*ep.PreviousSecretUntil) {
		secrets = append(secrets, ep.PreviousSecret)
	}
	// The timestamp is the wall clock's, whatever the relay's schedule
	// says: receivers reject messages far from their own time.
	if err := signHeaders(req.Header, outbox.ID(e.ID), time.Now(), body, secrets...); err != nil {
		return result{problem: err.Error()}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "orderdesk-webhooks/1")
	start := time.Now()
	resp, err := r.http.Do(req)
	out := result{latency: int(time.Since(start).Milliseconds())}
	if err != nil {
		out.problem = err.Error()
		return out
	}
	defer resp.Body.Close()
	excerpt, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	out.code = &resp.StatusCode
	out.ok = resp.StatusCode >= 200 && resp.StatusCode < 300
	if !out.ok {
		out.problem = resp.Status
		if len(excerpt) > 0 {
			out.problem += ": " + string(excerpt)
		}
	}
	return out
}

// settle records the attempt that took d, unless its lease ran out and
// another relay took it meanwhile. A delivery given up counts against its
// endpoint, which is flagged — and its managers told — when FlagAfter
// come in a row; a success clears that.
func (r *Relay) settle(ctx context.Context, d *ent.WebhookDelivery, res result, now time.Time) (bool, error) {
	status := webhookdelivery.StatusPENDING
	switch {
	case res.ok:
		status = webhookdelivery.StatusSUCCEEDED
	case d.Attempts > len(r.Retries):
		status = webhookdelivery.StatusFAILED
	}
	settled := false
	err := store.WithTx(store.WithNow(ctx, now), r.client, func(tx *ent.Tx) error {
		u := tx.WebhookDelivery.Update().Where(webhookdelivery.ID(d.ID), webhookdelivery.Attempts(d.Attempts),
			webhookdelivery.StatusEQ(webhookdelivery.StatusPENDING)).
			SetStatus(status).SetLastLatencyMs(res.latency).
			SetLastError(clip.Runes(res.problem, 1000)).ClearTakenUntil().AddVersion(1)
		if res.code != nil {
			u.SetLastStatusCode(*res.code)
		} else { // no answer: no status code, not the one of the attempt before
			u.ClearLastStatusCode()
		}
		switch status {
		case webhookdelivery.StatusSUCCEEDED:
			u.SetDeliveredAt(now)
		case webhookdelivery.StatusPENDING:
			u.SetNextAttemptAt(now.Add(jitter(r.Retries[d.Attempts-1])))
		}
		k, err := u.Save(ctx)
		if err != nil || k == 0 || status == webhookdelivery.StatusPENDING {
			return err
		}
		settled = true
		return r.count(ctx, tx, d.Edges.Endpoint, status == webhookdelivery.StatusSUCCEEDED, now)
	})
	return settled, err
}

// count keeps an endpoint's run of deliveries given up.
func (r *Relay) count(ctx context.Context, tx *ent.Tx, ep *ent.WebhookEndpoint, ok bool, now time.Time) error {
	if ok {
		return tx.WebhookEndpoint.Update().Where(webhookendpoint.ID(ep.ID), webhookendpoint.ConsecutiveFailuresGT(0)).
			SetConsecutiveFailures(0).ClearFlaggedAt().Exec(ctx)
	}
	ep, err := tx.WebhookEndpoint.UpdateOneID(ep.ID).AddConsecutiveFailures(1).Save(ctx)
	if err != nil || ep.ConsecutiveFailures < r.FlagAfter || ep.FlaggedAt != nil {
		return err
	}
	if err := tx.WebhookEndpoint.UpdateOneID(ep.ID).SetFlaggedAt(now).Exec(ctx); err != nil {
		return err
	}
	return notify.Send(ctx, tx, new(notify.Recipients).User(ep.CreatedByID).Role(auth.Admin), notify.Notice{
		Kind: "webhook.failing", Title: "Webhook deliveries to " + clip.Runes(ep.URL, 200) + " keep failing",
		Body:        fmt.Sprintf("%d deliveries in a row were given up; see webhookDeliveries.", ep.ConsecutiveFailures),
		SubjectType: "WebhookEndpoint", SubjectID: ep.ID})
}

// jitter spreads retries of many deliveries failed at once over ±20 % of d.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}

// Wake asks the relay's loop (Run) for a round now; it never blocks.
func (r *Relay) Wake() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run makes a round every interval, and when woken (at most one round per
// store.WakeGap), until ctx ends.
func (r *Relay) Run(ctx context.Context, every time.Duration, round func(n int, err error)) {
	store.Rounds(ctx, every, r.wake, func() { round(r.Round(ctx)) })
}

// Retention is how long dispatched events and their settled deliveries
// are kept, for webhookDeliveries and redeliveries.
const Retention = 30 * 24 * time.Hour

// Sweep deletes the events dispatched more than Retention before now
// whose deliveries are all settled, with those deliveries; an event with
// a delivery still pending stays. A background rule calls it.
func (r *Relay) Sweep(ctx context.Context, now time.Time) (int, error) {
	ctx = auth.NewContext(ctx, auth.System("webhook-relay"))
	var n int
	err := store.WithTx(ctx, r.client, func(tx *ent.Tx) error {
		ids, err := tx.OutboxEvent.Query().Where(outboxevent.DispatchedAtLT(now.Add(-Retention)),
			outboxevent.Not(outboxevent.HasDeliveriesWith(webhookdelivery.StatusEQ(webhookdelivery.StatusPENDING)))).
			Limit(1000).IDs(ctx)
		if err != nil || len(ids) == 0 {
			return err
		}
		if _, err := tx.WebhookDelivery.Delete().Where(webhookdelivery.EventIDIn(ids...)).Exec(ctx); err != nil {
			return err
		}
		n, err = tx.OutboxEvent.Delete().Where(outboxevent.IDIn(ids...)).Exec(ctx)
		return err
	})
	return n, err
}
