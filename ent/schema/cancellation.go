package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"orderdesk/change"
)

// reasonCodes are the reasons for a cancel, void or rejection (DESIGN.md).
var reasonCodes = []string{"CUSTOMER_REQUEST", "PAYMENT_FAILED", "PAYMENT_TIMEOUT",
	"OUT_OF_STOCK", "PRICE_ERROR", "ENTRY_ERROR", "DUPLICATE_ORDER", "FRAUD_SUSPECTED",
	"SYSTEM_FAILURE", "DELIVERY_PROBLEM", "OTHER"}

// CancellationRecord is a request to cancel or void an order, whole or in
// part, with its approvals and, once executed, exactly what it reversed.
type CancellationRecord struct{ ent.Schema }

func (CancellationRecord) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (CancellationRecord) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Comment("CANCEL (a business cancellation) or VOID (an invalidation that can never be undone).").Values("CANCEL", "VOID").Immutable(),
		field.Enum("scope").Comment("The whole order, or some line quantities.").Values("FULL", "PARTIAL").Immutable(),
		// Lines is the scope: the quantities asked for, or for FULL every
		// open quantity; once executed, what it cancelled.
		field.JSON("lines", []change.LineQuantity{}).Comment("The line quantities it cancels: those asked for, or for FULL every open quantity; once executed, what it did cancel.").Optional().
			Annotations(entgql.Type("[LineQuantity!]")),
		field.Enum("reason_code").Comment("Why (see ReasonCode).").Values(reasonCodes...).Immutable().
			Annotations(entgql.Type("ReasonCode")),
		field.String("note").Comment("The note given with the reason (required with OTHER).").MaxRuneLen(2000).Optional(),
		field.Enum("resolution").Comment("What follows: REORDER also re-creates the cancelled quantities as a new draft.").Values("REFUND", "REORDER", "NONE").Default("NONE"),
		// AWAITING_CUSTOMER: sent to the customer's confirmation page
		// before anyone approves it; their acceptance takes it on to
		// REQUESTED (or executes it, when it has every approval it needs),
		// a refusal to REJECTED.
		field.Enum("status").Comment("Where the request is (see CancellationRecordStatus).").Values("AWAITING_CUSTOMER", "REQUESTED", "APPROVED", "REJECTED", "EXECUTED").
			Annotations(entgql.OrderField("STATUS")),
		field.Bool("needs_manager_approval").Comment("Whether a sales manager must approve it.").Default(false),
		field.Bool("needs_finance_approval").Comment("Whether finance must approve it too (money goes back).").Default(false),
		optionalTime("manager_approved_at", "When a sales manager approved it; null until one has (a manager's own request sent to the customer carries their approval)."),
		optionalTime("finance_approved_at", "When finance approved it; null until it has."),
		optionalTime("decided_at", "When it was rejected, withdrawn, declined by the customer or closed with its order; null otherwise."),
		field.String("decision_note").Comment("The note given when it was rejected or withdrawn.").MaxRuneLen(2000).Optional(),
		optionalTime("executed_at", "When it was executed; null before."),
		money("amount_refunded_minor"),
		money("amount_cancelled_minor"), // pending payments cancelled, not refunded
		currency("The ISO 4217 code of the request's amounts: the order's currency."),
		field.Int("quantity_released").Comment("Units of reserved stock it gave back.").Default(0).NonNegative(),
		field.Int("order_id").Immutable(),
		field.Int("requested_by_id").Optional().Nillable().Immutable(),
		field.Int("manager_approved_by_id").Optional().Nillable(),
		field.Int("finance_approved_by_id").Optional().Nillable(),
		field.Int("decided_by_id").Optional().Nillable(),
		field.Int("new_order_id").Optional().Nillable(),
		field.Bool("automatic").Comment("Made by the system: the payment-timeout rule.").Default(false).Immutable(),
		// The contact in which the customer asked for or agreed to it.
		field.Int("customer_contact_id").Optional().Nillable().Immutable(),
		// The customer's own answer on the confirmation page: when, and
		// from which address.
		field.Enum("customer_decision").Comment("The customer's answer on the confirmation page.").Values("ACCEPTED", "DECLINED").Optional().Nillable(),
		optionalTime("customer_decided_at", "When the customer answered on the confirmation page; null if they have not."),
		field.String("customer_decision_address").Comment("The address the customer answered from.").MaxRuneLen(64).Optional(),
	}
}

func (CancellationRecord) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("cancellations").Comment("The order it cancels or voids.").Field("order_id").Unique().Required().Immutable(),
		edge.To("requested_by", User.Type).Comment("Who asked for it.").Field("requested_by_id").Unique().Immutable(),
		edge.To("manager_approved_by", User.Type).Comment("The sales manager who approved it.").Field("manager_approved_by_id").Unique(),
		edge.To("finance_approved_by", User.Type).Comment("Who approved it for finance.").Field("finance_approved_by_id").Unique(),
		edge.To("decided_by", User.Type).Comment("Who rejected or withdrew it.").Field("decided_by_id").Unique(),
		edge.To("new_order", Order.Type).Comment("The draft re-created with resolution REORDER.").Field("new_order_id").Unique(),
		edge.To("customer_contact", Contact.Type).Comment("The logged contact in which the customer asked for or agreed to it.").Field("customer_contact_id").Unique().Immutable(),
	}
}

func (CancellationRecord) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("order_id", "status"),
		index.Fields("status", "created_at"),
		index.Fields("reason_code", "executed_at"),
	}
}

func (CancellationRecord) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A request to cancel or void an order, whole or in part: its reason, the approvals it needs and got, and once executed exactly what it reversed (money refunded, payments cancelled, stock released)."),
		entgql.QueryField("cancellations").Description("Cancellation and void requests, filtered and ordered: a sales rep sees those of their own customers' orders. Needs order:read."),
		entgql.RelayConnection(),
	}
}
