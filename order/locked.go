package order

import (
	"context"
	"fmt"
	"slices"
	"time"

	entsql "entgo.io/ent/dialect/sql"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	entcustomer "orderdesk/ent/customer"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/ordercorrection"
	"orderdesk/ent/orderline"
	entpayment "orderdesk/ent/payment"
	"orderdesk/ent/predicate"
	"orderdesk/ent/privacy"
	"orderdesk/ent/returnorder"
	"orderdesk/ent/shipment"
	"orderdesk/fault"
	"orderdesk/notice"
	"orderdesk/notify"
	"orderdesk/payment"
	"orderdesk/store"
)

// Locked is an order held by the current transaction: its row is locked
// until the transaction ends, its lines are loaded, and Now is the one clock
// reading of the transaction. Only hold makes one (and adopt, for an order
// the transaction itself created), and every action on the order or on
// anything it owns starts from it.
//
// Locks are taken in one order by every action, so that two transactions
// never wait on each other in a circle:
//
//  1. the customer, when the action changes what the customer owes
//     (rule.exposure): the credit check reads all of the customer's orders;
//  2. the order;
//  3. the record of the order the action names (payment, shipment, return,
//     correction, cancellation request), read again under the order's lock;
//  4. stock items, in id order (stock.ApplyAll locks them in one statement).
type Locked struct {
	tx       *ent.Tx
	Now      time.Time
	Order    *ent.Order
	Lines    []*ent.OrderLine // by position
	Customer *ent.Customer    // locked when the action's exposure says so, else nil
	charges  []*ent.Payment   // read by the first money movement (refund)
	held     heldMoney        // the order's money when it was held (invoices follow it)
	action   Action           // what it was held for
	// heldRequest is the open cancellation request the order was held
	// for (holdChild of cancellations), counted among held.requests; 0 if
	// none.
	heldRequest int
	// refundUnsaved: a refund raised the order's refunded amount in
	// memory only; the next save writes it (see refund).
	refundUnsaved bool
}

// hold locks order id for action a, loads its lines and checks the action
// table and guards. A missing or invisible order is NOT_FOUND on field.
func (s *Service) hold(ctx context.Context, tx *ent.Tx, id int, a Action, field string) (*Locked, error) {
	return s.holdWhere(ctx, tx, entorder.ID(id), a, field, "order")
}

// holdWhere is hold of the order which picks: its id, or the order of a
// record (holdChild); a missing or invisible one is "no such what".
func (s *Service) holdWhere(ctx context.Context, tx *ent.Tx, picks predicate.Order, a Action, field, what string) (*Locked, error) {
	l := &Locked{tx: tx, Now: store.Now(ctx), action: a}
	if rules[a].exposure {
		// The customer is locked before the order is read through the
		// viewer's privacy rules: the lock itself shows the viewer nothing.
		sys := privacy.DecisionContext(ctx, privacy.Allow)
		cid, err := tx.Order.Query().Where(picks).Select(entorder.FieldCustomerID).Int(sys)
		if ent.IsNotFound(err) {
			return nil, fault.New(fault.NotFound, field, "no such %s", what)
		}
		if err != nil {
			return nil, err
		}
		if l.Customer, err = tx.Customer.Query().Where(entcustomer.ID(cid)).Modify(store.ForUpdate).Only(sys); err != nil {
			return nil, err
		}
	}
	o, err := tx.Order.Query().Where(picks).Modify(store.ForUpdate, withOpenInvoice, withOpenRequests).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, fault.New(fault.NotFound, field, "no such %s", what)
	}
	if err != nil {
		return nil, err
	}
	l.Order, l.held = o, moneyOf(o)
	if l.held.invoice, err = openInvoiceOf(o); err != nil {
		return nil, err
	}
	if l.held.requests, err = openRequestsOf(o); err != nil {
		return nil, err
	}
	if l.Lines, err = tx.OrderLine.Query().Where(orderline.OrderID(o.ID)).Order(ent.Asc(orderline.FieldPosition)).All(ctx); err != nil {
		return nil, err
	}
	l.describe(ctx)
	return l, l.allow(ctx, a)
}

// adopt wraps an order the current transaction created: nobody else can see
// it before the commit, so it needs no lock.
func (s *Service) adopt(ctx context.Context, tx *ent.Tx, o *ent.Order) *Locked {
	l := &Locked{tx: tx, Now: store.Now(ctx), Order: o}
	l.describe(ctx)
	return l
}

// allow checks the action table and guards for a on the held order.
func (l *Locked) allow(ctx context.Context, a Action) error {
	return allow(facts{order: l.Order, lines: l.Lines, openWork: func() (string, error) {
		return OpenWork(ctx, l.tx.Client(), l.Order.ID)
	}, openInvoice: func() (string, error) {
		if l.held.invoice == 0 {
			return "", nil
		}
		return openInvoiceNumber(ctx, l.tx.Client(), l.Order.ID)
	}}, a)
}

