package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// CustomerNotice is one message to a customer about their order (seeds:
// 反馈给客户, 通知客户): written in the transaction of the change it
// announces, so that a change that rolls back leaves none, and delivered
// afterwards by the notice sender, which records what it sent, to whom and
// how it went. The row is its own queue: QUEUED until delivered (SENT),
// given up (FAILED) or not deliverable for want of a channel (SKIPPED).
type CustomerNotice struct{ ent.Schema }

func (CustomerNotice) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (CustomerNotice) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Comment("What it tells the customer (see CustomerNoticeKind).").Values("ORDER_CONFIRMED", "CANCELLATION_EXECUTED", "ORDER_VOIDED", "RETURN_RECEIVED",
			"RETURN_REFUNDED", "CORRECTION_AWAITING_CUSTOMER", "INVOICE_ISSUED", "PAYMENT_OVERDUE",
			"CANCELLATION_AWAITING_CUSTOMER").Immutable(),
		field.Enum("status").Comment("Where its delivery is (see CustomerNoticeStatus).").Values("QUEUED", "SENT", "FAILED", "SKIPPED").Default("QUEUED").
			Annotations(entgql.OrderField("STATUS")),
		// Facts are what the change that wrote the notice knew and the
		// customer must hear (an amount refunded, an invoice's number and
		// due date), kept as the text the templates show.
		field.JSON("facts", map[string]string{}).Optional().Immutable().Annotations(entgql.Skip()),
		// The record the notice is about: CancellationRecord, ReturnOrder,
		// OrderCorrection or Invoice.
		field.String("subject_type").Comment("The type of the record it is about (CancellationRecord, ReturnOrder, OrderCorrection or Invoice; see subject); empty for an order's confirmation.").MaxRuneLen(32).Optional().Immutable(),
		field.Int("subject_id").Optional().Nillable().Immutable().Annotations(entgql.Skip()),
		// What was (or would have been) sent, filled in on delivery; until
		// then the API shows the notice as it would go now.
		field.String("language").MaxRuneLen(16).Optional().Annotations(entgql.Skip()),
		field.Enum("channel").Comment("EMAIL once an attempt sent or tried it by email; NONE when it was skipped or withheld; null before that.").Values("EMAIL", "NONE").Optional().Nillable(),
		field.String("recipient").MaxRuneLen(254).Optional().Annotations(entgql.Skip()),
		field.String("title").MaxRuneLen(400).Optional().Annotations(entgql.Skip()),
		field.Text("body").Optional().Annotations(entgql.Skip()),
		field.Int("attempts").Comment("Delivery attempts so far (back to 0 when it is resent).").Default(0),
		// NextAttemptAt is when a sender may take the notice next.
		field.Time("next_attempt_at").Comment("While QUEUED, when a sender may take it next (during an attempt, the end of that attempt's lease).").SchemaType(datetime),
		// TakenUntil is the lease of the sender that took the notice and
		// is delivering it; nobody else touches it until then.
		field.Time("taken_until").Optional().Nillable().SchemaType(datetime).Annotations(entgql.Skip()),
		field.String("last_error").Comment("Why the last attempt failed, why the notice was skipped, or who withheld it and why; empty once sent.").MaxRuneLen(1000).Optional(),
		optionalTime("sent_at", "When it was sent; null unless SENT."),
		field.Int("customer_id").Immutable(),
		field.Int("order_id").Optional().Nillable().Immutable(),
	}
}

func (CustomerNotice) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("notices").Comment("The customer it is for.").Field("customer_id").Unique().Required().Immutable(),
		edge.From("order", Order.Type).Ref("notices").Comment("The order it is about.").Field("order_id").Unique().Immutable(),
	}
}

func (CustomerNotice) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("status", "next_attempt_at"),
		index.Fields("order_id", "created_at"),
		index.Fields("customer_id", "created_at"),
	}
}

func (CustomerNotice) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("One message to a customer about their order (confirmed, cancelled, voided, return received or refunded, consent asked, invoice issued, payment overdue): queued with the change it announces, then delivered by email, and what was sent and how it went."),
		entgql.RelayConnection(),
	}
}
