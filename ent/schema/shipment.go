package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"orderdesk/postal"
)

// Shipment is one consignment of an order's goods; an order may ship in
// several.
type Shipment struct{ ent.Schema }

func (Shipment) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (Shipment) Fields() []ent.Field {
	return []ent.Field{
		field.String("carrier").Comment("Who carries it.").MaxRuneLen(100),
		field.String("tracking_number").Comment("The carrier's tracking number.").MaxRuneLen(100).Optional(),
		field.Enum("status").Comment("Where the shipment is (see ShipmentStatus).").Values("IN_TRANSIT", "DELIVERED", "DELAYED", "LOST",
			"DAMAGED", "REFUSED", "WRONG_ADDRESS").Default("IN_TRANSIT").
			Annotations(entgql.OrderField("STATUS")),
		field.JSON("address", &postal.Address{}).Comment("Where it goes.").Optional().
			Annotations(entgql.Type("Address")),
		field.String("exception_note").Comment("What went wrong in delivery.").MaxRuneLen(2000).Optional(),
		optionalTime("exception_reported_at", "When the last delivery problem was reported; null if none was."),
		// Resolution says how an exception was settled: RESHIPPED,
		// ADDRESS_CORRECTED, RETURNED, REFUNDED, or DELIVERED when the goods
		// of a delayed shipment arrived after all.
		field.Enum("exception_resolution").Comment("How the delivery problem was resolved.").Values("RESHIPPED", "ADDRESS_CORRECTED",
			"RETURNED", "REFUNDED", "DELIVERED").Optional().Nillable(),
		optionalTime("exception_resolved_at", "When that problem was resolved; null while it is open, or when none was reported."),
		field.Time("shipped_at").Comment("When it left.").Default(now).SchemaType(datetime),
		optionalTime("delivered_at", "When it was delivered (the order was marked delivered); null before."),
		field.Int("order_id").Immutable(),
		field.Int("shipped_by_id").Optional().Nillable().Immutable(),
		// ReplacementOrderID links a lost or damaged consignment to the
		// no-charge order that re-ships it.
		field.Int("replacement_order_id").Optional().Nillable(),
	}
}

func (Shipment) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("order", Order.Type).Ref("shipments").Comment("The order whose goods it carries.").Field("order_id").Unique().Required().Immutable(),
		edge.To("lines", ShipmentLine.Type).Comment("What it carries, line by line."),
		edge.To("shipped_by", User.Type).Comment("Who shipped it.").Field("shipped_by_id").Unique().Immutable(),
		edge.To("replacement_order", Order.Type).Comment("With exception resolution RESHIPPED: the no-charge REPLACEMENT order that sends the goods again.").Field("replacement_order_id").Unique(),
	}
}

func (Shipment) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id"), index.Fields("status"), index.Fields("tracking_number")}
}

func (Shipment) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("One consignment of an order's goods (an order may ship in several): carrier, tracking, where it is, and any delivery problem with how it was resolved."),
		entgql.QueryField().Description("Shipments, filtered and ordered: a sales rep sees those of their own customers' orders. Needs order:read."),
		entgql.RelayConnection(),
	}
}

// ShipmentLine is the quantity of one order line in a shipment.
type ShipmentLine struct{ ent.Schema }

func (ShipmentLine) Fields() []ent.Field {
	return []ent.Field{
		field.Int("quantity").Comment("Units of the order line it carries.").Positive().Immutable(),
		field.Int("shipment_id").Immutable(),
		field.Int("order_line_id").Immutable(),
	}
}

func (ShipmentLine) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("shipment", Shipment.Type).Ref("lines").Comment("The shipment the line belongs to.").Field("shipment_id").Unique().Required().Immutable(),
		edge.To("order_line", OrderLine.Type).Comment("The order line whose goods it carries.").Field("order_line_id").Unique().Required().Immutable(),
	}
}

func (ShipmentLine) Indexes() []ent.Index {
	return []ent.Index{index.Fields("shipment_id"), index.Fields("order_line_id")}
}

func (ShipmentLine) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("The quantity of one order line that a shipment carries."),
	}
}
