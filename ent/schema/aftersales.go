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

// ReturnOrder (RMA) brings shipped goods back: requested, approved or
// rejected, received line by line (restocked or damaged), then refunded and
// closed.
type ReturnOrder struct{ ent.Schema }

func (ReturnOrder) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (ReturnOrder) Fields() []ent.Field {
	return []ent.Field{
		field.String("number").Comment("The return's number, RMA-<year>-<sequence>: gapless per year, never reused.").MaxRuneLen(32).NotEmpty().Unique().Immutable().
			Annotations(entgql.OrderField("NUMBER")),
		field.Enum("status").Comment("Where the return is (see ReturnOrderStatus).").Values("REQUESTED", "APPROVED", "REJECTED", "RECEIVED",
			"REFUNDED", "CLOSED").Default("REQUESTED").
			Annotations(entgql.OrderField("STATUS")),
		field.Enum("resolution").Comment("What the customer gets: a refund, an exchange, or nothing.").Values("REFUND", "EXCHANGE", "NONE").Default("REFUND"),
		field.String("note").Comment("Why the goods come back.").MaxRuneLen(2000).Optional(),
		field.String("decision_note").Comment("The note given when it was approved or rejected.").MaxRuneLen(2000).Optional(),
		money("amount_refunded_minor"),
		currency("The ISO 4217 code of the return's amounts: the order's currency."),
		optionalTime("decided_at", "When it was approved or rejected; null before."),
		optionalTime("received_at", "When the goods were received; null before."),
		optionalTime("refunded_at", "When it was refunded; null unless it was."),
		optionalTime("closed_at", "When it was closed; null before."),
		field.Int("order_id").Immutable(),
		field.Int("shipment_id").Optional().Nillable().Immutable(),
		field.Int("requested_by_id").Optional().Nillable().Immutable(),
		field.Int("decided_by_id").Optional().Nillable(),
		field.Int("received_by_id").Optional().Nillable(),
		field.Int("exchange_order_id").Optional().Nillable(),
	}
}

func (ReturnOrder) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("returns").Comment("The order whose goods come back.").Field("order_id").Unique().Required().Immutable(),
		edge.To("lines", ReturnLine.Type).Comment("What comes back, line by line."),
		edge.To("shipment", Shipment.Type).Comment("The shipment the goods came in, when the return names one (a shipment exception resolved RETURNED always does).").Field("shipment_id").Unique().Immutable(),
		edge.To("requested_by", User.Type).Comment("Who asked for the return (or resolved the shipment exception that opened it).").Field("requested_by_id").Unique().Immutable(),
		edge.To("decided_by", User.Type).Comment("Who approved or rejected it.").Field("decided_by_id").Unique(),
		edge.To("received_by", User.Type).Comment("Who recorded the goods' receipt.").Field("received_by_id").Unique(),
		edge.To("exchange_order", Order.Type).Comment("With resolution EXCHANGE: the no-charge REPLACEMENT order made when the goods were received.").Field("exchange_order_id").Unique(),
	}
}

func (ReturnOrder) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id"), index.Fields("status", "created_at")}
}

func (ReturnOrder) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A return (RMA) of shipped goods: requested, approved or rejected, received line by line (restocked or damaged), then refunded or exchanged, and closed."),
		entgql.QueryField("returns").Description("Returns (RMAs), filtered and ordered: a sales rep sees those of their own customers' orders. Needs order:read."),
		entgql.RelayConnection(),
	}
}

// ReturnLine is the quantity of one order line coming back, and once
// received, how much of it went back on the shelf and how much was damaged.
type ReturnLine struct{ ent.Schema }

func (ReturnLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("quantity").Comment("Units that come back.").Positive().Immutable(),
		field.Enum("reason").Comment("Why this line comes back.").Values("DAMAGED_IN_TRANSIT", "DEFECTIVE", "WRONG_ITEM", "NOT_AS_DESCRIBED",
			"NO_LONGER_NEEDED", "REFUSED_DELIVERY", "OTHER").Immutable(),
		field.String("note").Comment("More about the line's return.").MaxRuneLen(500).Optional(),
		field.Int("quantity_restocked").Comment("Units back in stock on receipt (resellable).").Default(0).NonNegative(),
		field.Int("quantity_damaged").Comment("Units received damaged: recorded, not restocked.").Default(0).NonNegative(),
		field.Int("return_order_id").Immutable(),
		field.Int("order_line_id").Immutable(),
	}
}

