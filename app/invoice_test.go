package app_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"orderdesk/app/apptest"
	"orderdesk/ent"
	"orderdesk/order"
	"orderdesk/store"
)

const invoiceFields = `id number status currency dueAt note reminders
	lines { position sku name quantity unitPrice { amount } discount { amount } lineTotal { amount } }
	subtotal { amount } total { amount } billed { amount } credited { amount } balance { amount } overdue
	replaces { number } creditNotes { id number amount { amount } reason }`

type invoiceView struct {
	ID, Number, Status, Currency, DueAt, Note string
	Reminders                                 int
	Lines                                     []struct {
		Position, Quantity             int
		Sku, Name                      string
		UnitPrice, Discount, LineTotal struct{ Amount string }
	}
	Subtotal, Total, Billed, Credited, Balance struct{ Amount string }
	Overdue                                    bool
	Replaces                                   *struct{ Number string }
	CreditNotes                                []creditNoteView
}

type creditNoteView struct {
	ID, Number, Reason string
	Amount             struct{ Amount string }
}

const (
	qIssueInvoice = `mutation($o: ID!, $k: String) { issueInvoice(input: {orderId: $o, idempotencyKey: $k}) {
		invoice { ` + invoiceFields + ` } ` + userErrors + ` } }`
	qReissueInvoice = `mutation($i: ID!, $r: String!) { creditAndReissueInvoice(input: {invoiceId: $i, reason: $r}) {
		invoice { ` + invoiceFields + ` } creditNote { id number amount { amount } reason } ` + userErrors + ` } }`
)

// issue issues the order's invoice as FINANCE.
func (w *world) issue(t *testing.T, orderID string) invoiceView {
	t.Helper()
	var p struct{ Invoice invoiceView }
	must(t, mutate(t, w.env.As(t, "FINANCE"), "issueInvoice", qIssueInvoice, apptest.Vars{"o": orderID}, &p))
	return p.Invoice
}

