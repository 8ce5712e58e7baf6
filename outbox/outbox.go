// Package outbox writes the business events that leave the process — to
// integrators' webhooks and to the other servers — in the transaction of
// the change they announce (a transactional outbox): nothing is published
// that did not commit, and nothing that committed is lost when the process
// dies before it is sent. Package webhook relays them.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"orderdesk/ent"
	"orderdesk/ent/outboxevent"
	"orderdesk/ent/privacy"
	"orderdesk/store"
)

// Event is one business event: its type in the catalogue, the record it is
// about, the order it belongs to, and its payload.
type Event struct {
	Type        string
	SubjectType string
	SubjectID   int
	OrderID     *int
	Data        map[string]any
}

// catalogue are the families of events integrators receive: every audit
// action whose name starts with one of them (order.cancelled,
// payment.refunded, shipment.exception_reported, …) and the stock
// movements. Sign-ins, user management and the notice sender's own
// bookkeeping stay inside.
var catalogue = []string{"order.", "payment.", "shipment.", "return.", "correction.", "cancellation.",
	"complaint.", "invoice.", "stock."}

// The live records: not events for integrators but what the bus carries
// to other servers' subscribers (notify.Broker.Share) — a timeline event
// or a notification, by id.
const (
	LiveEvent        = "_live.event"
	LiveNotification = "_live.notification"
)

// Live reports whether t is a live record's type.
func Live(t string) bool { return strings.HasPrefix(t, "_live.") }