func (ReturnLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("return_order", ReturnOrder.Type).Ref("lines").Comment("The return the line belongs to.").Field("return_order_id").Unique().Required().Immutable(),
		edge.To("order_line", OrderLine.Type).Comment("The order line whose goods come back.").Field("order_line_id").Unique().Required().Immutable(),
	}
}

func (ReturnLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("return_order_id"), index.Fields("order_line_id")}
}

func (ReturnLine) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("The quantity of one order line that a return brings back, why, and once received how much went back on the shelf and how much was damaged."),
	}
}

// OrderCorrection fixes an error on an order not yet shipped and records the
// fields before and after, its cause and its money effect.
type OrderCorrection struct{ ent.Schema }

func (OrderCorrection) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (OrderCorrection) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("error_type").Comment("What was wrong.").Values("PRICE", "QUANTITY", "PRODUCT", "CUSTOMER_INFO", "ADDRESS", "OTHER").Immutable(),
		field.Enum("cause").Comment("How it came to be wrong.").Values("ENTRY_ERROR", "HUMAN_ERROR", "DATA_INCONSISTENCY", "SYSTEM_ERROR").Immutable(),
		field.Enum("severity").Comment("MINOR applies at once; SEVERE needs the customer's confirmation and a manager's approval.").Values("MINOR", "SEVERE").Immutable(),
		// AWAITING_CUSTOMER: sent to the customer's confirmation page;
		// their acceptance takes it to PENDING_APPROVAL, a refusal to
		// REJECTED.
		field.Enum("status").Comment("Where the correction is (see OrderCorrectionStatus).").Values("AWAITING_CUSTOMER", "PENDING_APPROVAL", "APPLIED", "REJECTED").
			Annotations(entgql.OrderField("STATUS")),
		field.JSON("diff", []change.Field{}).Comment("Each field it changes, before and after.").Annotations(entgql.Type("[FieldChange!]")),
		// Request is the change set as submitted, kept so that an approval
		// applies exactly what was reviewed.
		field.Bytes("request").Annotations(entgql.Skip()),
		field.String("note").Comment("Why the correction is made.").MaxRuneLen(2000).Optional(),
		field.Bool("customer_confirmed").Comment("Whether the customer's confirmation is recorded.").Default(false),
		field.String("customer_confirmation_note").Comment("How the customer confirmed it.").MaxRuneLen(2000).Optional(),
		// The contact in which the customer confirmed, when one is logged.
		field.Int("customer_contact_id").Optional().Nillable().Immutable(),
		// The customer's own answer on the confirmation page: when, and
		// from which address.
		field.Enum("customer_decision").Comment("The customer's answer on the confirmation page.").Values("ACCEPTED", "DECLINED").Optional().Nillable(),
		optionalTime("customer_decided_at", "When the customer answered on the confirmation page; null if they have not."),
		field.String("customer_decision_address").Comment("The address the customer answered from.").MaxRuneLen(64).Optional(),
		money("total_before_minor"),
		money("total_after_minor"),
		// What the correction means for money at the time it applied: a
		// refund due on a paid order whose total dropped, or an amount due.
		money("refund_due_minor"),
		money("amount_due_minor"),
		currency("The ISO 4217 code of the correction's amounts: the order's currency."),
		field.Int64("expected_version").Comment("The order's version the correction was made against.").Immutable(),
		optionalTime("decided_at", "When a manager approved or rejected it, or it was withdrawn, declined by the customer or closed with its order; null for one applied at once, and while it waits."),
		field.String("decision_note").Comment("The note given when it was approved or rejected.").MaxRuneLen(2000).Optional(),
		field.Int("order_id").Immutable(),
		field.Int("requested_by_id").Optional().Nillable().Immutable(),
		field.Int("decided_by_id").Optional().Nillable(),
	}
}

func (OrderCorrection) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("corrections").Comment("The order it corrects.").Field("order_id").Unique().Required().Immutable(),
		edge.To("requested_by", User.Type).Comment("Who made the correction.").Field("requested_by_id").Unique().Immutable(),
		edge.To("decided_by", User.Type).Comment("Who approved, rejected or withdrew it, or whose action closed its order; null when the customer declined it, and until it is decided.").Field("decided_by_id").Unique(),
		edge.To("customer_contact", Contact.Type).Comment("The logged contact in which the customer confirmed it.").Field("customer_contact_id").Unique().Immutable(),
	}
}

