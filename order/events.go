package order

import (
	"context"
	"strconv"

	"orderdesk/ent"
	"orderdesk/money"
	"orderdesk/outbox"
	"orderdesk/payment"
)

// describe registers with the action's outbox batch how its events show
// the held order: as the action leaves it, read when the batch is written.
func (l *Locked) describe(ctx context.Context) {
	outbox.Describe(ctx, l.Order.ID, func() map[string]any { return eventOrder(l.Order, l.Lines) })
}

// eventOrder is an order as integrators receive it in events: the API's
// Order fields, ids as the API's ids, amounts as Money.
func eventOrder(o *ent.Order, lines []*ent.OrderLine) map[string]any {
	amount := func(minor int64) map[string]any {
		return map[string]any{"amount": money.Format(minor, o.Currency), "currency": o.Currency}
	}
	ls := make([]map[string]any, len(lines))
	for i, x := range lines {
		ls[i] = map[string]any{"id": gid(x.ID), "sku": x.Sku, "name": x.Name, "quantity": x.Quantity,
			"quantityReserved": x.QuantityReserved, "quantityCancelled": x.QuantityCancelled,
			"quantityShipped": x.QuantityShipped, "quantityReturned": x.QuantityReturned,
			"unitPrice": amount(x.UnitPriceMinor), "stockItem": map[string]any{"id": gid(x.StockItemID)}}
	}
	out := map[string]any{"id": gid(o.ID), "number": o.Number, "status": o.Status, "version": o.Version,
		"paymentStatus": payment.StatusOf(o), "customer": map[string]any{"id": gid(o.CustomerID)},
		"subtotal": amount(o.SubtotalMinor), "discount": amount(o.DiscountMinor), "total": amount(o.TotalMinor),
		"outstanding": amount(payment.Due(o)), "refundable": amount(payment.Refundable(o)), "lines": ls}
	if o.OwnerID != nil {
		out["owner"] = map[string]any{"id": gid(*o.OwnerID)}
	}
	return out
}

func gid(id int) string { return strconv.Itoa(id) }
