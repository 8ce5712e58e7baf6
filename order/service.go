package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"orderdesk/audit"
	"orderdesk/ent"
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
	// A correction is SEVERE — it needs the customer's confirmation and a
	// manager — when it swaps a product, prices a line outside the allowed
	// discount, or moves the order total by more than SevereAmountMinor (in
	// minor units of the order's currency) or by more than SevereBP of it
	// (basis points: 1000 = 10 %). Zero turns that threshold off.
	SevereAmountMinor int64
	SevereBP          int64
	// AfterDeliveryFollowUp, when positive, schedules a follow-up contact
	// (客户回访) for the order's rep this long after the order is marked
	// delivered; zero turns it off.
	AfterDeliveryFollowUp time.Duration
	// InvoiceAtShipment issues an order's invoice in the transaction of
	// its first shipment (开具发票 at dispatch), unless it has one.
	InvoiceAtShipment bool
	// CancellationConsent sends every requested cancellation that refunds
	// money the customer did not ask for to the customer's confirmation
	// page before anyone approves it (asksCustomer).
	CancellationConsent bool
}

// DefaultPolicy is used when none is configured.
var DefaultPolicy = Policy{MaxDiscountBP: 2000, DeliveryLeadTime: 24 * time.Hour, MaxLines: 200,
	SevereAmountMinor: 100_00, SevereBP: 1000}

// Service is the order service.
type Service struct {
	client *ent.Client
	policy Policy
	// Dunning is when payment reminders go: reminder n+1 when an invoice
	// is still OPEN Dunning[n] after its due time (RemindOverdue).
	Dunning []time.Duration
	// Confirmations makes the links of the customer's confirmation page;
	// without it, no correction can be sent to the customer.
	Confirmations *Confirmations
}

// New returns the order service.
func New(client *ent.Client, p Policy) *Service {
	if p.MaxLines <= 0 {
		p.MaxLines = DefaultPolicy.MaxLines
	}
	return &Service{client: client, policy: p, Dunning: DefaultDunning}
}

// Result is what an order action produced; mutation payloads show the
// parts that apply. Records an action created are only there when it ran
// for real: a dry run shows the records that existed before, as they still
// are, and the preview of what it would have done.
type Result struct {
	Order        *ent.Order
	NewOrder     *ent.Order // a re-order, replacement or exchange order
	Payment      *ent.Payment
	Refunds      []*ent.Payment
	Shipment     *ent.Shipment
	Cancellation *ent.CancellationRecord
	Return       *ent.ReturnOrder
	Correction   *ent.OrderCorrection
	// Previews: of a cancellation or void, of a correction, and the amount
	// a refund moves.
	Preview           *Preview
	CorrectionPreview *CorrectionPreview
	AmountRefunded    *int64
	// decision: the action decided a cancellation request that existed
	// before it, which a dry run shows as it still is.
	decision bool
}

// resultCodec remembers a Result under an idempotency key by the ids of its
// records and reads them back on a replay.
var resultCodec = idem.Codec[*Result]{Refs: (*Result).refs, Load: load, Unwrap: (*Result).unwrap}

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
	if r.AmountRefunded != nil {
		put("amountRefunded", int(*r.AmountRefunded))
	}
	return refs
}

// load reads the records an earlier run of an idempotent request produced.
// Records that are gone (not found) are left out.
func load(ctx context.Context, tx *ent.Tx, refs idem.Refs) (*Result, error) {
	r := &Result{}
	var err error
	get := func(k string, fn func(id int) error) {
		if id, ok := refs[k]; ok && err == nil {
			if err = fn(id); ent.IsNotFound(err) {
				err = nil
			}
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
	if a, ok := refs["amountRefunded"]; ok {
		amount := int64(a)
		r.AmountRefunded = &amount
	}
	if r.Correction != nil {
		r.CorrectionPreview = CorrectionPreviewOf(r.Correction)
	}
	if r.Cancellation != nil && r.Order != nil {
		r.Preview = previewOf(r.Order, r.Cancellation, r.Order.Status)
	}
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

// action is one business action in the transaction it is handed.
type action func(ctx context.Context, tx *ent.Tx) (*Result, error)

// run executes act once, idempotently under key (idem.Run).
func (s *Service) run(ctx context.Context, op, key string, req any, act action) (*Result, error) {
	return idem.Run(ctx, s.client, op, key, req, resultCodec, act)
}

// runOrPreview runs act for real, or — for a dry run — runs it in full and
// rolls it back, so that the preview it returns is exactly what it would do.
func (s *Service) runOrPreview(ctx context.Context, dryRun bool, op, key string, req any, act action) (*Result, error) {
	if !dryRun {
		return s.run(ctx, op, key, req, act)
	}
	var res *Result
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		ctx := audit.Batch(store.WithNow(ctx, time.Now().UTC()))
		var err error
		if res, err = act(ctx, tx); err != nil {
			return err
		}
		if err := audit.Flush(ctx, tx); err != nil {
			return err
		}
		return errDryRun
	})
	if !errors.Is(err, errDryRun) {
		return nil, err
	}
	// The rollback took what the action created; the order (and the return
	// a refund previews) existed before and is read again as it still is.
	out := &Result{Preview: res.Preview, CorrectionPreview: res.CorrectionPreview, AmountRefunded: res.AmountRefunded}
	if out.Order, err = s.client.Order.Get(ctx, res.Order.ID); err != nil {
		return nil, err
	}
	if res.Return != nil {
		if out.Return, err = s.client.ReturnOrder.Get(ctx, res.Return.ID); err != nil {
			return nil, err
		}
	}
	// A decision on a request shows the request as it still is (one the
	// dry run created is gone, and its id may be another's by now).
	if res.decision && res.Cancellation != nil {
		if out.Cancellation, err = s.client.CancellationRecord.Get(ctx, res.Cancellation.ID); ent.IsNotFound(err) {
			out.Cancellation, err = nil, nil
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

var errDryRun = errors.New("dry run")
