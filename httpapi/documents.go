package httpapi

import (
	"bytes"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/creditnote"
	"orderdesk/ent/privacy"
	"orderdesk/money"
	"orderdesk/postal"
)

// documents serves GET /documents/{id}: the printable HTML page of an
// invoice or a credit note (its global id), to a signed-in viewer who may
// read it (bearer token; invoice:read, a sales rep only their customers').
// Without a viewer it is 401; a document the viewer may not read looks the
// same as one that does not exist, 404. html/template escapes every value.
func documents(log *slog.Logger, client *ent.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		if auth.FromContext(ctx) == nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="orderdesk"`)
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		id, err := strconv.Atoi(r.PathValue("id"))
		if err != nil || id <= 0 {
			http.NotFound(w, r)
			return
		}
		page, err := documentPage(r, client, id)
		switch {
		case ent.IsNotFound(err) || errors.Is(err, privacy.Deny) || page == nil:
			http.NotFound(w, r)
			return
		case err != nil:
			log.ErrorContext(ctx, "document", "request_id", audit.RequestID(ctx), "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		writePage(w, r, log, http.StatusOK, documentTemplate, page, "default-src 'none'; style-src 'unsafe-inline'")
	})
}

// docPage is what the template shows.
type docPage struct {
	Title, Number, OrderNumber, Status, Reason, Note string
	Issued, Due                                      string
	Customer                                         string
	Address                                          *postal.Address
	Lines                                            []docLine
	Amounts                                          []docAmount
	Refs                                             []string // credit notes of an invoice, the invoice of a credit note
}

type docLine struct{ SKU, Name, Quantity, UnitPrice, Discount, Total string }

type docAmount struct{ Label, Value string }

// documentPage reads the document with id as the request's viewer; nil
// when id is neither an invoice nor a credit note.
func documentPage(r *http.Request, client *ent.Client, id int) (*docPage, error) {
	ctx := r.Context()
	n, err := client.Noder(ctx, id)
	if err != nil {
		return nil, err
	}
	var inv *ent.Invoice
	p := &docPage{}
	switch d := n.(type) {
	case *ent.Invoice:
		inv = d
		cns, err := d.QueryCreditNotes().Order(ent.Asc(creditnote.FieldID)).All(ctx)
		if err != nil {
			return nil, err
		}
		for _, cn := range cns {
			p.Refs = append(p.Refs, cn.Number+" "+money.Format(cn.AmountMinor, cn.Currency)+" "+cn.Currency)
		}
		f := func(m int64) string { return money.Format(m, d.Currency) + " " + d.Currency }
		p.Title, p.Number, p.Status, p.Note = "Invoice", d.Number, string(d.Status), d.Note
		p.Issued, p.Due = d.CreatedAt.UTC().Format(time.DateOnly), d.DueAt.UTC().Format(time.DateOnly)
		for _, l := range d.Lines {
			p.Lines = append(p.Lines, docLine{SKU: l.SKU, Name: l.Name, Quantity: strconv.Itoa(l.Quantity),
				UnitPrice: money.Format(l.UnitPriceMinor, l.Currency), Discount: money.Format(l.DiscountMinor, l.Currency),
				Total: money.Format(l.LineTotalMinor, l.Currency)})
		}
		p.Amounts = []docAmount{{"Subtotal", f(d.SubtotalMinor)}, {"Discount", f(d.DiscountMinor)}, {"Total", f(d.TotalMinor)}}
		if d.PriorCreditMinor > 0 {
			p.Amounts = append(p.Amounts, docAmount{"Credited before", f(d.PriorCreditMinor)})
		}
		p.Amounts = append(p.Amounts, docAmount{"Billed", f(d.BilledMinor)}, docAmount{"Credit notes", f(d.CreditedMinor)},
			docAmount{"Balance", f(d.BalanceMinor)})
	case *ent.CreditNote:
		if inv, err = d.QueryInvoice().Only(ctx); err != nil {
			return nil, err
		}
		p.Title, p.Number, p.Reason = "Credit note", d.Number, d.Reason
		p.Issued = d.CreatedAt.UTC().Format(time.DateOnly)
		p.Refs = []string{"Invoice " + inv.Number}
		p.Amounts = []docAmount{{"Credited", money.Format(d.AmountMinor, d.Currency) + " " + d.Currency}}
	default:
		return nil, nil
	}
	o, err := inv.QueryOrder().Only(ctx)
	if err != nil {
		return nil, err
	}
	c, err := inv.QueryCustomer().Only(ctx)
	if err != nil {
		return nil, err
	}
	p.OrderNumber, p.Customer, p.Address = o.Number, c.Name, c.BillingAddress
	return p, nil
}

var documentTemplate = template.Must(template.New("document").Parse(`<!DOCTYPE html>
<html lang="und">
<head>
<meta charset="utf-8">
<title>{{.Title}} {{.Number}}</title>
<style>
body { font-family: "Noto Sans", "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif; margin: 2em; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid #ccc; padding: .3em .5em; text-align: left; }
td.n, th.n { text-align: right; }
@media print { body { margin: 0; } }
</style>
</head>
<body>
<h1>{{.Title}} {{.Number}}</h1>
<p>Order {{.OrderNumber}}{{if .Status}} · {{.Status}}{{end}}</p>
<p>Issued {{.Issued}}{{if .Due}} · due {{.Due}}{{end}}</p>
<address>{{.Customer}}{{with .Address}}<br>{{if .Name}}{{.Name}}<br>{{end}}{{.Line1}}{{if .Line2}}<br>{{.Line2}}{{end}}<br>{{.PostalCode}} {{.City}}{{if .Region}}, {{.Region}}{{end}}<br>{{.Country}}{{end}}</address>
{{if .Lines}}<table>
<thead><tr><th>SKU</th><th>Item</th><th class="n">Quantity</th><th class="n">Unit price</th><th class="n">Discount</th><th class="n">Line total</th></tr></thead>
<tbody>
{{range .Lines}}<tr><td>{{.SKU}}</td><td>{{.Name}}</td><td class="n">{{.Quantity}}</td><td class="n">{{.UnitPrice}}</td><td class="n">{{.Discount}}</td><td class="n">{{.Total}}</td></tr>
{{end}}</tbody>
</table>{{end}}
<table>
{{range .Amounts}}<tr><th>{{.Label}}</th><td class="n">{{.Value}}</td></tr>
{{end}}</table>
{{if .Reason}}<p>Reason: {{.Reason}}</p>{{end}}
{{if .Note}}<p>Note: {{.Note}}</p>{{end}}
{{range .Refs}}<p>{{.}}</p>
{{end}}</body>
</html>
`))

// writePage renders a server-side page with status: never cached, never
// sniffed, under the content security policy csp. A template that fails
// is the server's error, logged.
func writePage(w http.ResponseWriter, r *http.Request, log *slog.Logger, status int, t *template.Template, data any, csp string) {
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		log.ErrorContext(r.Context(), "page template", "template", t.Name(), "request_id", audit.RequestID(r.Context()), "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", csp)
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
