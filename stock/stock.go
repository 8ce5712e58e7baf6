// Package stock keeps the stock ledger. Every change of an item's onHand or
// reserved is a StockMovement written in the same transaction as a guarded
// update of the item, so onHand = Σ movements and 0 ≤ reserved ≤ onHand hold
// under any concurrency.
package stock

import (
	"context"
	"fmt"

	"entgo.io/ent/dialect/sql"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/stockitem"
	"orderdesk/ent/stockmovement"
	"orderdesk/fault"
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

// Apply writes m inside tx: a conditional update that refuses to take onHand
// below zero or reserved outside [0, onHand], then the movement row with the
// resulting levels. A refusal is INSUFFICIENT_STOCK naming the item. The
// caller records the audit event of the business action.
func Apply(ctx context.Context, tx *ent.Tx, m Movement) (*ent.StockMovement, error) {
	if m.Quantity <= 0 {
		return nil, fmt.Errorf("stock movement of %d units", m.Quantity)
	}
	dOn, dRes := m.OnHandDelta, m.ReservedDelta
	n, err := tx.StockItem.Update().
		Where(stockitem.ID(m.ItemID), func(s *sql.Selector) {
			// on_hand + dOn >= 0, reserved + dRes >= 0, reserved + dRes <= on_hand + dOn
			s.Where(sql.And(
				sql.GTE(s.C(stockitem.FieldOnHand), -dOn),
				sql.GTE(s.C(stockitem.FieldReserved), -dRes),
				sql.P(func(b *sql.Builder) {
					b.Ident(s.C(stockitem.FieldReserved)).WriteString(" - ").
						Ident(s.C(stockitem.FieldOnHand)).WriteString(" <= ").Arg(dOn - dRes)
				}),
			))
		}).
		AddOnHand(dOn).AddReserved(dRes).AddVersion(1).
		Save(ctx)
	if err != nil {
		return nil, err
	}
	item, err := tx.StockItem.Get(ctx, m.ItemID)
	if ent.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "", "no stock item %d", m.ItemID)
	}
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, shortage(item, m)
	}
	v := auth.FromContext(ctx)
	return tx.StockMovement.Create().
		SetStockItemID(m.ItemID).
		SetKind(m.Kind).
		SetQuantity(m.Quantity).
		SetOnHandDelta(dOn).
		SetReservedDelta(dRes).
		SetOnHandAfter(item.OnHand).
		SetReservedAfter(item.Reserved).
		SetReason(m.Reason).
		SetNote(m.Note).
		SetNillableOrderID(m.OrderID).
		SetNillableReturnOrderID(m.ReturnOrderID).
		SetNillableCancellationID(m.CancellationID).
		SetNillableCorrectionID(m.CorrectionID).
		SetNillableActorID(v.ActorID()).
		Save(ctx)
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
