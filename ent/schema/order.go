package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"orderdesk/postal"
)

// Order is a sales order. Its status moves only through the state table in
// package order; its money fields are caches of its lines and payments, kept
// in the transaction that changes them.
type Order struct{ ent.Schema }

func (Order) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (Order) Fields() []ent.Field {
	return []ent.Field{
		field.String("number").Comment("The order's number, SO-<year>-<sequence>: gapless per year, never reused.").MaxRuneLen(32).NotEmpty().Unique().Immutable().
			Annotations(entgql.OrderField("NUMBER")),
		field.Enum("kind").Comment("STANDARD, or a REPLACEMENT shipped free of charge for a delivery problem.").Values("STANDARD", "REPLACEMENT").Default("STANDARD").Immutable(),
		field.Enum("channel").Comment("Where the order came from.").Values("WEB", "EMAIL", "PHONE", "FAX", "SALES_REP", "API"),
		field.Enum("status").Comment("Where the order is in its life (see OrderStatus).").Values("DRAFT", "PENDING_REVIEW", "CONFIRMED", "SHIPPED",
			"DELIVERED", "COMPLETED", "REJECTED", "CANCELLED", "VOIDED").Default("DRAFT").
			Annotations(entgql.OrderField("STATUS")),
		currency("The ISO 4217 code of all the order's amounts: its customer's currency."),
		money("subtotal_minor"),
		money("discount_minor"),
		money("total_minor"),
		money("captured_minor"),
		money("refunded_minor"),
		// CreditedMinor is what the customer no longer owes for goods they
		// did not keep or get: received returns, lost goods refunded,
		// concessions. Each credit is a CREDIT_NOTE ledger entry.
		money("credited_minor"),
		field.Time("requested_delivery_date").Comment("When the customer wants the goods; the review checks it can be met.").Optional().Nillable().SchemaType(datetime).
			Annotations(entgql.OrderField("REQUESTED_DELIVERY_DATE")),
		field.Time("payment_due_at").Comment("When payment is due: unpaid after it, the order is cancelled with PAYMENT_TIMEOUT.").Optional().Nillable().SchemaType(datetime).
			Annotations(entgql.OrderField("PAYMENT_DUE_AT")),
		field.String("notes").Comment("Free text from the customer or the rep.").MaxRuneLen(4000).Optional(),
		field.JSON("shipping_address", &postal.Address{}).Comment("Where the goods go; the customer's shipping address when not given.").Optional().
			Annotations(entgql.Type("Address")),
		optionalTime("submitted_at", "When it was submitted for review; null while a draft."),
		optionalTime("confirmed_at", "When it was confirmed; null before."),
		optionalTime("shipped_at", "When it became SHIPPED: its last open quantity shipped (or the rest was cancelled); null before."),
		optionalTime("delivered_at", "When it was marked delivered; null before."),
		optionalTime("completed_at", "When it was completed; null before."),
		optionalTime("closed_at", "When it was rejected, cancelled or voided; null otherwise."),
		field.String("status_reason").Comment("Why the order was rejected, cancelled or voided: a ReasonCode.").MaxRuneLen(32).Optional(),
		field.String("status_note").Comment("The note given with that reason.").MaxRuneLen(2000).Optional(),
		// A review that fails holds the order in PENDING_REVIEW until it is
		// confirmed or rejected: review_hold is the first check that failed
		// (stock, price, credit, delivery date, in the order review checks
		// them), review_hold_note every failure, review_held_at when.
		field.Enum("review_hold").Comment("The first review check that failed and holds the order in PENDING_REVIEW for a manager.").Values("STOCK", "PRICE", "CREDIT", "DELIVERY_DATE").Optional().Nillable(),
		field.String("review_hold_note").Comment("Every review check that failed, in words.").MaxRuneLen(2000).Optional(),
		optionalTime("review_held_at", "When a failed review last held it (see reviewHold); null if none ever did."),
		field.Int("customer_id"),
		field.Int("owner_id").Optional().Nillable(),
		field.Int("reordered_from_id").Optional().Nillable().Immutable(),
	}
}

