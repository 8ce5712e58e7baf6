// Package billing holds the value types of an order's documents: the lines
// an invoice copies from its order. It is a leaf, so that the ent schema can
// store them and the API can show them.
package billing

import "orderdesk/money"

// Line is one line of an invoice: what the order line billed when the
// invoice was issued. It never changes afterwards.
type Line struct {
	Position       int    `json:"position"`
	SKU            string `json:"sku"`
	Name           string `json:"name"`
	Quantity       int    `json:"quantity"`
	UnitPriceMinor int64  `json:"unitPriceMinor"`
	DiscountMinor  int64  `json:"discountMinor"` // per unit
	LineTotalMinor int64  `json:"lineTotalMinor"`
	Currency       string `json:"currency"`
}

// UnitPrice is the agreed price per unit, before the discount.
func (l Line) UnitPrice() money.Money { return money.Of(l.UnitPriceMinor, l.Currency) }

// Discount is the discount per unit.
func (l Line) Discount() money.Money { return money.Of(l.DiscountMinor, l.Currency) }

// LineTotal is quantity × (unit price − discount).
func (l Line) LineTotal() money.Money { return money.Of(l.LineTotalMinor, l.Currency) }
