package graph

import (
	"entgo.io/contrib/entgql"

	"orderdesk/ent"
	"orderdesk/graph/model"
	"orderdesk/order"
)

func invoicePayload(res *order.InvoiceResult, err error) (*model.InvoicePayload, error) {
	errs, err := outcome(err)
	p := &model.InvoicePayload{Errors: errs}
	if res != nil {
		p.Order, p.Invoice, p.CreditNote = res.Order, res.Invoice, res.CreditNote
	}
	return p, err
}

func invoiceFilter(f *model.InvoicesFilter) order.InvoiceFilter {
	if f == nil {
		return order.InvoiceFilter{}
	}
	return order.InvoiceFilter{CustomerID: f.CustomerID, Status: f.Status, Overdue: f.Overdue}
}

// invoicesNewestFirst is the invoices' order: as asked, else newest first.
func invoicesNewestFirst(o *ent.InvoiceOrder) *ent.InvoiceOrder {
	if o != nil {
		return o
	}
	return &ent.InvoiceOrder{Field: ent.InvoiceOrderFieldCreatedAt, Direction: entgql.OrderDirectionDesc}
}
