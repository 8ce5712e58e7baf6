package order

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/billing"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/invoice"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/privacy"
	"orderdesk/fault"
	"orderdesk/idem"
	"orderdesk/money"
	"orderdesk/notice"
	"orderdesk/payment"
	"orderdesk/store"
)

// Invoices and credit notes (seed 002: 开具发票, 发票开具错误).
//
// An invoice (INV-YYYY-NNNNNN) bills what the order is due when it is
// issued — its lines' total less what the order had credited before — and
// is never edited. After that the invoice follows the order: whenever an
// action lowers what the customer owes (payment.Due: total − credited) below
// what the invoice still bills, the same transaction writes a credit note
// (CN-YYYY-NNNNNN) for the difference. There is one place that does it,
// Locked.save, which every action on an order ends with, so cancellations,
// voids, refunds beyond what was due, received returns, corrections and lost
// goods credited all get theirs. (A return's credit is made when the goods
// are received for refund, which is when the customer owes less; the refund
// that follows pays back money and bills nothing.) What raises the amount
// due after invoicing is not billed by itself: creditAndReissueInvoice
// bills the order as it now is.
//
// Payments apply to the order's current invoice: balance = billed −
// credited − (captured − refunded), never below zero; the invoice is PAID
// at zero, CREDITED when credit notes took back all of it, OPEN otherwise.
//
// Numbers come from the per-year rows of the sequence table (NextNumber),
// advanced inside the action's transaction: the row stays locked until the
// commit, so concurrent issues queue on it, and a rolled-back action gives
// its number back — the series has no gaps.

// InvoiceResult is what an invoice action produced.
type InvoiceResult struct {
	Order      *ent.Order
	Invoice    *ent.Invoice
	CreditNote *ent.CreditNote
}

var invoiceCodec = idem.Codec[*InvoiceResult]{
	Refs: func(r *InvoiceResult) idem.Refs {
		refs := idem.Refs{"order": r.Order.ID, "invoice": r.Invoice.ID}
		if r.CreditNote != nil {
			refs["creditNote"] = r.CreditNote.ID
		}
		return refs
	},
	Load: func(ctx context.Context, tx *ent.Tx, refs idem.Refs) (*InvoiceResult, error) {
		r := &InvoiceResult{}
		var err error
		if r.Order, err = tx.Order.Get(ctx, refs["order"]); err != nil {
			return nil, err
		}
		if r.Invoice, err = tx.Invoice.Get(ctx, refs["invoice"]); err != nil {
			return nil, err
		}
		if id, ok := refs["creditNote"]; ok {
			if r.CreditNote, err = tx.CreditNote.Get(ctx, id); err != nil {
				return nil, err
			}
		}
		return r, nil
	},
	Unwrap: func(r *InvoiceResult) *InvoiceResult {
		if r == nil {
			return nil
		}
		r.Order, r.Invoice = r.Order.Unwrap(), r.Invoice.Unwrap()
		if r.CreditNote != nil {
			r.CreditNote = r.CreditNote.Unwrap()
		}
		return r
	},
}

// IssueInvoiceRequest issues an order's invoice.
type IssueInvoiceRequest struct {
	OrderID        int
	DueAt          *time.Time
	IdempotencyKey string `json:"-"`
}

// IssueInvoice issues the invoice of an order that is CONFIRMED (partly
// shipped too), SHIPPED, DELIVERED or COMPLETED, has something to bill and
// no invoice that is not CREDITED (DUPLICATE). The invoice copies the
// order's billable lines and totals and is due at DueAt (not before now),
// else at the order's payment due time, else now plus the policy's payment
// terms. It changes neither the order nor its money. Needs invoice:issue.
func (s *Service) IssueInvoice(ctx context.Context, r IssueInvoiceRequest) (*InvoiceResult, error) {
	if _, err := auth.Require(ctx, auth.InvoiceIssue); err != nil {
		return nil, err
	}
	return idem.Run(ctx, s.client, "issueInvoice", r.IdempotencyKey, r, invoiceCodec, func(ctx context.Context, tx *ent.Tx) (*InvoiceResult, error) {
		l, err := s.hold(ctx, tx, r.OrderID, IssueInvoice, "input.orderId")
		if err != nil {
			return nil, err
		}
		if r.DueAt != nil && r.DueAt.Before(l.Now) {
			return nil, fault.New(fault.Invalid, "input.dueAt", "must not be in the past")
		}
		due := s.invoiceDue(l)
		if r.DueAt != nil {
			due = r.DueAt.UTC()
		}
		inv, err := l.issueInvoice(ctx, due, nil, "")
		return &InvoiceResult{Order: l.Order, Invoice: inv}, err
	})
}

