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
		field.String("number").MaxRuneLen(32).NotEmpty().Unique().Immutable().
			Annotations(entgql.OrderField("NUMBER")),
		field.Enum("kind").Values("STANDARD", "REPLACEMENT").Default("STANDARD").Immutable(),
		field.Enum("channel").Values("WEB", "EMAIL", "PHONE", "FAX", "SALES_REP", "API"),
		field.Enum("status").Values("DRAFT", "PENDING_REVIEW", "CONFIRMED", "SHIPPED",
			"DELIVERED", "COMPLETED", "REJECTED", "CANCELLED", "VOIDED").Default("DRAFT").
			Annotations(entgql.OrderField("STATUS")),
		currency(),
		money("subtotal_minor"),
		money("discount_minor"),
		money("total_minor"),
		money("captured_minor"),
		money("refunded_minor"),
		// CreditedMinor is what the customer no longer owes for goods they
		// did not keep or get: received returns, lost goods refunded,
		// concessions. Each credit is a CREDIT_NOTE ledger entry.
		money("credited_minor"),
		field.Time("requested_delivery_date").Optional().Nillable().SchemaType(datetime).
			Annotations(entgql.OrderField("REQUESTED_DELIVERY_DATE")),
		field.Time("payment_due_at").Optional().Nillable().SchemaType(datetime).
			Annotations(entgql.OrderField("PAYMENT_DUE_AT")),
		field.String("notes").MaxRuneLen(4000).Optional(),
		field.JSON("shipping_address", &postal.Address{}).Optional().
			Annotations(entgql.Type("Address")),
		optionalTime("submitted_at"),
		optionalTime("confirmed_at"),
		optionalTime("shipped_at"),
		optionalTime("delivered_at"),
		optionalTime("completed_at"),
		optionalTime("closed_at"), // when it became REJECTED, CANCELLED or VOIDED
		field.String("status_reason").MaxRuneLen(32).Optional(),
		field.String("status_note").MaxRuneLen(2000).Optional(),
		// A review that fails holds the order in PENDING_REVIEW until it is
		// confirmed or rejected: review_hold is the first check that failed
		// (stock, price, credit, delivery date, in the order review checks
		// them), review_hold_note every failure, review_held_at when.
		field.Enum("review_hold").Values("STOCK", "PRICE", "CREDIT", "DELIVERY_DATE").Optional().Nillable(),
		field.String("review_hold_note").MaxRuneLen(2000).Optional(),
		optionalTime("review_held_at"),
		field.Int("customer_id"),
		field.Int("owner_id").Optional().Nillable(),
		field.Int("reordered_from_id").Optional().Nillable().Immutable(),
	}
}

func (Order) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("customer", Customer.Type).Ref("orders").Field("customer_id").Unique().Required(),
		edge.To("owner", User.Type).Field("owner_id").Unique(),
		edge.To("reorders", Order.Type).
			From("reordered_from").Field("reordered_from_id").Unique().Immutable(),
		edge.To("lines", OrderLine.Type),
		edge.To("payments", Payment.Type),
		edge.To("shipments", Shipment.Type),
		edge.To("ledger_entries", LedgerEntry.Type),
		edge.To("cancellations", CancellationRecord.Type),
		edge.To("returns", ReturnOrder.Type),
		edge.To("corrections", OrderCorrection.Type),
		edge.To("complaints", Complaint.Type),
		edge.To("contacts", Contact.Type).Annotations(entgql.RelayConnection()),
		edge.To("notices", CustomerNotice.Type),
		edge.To("events", AuditEvent.Type),
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
		entgql.QueryField(), entgql.RelayConnection(),
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
		field.Int("position").NonNegative(),
		field.String("sku").MaxRuneLen(64),
		field.String("name").MaxRuneLen(200),
		field.Int("quantity").Positive(),
		money("unit_price_minor"),
		money("list_price_minor"),
		money("discount_minor"),
		currency(),
		field.Int("quantity_reserved").Default(0).NonNegative(),
		field.Int("quantity_cancelled").Default(0).NonNegative(),
		field.Int("quantity_shipped").Default(0).NonNegative(),
		field.Int("quantity_returned").Default(0).NonNegative(),
		field.Int("order_id").Immutable(),
		field.Int("stock_item_id"),
	}
}

func (OrderLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("lines").Field("order_id").Unique().Required().Immutable(),
		edge.To("stock_item", StockItem.Type).Field("stock_item_id").Unique().Required(),
	}
}

func (OrderLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "position"), index.Fields("stock_item_id")}
}

func (OrderLine) Annotations() []schema.Annotation {
	return []schema.Annotation{
		ReadsColumns{"lineTotal": {"quantity", "quantity_cancelled", "unit_price_minor", "discount_minor", "currency"}},
		entsql.Checks(map[string]string{
			"line_quantities_in_range": "quantity_cancelled + quantity_shipped <= quantity AND quantity_returned <= quantity_shipped AND quantity_reserved <= quantity",
		}),
	}
}
