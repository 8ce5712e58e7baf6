package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Contact is one conversation with a customer (seeds: 联系客户沟通,
// 反馈给客户, 客户回访, 征得客户同意): by which channel, who started it, what
// was said and agreed, optionally about one order and one of its exception
// records, and the follow-up it calls for — when, by whom, and once done,
// how satisfied the customer was.
type Contact struct{ ent.Schema }

func (Contact) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (Contact) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("channel").Values("PHONE", "EMAIL", "MEETING", "CHAT", "VISIT", "OTHER").Immutable(),
		field.Enum("direction").Values("INBOUND", "OUTBOUND").Immutable(),
		// Origin tells a contact a person logged from one a rule scheduled
		// (the post-delivery follow-up, 客户回访).
		field.Enum("origin").Values("LOGGED", "AFTER_DELIVERY").Default("LOGGED").Immutable(),
		field.String("summary").MaxRuneLen(4000).NotEmpty().Immutable(),
		field.String("outcome").MaxRuneLen(4000).Optional(),
		// The exception record the contact is about: Complaint, ReturnOrder,
		// OrderCorrection, CancellationRecord or Shipment.
		field.String("subject_type").MaxRuneLen(32).Optional().Immutable(),
		// Shown in GraphQL as the subject itself (a Node).
		field.Int("subject_id").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.Time("follow_up_at").Optional().Nillable().SchemaType(datetime).Annotations(entgql.OrderField("FOLLOW_UP_AT")),
		optionalTime("follow_up_done_at"),
		// FollowUpNotifiedAt marks the follow-up announced as due, once.
		field.Time("follow_up_notified_at").Optional().Nillable().SchemaType(datetime).Annotations(entgql.Skip()),
		field.Int("satisfaction").Range(1, 5).Optional().Nillable(),
		field.Int("customer_id").Immutable(),
		field.Int("order_id").Optional().Nillable().Immutable(),
		field.Int("follow_up_assignee_id").Optional().Nillable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.Int("follow_up_done_by_id").Optional().Nillable(),
	}
}

func (Contact) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("contacts").Field("customer_id").Unique().Required().Immutable(),
		edge.From("order", Order.Type).Ref("contacts").Field("order_id").Unique().Immutable(),
		edge.To("follow_up_assignee", User.Type).Field("follow_up_assignee_id").Unique(),
		edge.To("actor", User.Type).Field("actor_id").Unique().Immutable(),
		edge.To("follow_up_done_by", User.Type).Field("follow_up_done_by_id").Unique(),
	}
}

func (Contact) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "created_at"), index.Fields("order_id", "created_at"),
		index.Fields("follow_up_assignee_id", "follow_up_done_at", "follow_up_at"),
		index.Fields("follow_up_done_at", "follow_up_at"),
		index.Fields("subject_type", "subject_id"),
	}
}

func (Contact) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.RelayConnection()}
}