func (w *world) invoice(t *testing.T, id string) invoiceView {
	t.Helper()
	var out struct{ Node invoiceView }
	w.env.As(t, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Invoice { `+invoiceFields+` } } }`,
		apptest.Vars{"id": id}, &out)
	return out.Node
}

func (w *world) pay(t *testing.T, orderID, amount string) {
	t.Helper()
	must(t, mutate(t, w.env.As(t, "FINANCE"), "recordPayment", `mutation($o: ID!, $a: Decimal!) {
		recordPayment(input: {orderId: $o, amount: $a, method: CARD}) { `+userErrors+` } }`,
		apptest.Vars{"o": orderID, "a": amount}, nil))
}

func invoiceNumber(n int) string { return fmt.Sprintf("INV-%d-%06d", time.Now().UTC().Year(), n) }
func creditNumber(n int) string  { return fmt.Sprintf("CN-%d-%06d", time.Now().UTC().Year(), n) }

// TestInvoice_IssuePayRefund: an invoice copies the order's lines and
// totals, is OPEN until paid, PAID once paid; a refund beyond what was due
// credits the customer, and the same transaction writes a credit note for
// the refunded amount against the invoice. A second invoice is refused; a
// retry with the same key returns the first.
func TestInvoice_IssuePayRefund(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 2, 10) // 258.00 + 65.00
	fin := w.env.As(t, "FINANCE")
	var p struct{ Invoice invoiceView }
	must(t, mutate(t, fin, "issueInvoice", qIssueInvoice, apptest.Vars{"o": o.ID, "k": "inv-1"}, &p))
	inv := p.Invoice
	if inv.Number != invoiceNumber(1) || inv.Status != "OPEN" || inv.Billed.Amount != "323.00" || inv.Balance.Amount != "323.00" ||
		inv.Total.Amount != "323.00" || len(inv.Lines) != 2 || inv.Lines[0].Sku != "DRL-100" || inv.Lines[0].Quantity != 2 ||
		inv.Lines[0].UnitPrice.Amount != "129.00" || inv.Lines[0].LineTotal.Amount != "258.00" || inv.Lines[1].LineTotal.Amount != "65.00" {
		t.Fatalf("issued invoice: %+v", inv)
	}
	var again struct{ Invoice invoiceView }
	must(t, mutate(t, fin, "issueInvoice", qIssueInvoice, apptest.Vars{"o": o.ID, "k": "inv-1"}, &again))
	if again.Invoice.ID != inv.ID {
		t.Fatalf("replay issued %s, want %s", again.Invoice.Number, inv.Number)
	}
	wantCode(t, mutate(t, fin, "issueInvoice", qIssueInvoice, apptest.Vars{"o": o.ID}, nil), "DUPLICATE")
	if acts := w.order(t, o.ID).AvailableActions; slices.Contains(acts, "ISSUE_INVOICE") {
		t.Errorf("an invoiced order offers %v", acts)
	}

	w.pay(t, o.ID, "323.00")
	if got := w.invoice(t, inv.ID); got.Status != "PAID" || got.Balance.Amount != "0.00" {
		t.Fatalf("paid invoice: %+v", got)
	}
	must(t, mutate(t, fin, "refundPayment", `mutation($o: ID!) { refundPayment(input: {orderId: $o, amount: "30.00",
		reason: "goodwill: late delivery"}) { `+userErrors+` } }`, apptest.Vars{"o": o.ID}, nil))
	got := w.invoice(t, inv.ID)
	if len(got.CreditNotes) != 1 || got.CreditNotes[0].Number != creditNumber(1) || got.CreditNotes[0].Amount.Amount != "30.00" ||
		got.Credited.Amount != "30.00" || got.Status != "PAID" || got.Balance.Amount != "0.00" || got.Billed.Amount != "323.00" {
		t.Fatalf("invoice after the refund: %+v", got)
	}
	// The invoice itself is never edited: lines and totals as issued.
	if !slices.Equal(lineTotals(got), lineTotals(inv)) || got.Total != inv.Total {
		t.Fatalf("invoice changed: %+v, was %+v", got, inv)
	}
	assertInvariants(t, w.env)
}

func lineTotals(v invoiceView) []string {
	var out []string
	for _, l := range v.Lines {
		out = append(out, l.Sku+" "+l.LineTotal.Amount)
	}
	return out
}

// TestInvoice_CancellationCredits: after invoicing, a partial cancellation
// credits what was cancelled and a void of the rest credits the rest: the
// invoice ends CREDITED.
func TestInvoice_CancellationCredits(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 1, 10) // 129.00 + 65.00
	inv := w.issue(t, o.ID)
	manager := w.env.As(t, "SALES_MANAGER")
	must(t, mutate(t, manager, "cancelOrder", `mutation($o: ID!, $l: ID!) { cancelOrder(input: {orderId: $o, reasonCode: OUT_OF_STOCK,
		lines: [{orderLineId: $l, quantity: 10}]}) { `+userErrors+` } }`, apptest.Vars{"o": o.ID, "l": o.Lines[1].ID}, nil))
	got := w.invoice(t, inv.ID)
	if len(got.CreditNotes) != 1 || got.CreditNotes[0].Amount.Amount != "65.00" || got.Status != "OPEN" || got.Balance.Amount != "129.00" {
		t.Fatalf("after a partial cancellation: %+v", got)
	}
	must(t, mutate(t, manager, "voidOrder", `mutation($o: ID!) { voidOrder(input: {orderId: $o, reasonCode: ENTRY_ERROR}) { `+userErrors+` } }`,
		apptest.Vars{"o": o.ID}, nil))
	got = w.invoice(t, inv.ID)
	if len(got.CreditNotes) != 2 || got.CreditNotes[1].Amount.Amount != "129.00" || got.Status != "CREDITED" || got.Balance.Amount != "0.00" {
		t.Fatalf("after the void: %+v", got)
	}
	assertInvariants(t, w.env)
}

// TestInvoice_CreditAndReissue (seed 002, 发票开具错误): an invoice entered
// wrongly is credited in full and issued again as the order now is, in one
// transaction; a credited invoice cannot be credited again.
func TestInvoice_CreditAndReissue(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 1, 0)
	inv := w.issue(t, o.ID)
	fin := w.env.As(t, "FINANCE")
	var p struct {
		Invoice    invoiceView
		CreditNote creditNoteView
	}
	must(t, mutate(t, fin, "creditAndReissueInvoice", qReissueInvoice, apptest.Vars{"i": inv.ID, "r": "发票抬头错误 <b>"}, &p))
	if p.CreditNote.Number != creditNumber(1) || p.CreditNote.Amount.Amount != "129.00" || !strings.Contains(p.CreditNote.Reason, "发票抬头错误") {
		t.Fatalf("credit note: %+v", p.CreditNote)
	}
	if p.Invoice.Number != invoiceNumber(2) || p.Invoice.Replaces == nil || p.Invoice.Replaces.Number != inv.Number ||
		p.Invoice.Status != "OPEN" || p.Invoice.Billed.Amount != "129.00" || p.Invoice.DueAt != inv.DueAt || p.Invoice.Note != "发票抬头错误 <b>" {
		t.Fatalf("reissued invoice: %+v", p.Invoice)
	}
	if old := w.invoice(t, inv.ID); old.Status != "CREDITED" || old.Balance.Amount != "0.00" || old.Credited.Amount != "129.00" {
		t.Fatalf("the credited invoice: %+v", old)
	}
	var out struct {
		Node struct {
			Invoices []struct{ Number, Status string }
		}
	}
	w.env.As(t, "SALES_REP").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { invoices { number status } } } }`,
		apptest.Vars{"id": o.ID}, &out)
	if len(out.Node.Invoices) != 2 || out.Node.Invoices[0].Status != "CREDITED" || out.Node.Invoices[1].Status != "OPEN" {
		t.Fatalf("order.invoices: %+v", out.Node.Invoices)
	}
	wantCode(t, mutate(t, fin, "creditAndReissueInvoice", qReissueInvoice, apptest.Vars{"i": inv.ID, "r": "again"}, nil), "INVALID_TRANSITION")
	assertInvariants(t, w.env)
}

