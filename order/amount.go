package order

import (
	"errors"

	"orderdesk/change"
	"orderdesk/ent"
	"orderdesk/fault"
	"orderdesk/money"
)

// The one arithmetic of an order's lines. Every amount derived from lines —
// line totals, order totals, the value of cancelled, refunded, returned or
// lost quantities — is computed here, overflow-checked; prices and
// quantities are bounded where they enter (money.MaxPrice, stock.MaxQuantity),
// so an overflow is a bug or an attack and comes back as a field error.

// net is a line's price per unit after its discount.
func net(l *ent.OrderLine) int64 { return l.UnitPriceMinor - l.DiscountMinor }

// billable is the units the customer pays for: ordered minus cancelled.
func billable(l *ent.OrderLine) int { return l.Quantity - l.QuantityCancelled }

// unshipped is the units still to ship: ordered minus cancelled and shipped.
func unshipped(l *ent.OrderLine) int { return l.Quantity - l.QuantityCancelled - l.QuantityShipped }

// valueOf is qty units of l at its net price.
func valueOf(l *ent.OrderLine, qty int) (int64, error) { return money.Mul(net(l), qty) }

// LineTotal is what a line adds to its order's total: billable × net.
func LineTotal(l *ent.OrderLine) (int64, error) { return valueOf(l, billable(l)) }

// totals are the order's subtotal (before discounts), discount and total
// over the billable units of its lines.
func totals(lines []*ent.OrderLine) (subtotal, discount, total int64, err error) {
	for _, l := range lines {
		sub, e1 := money.Mul(l.UnitPriceMinor, billable(l))
		disc, e2 := money.Mul(l.DiscountMinor, billable(l))
		if err = errors.Join(e1, e2); err != nil {
			return 0, 0, 0, err
		}
		if subtotal, e1 = money.Add(subtotal, sub); e1 != nil {
			return 0, 0, 0, e1
		}
		if discount, e2 = money.Add(discount, disc); e2 != nil {
			return 0, 0, 0, e2
		}
	}
	return subtotal, discount, subtotal - discount, nil
}

// quantitiesValue is Σ qty × net over the given quantities of lines.
func quantitiesValue(lines []*ent.OrderLine, qs []change.LineQuantity) (int64, error) {
	var sum int64
	for _, q := range qs {
		l := lineByID(lines, q.OrderLineID)
		if l == nil {
			return 0, errors.New("quantity of a line not on the order")
		}
		v, err := valueOf(l, q.Quantity)
		if err != nil {
			return 0, err
		}
		if sum, err = money.Add(sum, v); err != nil {
			return 0, err
		}
	}
	return sum, nil
}

func lineByID(lines []*ent.OrderLine, id int) *ent.OrderLine {
	for _, l := range lines {
		if l.ID == id {
			return l
		}
	}
	return nil
}

// amountError turns an overflow into a field error; other errors pass.
func amountError(field string, err error) error {
	if errors.Is(err, money.ErrOverflow) {
		return fault.New(fault.Invalid, field, "the amounts are out of range")
	}
	return err
}
