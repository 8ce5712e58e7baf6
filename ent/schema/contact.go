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
		field.Enum("channel").Comment("How the conversation took place.").Values("PHONE", "EMAIL", "MEETING", "CHAT", "VISIT", "OTHER").Immutable(),
		field.Enum("direction").Comment("Who started it: the customer (INBOUND) or we (OUTBOUND).").Values("INBOUND", "OUTBOUND").Immutable(),
		// Origin tells a contact a person logged from one a rule scheduled
		// (the post-delivery follow-up, 客户回访).
		field.Enum("origin").Comment("Whether someone logged it or a rule scheduled it (see ContactOrigin).").Values("LOGGED", "AFTER_DELIVERY").Default("LOGGED").Immutable(),
		field.String("summary").Comment("What was said.").MaxRuneLen(4000).NotEmpty().Immutable(),
		field.String("outcome").Comment("What came of it or was agreed; completing the follow-up may replace it.").MaxRuneLen(4000).Optional(),
		// The exception record the contact is about: Complaint, ReturnOrder,
		// OrderCorrection, CancellationRecord or Shipment.
		field.String("subject_type").Comment("The type of the record it is about (Complaint, ReturnOrder, OrderCorrection, CancellationRecord or Shipment; see subject); empty when about none.").MaxRuneLen(32).Optional().Immutable(),
		// Shown in GraphQL as the subject itself (a Node).
		field.Int("subject_id").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		field.Time("follow_up_at").Comment("When the follow-up it calls for is due; null: it calls for none.").Optional().Nillable().SchemaType(datetime).Annotations(entgql.OrderField("FOLLOW_UP_AT")),
		optionalTime("follow_up_done_at", "When the follow-up was completed; null while open or when there is none."),
		// FollowUpNotifiedAt marks the follow-up announced as due, once.
		field.Time("follow_up_notified_at").Optional().Nillable().SchemaType(datetime).Annotations(entgql.Skip()),
		field.Int("satisfaction").Comment("How satisfied the customer was, 1 (worst) to 5 (best), recorded when the follow-up was completed; null if not given.").Range(1, 5).Optional().Nillable(),
		field.Int("customer_id").Immutable(),
		field.Int("order_id").Optional().Nillable().Immutable(),
		field.Int("follow_up_assignee_id").Optional().Nillable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.Int("follow_up_done_by_id").Optional().Nillable(),
	}
}

func (Contact) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("contacts").Comment("The customer spoken with.").Field("customer_id").Unique().Required().Immutable(),
		edge.From("order", Order.Type).Ref("contacts").Comment("The order it was about; null when about none.").Field("order_id").Unique().Immutable(),
		edge.To("follow_up_assignee", User.Type).Comment("Who is to make the follow-up; null when there is none.").Field("follow_up_assignee_id").Unique(),
		edge.To("actor", User.Type).Comment("Who logged it, or whose action scheduled it; null for the system.").Field("actor_id").Unique().Immutable(),
		edge.To("follow_up_done_by", User.Type).Comment("Who completed the follow-up.").Field("follow_up_done_by_id").Unique(),
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
	return []schema.Annotation{
		schema.Comment("One conversation with a customer, optionally about one of their orders and one of its exception records: by which channel, who started it, what was said and agreed, and the follow-up it calls for (when, by whom, and once done how satisfied the customer was)."),
		entgql.RelayConnection(),
	}
}
