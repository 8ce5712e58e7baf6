package order

import (
	"context"
	"fmt"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	entcustomer "orderdesk/ent/customer"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/orderline"
	"orderdesk/ent/stockitem"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/postal"
	"orderdesk/stock"
)

// LineRequest is one line of a new or edited order. Prices are decimal
// strings in the order's currency; the unit price defaults to the list price.
type LineRequest struct {
	StockItemID int
	Quantity    int
	UnitPrice   *string
	Discount    *string
}

// CreateRequest enters a new order as a DRAFT.
type CreateRequest struct {
	CustomerID            int
	Channel               string
	Lines                 []LineRequest
	RequestedDeliveryDate *time.Time
	PaymentDueAt          *time.Time
	Notes                 string
	ShippingAddress       *postal.Address
	IdempotencyKey        string `json:"-"`
}

// Create enters an order as a DRAFT for a customer the viewer may see.
// Needs order:create. Lines are validated against the catalogue; the order
// takes the customer's currency, owner and shipping address.
func (s *Service) Create(ctx context.Context, r CreateRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.OrderCreate); err != nil {
		return nil, err
	}
	var errs fault.List
	if entorder.ChannelValidator(entorder.Channel(r.Channel)) != nil {
		errs.Add(fault.Invalid, "input.channel", "is not a channel")
	}
	notes := errs.Text("input.notes", r.Notes, 4000, false)
	s.checkLineCount(&errs, len(r.Lines))
	checkAddress(&errs, r.ShippingAddress)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "createOrder", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		c, err := tx.Customer.Query().Where(entcustomer.ID(r.CustomerID)).Only(ctx)
		if ent.IsNotFound(err) {
			return nil, fault.New(fault.NotFound, "input.customerId", "no such customer")
		}
		if err != nil {
			return nil, err
		}
		now := s.now()
		number, err := NextNumber(ctx, tx, "SO", now.Year())
		if err != nil {
			return nil, err
		}
		addr := r.ShippingAddress
		if addr == nil {
			addr = c.ShippingAddress
		}
		create := tx.Order.Create().SetNumber(number).SetCustomerID(c.ID).SetNillableOwnerID(c.OwnerID).
			SetChannel(entorder.Channel(r.Channel)).SetCurrency(c.Currency).
			SetNillableRequestedDeliveryDate(r.RequestedDeliveryDate).SetNillablePaymentDueAt(r.PaymentDueAt).
			SetNotes(notes)
		if addr != nil {
			create.SetShippingAddress(addr)
		}
		o, err := create.Save(ctx)
		if err != nil {
			return nil, err
		}
		if o, err = s.writeLines(ctx, tx, o, r.Lines); err != nil {
			return nil, err
		}
		id := o.ID
		err = audit.Record(ctx, tx, audit.Event{Action: "order.created", SubjectType: "Order", SubjectID: o.ID,
			OrderID: &id, To: string(o.Status), Amount: &o.TotalMinor, Currency: o.Currency,
			After: map[string]any{"number": o.Number, "customerId": c.ID, "channel": o.Channel, "lines": len(r.Lines)}})
		return &Result{Order: o}, err
	})
}

func (s *Service) checkLineCount(errs *fault.List, n int) {
	if n == 0 {
		errs.Add(fault.Invalid, "input.lines", "an order needs at least one line")
	}
	if n > s.policy.MaxLines {
		errs.Add(fault.Invalid, "input.lines", "at most %d lines", s.policy.MaxLines)
	}
}

func checkAddress(errs *fault.List, a *postal.Address) {
	if a == nil {
		return
	}
	for k, msg := range a.Problems() {
		errs.Add(fault.Invalid, "input.shippingAddress."+k, "%s", msg)
	}
}

