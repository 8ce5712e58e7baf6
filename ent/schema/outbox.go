package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// OutboxEvent is a committed business event on its way out of the
// process: written in the transaction of the change it announces, so that
// nothing is published that did not commit and nothing that committed is
// lost. The relay (package webhook) fans it out to the webhook endpoints
// that take its type, then marks it dispatched.
type OutboxEvent struct{ ent.Schema }

func (OutboxEvent) Fields() []ent.Field {
	return []ent.Field{
		// Type is the event's name in the catalogue (outbox.Types), e.g.
		// order.cancelled.
		field.String("type").MaxRuneLen(64).Immutable(),
		// The record the event is about, by its GraphQL type and id.
		field.String("subject_type").MaxRuneLen(32).Immutable(),
		field.Int("subject_id").Immutable(),
		// The order it belongs to, when it belongs to one: events of one
		// order reach each endpoint in the order they committed.
		field.Int("order_id").Optional().Nillable().Immutable(),
		field.Time("occurred_at").Immutable().SchemaType(datetime),
		// Data is the event's payload as integrators receive it.
		field.JSON("data", map[string]any{}).Immutable().Annotations(entgql.Skip()),
		optionalTime("dispatched_at"),
	}
}

func (OutboxEvent) Edges() []ent.Edge {
	return []ent.Edge{edge.To("deliveries", WebhookDelivery.Type)}
}

func (OutboxEvent) Indexes() []ent.Index {
	return []ent.Index{index.Fields("dispatched_at", "id")}
}

func (OutboxEvent) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip()}
}

// WebhookEndpoint is an integrator's receiver of events: an http(s) URL,
// the event types it takes (all when none are named) and the secret its
// messages are signed with (Standard Webhooks). While a secret is being
// rotated, the previous one signs too until PreviousSecretUntil.
type WebhookEndpoint struct{ ent.Schema }

func (WebhookEndpoint) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (WebhookEndpoint) Fields() []ent.Field {
	return []ent.Field{
		field.String("url").MaxRuneLen(2000),
		field.String("description").MaxRuneLen(500).Optional(),
		field.Strings("event_types").Optional(),
		field.String("secret").Sensitive().Annotations(entgql.Skip()),
		field.String("previous_secret").Sensitive().Optional().Annotations(entgql.Skip()),
		field.Time("previous_secret_until").Optional().Nillable().SchemaType(datetime).Annotations(entgql.Skip()),
		// Active: deliveries are made; an inactive endpoint gets none.
		field.Bool("active").Default(true),
		// ConsecutiveFailures counts the deliveries given up since the
		// last success; FlaggedAt is set when they reach the threshold,
		// and cleared by a success.
		field.Int("consecutive_failures").Default(0),
		optionalTime("flagged_at"),
		field.Int("created_by_id").Optional().Nillable().Immutable(),
	}
}

func (WebhookEndpoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("deliveries", WebhookDelivery.Type).Annotations(entgql.Skip()),
		edge.To("created_by", User.Type).Field("created_by_id").Unique().Immutable(),
	}
}

func (WebhookEndpoint) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection(), entgql.QueryField("webhookEndpoints")}
}

// WebhookDelivery is one event on its way to one endpoint: at least once,
// retried with growing waits until it succeeds or is given up (FAILED).
type WebhookDelivery struct{ ent.Schema }

func (WebhookDelivery) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.Int("endpoint_id").Immutable(),
		field.Int("event_id").Immutable().Annotations(entgql.Skip()),
		field.String("event_type").MaxRuneLen(64).Immutable(),
		// SubjectKey orders an endpoint's deliveries: one of a key waits
		// for the earlier ones of that key (an order's events, in order).
		field.String("subject_key").MaxRuneLen(64).Immutable().Annotations(entgql.Skip()),
		field.Enum("status").Values("PENDING", "SUCCEEDED", "FAILED").Default("PENDING").
			Annotations(entgql.OrderField("STATUS")),
		field.Int("attempts").Default(0),
		field.Time("next_attempt_at").SchemaType(datetime),
		field.Time("taken_until").Optional().Nillable().SchemaType(datetime).Annotations(entgql.Skip()),
		field.Int("last_status_code").Optional().Nillable(),
		field.Int("last_latency_ms").Optional().Nillable(),
		field.String("last_error").MaxRuneLen(1000).Optional(),
		optionalTime("delivered_at"),
		// A redelivery asked for by staff names the delivery it repeats.
		field.Int("redelivery_of_id").Optional().Nillable().Immutable().Annotations(entgql.Type("ID")),
	}
}

func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("endpoint", WebhookEndpoint.Type).Ref("deliveries").Field("endpoint_id").Unique().Required().Immutable(),
		edge.From("event", OutboxEvent.Type).Ref("deliveries").Field("event_id").Unique().Required().Immutable().
			Annotations(entgql.Skip()),
	}
}

func (WebhookDelivery) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "next_attempt_at"),
		index.Fields("endpoint_id", "subject_key", "status"),
		index.Fields("endpoint_id", "created_at"),
	}
}

func (WebhookDelivery) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}

// APIKey is a machine account's credential: a secret shown once, kept
// only as its SHA-256, acting as its user with the user's role.
type APIKey struct{ ent.Schema }

func (APIKey) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("name").MaxRuneLen(200),
		// Prefix is the secret's first characters, to tell keys apart.
		field.String("prefix").MaxRuneLen(16).Immutable(),
		field.String("hash").MaxLen(64).Sensitive().Unique().Immutable().Annotations(entgql.Skip()),
		optionalTime("expires_at"),
		optionalTime("last_used_at"),
		optionalTime("revoked_at"),
		field.Int("created_by_id").Optional().Nillable().Immutable(),
	}
}

func (APIKey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).Field("user_id").Unique().Required().Immutable(),
		edge.To("created_by", User.Type).Field("created_by_id").Unique().Immutable(),
	}
}

func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Type("ApiKey"), entgql.RelayConnection(), entgql.QueryField("apiKeys")}
}
