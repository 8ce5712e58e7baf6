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
		field.Enum("actor_kind").Values("USER", "INTEGRATOR", "SYSTEM").Immutable(),
		field.String("actor_name").MaxRuneLen(254).Immutable(),
		field.String("action").MaxRuneLen(64).Immutable().
			Annotations(entgql.OrderField("ACTION")),
		field.String("subject_type").MaxRuneLen(32).Immutable(),
		// The subject's id as the API's other ids (an ID: ids pass 2^31).
		field.Int("subject_id").Immutable().Annotations(entgql.Type("ID")),
		field.String("from_status").MaxRuneLen(32).Optional().Immutable(),
		field.String("to_status").MaxRuneLen(32).Optional().Immutable(),
		field.String("reason").MaxRuneLen(2000).Optional().Immutable(),
		field.Int64("amount_minor").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.String("currency").MaxRuneLen(3).Optional().Immutable(),
		field.JSON("before", map[string]any{}).Optional().Immutable().Annotations(entgql.Type("Map")),
		field.JSON("after", map[string]any{}).Optional().Immutable().Annotations(entgql.Type("Map")),
		field.String("request_id").MaxRuneLen(64).Optional().Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.Int("order_id").Optional().Nillable().Immutable(),
	}
}

func (AuditEvent) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("actor", User.Type).Field("actor_id").Unique().Immutable(),
		edge.From("order", Order.Type).Ref("events").Field("order_id").Unique().Immutable(),
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
	return []schema.Annotation{entgql.QueryField(), entgql.RelayConnection()}
}

// Notification tells one user that something needs them. Notifications for a
// role are written once per member of the role, so each has its own read flag.
type Notification struct{ ent.Schema }

func (Notification) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

func (Notification) Fields() []ent.Field {
	return []ent.Field{
		field.String("kind").MaxRuneLen(64).Immutable(),
		field.String("title").MaxRuneLen(200).Immutable(),
		field.String("body").MaxRuneLen(2000).Optional().Immutable(),
		field.String("subject_type").MaxRuneLen(32).Immutable(),
		// The subject's id as the API's other ids (an ID: ids pass 2^31).
		field.Int("subject_id").Immutable().Annotations(entgql.Type("ID")),
		field.String("via_role").MaxRuneLen(32).Optional().Immutable(),
		optionalTime("read_at"),
		field.Int("recipient_id").Immutable(),
		field.Int("order_id").Optional().Nillable().Immutable(),
	}
}

func (Notification) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("recipient", User.Type).Ref("notifications").Field("recipient_id").Unique().Required().Immutable(),
		edge.To("order", Order.Type).Field("order_id").Unique().Immutable(),
	}
}

func (Notification) Indexes() []ent.Index {
	return []ent.Index{index.Fields("recipient_id", "read_at", "created_at")}
}

func (Notification) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
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
