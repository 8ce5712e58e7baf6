// Package stock keeps the stock ledger. Every change of an item's onHand or
// reserved is a StockMovement written in the same transaction as the update
// of the item, checked with the item's row locked, so onHand = Σ movements
// and 0 ≤ reserved ≤ onHand hold under any concurrency.
package stock

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/privacy"
	"orderdesk/ent/stockitem"
	"orderdesk/ent/stockmovement"
	"orderdesk/fault"
	"orderdesk/outbox"
	"orderdesk/store"
)

// MaxQuantity bounds any one quantity the API accepts.
const MaxQuantity = 1_000_000

// Movement is one change to an item's stock.
type Movement struct {
	ItemID         int
	Kind           stockmovement.Kind
	Quantity       int // magnitude, > 0
	OnHandDelta    int
	ReservedDelta  int
	Reason         string
	Note           string
	OrderID        *int
	ReturnOrderID  *int
	CancellationID *int
	CorrectionID   *int
}

// Reserve, Release, Ship and Restock build the movements of the order
// lifecycle; each keeps the relation between onHand and reserved right.
func Reserve(item, qty int) Movement {
	return Movement{ItemID: item, Kind: stockmovement.KindRESERVATION, Quantity: qty, ReservedDelta: qty}
}
func Release(item, qty int) Movement {
	return Movement{ItemID: item, Kind: stockmovement.KindRELEASE, Quantity: qty, ReservedDelta: -qty}
}
func Ship(item, qty int) Movement {
	return Movement{ItemID: item, Kind: stockmovement.KindSHIPMENT, Quantity: qty, OnHandDelta: -qty, ReservedDelta: -qty}
}
func Restock(item, qty int) Movement {
	return Movement{ItemID: item, Kind: stockmovement.KindRETURN_RESTOCK, Quantity: qty, OnHandDelta: qty}
}

// Apply writes m inside tx (ApplyAll of one movement).
func Apply(ctx context.Context, tx *ent.Tx, m Movement) (*ent.StockMovement, error) {
	mvs, err := ApplyAll(ctx, tx, []Movement{m})
	if err != nil {
		return nil, err
	}
	return mvs[0], nil
}

// ApplyAll writes movements inside tx, in three statements whatever their
// number: the items are locked (in id order, the lock order of every
// path), the movements are applied in the order given, each checked to
// keep onHand ≥ 0 and 0 ≤ reserved ≤ onHand — exact, as the rows are locked
// — then one UPDATE sets the items' levels and one INSERT writes the
// movements with the levels each leaves. Any refusal is INSUFFICIENT_STOCK
// naming the item, one error per item, and writes nothing. The caller
// records the audit event of the business action.
func ApplyAll(ctx context.Context, tx *ent.Tx, ms []Movement) ([]*ent.StockMovement, error) {
	if len(ms) == 0 {
		return nil, nil
	}
	ids := make([]int, 0, len(ms))
	for _, m := range ms {
		if m.Quantity <= 0 {
			return nil, fmt.Errorf("stock movement of %d units", m.Quantity)
		}
		if !slices.Contains(ids, m.ItemID) {
			ids = append(ids, m.ItemID)
		}
	}
	slices.Sort(ids)
	items, err := tx.StockItem.Query().Where(stockitem.IDIn(ids...)).Order(ent.Asc(stockitem.FieldID)).
		Modify(store.ForUpdate).All(privacy.DecisionContext(ctx, privacy.Allow))
	if err != nil {
		return nil, err
	}
	levels := map[int]*ent.StockItem{}
	for _, it := range items {
		levels[it.ID] = it
	}
	var short fault.List
	refused := map[int]bool{}
	after := make([][2]int, len(ms))
	for i, m := range ms {
		it := levels[m.ItemID]
		if it == nil {
			return nil, fault.New(fault.NotFound, "", "no stock item %d", m.ItemID)
		}
		on, res := it.OnHand+m.OnHandDelta, it.Reserved+m.ReservedDelta
		if on < 0 || res < 0 || res > on {
			if !refused[it.ID] {
				short = append(short, shortage(it, m))
				refused[it.ID] = true
			}
			continue
		}
		it.OnHand, it.Reserved = on, res
		after[i] = [2]int{on, res}
	}
	if err := short.Err(); err != nil {
		return nil, err
	}
	if err := setLevels(ctx, tx, items); err != nil {
		return nil, err
	}
	v := auth.FromContext(ctx)
	rows := make([]*ent.StockMovementCreate, len(ms))
	for i, m := range ms {
		rows[i] = tx.StockMovement.Create().SetStockItemID(m.ItemID).SetKind(m.Kind).SetQuantity(m.Quantity).
			SetOnHandDelta(m.OnHandDelta).SetReservedDelta(m.ReservedDelta).
			SetOnHandAfter(after[i][0]).SetReservedAfter(after[i][1]).
			SetReason(m.Reason).SetNote(m.Note).SetNillableOrderID(m.OrderID).
			SetNillableReturnOrderID(m.ReturnOrderID).SetNillableCancellationID(m.CancellationID).
			SetNillableCorrectionID(m.CorrectionID).SetNillableActorID(v.ActorID())
	}
	moved, err := tx.StockMovement.CreateBulk(rows...).Save(ctx)
	if err != nil {
		return nil, err
	}
	for _, m := range moved {
		if err := outbox.Add(ctx, tx, movedEvent(m, levels[m.StockItemID])); err != nil {
			return nil, err
		}
	}
	return moved, nil
}