// invoiceDue is when the held order's invoice falls due unless the issuer
// says: at the order's payment due time, else after the payment terms.
func (s *Service) invoiceDue(l *Locked) time.Time {
	if l.Order.PaymentDueAt != nil {
		return *l.Order.PaymentDueAt
	}
	return l.Now.Add(s.policy.PaymentTerms)
}

// invoiceAtShipment issues the held order's invoice in the transaction of
// a shipment, when the policy says so and ISSUE_INVOICE's table and guards
// allow it (something to bill, no open invoice): the first shipment, in
// effect.
func (s *Service) invoiceAtShipment(ctx context.Context, l *Locked) error {
	if !s.policy.InvoiceAtShipment {
		return nil
	}
	if err := l.allow(ctx, IssueInvoice); err != nil {
		if _, expected := fault.Expected(err); expected {
			return nil
		}
		return err
	}
	_, err := l.issueInvoice(ctx, s.invoiceDue(l), nil, "")
	return err
}

// ReissueInvoiceRequest corrects an invoice entered wrongly.
type ReissueInvoiceRequest struct {
	InvoiceID      int
	Reason         string
	IdempotencyKey string `json:"-"`
}

// CreditAndReissueInvoice corrects an invoice entered wrongly (seed 002:
// 发票开具错误): a credit note for all the invoice still bills, and a new
// invoice of the order as it is now, due when the old one was, in one
// transaction. A CREDITED invoice is INVALID_TRANSITION. Needs
// invoice:issue.
func (s *Service) CreditAndReissueInvoice(ctx context.Context, r ReissueInvoiceRequest) (*InvoiceResult, error) {
	if _, err := auth.Require(ctx, auth.InvoiceIssue); err != nil {
		return nil, err
	}
	var errs fault.List
	reason := errs.Text("input.reason", r.Reason, 2000, true)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return idem.Run(ctx, s.client, "creditAndReissueInvoice", r.IdempotencyKey, r, invoiceCodec, func(ctx context.Context, tx *ent.Tx) (*InvoiceResult, error) {
		l, old, err := holdChild(ctx, s, tx, ReissueInvoice, "input.invoiceId", "invoice", invoices(tx, r.InvoiceID))
		if err != nil {
			return nil, err
		}
		if old.Status == invoice.StatusCREDITED {
			return nil, fault.New(fault.InvalidTransition, "input.invoiceId", "invoice %s is credited already", old.Number)
		}
		cn, err := l.creditInvoice(ctx, old, old.BilledMinor-old.CreditedMinor, "credited in full to reissue: "+reason)
		if err != nil {
			return nil, err
		}
		inv, err := l.issueInvoice(ctx, old.DueAt, old, reason)
		return &InvoiceResult{Order: l.Order, Invoice: inv, CreditNote: cn}, err
	})
}

// Invoices lists an order's invoices, oldest first.
func (s *Service) Invoices(ctx context.Context, o *ent.Order) ([]*ent.Invoice, error) {
	return s.client.Invoice.Query().Where(invoice.OrderID(o.ID)).Order(ent.Asc(invoice.FieldID)).All(ctx)
}

// Overdue reports whether an invoice is OPEN past its due time.
func Overdue(inv *ent.Invoice, now time.Time) bool {
	return inv.Status == invoice.StatusOPEN && inv.DueAt.Before(now)
}

// heldMoney is what the held order owed and had paid when it was held,
// whether it could have an invoice then, and its open invoice (0: none).
type heldMoney struct {
	invoiceable bool
	due, paid   int64
	invoice     int
	requests    openRequests // undecided when the order was held
}

// withOpenInvoice has hold read the id of the order's invoice that is not
// CREDITED with the order row itself, so that an action on an order with
// none spends no statement on invoices.
// The column is never NULL (0: none), so that drivers that type a column
// by its first value (SQLite) see an integer.
func withOpenInvoice(s *entsql.Selector) {
	t := entsql.Table(invoice.Table)
	sub := entsql.Select(t.C(invoice.FieldID)).From(t).
		Where(entsql.And(entsql.ColumnsEQ(t.C(invoice.FieldOrderID), s.C(entorder.FieldID)),
			entsql.NEQ(t.C(invoice.FieldStatus), invoice.StatusCREDITED))).Limit(1)
	s.AppendSelectExprAs(entsql.ExprFunc(func(b *entsql.Builder) {
		b.WriteString("COALESCE(").Wrap(func(b *entsql.Builder) { b.Join(sub) }).WriteString(", 0)")
	}), openInvoiceColumn)
}

const openInvoiceColumn = "open_invoice_id"

func openInvoiceOf(o *ent.Order) (int, error) {
	v, err := o.Value(openInvoiceColumn)
	if err != nil {
		return 0, err
	}
	switch id := v.(type) {
	case nil:
		return 0, nil
	case int64:
		return int(id), nil
	case []byte:
		return strconv.Atoi(string(id))
	default:
		return 0, fmt.Errorf("open invoice id of type %T", v)
	}
}