// AvailableActions lists the order's own actions the viewer may take now:
// what the table and its guards allow and the viewer's role permits — the
// same check the actions make, so the list and the API agree. It uses the
// order's lines when the query loaded them, else reads them.
func (s *Service) AvailableActions(ctx context.Context, o *ent.Order) ([]Action, error) {
	lines, err := o.Lines(ctx)
	if err != nil {
		return nil, err
	}
	return actionsFor(auth.FromContext(ctx), facts{order: o, lines: lines, openWork: func() (string, error) {
		return OpenWork(ctx, s.client, o.ID)
	}, openInvoice: func() (string, error) { return openInvoiceNumber(ctx, s.client, o.ID) }})
}

// OpenWork names the first piece of work still open on the order — a
// return not yet refunded or closed, a shipment exception, a pending
// cancellation request, correction or payment — or "" when there is none.
// It sees every record, whatever the viewer may read: a rule must not pass
// because the viewer cannot see what stands in its way.
func OpenWork(ctx context.Context, c *ent.Client, orderID int) (string, error) {
	ctx = privacy.DecisionContext(ctx, privacy.Allow)
	open := []struct {
		what string
		has  predicate.Order
	}{
		{"a return", entorder.HasReturnsWith(
			returnorder.StatusIn(returnorder.StatusREQUESTED, returnorder.StatusAPPROVED, returnorder.StatusRECEIVED))},
		{"a shipment exception", entorder.HasShipmentsWith(shipment.ExceptionReportedAtNotNil(), shipment.ExceptionResolvedAtIsNil())},
		{"a cancellation request", entorder.HasCancellationsWith(cancellationrecord.StatusIn(openCancellation...))},
		{"a correction awaiting approval", entorder.HasCorrectionsWith(ordercorrection.StatusIn(pendingCorrection...))},
		{"a pending payment", entorder.HasPaymentsWith(entpayment.StatusEQ(entpayment.StatusPENDING))},
	}
	// One statement answers whether anything is open; only then is it
	// worth asking what.
	either := make([]predicate.Order, len(open))
	for i, o := range open {
		either[i] = o.has
	}
	if ok, err := c.Order.Query().Where(entorder.ID(orderID), entorder.Or(either...)).Exist(ctx); err != nil || !ok {
		return "", err
	}
	for _, o := range open {
		ok, err := c.Order.Query().Where(entorder.ID(orderID), o.has).Exist(ctx)
		if err != nil || ok {
			return o.what, err
		}
	}
	return "", nil
}

// pendingCorrection are the statuses of a correction not yet decided: with
// the customer or awaiting a manager.
var pendingCorrection = []ordercorrection.Status{ordercorrection.StatusAWAITING_CUSTOMER, ordercorrection.StatusPENDING_APPROVAL}

// child is a record of an order (a payment, shipment, return, ...): the
// table it is kept in, whose order_id column names its order, its id, how
// to read it, locked, once the order is held, and what the held order
// must know of it (optional).
type child[C any] struct {
	table string
	id    int
	read  func(ctx context.Context) (C, error)
	held  func(l *Locked, rec C)
}

// holdChild holds the order of a record and reads the record under the
// order's lock, so that it is seen as the last action on it left it. The
// order is found from the record in the statement that locks it (a
// record's order never changes).
func holdChild[C any](ctx context.Context, s *Service, tx *ent.Tx, a Action, field, what string, c child[C]) (*Locked, C, error) {
	var zero C
	t := entsql.Table(c.table)
	ofRecord := predicate.Order(func(o *entsql.Selector) {
		o.Where(entsql.In(o.C(entorder.FieldID), entsql.Select(t.C("order_id")).From(t).Where(entsql.EQ(t.C("id"), c.id))))
	})
	l, err := s.holdWhere(ctx, tx, ofRecord, a, field, what)
	if err != nil {
		return nil, zero, err
	}
	rec, err := c.read(ctx)
	if ent.IsNotFound(err) {
		return nil, zero, fault.New(fault.NotFound, field, "no such %s", what)
	}
	if err != nil {
		return nil, zero, err
	}
	if c.held != nil {
		c.held(l, rec)
	}
	return l, rec, nil
}

func payments(tx *ent.Tx, id int) child[*ent.Payment] {
	return child[*ent.Payment]{table: entpayment.Table, id: id, read: func(ctx context.Context) (*ent.Payment, error) {
		return tx.Payment.Query().Where(entpayment.ID(id)).Modify(store.ForUpdate).Only(ctx)
	}}
}