// movedEvent is the outbox event of a stock movement of item.
func movedEvent(m *ent.StockMovement, item *ent.StockItem) outbox.Event {
	return outbox.Event{Type: "stock.moved", SubjectType: "StockMovement", SubjectID: m.ID, OrderID: m.OrderID,
		Data: map[string]any{"kind": m.Kind, "quantity": m.Quantity, "onHandDelta": m.OnHandDelta,
			"reservedDelta": m.ReservedDelta, "onHandAfter": m.OnHandAfter, "reservedAfter": m.ReservedAfter,
			"reason": m.Reason, "stockItem": map[string]any{"id": strconv.Itoa(item.ID), "sku": item.Sku}}}
}

// setLevels writes the locked items' new onHand and reserved in one
// UPDATE, bumping each version.
func setLevels(ctx context.Context, tx *ent.Tx, items []*ent.StockItem) error {
	ids := make([]int, len(items))
	values := make([][]any, len(items))
	for i, it := range items {
		it.Version++
		ids[i], values[i] = it.ID, []any{it.OnHand, it.Reserved, it.Version}
	}
	return store.SetByID(ctx, tx, stockitem.Table, ids,
		[]string{stockitem.FieldOnHand, stockitem.FieldReserved, stockitem.FieldVersion}, values,
		map[string]any{stockitem.FieldUpdatedAt: store.Now(ctx)})
}

func shortage(item *ent.StockItem, m Movement) *fault.Error {
	available := item.OnHand - item.Reserved
	switch {
	case m.ReservedDelta > 0 && m.OnHandDelta == 0:
		return fault.New(fault.InsufficientStock, "", "%s: %d requested, %d available", item.Sku, m.Quantity, available)
	case m.OnHandDelta < 0 && m.ReservedDelta == 0:
		return fault.New(fault.InsufficientStock, "", "%s: cannot remove %d, %d on hand of which %d reserved",
			item.Sku, m.Quantity, item.OnHand, item.Reserved)
	default:
		return fault.New(fault.InsufficientStock, "", "%s: %d on hand, %d reserved; cannot move %d (%s)",
			item.Sku, item.OnHand, item.Reserved, m.Quantity, m.Kind)
	}
}

// record applies a movement and writes its audit event.
func record(ctx context.Context, tx *ent.Tx, m Movement, action string) (*ent.StockMovement, error) {
	mv, err := Apply(ctx, tx, m)
	if err != nil {
		return nil, err
	}
	delta := int64(m.OnHandDelta)
	return mv, audit.Record(ctx, tx, audit.Event{
		Action: action, SubjectType: "StockItem", SubjectID: m.ItemID, Reason: m.Reason,
		After: map[string]any{"kind": m.Kind, "quantity": m.Quantity, "onHandDelta": delta,
			"onHand": mv.OnHandAfter, "reserved": mv.ReservedAfter, "note": m.Note, "movementId": mv.ID},
	})
}
