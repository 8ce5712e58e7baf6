package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Payment is money moving for an order: a CHARGE from the customer or a
// REFUND back to them. A refund points at the charge it reverses, and a
// charge's RefundedMinor never exceeds its AmountMinor.
type Payment struct{ ent.Schema }

func (Payment) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (Payment) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Comment("A CHARGE takes money from the customer; a REFUND gives some back.").Values("CHARGE", "REFUND").Immutable(),
		field.Int64("amount_minor").Positive().Immutable().Annotations(entgql.Skip()),
		field.Int64("refunded_minor").Default(0).NonNegative().Annotations(entgql.Skip()),
		currency(),
		field.Enum("method").Comment("How it was paid.").Values("CARD", "BANK_TRANSFER", "CASH", "CHECK", "WALLET",
			"STORE_CREDIT", "OTHER").Immutable(),
		field.Enum("status").Comment("Where the payment is (see PaymentStatus).").Values("PENDING", "CAPTURED", "FAILED", "CANCELLED").
			Annotations(entgql.OrderField("STATUS")),
		field.String("provider_reference").Comment("The payment provider's reference.").MaxRuneLen(200).Optional(),
		field.String("failure_reason").Comment("Why it failed.").MaxRuneLen(2000).Optional(),
		field.String("cancel_reason").Comment("Why it was cancelled.").MaxRuneLen(2000).Optional(),
		optionalTime("captured_at"),
		optionalTime("failed_at"),
		optionalTime("cancelled_at"),
		field.Int("order_id").Immutable(),
		field.Int("refund_of_id").Optional().Nillable().Immutable(),
		field.Int("recorded_by_id").Optional().Nillable().Immutable(),
		// Set when a cancellation refunds the charge or lets it lapse.
		field.Int("cancellation_id").Optional().Nillable(),
		field.Int("return_order_id").Optional().Nillable().Immutable(),
	}
}

func (Payment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("payments").Field("order_id").Unique().Required().Immutable(),
		edge.To("refunds", Payment.Type).From("refund_of").Field("refund_of_id").Unique().Immutable(),
		edge.To("recorded_by", User.Type).Field("recorded_by_id").Unique().Immutable(),
		edge.To("cancellation", CancellationRecord.Type).Field("cancellation_id").Unique(),
		edge.To("return_order", ReturnOrder.Type).Field("return_order_id").Unique().Immutable(),
	}
}

func (Payment) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("order_id", "kind", "status"),
		index.Fields("refund_of_id"),
		index.Fields("status", "created_at"),
	}
}

func (Payment) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(), entgql.RelayConnection(),
		entsql.Checks(map[string]string{
			"payment_refunded_le_amount": "refunded_minor >= 0 AND refunded_minor <= amount_minor",
		}),
	}
}

// LedgerEntry is an order's financial record. AmountMinor is signed: money in
// is positive, money out negative. Entries are never edited; a correction is
// a new entry that reverses an earlier one.
type LedgerEntry struct{ ent.Schema }

func (LedgerEntry) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

func (LedgerEntry) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Values("CHARGE_CAPTURED", "REFUND", "PAYMENT_CANCELLED",
			"PAYMENT_FAILED", "CREDIT_NOTE", "REVERSAL").Immutable(),
		field.Int64("amount_minor").Immutable().Annotations(entgql.Skip()),
		currency(),
		field.String("description").MaxRuneLen(500).Immutable(),
		field.Int("order_id").Immutable(),
		field.Int("payment_id").Optional().Nillable().Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.Int("reverses_id").Optional().Nillable().Immutable(),
	}
}

func (LedgerEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("ledger_entries").Field("order_id").Unique().Required().Immutable(),
		edge.To("payment", Payment.Type).Field("payment_id").Unique().Immutable(),
		edge.To("actor", User.Type).Field("actor_id").Unique().Immutable(),
		edge.To("reversed_by", LedgerEntry.Type).From("reverses").Field("reverses_id").Unique().Immutable(),
	}
}

func (LedgerEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "created_at"), index.Fields("payment_id"), index.Fields("kind", "created_at")}
}

func (LedgerEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.QueryField(), entgql.RelayConnection()}
}
