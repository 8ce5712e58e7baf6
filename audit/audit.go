// Package audit appends to the audit log inside the transaction of the
// change it records, so a change and its record commit or fail together.
package audit

import (
	"context"

	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/auditevent"
	"orderdesk/notify"
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
		return nil
	}
	ev, err := c.Save(ctx)
	if err != nil {
		return err
	}
	notify.PublishOnCommit(ctx, tx, ev)
	return nil
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
// business action for Flush, in the order they were recorded.
func Batch(ctx context.Context) context.Context {
	return context.WithValue(ctx, batchKey{}, &batch{})
}

// Flush writes the events collected in ctx's batch in one statement, inside
// tx, before it commits; nothing happens without a batch or events.
func Flush(ctx context.Context, tx *ent.Tx) error {
	b, ok := ctx.Value(batchKey{}).(*batch)
	if !ok || len(b.events) == 0 {
		return nil
	}
	events, err := tx.AuditEvent.CreateBulk(b.events...).Save(ctx)
	b.events = nil
	if err != nil {
		return err
	}
	for _, ev := range events {
		notify.PublishOnCommit(ctx, tx, ev)
	}
	return nil
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