// TestInvoice_NumbersGaplessUnderConcurrency: 20 orders invoiced at once
// get INV-…-000001 to 000020, no gap, no duplicate (on MariaDB the
// transactions queue on the year's sequence row, and those that lose a
// deadlock run again without keeping a number).
func TestInvoice_NumbersGaplessUnderConcurrency(t *testing.T) {
	w := newWorld(t)
	const n = 20
	var ids []string
	for range n {
		ids = append(ids, w.createConfirmed(t, 0, 1).ID)
	}
	fin := w.env.As(t, "FINANCE")
	numbers := make([]string, n)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			r := fin.Do(t, qIssueInvoice, apptest.Vars{"o": id})
			var out struct {
				IssueInvoice struct {
					Invoice struct{ Number string }
					Errors  []apptest.UserError
				}
			}
			if len(r.Errors) > 0 {
				t.Errorf("issue %d: %+v", i, r.Errors)
				return
			}
			if err := json.Unmarshal(r.Data, &out); err != nil || len(out.IssueInvoice.Errors) > 0 {
				t.Errorf("issue %d: %v %+v", i, err, out.IssueInvoice.Errors)
				return
			}
			numbers[i] = out.IssueInvoice.Invoice.Number
		})
	}
	wg.Wait()
	slices.Sort(numbers)
	for i, got := range numbers {
		if want := invoiceNumber(i + 1); got != want {
			t.Fatalf("numbers %v: #%d is %q, want %q", numbers, i+1, got, want)
		}
	}
}

// TestInvoice_RolledBackActionConsumesNoNumber: a number taken in a
// transaction that rolls back is handed out again — by the sequence
// itself, and by a real action: a cancellation's dry run writes (and rolls
// back) the credit note it would write.
func TestInvoice_RolledBackActionConsumesNoNumber(t *testing.T) {
	w := newWorld(t)
	year := time.Now().UTC().Year()
	err := store.WithTx(w.env.Sys, w.env.DB.Client, func(tx *ent.Tx) error {
		if n, err := order.NextNumber(w.env.Sys, tx, "INV", year); err != nil || n != invoiceNumber(1) {
			return fmt.Errorf("first number %q: %v", n, err)
		}
		return errRolledBack
	})
	if !errors.Is(err, errRolledBack) {
		t.Fatal(err)
	}
	o := w.createConfirmed(t, 1, 0)
	inv := w.issue(t, o.ID)
	if inv.Number != invoiceNumber(1) {
		t.Fatalf("after a rollback the first invoice is %s", inv.Number)
	}
	manager := w.env.As(t, "SALES_MANAGER")
	const cancel = `mutation($o: ID!, $dry: Boolean) { cancelOrder(input: {orderId: $o, reasonCode: CUSTOMER_REQUEST, dryRun: $dry}) {
		order { status } ` + userErrors + ` } }`
	for range 2 {
		must(t, mutate(t, manager, "cancelOrder", cancel, apptest.Vars{"o": o.ID, "dry": true}, nil))
	}
	if got := w.invoice(t, inv.ID); len(got.CreditNotes) != 0 || got.Status != "OPEN" {
		t.Fatalf("a dry run left %+v", got)
	}
	must(t, mutate(t, manager, "cancelOrder", cancel, apptest.Vars{"o": o.ID}, nil))
	got := w.invoice(t, inv.ID)
	if len(got.CreditNotes) != 1 || got.CreditNotes[0].Number != creditNumber(1) || got.Status != "CREDITED" {
		t.Fatalf("after the cancellation: %+v", got)
	}
}

var errRolledBack = errors.New("rolled back on purpose")

