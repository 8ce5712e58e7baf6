package stock

import (
	"context"
	"regexp"
	"slices"
	"strings"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/stockitem"
	"orderdesk/ent/stockmovement"
	"orderdesk/fault"
	"orderdesk/idem"
	"orderdesk/money"
	"orderdesk/store"
)

// Service manages stock items and their ledger.
type Service struct {
	client   *ent.Client
	currency string
}

// New returns the service; currency is the default for new items.
func New(client *ent.Client, currency string) *Service {
	return &Service{client: client, currency: currency}
}

var skuPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$`)

// NewItemRequest creates a stock item.
type NewItemRequest struct {
	SKU, Name, Description string
	UnitPrice              string
	Currency               string
	// SubstituteIDs are the items to offer instead when this one is short.
	SubstituteIDs  []int
	IdempotencyKey string `json:"-"`
}

// CreateItem adds an item with no stock. Needs stock:write. Fails with
// INVALID for a bad SKU, name or price, DUPLICATE for a SKU in use.
func (s *Service) CreateItem(ctx context.Context, r NewItemRequest) (*ent.StockItem, error) {
	if _, err := auth.Require(ctx, auth.StockWrite); err != nil {
		return nil, err
	}
	var errs fault.List
	sku := strings.TrimSpace(r.SKU)
	if !skuPattern.MatchString(sku) {
		errs.Add(fault.Invalid, "input.sku", "must be 1–64 letters, digits or . _ / - and start with a letter or digit")
	}
	name := errs.Text("input.name", r.Name, 200, true)
	desc := errs.Text("input.description", r.Description, 2000, false)
	cur := strings.ToUpper(strings.TrimSpace(r.Currency))
	if cur == "" {
		cur = s.currency
	}
	if !money.ValidCurrency(cur) {
		errs.Add(fault.Invalid, "input.currency", "must be an ISO 4217 currency code, e.g. EUR or CNY")
	}
	price := parsePrice(&errs, r.UnitPrice, cur)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	return idem.Run(ctx, s.client, "createStockItem", r.IdempotencyKey, r, itemCodec, func(ctx context.Context, tx *ent.Tx) (*ent.StockItem, error) {
		exists, err := tx.StockItem.Query().Where(stockitem.Sku(sku)).Exist(ctx)
		if err != nil {
			return nil, err
		}
		if exists {
			return nil, fault.New(fault.Duplicate, "input.sku", "SKU %s exists", sku)
		}
		subs, err := substitutes(ctx, tx, 0, r.SubstituteIDs)
		if err != nil {
			return nil, err
		}
		item, err := tx.StockItem.Create().SetSku(sku).SetName(name).SetDescription(desc).
			SetUnitPriceMinor(price).SetCurrency(cur).AddSubstituteIDs(subs...).Save(ctx)
		if store.IsDuplicate(err) {
			return nil, fault.New(fault.Duplicate, "input.sku", "SKU %s exists", sku)
		}
		if err != nil {
			return nil, err
		}
		return item, audit.Record(ctx, tx, audit.Event{Action: "stock_item.created", SubjectType: "StockItem",
			SubjectID: item.ID, After: map[string]any{"sku": sku, "name": name, "unitPrice": money.Format(price, cur),
				"substituteIds": subs}})
	})
}

// itemCodec remembers a new stock item under an idempotency key.
var itemCodec = idem.Codec[*ent.StockItem]{
	Refs: func(it *ent.StockItem) idem.Refs { return idem.Refs{"stockItem": it.ID} },
	Load: func(ctx context.Context, tx *ent.Tx, refs idem.Refs) (*ent.StockItem, error) {
		return tx.StockItem.Get(ctx, refs["stockItem"])
	},
	Unwrap: (*ent.StockItem).Unwrap,
}

func parsePrice(errs *fault.List, s, currency string) int64 {
	p, err := money.Parse(s, currency)
	switch {
	case err != nil:
		errs.Add(fault.Invalid, "input.unitPrice", "%s", err.Error())
	case p < 0:
		errs.Add(fault.Invalid, "input.unitPrice", "must not be negative")
	}
	return p
}

// UpdateItemRequest changes an item seen at ExpectedVersion; nil stays.
type UpdateItemRequest struct {
	ID                int
	ExpectedVersion   int64
	Name, Description *string
	UnitPrice         *string
	Active            *bool
	// SubstituteIDs replaces the item's substitutes when not nil (empty:
	// none).
	SubstituteIDs *[]int
}

// UpdateItem changes an item's master data. Needs stock:write. Quantities
// change only through receipts, adjustments and orders.
func (s *Service) UpdateItem(ctx context.Context, r UpdateItemRequest) (*ent.StockItem, error) {
	if _, err := auth.Require(ctx, auth.StockWrite); err != nil {
		return nil, err
	}
	var item *ent.StockItem
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		cur, err := lockItem(ctx, tx, r.ID, "input.id")
		if err != nil {
			return err
		}
		if cur.Version != r.ExpectedVersion {
			return fault.New(fault.VersionConflict, "input.expectedVersion",
				"the item was changed meanwhile (version %d, you sent %d)", cur.Version, r.ExpectedVersion)
		}
		var errs fault.List
		upd := tx.StockItem.UpdateOne(cur).AddVersion(1)
		before, after := map[string]any{}, map[string]any{}
		if r.Name != nil {
			upd.SetName(errs.Text("input.name", *r.Name, 200, true))
			before["name"], after["name"] = cur.Name, strings.TrimSpace(*r.Name)
		}
		if r.Description != nil {
			upd.SetDescription(errs.Text("input.description", *r.Description, 2000, false))
			before["description"], after["description"] = cur.Description, strings.TrimSpace(*r.Description)
		}
		if r.UnitPrice != nil {
			p := parsePrice(&errs, *r.UnitPrice, cur.Currency)
			upd.SetUnitPriceMinor(p)
			before["unitPrice"], after["unitPrice"] = money.Format(cur.UnitPriceMinor, cur.Currency), money.Format(p, cur.Currency)
		}
		if r.Active != nil {
			upd.SetActive(*r.Active)
			before["active"], after["active"] = cur.Active, *r.Active
		}
		if r.SubstituteIDs != nil {
			was, err := cur.QuerySubstitutes().IDs(ctx)
			if err != nil {
				return err
			}
			subs, err := substitutes(ctx, tx, cur.ID, *r.SubstituteIDs)
			if err != nil {
				return err
			}
			upd.ClearSubstitutes().AddSubstituteIDs(subs...)
			before["substituteIds"], after["substituteIds"] = was, subs
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if item, err = upd.Save(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "stock_item.updated", SubjectType: "StockItem",
			SubjectID: item.ID, Before: before, After: after})
	})
	if err != nil {
		return nil, err
	}
	return item.Unwrap(), nil
}

// MaxSubstitutes bounds the substitutes of one item.
const MaxSubstitutes = 20

// substitutes checks the substitutes named for item self (0 for a new
// one): other existing items, at most MaxSubstitutes; it returns them
// without repeats, in id order.
func substitutes(ctx context.Context, tx *ent.Tx, self int, ids []int) ([]int, error) {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	switch {
	case len(ids) > MaxSubstitutes:
		return nil, fault.New(fault.Invalid, "input.substituteIds", "at most %d substitutes", MaxSubstitutes)
	case slices.Contains(ids, self):
		return nil, fault.New(fault.Invalid, "input.substituteIds", "an item is not its own substitute")
	case len(ids) == 0:
		return ids, nil
	}
	n, err := tx.StockItem.Query().Where(stockitem.IDIn(ids...)).Count(ctx)
	if err != nil {
		return nil, err
	}
	if n != len(ids) {
		return nil, fault.New(fault.NotFound, "input.substituteIds", "no such stock item")
	}
	return ids, nil
}

func lockItem(ctx context.Context, tx *ent.Tx, id int, field string) (*ent.StockItem, error) {
	item, err := tx.StockItem.Query().Where(stockitem.ID(id)).Modify(store.ForUpdate).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, field, "no such stock item")
	}
	return item, err
}

// ReceiveRequest books goods in.
type ReceiveRequest struct {
	ItemID         int
	Quantity       int
	Note           string
	IdempotencyKey string `json:"-"`
}

// Receive books goods into stock (a RECEIPT movement). Needs stock:receive.
func (s *Service) Receive(ctx context.Context, r ReceiveRequest) (*ent.StockItem, *ent.StockMovement, error) {
	if _, err := auth.Require(ctx, auth.StockReceive); err != nil {
		return nil, nil, err
	}
	var errs fault.List
	errs.Quantity("input.quantity", r.Quantity, 1, MaxQuantity)
	note := errs.Text("input.note", r.Note, 2000, false)
	if err := errs.Err(); err != nil {
		return nil, nil, err
	}
	return s.move(ctx, Movement{ItemID: r.ItemID, Kind: stockmovement.KindRECEIPT, Quantity: r.Quantity,
		OnHandDelta: r.Quantity, Reason: "RECEIPT", Note: note}, "stock.received", "receiveStock", r.IdempotencyKey, r)
}

// AdjustReason says why a count was corrected.
type AdjustReason string

const (
	CountCorrection AdjustReason = "COUNT_CORRECTION"
	Damaged         AdjustReason = "DAMAGED"
	Lost            AdjustReason = "LOST"
	Found           AdjustReason = "FOUND"
	OtherReason     AdjustReason = "OTHER"
)

// AdjustRequest corrects an item's onHand by Delta.
type AdjustRequest struct {
	ItemID         int
	Delta          int
	Reason         AdjustReason
	Note           string
	IdempotencyKey string `json:"-"`
}

// Adjust corrects onHand by a signed delta. Needs stock:adjust. Damaged or
// lost goods are a WRITE_OFF, anything else an ADJUSTMENT. It refuses to
// take onHand below zero or below what is reserved for orders.
func (s *Service) Adjust(ctx context.Context, r AdjustRequest) (*ent.StockItem, *ent.StockMovement, error) {
	if _, err := auth.Require(ctx, auth.StockAdjust); err != nil {
		return nil, nil, err
	}
	var errs fault.List
	if r.Delta == 0 || r.Delta < -MaxQuantity || r.Delta > MaxQuantity {
		errs.Add(fault.Invalid, "input.delta", "must be a non-zero number between %d and %d", -MaxQuantity, MaxQuantity)
	}
	note := errs.Text("input.note", r.Note, 2000, r.Reason == OtherReason)
	kind := stockmovement.KindADJUSTMENT
	switch r.Reason {
	case Damaged, Lost:
		kind = stockmovement.KindWRITE_OFF
		if r.Delta > 0 {
			errs.Add(fault.Invalid, "input.delta", "a %s write-off must be negative", r.Reason)
		}
	case Found:
		if r.Delta < 0 {
			errs.Add(fault.Invalid, "input.delta", "found goods must be a positive adjustment")
		}
	case CountCorrection, OtherReason:
	default:
		errs.Add(fault.Invalid, "input.reason", "is not an adjustment reason")
	}
	if err := errs.Err(); err != nil {
		return nil, nil, err
	}
	qty := max(r.Delta, -r.Delta)
	return s.move(ctx, Movement{ItemID: r.ItemID, Kind: kind, Quantity: qty, OnHandDelta: r.Delta,
		Reason: string(r.Reason), Note: note}, "stock.adjusted", "adjustStock", r.IdempotencyKey, r)
}

// move books a movement in one transaction; with an idempotency key, a
// retry of the same request returns the first movement and books nothing.
func (s *Service) move(ctx context.Context, m Movement, action, op, key string, req any) (*ent.StockItem, *ent.StockMovement, error) {
	res, err := idem.Run(ctx, s.client, op, key, req, movedCodec, func(ctx context.Context, tx *ent.Tx) (moved, error) {
		if _, err := lockItem(ctx, tx, m.ItemID, "input.stockItemId"); err != nil {
			return moved{}, err
		}
		mv, err := record(ctx, tx, m, action)
		if err != nil {
			return moved{}, err
		}
		item, err := tx.StockItem.Get(ctx, m.ItemID)
		return moved{item, mv}, err
	})
	return res.item, res.movement, err
}

// moved is what a booked movement produced: the item as it is after, and
// the movement.
type moved struct {
	item     *ent.StockItem
	movement *ent.StockMovement
}

var movedCodec = idem.Codec[moved]{
	Refs: func(m moved) idem.Refs { return idem.Refs{"stockItem": m.item.ID, "movement": m.movement.ID} },
	Load: func(ctx context.Context, tx *ent.Tx, refs idem.Refs) (moved, error) {
		item, err := tx.StockItem.Get(ctx, refs["stockItem"])
		if err != nil {
			return moved{}, err
		}
		mv, err := tx.StockMovement.Get(ctx, refs["movement"])
		return moved{item, mv}, err
	},
	Unwrap: func(m moved) moved { return moved{m.item.Unwrap(), m.movement.Unwrap()} },
}