// Published reports whether events of type t leave the process.
func Published(t string) bool {
	for _, p := range catalogue {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// Families lists the catalogue's families, for the API's description and
// the validation of endpoints' event types.
func Families() []string { return catalogue }

// ID is the stable id of the event stored as row id: the webhook-id of
// every message that carries it.
func ID(rowID int) string { return "evt_" + strconv.Itoa(rowID) }

// ParseID reads an event id back; false when it is not one.
func ParseID(s string) (int, bool) {
	n, err := strconv.Atoi(strings.TrimPrefix(s, "evt_"))
	return n, err == nil && strings.HasPrefix(s, "evt_") && n > 0
}

type batchKey struct{}

type batch struct {
	events []Event
	orders map[int]func() map[string]any
}

// Batch returns a context in which Add collects the events of one business
// action for Flush.
func Batch(ctx context.Context) context.Context {
	return context.WithValue(ctx, batchKey{}, &batch{})
}

// Describe registers how the payloads of the batch's events of order id
// show that order: describe is called at Flush, so the events show the
// order as the action leaves it. Without a batch it does nothing.
func Describe(ctx context.Context, id int, describe func() map[string]any) {
	b, ok := ctx.Value(batchKey{}).(*batch)
	if !ok {
		return
	}
	if b.orders == nil {
		b.orders = map[int]func() map[string]any{}
	}
	b.orders[id] = describe
}

// Add writes e in tx — within a Batch, at Flush with the action's other
// events in one statement.
func Add(ctx context.Context, tx *ent.Tx, e Event) error {
	if b, ok := ctx.Value(batchKey{}).(*batch); ok {
		b.events = append(b.events, e)
		return nil
	}
	return write(ctx, tx, []Event{e}, nil)
}

// Flush writes the events collected in ctx's batch inside tx, before it
// commits; nothing happens without a batch or events.
func Flush(ctx context.Context, tx *ent.Tx) error {
	b, ok := ctx.Value(batchKey{}).(*batch)
	if !ok || len(b.events) == 0 {
		return nil
	}
	events := b.events
	b.events = nil
	return write(ctx, tx, events, b.orders)
}

// encodeOrder is the order's part of an event: as describe gives it, or
// just its id when the action described none.
func encodeOrder(id int, describe func() map[string]any) (json.RawMessage, error) {
	order := map[string]any{"id": strconv.Itoa(id)}
	if describe != nil {
		order = describe()
	}
	return json.Marshal(order)
}

// Matches reports whether t is one of types: an event's name
// (order.cancelled) or its family (order.*).
func Matches(types []string, t string) bool {
	for _, x := range types {
		if x == t || (strings.HasSuffix(x, ".*") && strings.HasPrefix(t, strings.TrimSuffix(x, "*"))) {
			return true
		}
	}
	return false
}

// taken are those of events that leave the process: every live record
// (the bus carries them all), and the integrators' events some active
// webhook endpoint takes, as the webhook interest says. The interest is
// read under a shared lock, as the action's last read: a change to the
// endpoints locks it exclusively before it changes them and stamps the
// change after the lock (webhook.Service), so an action that read it
// before the change committed began before the change, and one that began
// after the change sees it. The relay gives an endpoint the events that
// occurred from its creation on: each of those is written. Without shared
// locks (TiDB), or without the row, everything is written.
func taken(ctx context.Context, tx *ent.Tx, events []Event) ([]Event, error) {
	published := false
	for _, e := range events {
		published = published || !Live(e.Type)
	}
	if !published || !store.SharedLocks() {
		return events, nil
	}
	// One row, unless two changes made it at once when it was missing:
	// then what any of them says is taken.
	rows, err := tx.WebhookInterest.Query().Modify(store.ForShare).All(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil || len(rows) == 0 {
		return events, err
	}
	var types []string
	for _, in := range rows {
		if in.EveryType {
			return events, nil
		}
		types = append(types, in.EventTypes...)
	}
	kept := make([]Event, 0, len(events))
	for _, e := range events {
		if Live(e.Type) || Matches(types, e.Type) {
			kept = append(kept, e)
		}
	}
	return kept, nil
}

func write(ctx context.Context, tx *ent.Tx, events []Event, orders map[int]func() map[string]any) error {
	events, err := taken(ctx, tx, events)
	if err != nil || len(events) == 0 {
		return err
	}
	now, ok := store.TxNow(ctx)
	if !ok {
		now = time.Now().UTC()
	}
	rows := make([]*ent.OutboxEventCreate, len(events))
	// An action's events of one order carry the order as the action left
	// it, described and encoded once; the first of them stores it and the
	// others share it (SharesOrder) until the relay completes those an
	// endpoint takes. A void writes five or so events: the order, about a
	// kilobyte, once instead of five times.
	encoded := map[int]json.RawMessage{}
	for i, e := range events {
		data := e.Data
		if data == nil {
			data = map[string]any{}
		}
		data["subject"] = map[string]any{"type": e.SubjectType, "id": strconv.Itoa(e.SubjectID)}
		shares := false
		if e.OrderID != nil && !Live(e.Type) {
			if _, ok := encoded[*e.OrderID]; ok {
				shares = true
			} else {
				order, err := encodeOrder(*e.OrderID, orders[*e.OrderID])
				if err != nil {
					return err
				}
				encoded[*e.OrderID], data["order"] = order, order
			}
		}
		rows[i] = tx.OutboxEvent.Create().SetType(e.Type).SetSubjectType(e.SubjectType).SetSubjectID(e.SubjectID).
			SetNillableOrderID(e.OrderID).SetOccurredAt(now).SetData(data).SetSharesOrder(shares)
	}
	return tx.OutboxEvent.CreateBulk(rows...).Exec(privacy.DecisionContext(ctx, privacy.Allow))
}

// Complete writes into each event of take that shares its order the order
// it shares: that of the nearest earlier event of the same order that
// stores it, which the same action wrote in the same INSERT. batch is the
// relay's batch of events in id order, take those of it that endpoints
// take: a holder in the batch is found there, one dispatched by an earlier
// batch is looked up. The relay completes an event before it has
// deliveries, so that every event anyone reads carries its whole payload.
// Statements: one read of the events' and holders' data, one update per
// event completed, and one lookup per holder outside the batch.
func Complete(ctx context.Context, tx *ent.Tx, batch, take []*ent.OutboxEvent) error {
	completing := map[int]bool{}
	for _, e := range take {
		if e.SharesOrder && e.OrderID != nil {
			completing[e.ID] = true
		}
	}
	if len(completing) == 0 {
		return nil
	}
	holderOf := map[int]int{} // sharing event → the event that stores its order
	stored := map[int]int{}   // order → the batch's latest event storing it
	ids := []int{}
	for _, e := range batch {
		switch {
		case e.OrderID == nil:
		case !e.SharesOrder:
			stored[*e.OrderID] = e.ID
		case completing[e.ID]:
			h, ok := stored[*e.OrderID]
			if !ok {
				var err error
				if h, err = tx.OutboxEvent.Query().Where(outboxevent.OrderID(*e.OrderID), outboxevent.IDLT(e.ID),
					outboxevent.SharesOrder(false)).Order(ent.Desc(outboxevent.FieldID)).FirstID(ctx); err != nil {
					return fmt.Errorf("the order of event %d: %w", e.ID, err)
				}
			}
			holderOf[e.ID] = h
			ids = append(ids, e.ID, h)
		}
	}
	read, err := tx.OutboxEvent.Query().Where(outboxevent.IDIn(ids...)).All(ctx)
	if err != nil {
		return err
	}
	data := map[int]map[string]any{}
	for _, e := range read {
		data[e.ID] = e.Data
	}
	for _, e := range take {
		h, ok := holderOf[e.ID]
		if !ok {
			continue
		}
		order, ok := data[h]["order"]
		if !ok {
			return fmt.Errorf("event %d shares the order of event %d, which has none", e.ID, h)
		}
		full := data[e.ID]
		full["order"] = order
		if err := tx.OutboxEvent.UpdateOneID(e.ID).SetData(full).SetSharesOrder(false).Exec(ctx); err != nil {
			return err
		}
		e.Data, e.SharesOrder = full, false
	}
	return nil
}