// writeLines replaces the order's lines with rs and recomputes its totals.
func (s *Service) writeLines(ctx context.Context, tx *ent.Tx, o *ent.Order, rs []LineRequest) (*ent.Order, error) {
	var errs fault.List
	builders := make([]*ent.OrderLineCreate, 0, len(rs))
	for i, r := range rs {
		field := fmt.Sprintf("input.lines.%d", i)
		errs.Quantity(field+".quantity", r.Quantity, 1, stock.MaxQuantity)
		item, err := tx.StockItem.Query().Where(stockitem.ID(r.StockItemID)).Only(ctx)
		if ent.IsNotFound(err) {
			errs.Add(fault.NotFound, field+".stockItemId", "no such stock item")
			continue
		}
		if err != nil {
			return nil, err
		}
		if !item.Active {
			errs.Add(fault.Invalid, field+".stockItemId", "%s is no longer sold", item.Sku)
		}
		if item.Currency != o.Currency {
			errs.Add(fault.Invalid, field+".stockItemId", "%s is priced in %s, the order is in %s", item.Sku, item.Currency, o.Currency)
		}
		unit := item.UnitPriceMinor
		if r.UnitPrice != nil {
			unit = price(&errs, field+".unitPrice", *r.UnitPrice, o.Currency)
		}
		var discount int64
		if r.Discount != nil {
			discount = price(&errs, field+".discount", *r.Discount, o.Currency)
		}
		if discount > unit {
			errs.Add(fault.Invalid, field+".discount", "is larger than the unit price")
		}
		builders = append(builders, tx.OrderLine.Create().SetOrderID(o.ID).SetPosition(i+1).
			SetSku(item.Sku).SetName(item.Name).SetQuantity(max(r.Quantity, 1)).SetStockItemID(item.ID).
			SetUnitPriceMinor(unit).SetListPriceMinor(item.UnitPriceMinor).SetDiscountMinor(discount).
			SetCurrency(o.Currency))
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	if _, err := tx.OrderLine.Delete().Where(orderline.OrderID(o.ID)).Exec(ctx); err != nil {
		return nil, err
	}
	if _, err := tx.OrderLine.CreateBulk(builders...).Save(ctx); err != nil {
		return nil, err
	}
	return retotal(ctx, tx, o)
}

func price(errs *fault.List, field, s, currency string) int64 {
	v, err := money.Parse(s, currency)
	switch {
	case err != nil:
		errs.Add(fault.Invalid, field, "%s", err.Error())
	case v < 0:
		errs.Add(fault.Invalid, field, "must not be negative")
	}
	return v
}

// retotal recomputes the order's totals from the open quantities of its
// lines (ordered minus cancelled) and saves them.
func retotal(ctx context.Context, tx *ent.Tx, o *ent.Order) (*ent.Order, error) {
	lines, err := tx.OrderLine.Query().Where(orderline.OrderID(o.ID)).All(ctx)
	if err != nil {
		return nil, err
	}
	var subtotal, discount int64
	for _, l := range lines {
		q := int64(l.Quantity - l.QuantityCancelled)
		subtotal += q * l.UnitPriceMinor
		discount += q * l.DiscountMinor
	}
	return tx.Order.UpdateOneID(o.ID).SetSubtotalMinor(subtotal).SetDiscountMinor(discount).
		SetTotalMinor(subtotal - discount).Save(ctx)
}

// UpdateDraftRequest edits a DRAFT against the version the client saw;
// nil fields stay, Lines (when given) replace all lines.
type UpdateDraftRequest struct {
	OrderID               int
	ExpectedVersion       int64
	Lines                 []LineRequest
	RequestedDeliveryDate *time.Time
	PaymentDueAt          *time.Time
	Notes                 *string
	ShippingAddress       *postal.Address
	IdempotencyKey        string `json:"-"`
}

// UpdateDraft edits a DRAFT order. Needs order:create. VERSION_CONFLICT when
// the order changed since ExpectedVersion.
func (s *Service) UpdateDraft(ctx context.Context, r UpdateDraftRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.OrderCreate); err != nil {
		return nil, err
	}
	var errs fault.List
	if r.Lines != nil {
		s.checkLineCount(&errs, len(r.Lines))
	}
	checkAddress(&errs, r.ShippingAddress)
	if r.Notes != nil {
		errs.Text("input.notes", *r.Notes, 4000, false)
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return s.run(ctx, "updateDraftOrder", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		o, err := lock(ctx, tx, r.OrderID)
		if err != nil {
			return nil, err
		}
		if err := check(o.Status, Update); err != nil {
			return nil, err
		}
		if err := checkVersion(o, &r.ExpectedVersion); err != nil {
			return nil, err
		}
		before := map[string]any{"total": money.Format(o.TotalMinor, o.Currency)}
		if r.Lines != nil {
			if o, err = s.writeLines(ctx, tx, o, r.Lines); err != nil {
				return nil, err
			}
		}
		o, err = touch(ctx, tx, o, func(u *ent.OrderUpdateOne) {
			if r.RequestedDeliveryDate != nil {
				u.SetRequestedDeliveryDate(*r.RequestedDeliveryDate)
			}
			if r.PaymentDueAt != nil {
				u.SetPaymentDueAt(*r.PaymentDueAt)
			}
			if r.Notes != nil {
				u.SetNotes(*r.Notes)
			}
			if r.ShippingAddress != nil {
				u.SetShippingAddress(r.ShippingAddress)
			}
		})
		if err != nil {
			return nil, err
		}
		id := o.ID
		err = audit.Record(ctx, tx, audit.Event{Action: "order.updated", SubjectType: "Order", SubjectID: o.ID,
			OrderID: &id, Before: before, After: map[string]any{"total": money.Format(o.TotalMinor, o.Currency),
				"linesReplaced": r.Lines != nil}})
		return &Result{Order: o}, err
	})
}

// TransitionRequest names an order and, optionally, the version the client
// saw.
type TransitionRequest struct {
	OrderID         int
	ExpectedVersion *int64
	IdempotencyKey  string `json:"-"`
}

// Submit sends a DRAFT to review. Needs order:create.
func (s *Service) Submit(ctx context.Context, r TransitionRequest) (*Result, error) {
	if _, err := auth.Require(ctx, auth.OrderCreate); err != nil {
		return nil, err
	}
	return s.run(ctx, "submitOrder", r.IdempotencyKey, r, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
		o, err := lock(ctx, tx, r.OrderID)
		if err != nil {
			return nil, err
		}
		if err := check(o.Status, Submit); err != nil {
			return nil, err
		}
		if err := checkVersion(o, r.ExpectedVersion); err != nil {
			return nil, err
		}
		o, err = s.transition(ctx, tx, o, PendingReview, "order.submitted", "", func(u *ent.OrderUpdateOne) {
			u.SetSubmittedAt(s.now())
		})
		return &Result{Order: o}, err
	})
}

// transition moves the order to status `to`, bumps its version and records
// the audit event with from → to.
func (s *Service) transition(ctx context.Context, tx *ent.Tx, o *ent.Order, to Status, action, reason string, upd func(*ent.OrderUpdateOne)) (*ent.Order, error) {
	from := o.Status
	o, err := touch(ctx, tx, o, func(u *ent.OrderUpdateOne) {
		u.SetStatus(to)
		if upd != nil {
			upd(u)
		}
	})
	if err != nil {
		return nil, err
	}
	id := o.ID
	return o, audit.Record(ctx, tx, audit.Event{Action: action, SubjectType: "Order", SubjectID: o.ID,
		OrderID: &id, From: string(from), To: string(to), Reason: reason})
}