func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Comment("Who the order is for.").Ref("orders").Field("customer_id").Unique().Required(),
		edge.To("owner", User.Type).Comment("The sales rep who owns the order.").Field("owner_id").Unique(),
		edge.To("reorders", Order.Type).Comment("Orders re-created from this one: drafts from reorder or a cancellation with REORDER, and no-charge REPLACEMENT orders for its goods.").
			From("reordered_from").Comment("The order this one was re-created from (reorder, a cancellation with REORDER, or the order whose goods a REPLACEMENT replaces); null for a new order.").
			Field("reordered_from_id").Unique().Immutable(),
		edge.To("lines", OrderLine.Type).Comment("What was ordered, in position order."),
		edge.To("payments", Payment.Type).Comment("Charges and refunds."),
		edge.To("shipments", Shipment.Type).Comment("Shipments, each with what it carried."),
		edge.To("ledger_entries", LedgerEntry.Type).Comment("The money ledger: every charge, refund, credit and reversal, append-only."),
		edge.To("cancellations", CancellationRecord.Type).Comment("Cancellation and void requests, with their approvals and effect."),
		edge.To("returns", ReturnOrder.Type).Comment("Returns of shipped goods."),
		edge.To("corrections", OrderCorrection.Type).Comment("Corrections of prices, quantities, products or details."),
		edge.To("complaints", Complaint.Type).Comment("Complaints about the order."),
		edge.To("contacts", Contact.Type).Comment("Contacts with the customer about the order.").Annotations(entgql.RelayConnection()),
		edge.To("notices", CustomerNotice.Type).Comment("What the customer was told, and whether it was sent."),
		edge.To("events", AuditEvent.Type).Comment("The order's timeline: every step, who took it and when."),
	}
}

func (Order) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("customer_id", "status"),
		index.Fields("owner_id"),
		index.Fields("status", "payment_due_at"),
		index.Fields("created_at"),
	}
}

func (Order) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A customer's sales order: its lines, money, shipments and everything that went wrong with it (cancellations, returns, corrections, complaints), with its timeline. Its status moves from DRAFT to COMPLETED or ends REJECTED, CANCELLED or VOIDED."),
		entgql.QueryField().Description("Orders, filtered and ordered: a sales rep sees their own customers' orders. Needs order:read."), entgql.RelayConnection(),
		ReadsColumns{
			"discountTotal": {"discount_minor", "currency"},
			"paymentStatus": {"total_minor", "credited_minor", "captured_minor", "refunded_minor"},
			"outstanding":   {"total_minor", "credited_minor", "captured_minor", "refunded_minor", "currency"},
			"refundDue":     {"total_minor", "credited_minor", "captured_minor", "refunded_minor", "currency"},
			"refundable":    {"captured_minor", "refunded_minor", "currency"},
		},
		entsql.Checks(map[string]string{
			"order_refunded_le_captured": "refunded_minor >= 0 AND refunded_minor <= captured_minor",
			"order_credited_in_range":    "credited_minor >= 0",
		}),
	}
}

// OrderLine is one article on an order. UnitPriceMinor is the agreed price per
// unit before DiscountMinor, the per-unit discount; ListPriceMinor is the
// catalogue price when the line was written, kept for the price check.
type OrderLine struct{ ent.Schema }

func (OrderLine) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}} }

func (OrderLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("position").Comment("The line's place in the order.").NonNegative(),
		field.String("sku").Comment("The stock item's SKU when the line was entered.").MaxRuneLen(64),
		field.String("name").Comment("The stock item's name when the line was entered.").MaxRuneLen(200),
		field.Int("quantity").Comment("Units ordered; cancellations reduce what is open, not this.").Positive(),
		money("unit_price_minor"),
		money("list_price_minor"),
		money("discount_minor"),
		currency("The ISO 4217 code of the line's amounts: the order's currency."),
		field.Int("quantity_reserved").Comment("Units of stock held for the line.").Default(0).NonNegative(),
		field.Int("quantity_cancelled").Comment("Units cancelled.").Default(0).NonNegative(),
		field.Int("quantity_shipped").Comment("Units shipped.").Default(0).NonNegative(),
		field.Int("quantity_returned").Comment("Units under a return that was not rejected: requested, approved or received.").Default(0).NonNegative(),
		field.Int("order_id").Immutable(),
		field.Int("stock_item_id"),
	}
}

func (OrderLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("lines").Comment("The order the line belongs to.").Field("order_id").Unique().Required().Immutable(),
		edge.To("stock_item", StockItem.Type).Comment("The stock item the line is for.").Field("stock_item_id").Unique().Required(),
	}
}

func (OrderLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "position"), index.Fields("stock_item_id")}
}

func (OrderLine) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("One article on an order: what was ordered at what price, and how much of it is reserved, cancelled, shipped and returned."),
		ReadsColumns{"lineTotal": {"quantity", "quantity_cancelled", "unit_price_minor", "discount_minor", "currency"}},
		entsql.Checks(map[string]string{
			"line_quantities_in_range": "quantity_cancelled + quantity_shipped <= quantity AND quantity_returned <= quantity_shipped AND quantity_reserved <= quantity",
		}),
	}
}