func shipments(tx *ent.Tx, id int) child[*ent.Shipment] {
	return child[*ent.Shipment]{table: shipment.Table, id: id, read: func(ctx context.Context) (*ent.Shipment, error) {
		return tx.Shipment.Query().Where(shipment.ID(id)).Modify(store.ForUpdate).Only(ctx)
	}}
}

func returns(tx *ent.Tx, id int) child[*ent.ReturnOrder] {
	return child[*ent.ReturnOrder]{table: returnorder.Table, id: id, read: func(ctx context.Context) (*ent.ReturnOrder, error) {
		return tx.ReturnOrder.Query().Where(returnorder.ID(id)).Modify(store.ForUpdate).Only(ctx)
	}}
}

func corrections(tx *ent.Tx, id int) child[*ent.OrderCorrection] {
	return child[*ent.OrderCorrection]{table: ordercorrection.Table, id: id, read: func(ctx context.Context) (*ent.OrderCorrection, error) {
		return tx.OrderCorrection.Query().Where(ordercorrection.ID(id)).Modify(store.ForUpdate).Only(ctx)
	}}
}

// cancellations is a cancellation request; held open, it is among the open
// requests hold counted (see closeRequests).
func cancellations(tx *ent.Tx, id int) child[*ent.CancellationRecord] {
	return child[*ent.CancellationRecord]{table: cancellationrecord.Table, id: id,
		read: func(ctx context.Context) (*ent.CancellationRecord, error) {
			return tx.CancellationRecord.Query().Where(cancellationrecord.ID(id)).Modify(store.ForUpdate).Only(ctx)
		},
		held: func(l *Locked, rec *ent.CancellationRecord) {
			if isOpenCancellation(rec.Status) {
				l.heldRequest = rec.ID
			}
		}}
}

// checkVersion compares the client's expected version, when given.
func (l *Locked) checkVersion(expected *int64) error {
	if expected != nil && *expected != l.Order.Version {
		return fault.New(fault.VersionConflict, "input.expectedVersion",
			"the order was changed meanwhile (version %d, you sent %d); reload it", l.Order.Version, *expected)
	}
	return nil
}

// line is the held line with id, or nil.
func (l *Locked) line(id int) *ent.OrderLine { return lineByID(l.Lines, id) }

// saveLine applies change to the held copy of a line and writes the line's
// changeable columns from it, without reading it back: the row is held
// under the order's lock, so the copy is what the database has.
func (l *Locked) saveLine(ctx context.Context, line *ent.OrderLine, change func(*ent.OrderLine)) error {
	i := slices.IndexFunc(l.Lines, func(x *ent.OrderLine) bool { return x.ID == line.ID })
	if i < 0 {
		return fmt.Errorf("line %d is not held", line.ID)
	}
	n := *l.Lines[i]
	change(&n)
	if err := l.tx.OrderLine.Update().Where(orderline.ID(n.ID)).SetQuantity(n.Quantity).
		SetUnitPriceMinor(n.UnitPriceMinor).SetListPriceMinor(n.ListPriceMinor).SetDiscountMinor(n.DiscountMinor).
		SetSku(n.Sku).SetName(n.Name).SetStockItemID(n.StockItemID).
		SetQuantityReserved(n.QuantityReserved).SetQuantityCancelled(n.QuantityCancelled).
		SetQuantityShipped(n.QuantityShipped).SetQuantityReturned(n.QuantityReturned).Exec(ctx); err != nil {
		return err
	}
	n.UpdatedAt = l.Now
	l.Lines[i] = &n
	return nil
}

// changeQuantities applies change to copies of the held lines and writes
// the quantities of those it changed (it returns true) in one statement.
func (l *Locked) changeQuantities(ctx context.Context, change func(*ent.OrderLine) bool) error {
	var ids []int
	var values [][]any
	for i, line := range l.Lines {
		n := *line
		if !change(&n) {
			continue
		}
		n.UpdatedAt = l.Now
		l.Lines[i] = &n
		ids = append(ids, n.ID)
		values = append(values, []any{n.QuantityReserved, n.QuantityCancelled, n.QuantityShipped, n.QuantityReturned})
	}
	return store.SetByID(ctx, l.tx, orderline.Table, ids, []string{orderline.FieldQuantityReserved,
		orderline.FieldQuantityCancelled, orderline.FieldQuantityShipped, orderline.FieldQuantityReturned}, values,
		map[string]any{orderline.FieldUpdatedAt: l.Now})
}

// touch applies change to the held copy of the order, bumps its version,
// recomputes its totals from the held lines and writes its changeable
// columns (not the money caches, which package payment keeps), without
// reading it back.
func (l *Locked) touch(ctx context.Context, change func(*ent.Order)) error {
	return l.save(ctx, true, change)
}

// saveTotals writes the totals of the held lines to an order the
// transaction created, which keeps its first version.
func (l *Locked) saveTotals(ctx context.Context) error { return l.save(ctx, false, nil) }