func moneyOf(o *ent.Order) heldMoney {
	return heldMoney{invoiceable: slices.Contains(invoiceable, o.Status), due: payment.Due(o), paid: payment.Refundable(o)}
}

// followInvoice keeps the held order's open invoice in step with its money
// when the action moved it: a credit note for what the customer no longer
// owes, and the invoice's status and balance. It reads nothing when the
// order could have no invoice or its money did not move.
func (l *Locked) followInvoice(ctx context.Context) error {
	now := moneyOf(l.Order)
	if !l.held.invoiceable || l.held.invoice == 0 || (now.due == l.held.due && now.paid == l.held.paid) {
		return nil
	}
	l.held.due, l.held.paid = now.due, now.paid
	sys := privacy.DecisionContext(ctx, privacy.Allow)
	inv, err := l.tx.Invoice.Query().Where(invoice.ID(l.held.invoice)).Modify(store.ForUpdate).Only(sys)
	if err != nil {
		return err
	}
	if over := inv.BilledMinor - inv.CreditedMinor - now.due; over > 0 {
		why := fmt.Sprintf("%s of %s: the amount due fell to %s", strings.ReplaceAll(strings.ToLower(string(l.action)), "_", " "),
			l.Order.Number, money.Format(now.due, l.Order.Currency))
		_, err := l.creditInvoice(ctx, inv, over, why)
		return err
	}
	return l.saveInvoice(ctx, inv, false)
}

// invoiceState is an invoice's status and balance given its order's money.
func invoiceState(inv *ent.Invoice, o *ent.Order) (invoice.Status, int64) {
	left := inv.BilledMinor - inv.CreditedMinor
	if left <= 0 {
		return invoice.StatusCREDITED, 0
	}
	balance := left - min(max(payment.Refundable(o), 0), left)
	if balance == 0 {
		return invoice.StatusPAID, 0
	}
	return invoice.StatusOPEN, balance
}

// saveInvoice writes the invoice's credited total, status and balance when
// they changed (credited: its credited total did).
func (l *Locked) saveInvoice(ctx context.Context, inv *ent.Invoice, credited bool) error {
	status, balance := invoiceState(inv, l.Order)
	if status == inv.Status && balance == inv.BalanceMinor && !credited {
		return nil
	}
	sys := privacy.DecisionContext(ctx, privacy.Allow)
	err := l.tx.Invoice.UpdateOneID(inv.ID).SetStatus(status).SetBalanceMinor(balance).
		SetCreditedMinor(inv.CreditedMinor).AddVersion(1).Exec(sys)
	if err != nil {
		return err
	}
	if status != inv.Status {
		id := l.Order.ID
		err = audit.Record(ctx, l.tx, audit.Event{Action: "invoice." + strings.ToLower(string(status)), SubjectType: "Invoice",
			SubjectID: inv.ID, OrderID: &id, From: string(inv.Status), To: string(status)})
	}
	inv.Status, inv.BalanceMinor, inv.Version = status, balance, inv.Version+1
	return err
}

// creditInvoice writes a credit note of amount against inv and saves inv.
func (l *Locked) creditInvoice(ctx context.Context, inv *ent.Invoice, amount int64, reason string) (*ent.CreditNote, error) {
	if amount <= 0 || amount > inv.BilledMinor-inv.CreditedMinor {
		return nil, fmt.Errorf("credit note of %d on invoice %s billing %d", amount, inv.Number, inv.BilledMinor-inv.CreditedMinor)
	}
	sys := privacy.DecisionContext(ctx, privacy.Allow)
	number, err := NextNumber(ctx, l.tx, "CN", l.Now.Year())
	if err != nil {
		return nil, err
	}
	cn, err := l.tx.CreditNote.Create().SetNumber(number).SetCurrency(inv.Currency).SetAmountMinor(amount).
		SetReason(clip.Runes(reason, 2000)).SetInvoiceID(inv.ID).SetOrderID(inv.OrderID).
		SetNillableIssuedByID(auth.FromContext(ctx).ActorID()).Save(sys)
	if err != nil {
		return nil, err
	}
	inv.CreditedMinor += amount
	id, neg := l.Order.ID, -amount
	if err := audit.Record(ctx, l.tx, audit.Event{Action: "invoice.credit_note", SubjectType: "CreditNote", SubjectID: cn.ID,
		OrderID: &id, Reason: cn.Reason, Amount: &neg, Currency: inv.Currency,
		After: map[string]any{"number": number, "invoice": inv.Number, "amount": money.Format(amount, inv.Currency)}}); err != nil {
		return nil, err
	}
	return cn, l.saveInvoice(ctx, inv, true)
}

