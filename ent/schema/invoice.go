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
		field.String("number").Comment("The invoice's number, INV-<year>-<sequence>: gapless per year, never reused.").MaxRuneLen(32).NotEmpty().Unique().Immutable().
			Annotations(entgql.OrderField("NUMBER")),
		// OPEN: something is left to pay; PAID: the order's payments cover
		// it; CREDITED: credit notes took all of it back.
		field.Enum("status").Comment("Whether anything is left to pay (see InvoiceStatus); follows the order's payments and the credit notes.").Values("OPEN", "PAID", "CREDITED").Default("OPEN").
			Annotations(entgql.OrderField("STATUS")),
		currency("The ISO 4217 code of the invoice's amounts: the order's currency."),
		field.JSON("lines", []billing.Line{}).Comment("What it bills, line by line: the order's lines as they stood when it was issued, each quantity less what was cancelled; never changes.").Immutable().Annotations(entgql.Type("[InvoiceLine!]")),
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
		field.Time("due_at").Comment("When payment is due; while it is OPEN past this, reminders go to the customer.").SchemaType(datetime).Annotations(entgql.OrderField("DUE_AT")),
		// Reminders counts the payment reminders (催收) sent while it was
		// overdue: the dunning level it reached.
		field.Int("reminders").Comment("How many payment reminders were sent while it was overdue (by default one day, one week and two weeks after dueAt).").Default(0),
		optionalTime("reminded_at", "When the last payment reminder went; null if none did."),
		// Why it was issued again, on an invoice that replaces another.
		field.String("note").Comment("On an invoice that replaces another: why it was issued again.").MaxRuneLen(2000).Optional().Immutable(),
		field.Int("order_id").Immutable(),
		field.Int("customer_id").Immutable(),
		field.Int("issued_by_id").Optional().Nillable().Immutable(),
		field.Int("replaces_id").Optional().Nillable().Immutable(),
	}
}

func (Invoice) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("order", Order.Type).Comment("The order it bills.").Field("order_id").Unique().Required().Immutable(),
		edge.To("customer", Customer.Type).Comment("The customer it bills: the order's.").Field("customer_id").Unique().Required().Immutable(),
		edge.To("issued_by", User.Type).Comment("Who issued it (or shipped the order, when invoices go out at shipment); null when a background rule did.").Field("issued_by_id").Unique().Immutable(),
		edge.To("replaced_by", Invoice.Type).Comment("The invoice issued to replace this one after it was credited in full.").
			From("replaces").Comment("The invoice this one replaces, which was credited in full; null for a first invoice.").
			Field("replaces_id").Unique().Immutable(),
		edge.To("credit_notes", CreditNote.Type).Comment("The credit notes against it, each lowering what it bills."),
	}
}

func (Invoice) Indexes() []ent.Index {
	return []ent.Index{index.Fields("order_id", "status"), index.Fields("customer_id", "status"),
		index.Fields("status", "due_at"), index.Fields("status", "reminders", "due_at")}
}

func (Invoice) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("The numbered bill of an order: its lines and amounts as they were when it was issued, never edited. What lowers the bill afterwards is a CreditNote against it; one entered wrongly is credited in full and issued again."),
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
		field.String("number").Comment("The credit note's number, CN-<year>-<sequence>: gapless per year, never reused.").MaxRuneLen(32).NotEmpty().Unique().Immutable().
			Annotations(entgql.OrderField("NUMBER")),
		currency("The ISO 4217 code of its amount: the invoice's currency."),
		field.Int64("amount_minor").Positive().Immutable().Annotations(entgql.Skip()),
		field.String("reason").Comment("Why it was written: the action that lowered what the customer owes, or why the invoice was credited to be issued again.").MaxRuneLen(2000).Immutable(),
		field.Int("invoice_id").Immutable(),
		field.Int("order_id").Immutable(),
		field.Int("issued_by_id").Optional().Nillable().Immutable(),
	}
}

func (CreditNote) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("invoice", Invoice.Type).Ref("credit_notes").Comment("The invoice it credits.").Field("invoice_id").Unique().Required().Immutable(),
		edge.To("order", Order.Type).Comment("The invoice's order.").Field("order_id").Unique().Required().Immutable(),
		edge.To("issued_by", User.Type).Comment("Who took the action that wrote it; null when a background rule did.").Field("issued_by_id").Unique().Immutable(),
	}
}

func (CreditNote) Indexes() []ent.Index {
	return []ent.Index{index.Fields("invoice_id"), index.Fields("order_id")}
}

func (CreditNote) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A numbered document that takes back part or all of an invoice, written with the action that lowered what the customer owes (a cancellation, void, refund beyond what was due, received return, correction, lost goods credited) or when a wrong invoice is credited in full. Never edited."),
	}
}

func (CreditNote) Policy() ent.Policy {
	return rule.Guard{Read: auth.InvoiceRead, Own: rule.ViaOrder, AppendOnly: true}.Policy()
}