func (l *Locked) save(ctx context.Context, bump bool, change func(*ent.Order)) error {
	if err := l.retotal(); err != nil {
		return err
	}
	o := *l.Order
	if change != nil {
		change(&o)
	}
	if bump {
		o.Version++
	}
	u := l.tx.Order.Update().Where(entorder.ID(o.ID)).SetVersion(o.Version).SetStatus(o.Status).
		SetSubtotalMinor(o.SubtotalMinor).SetDiscountMinor(o.DiscountMinor).SetTotalMinor(o.TotalMinor).
		SetNotes(o.Notes).SetStatusReason(o.StatusReason).SetStatusNote(o.StatusNote).
		SetNillableRequestedDeliveryDate(o.RequestedDeliveryDate).SetNillablePaymentDueAt(o.PaymentDueAt).
		SetNillableSubmittedAt(o.SubmittedAt).SetNillableConfirmedAt(o.ConfirmedAt).SetNillableShippedAt(o.ShippedAt).
		SetNillableDeliveredAt(o.DeliveredAt).SetNillableCompletedAt(o.CompletedAt).SetNillableClosedAt(o.ClosedAt)
	if o.ShippingAddress != nil {
		u.SetShippingAddress(o.ShippingAddress)
	}
	if l.refundUnsaved {
		u.SetRefundedMinor(o.RefundedMinor)
	}
	if err := u.Exec(ctx); err != nil {
		return err
	}
	l.refundUnsaved = false
	o.UpdatedAt = l.Now
	l.Order = &o
	return l.followInvoice(ctx)
}

// retotal recomputes the held order's totals from its held lines, in
// memory; touch saves them. Money decisions within an action (what to
// refund after a cancellation) read them before the save.
func (l *Locked) retotal() error {
	sub, disc, total, err := totals(l.Lines)
	if err != nil {
		return amountError("input.lines", err)
	}
	l.Order.SubtotalMinor, l.Order.DiscountMinor, l.Order.TotalMinor = sub, disc, total
	return nil
}

// transition moves the order to status to with touch and records the audit
// event with from → to.
func (l *Locked) transition(ctx context.Context, to Status, action, reason string, change func(*ent.Order)) error {
	from := l.Order.Status
	if err := l.touch(ctx, func(o *ent.Order) {
		o.Status = to
		if change != nil {
			change(o)
		}
	}); err != nil {
		return err
	}
	return l.audit(ctx, audit.Event{Action: action, SubjectType: "Order", SubjectID: l.Order.ID,
		From: string(from), To: string(to), Reason: reason})
}

// refund pays back r.Amount on the held order (payment.Refund), its
// charges read once for the whole action. Every action that refunds saves
// the order afterwards, so the refunded amount goes out with that save
// instead of a statement of its own; a transaction that would commit with
// it unsaved fails instead.
func (l *Locked) refund(ctx context.Context, r payment.RefundRequest) ([]*ent.Payment, error) {
	charges, err := l.chargeList(ctx)
	if err != nil {
		return nil, err
	}
	if !l.refundUnsaved {
		l.tx.OnCommit(func(next ent.Committer) ent.Committer {
			return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
				if l.refundUnsaved {
					return fmt.Errorf("order %d: a refund's amount was never saved", l.Order.ID)
				}
				return next.Commit(ctx, tx)
			})
		})
	}
	l.refundUnsaved = true
	return payment.Refund(ctx, l.tx, l.Order, charges, r)
}

func (l *Locked) chargeList(ctx context.Context) ([]*ent.Payment, error) {
	if l.charges == nil {
		charges, err := payment.Charges(ctx, l.tx, l.Order.ID)
		if err != nil {
			return nil, err
		}
		l.charges = charges
	}
	return l.charges, nil
}

// audit records e as an event of the held order.
func (l *Locked) audit(ctx context.Context, e audit.Event) error {
	id := l.Order.ID
	e.OrderID = &id
	return audit.Record(ctx, l.tx, e)
}

// tellCustomer queues a notice of kind to the held order's customer about
// the record subjectType/subjectID (none when subjectID is 0), with the
// facts of the change they must hear; it goes out once the action commits.
func (l *Locked) tellCustomer(ctx context.Context, kind notice.Kind, subjectType string, subjectID int, facts map[string]string) error {
	n := notice.Notice{Kind: kind, CustomerID: l.Order.CustomerID, OrderID: &l.Order.ID, Facts: facts}
	if subjectID != 0 {
		n.SubjectType, n.SubjectID = subjectType, &subjectID
	}
	return notice.Queue(ctx, l.tx, n)
}

// notify sends n about the held order.
func (l *Locked) notify(ctx context.Context, to *notify.Recipients, n notify.Notice) error {
	id := l.Order.ID
	n.OrderID = &id
	return notify.Send(ctx, l.tx, to, n)
}
