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

// StockItem is a sellable article. OnHand and Reserved are caches of the sums
// of its movements' deltas, kept in the same transaction as each movement.
type StockItem struct{ ent.Schema }

func (StockItem) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (StockItem) Fields() []ent.Field {
	return []ent.Field{
		field.String("sku").Comment("The stock-keeping unit: unique, never changes.").MaxRuneLen(64).NotEmpty().Unique().Immutable().
			Annotations(entgql.OrderField("SKU")),
		field.String("name").Comment("What the item is called on orders and notices.").MaxRuneLen(200).NotEmpty().
			Annotations(entgql.OrderField("NAME")),
		field.String("description").Comment("More about the item.").MaxRuneLen(2000).Optional(),
		money("unit_price_minor"),
		currency("The ISO 4217 code of the unit price: only orders in this currency may take the item."),
		field.Int("on_hand").Comment("Units in the warehouse, reserved ones included.").Default(0).NonNegative().
			Annotations(entgql.OrderField("ON_HAND")),
		field.Int("reserved").Comment("Units held for confirmed orders' open lines.").Default(0).NonNegative(),
		field.Bool("active").Comment("Whether new orders may take it.").Default(true),
	}
}

func (StockItem) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("movements", StockMovement.Type).Comment("Every change of on hand or reserved, with its reason.").Annotations(entgql.RelayConnection()),
		// Substitutes are the items a sales rep may offer instead when this
		// one is short; one way: B substituting for A says nothing of A for B.
		edge.To("substitutes", StockItem.Type).Comment("Items a rep may offer instead when this one is short."),
	}
}

func (StockItem) Indexes() []ent.Index {
	return []ent.Index{index.Fields("name")}
}

func (StockItem) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A sellable article: its SKU, price, and stock on hand and reserved (available = onHand − reserved), every change of which is a StockMovement."),
		entgql.QueryField().Description("Stock items, filtered and ordered. Needs stock:read."), entgql.RelayConnection(),
		// The database refuses what the domain must never write.
		entsql.Checks(map[string]string{
			"stock_on_hand_nonnegative": "on_hand >= 0",
			"stock_reserved_in_range":   "reserved >= 0 AND reserved <= on_hand",
		}),
	}
}

// StockMovement is the append-only stock ledger. Every change to an item's
// onHand or reserved is one movement carrying both deltas, so
// onHand = Σ onHandDelta and reserved = Σ reservedDelta hold by construction.
type StockMovement struct{ ent.Schema }

func (StockMovement) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

func (StockMovement) Fields() []ent.Field {
	return []ent.Field{
		field.Enum("kind").Comment("What moved the stock.").Values("RECEIPT", "ADJUSTMENT", "RESERVATION", "RELEASE",
			"SHIPMENT", "RETURN_RESTOCK", "WRITE_OFF").Immutable(),
		// Quantity is the magnitude of the movement, always positive.
		field.Int("quantity").Comment("Units moved, always positive: onHandDelta and reservedDelta give the direction.").Positive().Immutable(),
		field.Int("on_hand_delta").Comment("How on hand changed.").Immutable(),
		field.Int("reserved_delta").Comment("How reserved changed.").Immutable(),
		field.Int("on_hand_after").Comment("On hand after the movement.").Immutable(),
		field.Int("reserved_after").Comment("Reserved after the movement.").Immutable(),
		field.String("reason").Comment("Why, in short: an adjustment's reason (COUNT_CORRECTION, DAMAGED, LOST, FOUND, OTHER), RECEIPT, or what in the order moved it (order confirmed, a shipment, a return's number, a cancellation's kind and reason, correction).").MaxRuneLen(64).Optional().Immutable(),
		field.String("note").Comment("A note given with it.").MaxRuneLen(2000).Optional().Immutable(),
		field.Int("stock_item_id").Immutable(),
		field.Int("order_id").Optional().Nillable().Immutable(),
		field.Int("actor_id").Optional().Nillable().Immutable(),
		field.Int("return_order_id").Optional().Nillable().Immutable(),
		field.Int("cancellation_id").Optional().Nillable().Immutable(),
		field.Int("correction_id").Optional().Nillable().Immutable(),
	}
}

func (StockMovement) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("stock_item", StockItem.Type).Ref("movements").Comment("The item whose stock moved.").Field("stock_item_id").
			Unique().Required().Immutable(),
		edge.To("order", Order.Type).Comment("The order it was for; null for receipts and adjustments.").Field("order_id").Unique().Immutable(),
		edge.To("actor", User.Type).Comment("Who took the action; null when a background rule did.").Field("actor_id").Unique().Immutable(),
		edge.To("return_order", ReturnOrder.Type).Comment("The return whose goods it put back on the shelf.").Field("return_order_id").Unique().Immutable(),
		edge.To("cancellation", CancellationRecord.Type).Comment("The cancellation or void that released the reservation.").Field("cancellation_id").Unique().Immutable(),
		edge.To("correction", OrderCorrection.Type).Comment("The order correction that reserved or released the stock.").Field("correction_id").Unique().Immutable(),
	}
}

func (StockMovement) Indexes() []ent.Index {
	return []ent.Index{
		index.Fields("stock_item_id", "created_at"),
		index.Fields("order_id"),
		index.Fields("kind", "created_at"),
		index.Fields("cancellation_id"),
	}
}

func (StockMovement) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("One entry of the append-only stock ledger: a change of an item's on hand or reserved, why, and the levels it left (onHand is the sum of onHandDelta, reserved of reservedDelta)."),
		entgql.QueryField().Description("The stock ledger, filtered and ordered: a sales rep does not see movements of other reps' customers' orders. Needs stock:read."),
		entgql.RelayConnection(),
	}
}