func (OrderCorrection) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id"), index.Fields("status", "created_at"), index.Fields("error_type", "cause")}
}

func (OrderCorrection) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A correction of an order not yet shipped (prices, quantities, products, customer details, address): what changed before and after, why, how severe, and what it means for money. A SEVERE one needs the customer's confirmation and a manager's approval."),
		entgql.QueryField("corrections").Description("Order corrections, filtered and ordered: a sales rep sees those of their own customers' orders. Needs order:read."),
		entgql.RelayConnection(),
	}
}

// Complaint is a customer's complaint, optionally about one order.
type Complaint struct{ ent.Schema }

func (Complaint) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (Complaint) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("category").Comment("What the complaint is about.").Values("PRODUCT_QUALITY", "DELIVERY", "BILLING", "SERVICE", "OTHER"),
		field.Enum("severity").Comment("How bad it is; sets how soon it is due.").Values("LOW", "MEDIUM", "HIGH", "CRITICAL").
			Annotations(entgql.OrderField("SEVERITY")),
		field.Enum("status").Comment("Where the complaint is (see ComplaintStatus).").Values("OPEN", "IN_PROGRESS", "RESOLVED", "CLOSED").Default("OPEN").
			Annotations(entgql.OrderField("STATUS")),
		field.String("subject").Comment("The complaint in a line.").MaxRuneLen(200).NotEmpty(),
		field.String("description").Comment("The complaint in full.").MaxRuneLen(8000),
		field.String("resolution").Comment("How it was resolved.").MaxRuneLen(8000).Optional(),
		field.Time("due_at").Comment("When it should be resolved by; past it, staff are told.").SchemaType(datetime).Annotations(entgql.OrderField("DUE_AT")),
		optionalTime("resolved_at", "When it was resolved; null while open or in progress (a reopening clears it)."),
		optionalTime("closed_at", "When it was closed; null before (a reopening clears it)."),
		optionalTime("overdue_notified_at", "When the assignee and the sales managers were told it is overdue; null if they were not (a reopening clears it)."),
		field.Int("reopen_count").Comment("How often it was reopened.").Default(0).NonNegative(),
		field.Int("customer_id").Immutable(),
		field.Int("order_id").Optional().Nillable().Immutable(),
		field.Int("assignee_id").Optional().Nillable(),
		field.Int("filed_by_id").Optional().Nillable().Immutable(),
		// What resolved it, where one record did.
		field.Int("resolved_by_return_id").Optional().Nillable(),
		field.Int("resolved_by_payment_id").Optional().Nillable(),
		field.Int("resolved_by_correction_id").Optional().Nillable(),
		field.Int("resolved_by_order_id").Optional().Nillable(),
	}
}

func (Complaint) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("complaints").Comment("The customer who complains.").Field("customer_id").Unique().Required().Immutable(),
		edge.From("order", Order.Type).Ref("complaints").Comment("The order it is about; null when about none.").Field("order_id").Unique().Immutable(),
		edge.To("assignee", User.Type).Comment("Who works on it; null until assigned.").Field("assignee_id").Unique(),
		edge.To("filed_by", User.Type).Comment("Who filed it.").Field("filed_by_id").Unique().Immutable(),
		edge.To("resolved_by_return", ReturnOrder.Type).Comment("The return that resolved it, when one did.").Field("resolved_by_return_id").Unique(),
		edge.To("resolved_by_payment", Payment.Type).Comment("The payment (e.g. a refund) that resolved it, when one did.").Field("resolved_by_payment_id").Unique(),
		edge.To("resolved_by_correction", OrderCorrection.Type).Comment("The order correction that resolved it, when one did.").Field("resolved_by_correction_id").Unique(),
		edge.To("resolved_by_order", Order.Type).Comment("The order (e.g. a replacement) that resolved it, when one did.").Field("resolved_by_order_id").Unique(),
	}
}

func (Complaint) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id"), index.Fields("order_id"),
		index.Fields("assignee_id", "status"), index.Fields("status", "due_at"),
	}
}

func (Complaint) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A customer's complaint, optionally about one order: filed, assigned, resolved (with what resolved it) and closed, due by a time its severity sets."),
		entgql.QueryField().Description("Complaints, filtered and ordered: a sales rep sees their own customers'. Needs complaint:read."),
		entgql.RelayConnection(),
	}
}