// issueInvoice numbers and writes the invoice of the held order as it is
// now: its billable lines, totals and amount due, due at due.
func (l *Locked) issueInvoice(ctx context.Context, due time.Time, replaces *ent.Invoice, note string) (*ent.Invoice, error) {
	o := l.Order
	due = due.UTC().Truncate(time.Microsecond) // what the database keeps
	billed := payment.Due(o)
	if billed <= 0 {
		return nil, fault.New(fault.NotAllowed, "", "nothing of %s is left to bill", o.Number)
	}
	lines := []billing.Line{}
	for _, ln := range l.Lines {
		if billable(ln) <= 0 {
			continue
		}
		total, err := LineTotal(ln)
		if err != nil {
			return nil, amountError("input.orderId", err)
		}
		lines = append(lines, billing.Line{Position: ln.Position, SKU: ln.Sku, Name: ln.Name, Quantity: billable(ln),
			UnitPriceMinor: ln.UnitPriceMinor, DiscountMinor: ln.DiscountMinor, LineTotalMinor: total, Currency: o.Currency})
	}
	number, err := NextNumber(ctx, l.tx, "INV", l.Now.Year())
	if err != nil {
		return nil, err
	}
	draft := &ent.Invoice{BilledMinor: billed}
	status, balance := invoiceState(draft, o)
	c := l.tx.Invoice.Create().SetNumber(number).SetStatus(status).SetCurrency(o.Currency).SetLines(lines).
		SetSubtotalMinor(o.SubtotalMinor).SetDiscountMinor(o.DiscountMinor).SetTotalMinor(o.TotalMinor).
		SetPriorCreditMinor(o.CreditedMinor).SetBilledMinor(billed).SetBalanceMinor(balance).SetDueAt(due).
		SetNote(clip.Runes(note, 2000)).SetOrderID(o.ID).SetCustomerID(o.CustomerID).
		SetNillableIssuedByID(auth.FromContext(ctx).ActorID())
	if replaces != nil {
		c.SetReplacesID(replaces.ID)
	}
	inv, err := c.Save(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return nil, err
	}
	l.held.invoice = inv.ID
	after := map[string]any{"number": number, "billed": money.Format(billed, o.Currency), "dueAt": due.Format(time.RFC3339)}
	if replaces != nil {
		after["replaces"] = replaces.Number
	}
	id := o.ID
	if err := audit.Record(ctx, l.tx, audit.Event{Action: "invoice.issued", SubjectType: "Invoice", SubjectID: inv.ID,
		OrderID: &id, To: string(status), Reason: inv.Note, Amount: &billed, Currency: o.Currency, After: after}); err != nil {
		return nil, err
	}
	return inv, l.tellCustomer(ctx, notice.InvoiceIssued, "Invoice", inv.ID, map[string]string{"invoice": number,
		"amount": money.Format(billed, o.Currency), "due": due.Format("2006-01-02")})
}

// openInvoiceNumber is the number of the order's invoice that is not
// CREDITED, or "". Like OpenWork it sees every invoice.
func openInvoiceNumber(ctx context.Context, c *ent.Client, orderID int) (string, error) {
	ns, err := c.Invoice.Query().Where(invoice.OrderID(orderID), invoice.StatusNEQ(invoice.StatusCREDITED)).
		Select(invoice.FieldNumber).Strings(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil || len(ns) == 0 {
		return "", err
	}
	return ns[0], nil
}

func invoices(tx *ent.Tx, id int) child[*ent.Invoice] {
	return child[*ent.Invoice]{table: invoice.Table, id: id, read: func(ctx context.Context) (*ent.Invoice, error) {
		return tx.Invoice.Query().Where(invoice.ID(id)).Modify(store.ForUpdate).Only(ctx)
	}}
}

// InvoiceFilter narrows a list of invoices; nil fields do not.
type InvoiceFilter struct {
	CustomerID *int
	Status     *invoice.Status
	Overdue    *bool // OPEN and past due at now, or not
}

// InvoiceQuery is the invoices matching f, as the viewer's privacy rules
// let them be read (invoice:read; a sales rep: their customers').
func (s *Service) InvoiceQuery(f InvoiceFilter, now time.Time) *ent.InvoiceQuery {
	q := s.client.Invoice.Query()
	if f.CustomerID != nil {
		q.Where(invoice.CustomerID(*f.CustomerID))
	}
	if f.Status != nil {
		q.Where(invoice.StatusEQ(*f.Status))
	}
	if f.Overdue != nil {
		overdue := invoice.And(invoice.StatusEQ(invoice.StatusOPEN), invoice.DueAtLT(now))
		if *f.Overdue {
			q.Where(overdue)
		} else {
			q.Where(invoice.Not(overdue))
		}
	}
	return q
}