// TestInvoice_List: the invoices connection filters by customer, status
// and overdue; a rep sees their own customers' invoices only.
func TestInvoice_List(t *testing.T) {
	w := newWorld(t)
	a := w.issue(t, w.createConfirmed(t, 1, 0).ID)
	b := w.issue(t, w.createConfirmed(t, 0, 2).ID)
	w.pay(t, w.invoiceOrder(t, b.ID), "13.00")
	list := func(role string, filter apptest.Vars) []string {
		t.Helper()
		var out struct {
			Invoices struct {
				Edges []struct{ Node struct{ Number string } }
			}
		}
		w.env.As(t, role).MustDo(t, `query($f: InvoicesFilter) { invoices(first: 10, filter: $f) { edges { node { number } } } }`,
			apptest.Vars{"f": filter}, &out)
		var ns []string
		for _, e := range out.Invoices.Edges {
			ns = append(ns, e.Node.Number)
		}
		return ns
	}
	if got := list("FINANCE", nil); !slices.Equal(got, []string{b.Number, a.Number}) {
		t.Errorf("all, newest first: %v", got)
	}
	if got := list("AUDITOR", apptest.Vars{"status": "PAID"}); !slices.Equal(got, []string{b.Number}) {
		t.Errorf("PAID: %v", got)
	}
	// Due at issue (no payment terms): a is overdue by now, b is paid.
	time.Sleep(10 * time.Millisecond)
	if got := list("SALES_MANAGER", apptest.Vars{"customerId": w.customerID, "overdue": false}); !slices.Equal(got, []string{b.Number}) {
		t.Errorf("of the customer, not overdue: %v", got)
	}
	if got := list("FINANCE", apptest.Vars{"customerId": w.invoiceOrder(t, a.ID)}); len(got) != 0 {
		t.Errorf("of another customer: %v", got)
	}
	if got := list("SALES_REP", apptest.Vars{"status": "OPEN"}); !slices.Equal(got, []string{a.Number}) {
		t.Errorf("the rep's OPEN ones: %v", got)
	}
	if got := list("REP2", nil); len(got) != 0 {
		t.Errorf("another rep sees %v", got)
	}
	if got := list("FINANCE", apptest.Vars{"overdue": true}); !slices.Equal(got, []string{a.Number}) {
		t.Errorf("overdue: %v", got)
	}
}

func (w *world) invoiceOrder(t *testing.T, invoiceID string) string {
	t.Helper()
	var out struct {
		Node struct{ Order struct{ ID string } }
	}
	w.env.As(t, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Invoice { order { id } } } }`, apptest.Vars{"id": invoiceID}, &out)
	return out.Node.Order.ID
}

// TestInvoice_Document: GET /documents/{id} shows an invoice or credit
// note as HTML (UTF-8, values escaped) to staff who may read it; without a
// token 401; another rep, a role without invoice:read or no such document
// 404.
func TestInvoice_Document(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 1, 4)
	inv := w.issue(t, o.ID)
	var p struct {
		Invoice    invoiceView
		CreditNote creditNoteView
	}
	must(t, mutate(t, w.env.As(t, "FINANCE"), "creditAndReissueInvoice", qReissueInvoice,
		apptest.Vars{"i": inv.ID, "r": "发票抬头错误 <script>alert(1)</script>"}, &p))
	get := func(role, id string) (int, string, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, w.env.URL+"/documents/"+id, nil)
		if role != "" {
			req.Header.Set("Authorization", "Bearer "+w.env.As(t, role).Token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header.Get("Content-Type"), string(body)
	}
	status, ctype, body := get("FINANCE", p.Invoice.ID)
	if status != http.StatusOK || ctype != "text/html; charset=utf-8" {
		t.Fatalf("invoice page: %d %s %s", status, ctype, body)
	}
	for _, want := range []string{p.Invoice.Number, o.Number, "DRL-100", "Drill", "GLV-M", "129.00", "26.00", "155.00",
		"发票抬头错误 &lt;script&gt;alert(1)&lt;/script&gt;", `<meta charset="utf-8">`} {
		if !strings.Contains(body, want) {
			t.Errorf("the invoice page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>") {
		t.Errorf("the invoice page carries unescaped input:\n%s", body)
	}
	status, _, body = get("SALES_REP", p.CreditNote.ID)
	if status != http.StatusOK || !strings.Contains(body, p.CreditNote.Number) || !strings.Contains(body, inv.Number) ||
		!strings.Contains(body, "155.00") {
		t.Errorf("credit note page for the order's rep: %d\n%s", status, body)
	}
	for _, c := range []struct {
		role, id string
		want     int
	}{
		{"", p.Invoice.ID, http.StatusUnauthorized},
		{"REP2", p.Invoice.ID, http.StatusNotFound},
		{"WAREHOUSE", p.Invoice.ID, http.StatusNotFound},
		{"AUDITOR", p.Invoice.ID, http.StatusOK},
		{"FINANCE", o.ID, http.StatusNotFound},
		{"FINANCE", "999999999", http.StatusNotFound},
		{"FINANCE", "x", http.StatusNotFound},
	} {
		if got, _, _ := get(c.role, c.id); got != c.want {
			t.Errorf("GET /documents/%s as %q: %d, want %d", c.id, c.role, got, c.want)
		}
	}
}
