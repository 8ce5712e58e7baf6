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
		currency("The ISO 4217 code of its amounts: the order's currency."),
		field.Enum("method").Comment("How it was paid.").Values("CARD", "BANK_TRANSFER", "CASH", "CHECK", "WALLET",
			"STORE_CREDIT", "OTHER").Immutable(),
		field.Enum("status").Comment("Where the payment is (see PaymentStatus).").Values("PENDING", "CAPTURED", "FAILED", "CANCELLED").
			Annotations(entgql.OrderField("STATUS")),
		field.String("provider_reference").Comment("The payment provider's reference.").MaxRuneLen(200).Optional(),
		field.String("failure_reason").Comment("Why it failed.").MaxRuneLen(2000).Optional(),
		field.String("cancel_reason").Comment("Why it was cancelled.").MaxRuneLen(2000).Optional(),
		optionalTime("captured_at", "When the money was collected (for a refund: paid back); null if it never was."),
		optionalTime("failed_at", "When the charge failed; null unless FAILED."),
		optionalTime("cancelled_at", "When the charge was cancelled; null unless CANCELLED."),
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
		edge.From("order", Order.Type).Ref("payments").Comment("The order it pays for or refunds.").Field("order_id").Unique().Required().Immutable(),
		edge.To("refunds", Payment.Type).Comment("For a charge: the refunds paid back against it.").
			From("refund_of").Comment("For a refund: the charge it pays back; null for a charge.").
			Field("refund_of_id").Unique().Immutable(),
		edge.To("recorded_by", User.Type).Comment("Who recorded it; null when a background rule did.").Field("recorded_by_id").Unique().Immutable(),
		edge.To("cancellation", CancellationRecord.Type).Comment("The cancellation or void that made this refund, or that cancelled this pending charge.").Field("cancellation_id").Unique(),
		edge.To("return_order", ReturnOrder.Type).Comment("For a refund: the return it pays back.").Field("return_order_id").Unique().Immutable(),
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
		schema.Comment("Money moving for an order: a CHARGE from the customer (pending, then captured, failed or cancelled) or a REFUND back to them, which names the charge it pays back."),
		entgql.QueryField().Description("Charges and refunds, filtered and ordered: a sales rep sees those of their own customers' orders. Needs payment:read."),
		entgql.RelayConnection(),
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
		field.Enum("kind").Comment("What the entry records (see LedgerEntryKind).").Values("CHARGE_CAPTURED", "REFUND", "PAYMENT_CANCELLED",
			"PAYMENT_FAILED", "CREDIT_NOTE", "REVERSAL").Immutable(),
		field.Int64("amount_minor").Immutable().Annotations(entgql.Skip()),
		currency("The ISO 4217 code of its amount: the order's currency."),
		field.String("description").Comment("What happened, in words (e.g. \"CARD charge captured\", \"refund: \" and the reason).").MaxRuneLen(500).Immutable(),
		field.Int("order_id").Immutable(),
		field.Int("payment_id").Optional().Nillable().Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.Int("reverses_id").Optional().Nillable().Immutable(),
	}
}

func (LedgerEntry) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("ledger_entries").Comment("The order whose money it records.").Field("order_id").Unique().Required().Immutable(),
		edge.To("payment", Payment.Type).Comment("The charge or refund it records; null for a CREDIT_NOTE.").Field("payment_id").Unique().Immutable(),
		edge.To("actor", User.Type).Comment("Who took the action; null when a background rule did.").Field("actor_id").Unique().Immutable(),
		edge.To("reversed_by", LedgerEntry.Type).Comment("The entries that reverse this one.").
			From("reverses").Comment("The entry this one reverses (a cancelled capture names the capture's entry); null otherwise.").
			Field("reverses_id").Unique().Immutable(),
	}
}

func (LedgerEntry) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "created_at"), index.Fields("payment_id"), index.Fields("kind", "created_at")}
}

func (LedgerEntry) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("One entry of an order's money ledger: a charge captured, a refund, a payment failed or cancelled, a credit. Signed (money in positive), never edited: what corrects an entry is a new one that reverses it."),
		entgql.QueryField().Description("The money ledger of every order, filtered and ordered: a sales rep sees their own customers' orders' entries. Needs payment:read."),
		entgql.RelayConnection(),
	}
}
