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
// order's timeline (notify.WithBroker).
func Record(ctx context.Context, tx *ent.Tx, e Event) error {
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
	ev, err := tx.AuditEvent.Create().
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
		SetRequestID(RequestID(ctx)).
		Save(ctx)
	if err != nil {
		return err
	}
	notify.PublishOnCommit(ctx, tx, ev)
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
