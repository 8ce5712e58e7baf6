package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"orderdesk/ent"
	entorder "orderdesk/ent/order"
	"orderdesk/fault"
	"orderdesk/idem"
	"orderdesk/store"
)

// Policy holds the business rules that a company sets.
type Policy struct {
	// MaxDiscountBP is the largest discount off the list price a line may
	// carry without a manager's override, in basis points (2000 = 20 %).
	MaxDiscountBP int64
	// DeliveryLeadTime is the earliest a requested delivery can be after
	// confirmation.
	DeliveryLeadTime time.Duration
	// PaymentTerms sets the payment due time at confirmation when the order
	// has none; zero leaves it unset (no automatic cancellation).
	PaymentTerms time.Duration
	// MaxLines bounds the lines of one order.
	MaxLines int
	// SevereAmountMinor: a correction that moves the order total by more
	// than this (in minor units of the order's currency) is SEVERE.
	SevereAmountMinor int64
}

// DefaultPolicy is used when none is configured.
var DefaultPolicy = Policy{MaxDiscountBP: 2000, DeliveryLeadTime: 24 * time.Hour, MaxLines: 200, SevereAmountMinor: 100_00}

// Service is the order service.
type Service struct {
	client *ent.Client
	policy Policy
	now    func() time.Time
}

// New returns the order service.
func New(client *ent.Client, p Policy) *Service {
	if p.MaxLines <= 0 {
		p.MaxLines = DefaultPolicy.MaxLines
	}
	return &Service{client: client, policy: p, now: func() time.Time { return time.Now().UTC() }}
}

// Result is what an order action produced. Mutation payloads show the parts
// that apply.
type Result struct {
	Order        *ent.Order
	NewOrder     *ent.Order
	Payment      *ent.Payment
	Refunds      []*ent.Payment
	Shipment     *ent.Shipment
	Cancellation *ent.CancellationRecord
	Return       *ent.ReturnOrder
	Correction   *ent.OrderCorrection
	Preview      *Preview
}

func (r *Result) refs() idem.Refs {
	refs := idem.Refs{}
	put := func(k string, id int) {
		if id != 0 {
			refs[k] = id
		}
	}
	if r.Order != nil {
		put("order", r.Order.ID)
	}
	if r.NewOrder != nil {
		put("newOrder", r.NewOrder.ID)
	}
	if r.Payment != nil {
		put("payment", r.Payment.ID)
	}
	for i, p := range r.Refunds {
		put(fmt.Sprintf("refund%d", i), p.ID)
	}
	if r.Shipment != nil {
		put("shipment", r.Shipment.ID)
	}
	if r.Cancellation != nil {
		put("cancellation", r.Cancellation.ID)
	}
	if r.Return != nil {
		put("return", r.Return.ID)
	}
	if r.Correction != nil {
		put("correction", r.Correction.ID)
	}
	return refs
}

// load reads the records an earlier run of an idempotent request produced.
func load(ctx context.Context, tx *ent.Tx, refs idem.Refs) (*Result, error) {
	r := &Result{}
	var err error
	get := func(k string, fn func(id int) error) {
		if id, ok := refs[k]; ok && err == nil {
			err = fn(id)
		}
	}
	get("order", func(id int) (e error) { r.Order, e = tx.Order.Get(ctx, id); return })
	get("newOrder", func(id int) (e error) { r.NewOrder, e = tx.Order.Get(ctx, id); return })
	get("payment", func(id int) (e error) { r.Payment, e = tx.Payment.Get(ctx, id); return })
	for i := 0; ; i++ {
		id, ok := refs[fmt.Sprintf("refund%d", i)]
		if !ok || err != nil {
			break
		}
		var p *ent.Payment
		if p, err = tx.Payment.Get(ctx, id); err == nil {
			r.Refunds = append(r.Refunds, p)
		}
	}
	get("shipment", func(id int) (e error) { r.Shipment, e = tx.Shipment.Get(ctx, id); return })
	get("cancellation", func(id int) (e error) { r.Cancellation, e = tx.CancellationRecord.Get(ctx, id); return })
	get("return", func(id int) (e error) { r.Return, e = tx.ReturnOrder.Get(ctx, id); return })
	get("correction", func(id int) (e error) { r.Correction, e = tx.OrderCorrection.Get(ctx, id); return })
	return r, err
}

// unwrap detaches the records from the finished transaction, so that the
// API can go on loading their edges.
func (r *Result) unwrap() *Result {
	if r == nil {
		return nil
	}
	if r.Order != nil {
		r.Order = r.Order.Unwrap()
	}
	if r.NewOrder != nil {
		r.NewOrder = r.NewOrder.Unwrap()
	}
	if r.Payment != nil {
		r.Payment = r.Payment.Unwrap()
	}
	for i, p := range r.Refunds {
		r.Refunds[i] = p.Unwrap()
	}
	if r.Shipment != nil {
		r.Shipment = r.Shipment.Unwrap()
	}
	if r.Cancellation != nil {
		r.Cancellation = r.Cancellation.Unwrap()
	}
	if r.Return != nil {
		r.Return = r.Return.Unwrap()
	}
	if r.Correction != nil {
		r.Correction = r.Correction.Unwrap()
	}
	return r
}

// run executes one business action in one transaction. With an idempotency
// key it first claims the key — or, when the same request already ran,
// returns what that run produced without acting again.
func (s *Service) run(ctx context.Context, op, key string, req any, fn func(ctx context.Context, tx *ent.Tx) (*Result, error)) (*Result, error) {
	var res *Result
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		res = nil
		claim, prior, err := idem.Begin(ctx, tx, op, key, req)
		if err != nil {
			return err
		}
		if prior != nil {
			res, err = load(ctx, tx, prior)
			return err
		}
		if res, err = fn(ctx, tx); err != nil {
			return err
		}
		return claim.Finish(ctx, tx, res.refs())
	})
	if err != nil {
		return nil, err
	}
	return res.unwrap(), nil
}

var errDryRun = errors.New("dry run")

// dryRun executes the action in a transaction and rolls it back, so the
// preview it returns is exactly what the action would do.
func (s *Service) dryRun(ctx context.Context, fn func(ctx context.Context, tx *ent.Tx) (*Preview, error)) (*Result, error) {
	var p *Preview
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		if p, err = fn(ctx, tx); err != nil {
			return err
		}
		return errDryRun
	})
	if !errors.Is(err, errDryRun) {
		return nil, err
	}
	o, err := s.client.Order.Get(ctx, p.OrderID)
	return &Result{Order: o, Preview: p}, err
}

// lock loads the order and holds its row until the transaction ends. Every
// action on an order takes this lock first, so actions on one order run one
// after another and see each other's results.
func lock(ctx context.Context, tx *ent.Tx, id int) (*ent.Order, error) {
	o, err := tx.Order.Query().Where(entorder.ID(id)).Modify(store.ForUpdate).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, "input.orderId", "no such order")
	}
	return o, err
}

// checkVersion compares the client's expected version, when given.
func checkVersion(o *ent.Order, expected *int64) error {
	if expected != nil && *expected != o.Version {
		return fault.New(fault.VersionConflict, "input.expectedVersion",
			"the order was changed meanwhile (version %d, you sent %d); reload it", o.Version, *expected)
	}
	return nil
}

// touch bumps the order's version after a change and re-reads it.
func touch(ctx context.Context, tx *ent.Tx, o *ent.Order, upd func(*ent.OrderUpdateOne)) (*ent.Order, error) {
	u := tx.Order.UpdateOneID(o.ID).AddVersion(1)
	if upd != nil {
		upd(u)
	}
	return u.Save(ctx)
}
