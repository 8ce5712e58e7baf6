package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect/entsql"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"

	"orderdesk/auth"
	"orderdesk/auth/rule"
	"orderdesk/billing"
)

// Invoice is the numbered bill of an order (INV-2026-000001). Its lines and
// amounts are copied from the order when it is issued and never change:
// what lowers the bill afterwards is a CreditNote against it, and an
// invoice entered wrongly is credited in full and issued again. Status and
// balance follow the credit notes and the order's payments, kept in the
// transaction that changes them (package order).
type Invoice struct{ ent.Schema }

func (Invoice) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (Invoice) Fields() []ent.Field {
	return []ent.Field{
		field.String("number").MaxRuneLen(32).NotEmpty().Unique().Immutable().
			Annotations(entgql.OrderField("NUMBER")),
		// OPEN: something is left to pay; PAID: the order's payments cover
		// it; CREDITED: credit notes took all of it back.
		field.Enum("status").Values("OPEN", "PAID", "CREDITED").Default("OPEN").
			Annotations(entgql.OrderField("STATUS")),
		currency(),
		field.JSON("lines", []billing.Line{}).Immutable().Annotations(entgql.Type("[InvoiceLine!]")),
		field.Int64("subtotal_minor").Immutable().Annotations(entgql.Skip()),
		field.Int64("discount_minor").Immutable().Annotations(entgql.Skip()),
		field.Int64("total_minor").Immutable().Annotations(entgql.Skip()),
		// What the order had credited before the invoice (returns received,
		// concessions): billed = total − prior credit.
		field.Int64("prior_credit_minor").Immutable().Annotations(entgql.Skip()),
		field.Int64("billed_minor").Immutable().Annotations(entgql.Skip()),
		// Σ of its credit notes.
		money("credited_minor"),
		// billed − credited − the order's payments applied to it.
		money("balance_minor"),
		field.Time("due_at").SchemaType(datetime).Annotations(entgql.OrderField("DUE_AT")),
		// Reminders counts the payment reminders (催收) sent while it was
		// overdue: the dunning level it reached.
		field.Int("reminders").Default(0),
		optionalTime("reminded_at"),
		// Why it was issued again, on an invoice that replaces another.
		field.String("note").MaxRuneLen(2000).Optional().Immutable(),
		field.Int("order_id").Immutable(),
		field.Int("customer_id").Immutable(),
		field.Int("issued_by_id").Optional().Nillable().Immutable(),
		field.Int("replaces_id").Optional().Nillable().Immutable(),
	}
}

func (Invoice) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("order", Order.Type).Field("order_id").Unique().Required().Immutable(),
		edge.To("customer", Customer.Type).Field("customer_id").Unique().Required().Immutable(),
		edge.To("issued_by", User.Type).Field("issued_by_id").Unique().Immutable(),
		edge.To("replaced_by", Invoice.Type).From("replaces").Field("replaces_id").Unique().Immutable(),
		edge.To("credit_notes", CreditNote.Type),
	}
}

func (Invoice) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "status"), index.Fields("customer_id", "status"),
		index.Fields("status", "due_at"), index.Fields("status", "reminders", "due_at")}
}

func (Invoice) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.RelayConnection(),
		entsql.Checks(map[string]string{
			"invoice_amounts_in_range": "credited_minor >= 0 AND credited_minor <= billed_minor AND balance_minor >= 0",
		}),
	}
}

func (Invoice) Policy() ent.Policy {
	return rule.Guard{Read: auth.InvoiceRead, Own: rule.ViaOrder}.Policy()
}

// CreditNote (CN-2026-000001) takes back part or all of an invoice: written
// in the same transaction as the action that lowered what the customer owes
// (a cancellation, void, refund beyond what was due, received return,
// correction, lost goods credited) or by crediting a wrong invoice in full.
// Never edited.
type CreditNote struct{ ent.Schema }

func (CreditNote) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

func (CreditNote) Fields() []ent.Field {
	return []ent.Field{
		field.String("number").MaxRuneLen(32).NotEmpty().Unique().Immutable().
			Annotations(entgql.OrderField("NUMBER")),
		currency(),
		field.Int64("amount_minor").Positive().Immutable().Annotations(entgql.Skip()),
		field.String("reason").MaxRuneLen(2000).Immutable(),
		field.Int("invoice_id").Immutable(),
		field.Int("order_id").Immutable(),
		field.Int("issued_by_id").Optional().Nillable().Immutable(),
	}
}

func (CreditNote) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("invoice", Invoice.Type).Ref("credit_notes").Field("invoice_id").Unique().Required().Immutable(),
		edge.To("order", Order.Type).Field("order_id").Unique().Required().Immutable(),
		edge.To("issued_by", User.Type).Field("issued_by_id").Unique().Immutable(),
	}
}

func (CreditNote) Indexes() []ent.Index {
	return []ent.Index{index.Fields("invoice_id"), index.Fields("order_id")}
}

func (CreditNote) Policy() ent.Policy {
	return rule.Guard{Read: auth.InvoiceRead, Own: rule.ViaOrder, AppendOnly: true}.Policy()
}
