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

// Customer is a buying company or person, owned by a sales rep.
type Customer struct{ ent.Schema }

func (Customer) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (Customer) Fields() []ent.Field {
	return []ent.Field{
		field.String("name").Comment("The customer's (company's) name.").MaxRuneLen(200).NotEmpty().
			Annotations(entgql.OrderField("NAME")),
		field.String("contact_name").Comment("Who to speak to.").MaxRuneLen(200).Optional(),
		field.String("email").Comment("Where notices go.").MaxRuneLen(254).Optional(),
		field.String("phone").Comment("A phone number, as given.").MaxRuneLen(50).Optional(),
		field.JSON("billing_address", &postal.Address{}).Comment("Where invoices go.").Optional().
			Annotations(entgql.Type("Address")),
		field.JSON("shipping_address", &postal.Address{}).Comment("Where goods go unless an order says otherwise.").Optional().
			Annotations(entgql.Type("Address")),
		// CreditLimitMinor caps the customer's open unpaid orders; 0 means
		// no credit (prepayment only is not assumed: see order review).
		money("credit_limit_minor"),
		currency("The ISO 4217 code of the credit limit and of the customer's orders."),
		// Language is the customer's language for notices (a BCP 47 tag
		// the notice templates cover); empty: the server's default.
		field.String("language").Comment("The language of the customer's notices (zh-CN or en); empty: the server's default.").MaxRuneLen(16).Optional(),
		field.Int("owner_id").Optional().Nillable(),
	}
}

func (Customer) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("owner", User.Type).Ref("customers").Comment("The sales rep or manager who owns the customer: a sales rep sees only the customers they own; null: nobody does.").
			Field("owner_id").Unique(),
		edge.To("orders", Order.Type).Comment("The customer's orders.").Annotations(entgql.RelayConnection()),
		edge.To("complaints", Complaint.Type).Comment("The customer's complaints.").Annotations(entgql.RelayConnection()),
		edge.To("contacts", Contact.Type).Comment("Logged contacts with the customer.").Annotations(entgql.RelayConnection()),
		edge.To("notices", CustomerNotice.Type).Comment("What the customer was told.").Annotations(entgql.RelayConnection()),
	}
}

func (Customer) Indexes() []ent.Index {
	return []ent.Index{index.Fields("owner_id"), index.Fields("name")}
}

func (Customer) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A company that buys from us: its contacts and addresses, its credit limit, the rep who owns it, and its orders, complaints, contacts and notices."),
		entgql.QueryField().Description("Customers, filtered and ordered: a sales rep sees the customers they own."), entgql.RelayConnection(),
	}
}
