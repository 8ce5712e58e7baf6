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
		// Data is the event's payload as integrators receive it; without
		// its order while SharesOrder.
		field.JSON("data", map[string]any{}).Annotations(entgql.Skip()),
		// SharesOrder: the event's order is in an earlier event of the same
		// action (the nearest earlier one of the order not sharing): an
		// action's events carry one snapshot of the order between them, and
		// the relay writes it into each one an endpoint takes before
		// delivering it.
		field.Bool("shares_order").Default(false),
		optionalTime("dispatched_at", "When the relay turned the event into its deliveries; null before."),
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

// WebhookInterest is one row (id 1): the event types some active webhook
// endpoint takes, kept by every change to the endpoints. An action writes
// to the outbox only the events some endpoint takes, having read this row
// under a shared lock as its last read; a change to the endpoints locks it
// exclusively first, so it waits for the actions that read the row before
// it and the actions after it see the change (package outbox).
type WebhookInterest struct{ ent.Schema }

func (WebhookInterest) Fields() []ent.Field {
	return []ent.Field{
		// EveryType: some active endpoint takes every type (it names none).
		field.Bool("every_type").Default(false),
		// EventTypes: the names and families the active endpoints take.
		field.Strings("event_types").Optional(),
	}
}

func (WebhookInterest) Annotations() []schema.Annotation {
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
		field.String("url").Comment("The http or https URL events are POSTed to.").MaxRuneLen(2000),
		field.String("description").Comment("What the endpoint is for, in the words of who set it up.").MaxRuneLen(500).Optional(),
		field.Strings("event_types").Comment("The event types it takes: names (order.cancelled) or families (order.*); empty: every type.").Optional(),
		field.String("secret").Sensitive().Annotations(entgql.Skip()),
		field.String("previous_secret").Sensitive().Optional().Annotations(entgql.Skip()),
		field.Time("previous_secret_until").Optional().Nillable().SchemaType(datetime).Annotations(entgql.Skip()),
		// Active: deliveries are made; an inactive endpoint gets none.
		field.Bool("active").Comment("Whether it gets deliveries; an inactive endpoint gets none.").Default(true),
		// ConsecutiveFailures counts the deliveries given up since the
		// last success; FlaggedAt is set when they reach the threshold,
		// and cleared by a success.
		field.Int("consecutive_failures").Comment("Deliveries given up (FAILED) in a row since the last success.").Default(0),
		optionalTime("flagged_at", "When it was flagged as failing (by default after 3 deliveries given up in a row) and its managers told; null while it is not: a success or switching it on again clears it."),
		field.Int("created_by_id").Optional().Nillable().Immutable(),
	}
}

func (WebhookEndpoint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("deliveries", WebhookDelivery.Type).Annotations(entgql.Skip()),
		edge.To("created_by", User.Type).Comment("Who set it up.").Field("created_by_id").Unique().Immutable(),
	}
}

func (WebhookEndpoint) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("An integrator's receiver of business events: a URL, the event types it takes, and a secret its messages are signed with (Standard Webhooks). Its deliveries are in webhookDeliveries."),
		entgql.RelayConnection(),
		entgql.QueryField("webhookEndpoints").Description("Webhook endpoints, filtered and ordered. Needs webhook:manage."),
	}
}

// WebhookDelivery is one event on its way to one endpoint: at least once,
// retried with growing waits until it succeeds or is given up (FAILED).
type WebhookDelivery struct{ ent.Schema }

func (WebhookDelivery) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (WebhookDelivery) Fields() []ent.Field {
	return []ent.Field{
		field.Int("endpoint_id").Immutable(),
		field.Int("event_id").Immutable().Annotations(entgql.Skip()),
		field.String("event_type").Comment("The event's type, e.g. order.cancelled.").MaxRuneLen(64).Immutable(),
		// SubjectKey orders an endpoint's deliveries: one of a key waits
		// for the earlier ones of that key (an order's events, in order).
		field.String("subject_key").MaxRuneLen(64).Immutable().Annotations(entgql.Skip()),
		field.Enum("status").Comment("Where the delivery is (see WebhookDeliveryStatus).").Values("PENDING", "SUCCEEDED", "FAILED").Default("PENDING").
			Annotations(entgql.OrderField("STATUS")),
		field.Int("attempts").Comment("Attempts made so far.").Default(0),
		field.Time("next_attempt_at").Comment("While PENDING, when it may be attempted next (during an attempt, the end of that attempt's lease).").SchemaType(datetime),
		field.Time("taken_until").Optional().Nillable().SchemaType(datetime).Annotations(entgql.Skip()),
		field.Int("last_status_code").Comment("The HTTP status of the last attempt the endpoint answered; null while none did.").Optional().Nillable(),
		field.Int("last_latency_ms").Comment("How long the last attempt took, in milliseconds; null before any attempt.").Optional().Nillable(),
		field.String("last_error").Comment("What went wrong in the last attempt: the HTTP status and the start of the answer, or why no answer came; empty when it succeeded.").MaxRuneLen(1000).Optional(),
		optionalTime("delivered_at", "When the endpoint accepted it; null unless SUCCEEDED."),
		// A redelivery asked for by staff names the delivery it repeats.
		field.Int("redelivery_of_id").Comment("The delivery this one repeats, when staff asked for a redelivery; null otherwise.").Optional().Nillable().Immutable().Annotations(entgql.Type("ID")),
	}
}

func (WebhookDelivery) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("endpoint", WebhookEndpoint.Type).Ref("deliveries").Comment("The endpoint it goes to.").Field("endpoint_id").Unique().Required().Immutable(),
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
	return []schema.Annotation{
		schema.Comment("One event on its way to one webhook endpoint: delivered at least once, retried with growing waits until the endpoint accepts it or it is given up, and after each attempt what the endpoint answered."),
		entgql.RelayConnection(),
	}
}

// APIKey is a machine account's credential: a secret shown once, kept
// only as its SHA-256, acting as its user with the user's role.
type APIKey struct{ ent.Schema }

func (APIKey) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

func (APIKey) Fields() []ent.Field {
	return []ent.Field{
		field.Int("user_id").Immutable(),
		field.String("name").Comment("What the key is for, as named when it was created.").MaxRuneLen(200),
		// Prefix is the secret's first characters, to tell keys apart.
		field.String("prefix").Comment("The secret's first characters (od_ and eight more), to tell keys apart: the secret itself is shown only once, when the key is created.").MaxRuneLen(16).Immutable(),
		field.String("hash").MaxLen(64).Sensitive().Unique().Immutable().Annotations(entgql.Skip()),
		optionalTime("expires_at", "When it stops working; null: it works until revoked."),
		optionalTime("last_used_at", "When it was last used (written at most once a minute); null if never."),
		optionalTime("revoked_at", "When it was revoked; null while it is not."),
		field.Int("created_by_id").Optional().Nillable().Immutable(),
	}
}

func (APIKey) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("user", User.Type).Comment("The account the key acts as, with that account's role and scopes.").Field("user_id").Unique().Required().Immutable(),
		edge.To("created_by", User.Type).Comment("Who created it.").Field("created_by_id").Unique().Immutable(),
	}
}

func (APIKey) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A machine account's credential: a secret shown once when created and kept only as a hash, acting as its user with that user's role and scopes until it expires or is revoked."),
		entgql.Type("ApiKey"), entgql.RelayConnection(),
		entgql.QueryField("apiKeys").Description("API keys, filtered and ordered. Needs user:manage."),
	}
}
