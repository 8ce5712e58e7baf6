package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// AuditEvent is one entry of the append-only log of every change by every
// actor. An order's timeline is the slice of events that name the order.
type AuditEvent struct{ ent.Schema }

func (AuditEvent) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

func (AuditEvent) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("actor_kind").Comment("What kind of actor made the change (see AuditEventActorKind).").Values("USER", "INTEGRATOR", "SYSTEM").Immutable(),
		field.String("actor_name").Comment("Who made it, as they were then: a user's email, system:<rule> for a background rule (system:customer for the customer on the confirmation page), or anonymous.").MaxRuneLen(254).Immutable(),
		field.String("action").Comment("What happened, as a dotted verb: order.confirmed, cancellation.requested, payment.refunded, ...").MaxRuneLen(64).Immutable().
			Annotations(entgql.OrderField("ACTION")),
		field.String("subject_type").Comment("The GraphQL type of the record changed (Order, Payment, CancellationRecord, ...).").MaxRuneLen(32).Immutable(),
		// The subject's id as the API's other ids (an ID: ids pass 2^31).
		field.Int("subject_id").Comment("The id of the record changed: node(id:) fetches it while it exists.").Immutable().Annotations(entgql.Type("ID")),
		field.String("from_status").Comment("The subject's status before the change, where the event records one; empty otherwise.").MaxRuneLen(32).Optional().Immutable(),
		field.String("to_status").Comment("The subject's status after the change, where the event records one; empty otherwise.").MaxRuneLen(32).Optional().Immutable(),
		field.String("reason").Comment("The reason or note given with the change (at most 2000 characters); empty if none.").MaxRuneLen(2000).Optional().Immutable(),
		field.Int64("amount_minor").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.String("currency").Comment("The ISO 4217 code of amount; empty when the event has no amount.").MaxRuneLen(3).Optional().Immutable(),
		field.JSON("before", map[string]any{}).Comment("Values before the change, by name, where the event records them; null otherwise.").Optional().Immutable().Annotations(entgql.Type("Map")),
		field.JSON("after", map[string]any{}).Comment("Values after the change (or the facts of the action), by name, where the event records them; null otherwise.").Optional().Immutable().Annotations(entgql.Type("Map")),
		field.String("request_id").Comment("The id of the HTTP request that made the change (its X-Request-ID); empty outside a request, as for background rules.").MaxRuneLen(64).Optional().Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.Int("order_id").Optional().Nillable().Immutable(),
	}
}

func (AuditEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("actor", User.Type).Comment("The user who made the change; null for the system.").Field("actor_id").Unique().Immutable(),
		edge.From("order", Order.Type).Ref("events").Comment("The order on whose timeline the event is; null when it belongs to none.").Field("order_id").Unique().Immutable(),
	}
}

func (AuditEvent) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("order_id", "created_at"),
		index.Fields("subject_type", "subject_id"),
		index.Fields("actor_id", "created_at"),
		index.Fields("action", "created_at"),
		index.Fields("created_at"),
	}
}

func (AuditEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("One entry of the append-only audit log: who changed what, when, from which status to which, why, and the values before and after. An order's timeline (Order.events) is its slice of the log; nothing updates or deletes an entry."),
		entgql.QueryField().Description("The audit log, filtered and ordered: all of it with audit:read; other roles that read orders see the events on the timelines of the orders they may read (a sales rep: their own customers')."),
		entgql.RelayConnection(),
	}
}

// Notification tells one user that something needs them. Notifications for a
// role are written once per member of the role, so each has its own read flag.
type Notification struct{ ent.Schema }

func (Notification) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

func (Notification) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind").Comment("What it is about, as a dotted name: cancellation.requested, complaint.overdue, contact.follow_up_due, ...").MaxRuneLen(64).Immutable(),
		field.String("title").Comment("The notification in a line.").MaxRuneLen(200).Immutable(),
		field.String("body").Comment("More detail; empty if none.").MaxRuneLen(2000).Optional().Immutable(),
		field.String("subject_type").Comment("The GraphQL type of the record it is about (Order, CancellationRecord, Complaint, ...).").MaxRuneLen(32).Immutable(),
		// The subject's id as the API's other ids (an ID: ids pass 2^31).
		field.Int("subject_id").Comment("The id of the record it is about: node(id:) fetches it.").Immutable().Annotations(entgql.Type("ID")),
		field.String("via_role").Comment("The role through which it reached the recipient (e.g. SALES_MANAGER), when it was sent to a role; empty when sent to them by name.").MaxRuneLen(32).Optional().Immutable(),
		optionalTime("read_at", "When the recipient marked it read; null while unread."),
		field.Int("recipient_id").Immutable(),
		field.Int("order_id").Optional().Nillable().Immutable(),
	}
}

func (Notification) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("recipient", User.Type).Ref("notifications").Comment("The user it is for.").Field("recipient_id").Unique().Required().Immutable(),
		edge.To("order", Order.Type).Comment("The order it concerns; null when none.").Field("order_id").Unique().Immutable(),
	}
}

func (Notification) Indexes() []ent.Index {
	return []ent.Index{index.Fields("recipient_id", "read_at", "created_at")}
}

func (Notification) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A message telling one member of staff that something needs them: a notification to a role is written once per active member, so each has its own read mark."),
		entgql.RelayConnection(),
	}
}

// IdempotencyKey remembers a mutation's first result under the client's key,
// so that a retry returns it instead of acting twice.
type IdempotencyKey struct{ ent.Schema }

func (IdempotencyKey) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

func (IdempotencyKey) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("operation").MaxRuneLen(64).Immutable(),
		field.String("key").MaxRuneLen(128).Immutable(),
		field.String("request_hash").MaxRuneLen(64).Immutable(),
		field.Bytes("response").Optional(),
		field.Time("expires_at").SchemaType(datetime),
	}
}

func (IdempotencyKey) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("user_id", "operation", "key").Unique(),
		index.Fields("expires_at"),
	}
}

func (IdempotencyKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// Sequence hands out human document numbers (SO-2026-000042) without gaps
// from concurrent writers: it is read and advanced under a row lock.
type Sequence struct{ ent.Schema }

func (Sequence) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").MaxRuneLen(32).Unique().Immutable(),
		field.Int64("last_value").Default(0),
	}
}

func (Sequence) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
