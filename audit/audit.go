// Package audit appends to the audit log inside the transaction of the
// change it records, so a change and its record commit or fail together.
package audit

import (
	"context"
	"strconv"

	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/auditevent"
	"orderdesk/money"
	"orderdesk/notify"
	"orderdesk/outbox"
)

// MaxReason is how much of a reason the log keeps, in characters: a
// reason built from a code and a full-length note is clipped, not refused.
const MaxReason = 2000

// Event is one change to record. Action is a dotted verb such as
// "order.confirmed"; Subject names the record changed.
type Event struct {
	Action      string
	SubjectType string
	SubjectID   int
	OrderID     *int
	From, To    string
	Reason      string
	Amount      *int64
	Currency    string
	Before      map[string]any
	After       map[string]any
}

// Record appends e, naming the context's viewer as the actor. An event of
// an order also goes, once tx has committed, to the live subscribers of the
// order's timeline (notify.WithBroker). Within a Batch the event is written
// by Flush, with the others of the business action, in one statement.
func Record(ctx context.Context, tx *ent.Tx, e Event) error {
	c := build(ctx, tx, e)
	if b, ok := ctx.Value(batchKey{}).(*batch); ok {
		b.events = append(b.events, c)
		if outbox.Published(e.Action) {
			return outbox.Add(ctx, tx, eventOf(ctx, e))
		}
		return nil
	}
	ev, err := c.Save(ctx)
	if err != nil {
		return err
	}
	if err := notify.PublishOnCommit(ctx, tx, ev); err != nil {
		return err
	}
	if outbox.Published(e.Action) {
		return outbox.Add(ctx, tx, eventOf(ctx, e))
	}
	return nil
}

// eventOf is the outbox event of an audit event in the catalogue: what
// integrators are told of the change, in the API's shapes.
func eventOf(ctx context.Context, e Event) outbox.Event {
	v := auth.FromContext(ctx)
	actor := map[string]any{"kind": string(auditevent.ActorKindUSER)}
	switch {
	case v.IsSystem():
		actor["kind"], actor["name"] = string(auditevent.ActorKindSYSTEM), v.Name
	case v != nil:
		actor["name"] = v.Name
		if v.Role == auth.Integrator {
			actor["kind"] = string(auditevent.ActorKindINTEGRATOR)
		}
		if id := v.ActorID(); id != nil {
			actor["id"] = strconv.Itoa(*id)
		}
	}
	data := map[string]any{"actor": actor}
	if e.From != "" {
		data["fromStatus"] = e.From
	}
	if e.To != "" {
		data["toStatus"] = e.To
	}
	if e.Reason != "" {
		data["reason"] = clip.Runes(e.Reason, MaxReason)
	}
	if e.Amount != nil {
		data["amount"] = map[string]any{"amount": money.Format(*e.Amount, e.Currency), "currency": e.Currency}
	}
	if e.Before != nil {
		data["before"] = e.Before
	}
	if e.After != nil {
		data["after"] = e.After
	}
	return outbox.Event{Type: e.Action, SubjectType: e.SubjectType, SubjectID: e.SubjectID, OrderID: e.OrderID, Data: data}
}

func build(ctx context.Context, tx *ent.Tx, e Event) *ent.AuditEventCreate {
	v := auth.FromContext(ctx)
	kind, name := auditevent.ActorKindUSER, "anonymous"
	switch {
	case v.IsSystem():
		kind, name = auditevent.ActorKindSYSTEM, "system:"+v.Name
	case v != nil && v.Role == auth.Integrator:
		kind, name = auditevent.ActorKindINTEGRATOR, v.Name
	case v != nil:
		name = v.Name
	}
	return tx.AuditEvent.Create().
		SetActorKind(kind).
		SetActorName(name).
		SetNillableActorID(v.ActorID()).
		SetAction(e.Action).
		SetSubjectType(e.SubjectType).
		SetSubjectID(e.SubjectID).
		SetNillableOrderID(e.OrderID).
		SetFromStatus(e.From).
		SetToStatus(e.To).
		SetReason(clip.Runes(e.Reason, MaxReason)).
		SetNillableAmountMinor(e.Amount).
		SetCurrency(e.Currency).
		SetBefore(e.Before).
		SetAfter(e.After).
		SetRequestID(RequestID(ctx))
}

type batchKey struct{}

type batch struct{ events []*ent.AuditEventCreate }

// Batch returns a context in which Record collects the events of one
// business action for Flush, in the order they were recorded, and the
// outbox the events that leave the process.
func Batch(ctx context.Context) context.Context {
	return context.WithValue(outbox.Batch(ctx), batchKey{}, &batch{})
}

// Flush writes the events collected in ctx's batch in one statement, inside
// tx, before it commits; nothing happens without a batch or events.
func Flush(ctx context.Context, tx *ent.Tx) error {
	b, ok := ctx.Value(batchKey{}).(*batch)
	if !ok || len(b.events) == 0 {
		return outbox.Flush(ctx, tx)
	}
	events, err := tx.AuditEvent.CreateBulk(b.events...).Save(ctx)
	b.events = nil
	if err != nil {
		return err
	}
	for _, ev := range events {
		if err := notify.PublishOnCommit(ctx, tx, ev); err != nil {
			return err
		}
	}
	return outbox.Flush(ctx, tx)
}

type requestIDKey struct{}

// WithRequestID returns ctx carrying the HTTP request id, which every audit
// event and log line of the request repeats.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestID is the request id of ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
