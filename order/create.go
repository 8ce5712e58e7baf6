package order

import (
	"context"
	"fmt"
	"strings"
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
	"orderdesk/store"
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
		number, err := NextNumber(ctx, tx, "SO", store.Now(ctx).Year())
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
		l := s.adopt(ctx, tx, o)
		if err := s.writeLines(ctx, l, r.Lines); err != nil {
			return nil, err
		}
		if err := l.saveTotals(ctx); err != nil {
			return nil, err
		}
		err = l.audit(ctx, audit.Event{Action: "order.created", SubjectType: "Order", SubjectID: o.ID,
			To: string(l.Order.Status), Amount: &l.Order.TotalMinor, Currency: o.Currency,
			After: map[string]any{"number": o.Number, "customerId": c.ID, "channel": o.Channel, "lines": len(r.Lines)}})
		return &Result{Order: l.Order}, err
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

// writeLines replaces the held order's lines with rs; the caller saves the
// totals (touch, or saveTotals for a new order).
func (s *Service) writeLines(ctx context.Context, l *Locked, rs []LineRequest) error {
	tx, o := l.tx, l.Order
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
			return err
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
		return err
	}
	if _, err := tx.OrderLine.Delete().Where(orderline.OrderID(o.ID)).Exec(ctx); err != nil {
		return err
	}
	lines, err := tx.OrderLine.CreateBulk(builders...).Save(ctx)
	if err != nil {
		return err
	}
	l.Lines = lines
	return nil
}

// price reads a unit price or discount: a decimal in the order's currency,
// from zero up to money.MaxPrice.
func price(errs *fault.List, field, s, currency string) int64 {
	v, err := money.Parse(s, currency)
	switch {
	case err != nil:
		errs.Add(fault.Invalid, field, "%s", err.Error())
	case v < 0:
		errs.Add(fault.Invalid, field, "must not be negative")
	case v > money.MaxPrice:
		errs.Add(fault.Invalid, field, "must be at most %s", money.Format(money.MaxPrice, currency))
	}
	return v
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
		l, err := s.hold(ctx, tx, r.OrderID, Update, "input.orderId")
		if err != nil {
			return nil, err
		}
		if err := l.checkVersion(&r.ExpectedVersion); err != nil {
			return nil, err
		}
		o := l.Order
		before := map[string]any{"total": money.Format(o.TotalMinor, o.Currency)}
		if r.Lines != nil {
			if err := s.writeLines(ctx, l, r.Lines); err != nil {
				return nil, err
			}
		}
		err = l.touch(ctx, func(o *ent.Order) {
			if r.RequestedDeliveryDate != nil {
				o.RequestedDeliveryDate = r.RequestedDeliveryDate
			}
			if r.PaymentDueAt != nil {
				o.PaymentDueAt = r.PaymentDueAt
			}
			if r.Notes != nil {
				o.Notes = strings.TrimSpace(*r.Notes)
			}
			if r.ShippingAddress != nil {
				o.ShippingAddress = r.ShippingAddress
			}
		})
		if err != nil {
			return nil, err
		}
		o = l.Order
		err = l.audit(ctx, audit.Event{Action: "order.updated", SubjectType: "Order", SubjectID: o.ID,
			Before: before, After: map[string]any{"total": money.Format(o.TotalMinor, o.Currency),
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
		l, err := s.hold(ctx, tx, r.OrderID, Submit, "input.orderId")
		if err != nil {
			return nil, err
		}
		if err := l.checkVersion(r.ExpectedVersion); err != nil {
			return nil, err
		}
		err = l.transition(ctx, PendingReview, "order.submitted", "", func(o *ent.Order) { o.SubmittedAt = &l.Now })
		return &Result{Order: l.Order}, err
	})
}
