package order

import (
	"context"

	entsql "entgo.io/ent/dialect/sql"

	"fmt"
	"strconv"
	"strings"

	"orderdesk/audit"
	"orderdesk/change"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	entorder "orderdesk/ent/order"
	"orderdesk/ent/ordercorrection"
	"orderdesk/ent/orderline"
	entpayment "orderdesk/ent/payment"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notice"
	"orderdesk/notify"
)

// openCancellation are the statuses of a cancellation request not yet
// decided: with the customer, awaiting approval, or approved by one side.
var openCancellation = []cancellationrecord.Status{cancellationrecord.StatusAWAITING_CUSTOMER,
	cancellationrecord.StatusREQUESTED, cancellationrecord.StatusAPPROVED}

func isOpenCancellation(s cancellationrecord.Status) bool {
	for _, o := range openCancellation {
		if o == s {
			return true
		}
	}
	return false
}

// asksCustomer decides whether a cancellation request goes to the
// customer's confirmation page before anyone approves it: when the
// requester asks for it, or when policy (CancellationConsent) asks for
// every requested cancellation that refunds money the customer did not
// ask for themselves — its reason is not CUSTOMER_REQUEST and no logged
// contact records their agreement. A void and the direct cancelOrder
// execute at once, so they are never sent.
func (s *Service) asksCustomer(kind cancellationrecord.Kind, direct bool, refund int64, r CancelRequest) (bool, error) {
	switch {
	case r.AskCustomer && kind == cancellationrecord.KindVOID:
		return false, fault.New(fault.Invalid, "input.askCustomer", "a void is the company's decision; it is not sent to the customer")
	case r.AskCustomer && direct:
		return false, fault.New(fault.Invalid, "input.askCustomer", "cancelOrder executes at once; send it with requestOrderCancellation")
	case r.AskCustomer && r.CustomerContactID != nil:
		return false, fault.New(fault.Invalid, "input.askCustomer", "the customer's agreement is recorded already (customerContactId)")
	case r.AskCustomer:
		return true, nil
	}
	return s.policy.CancellationConsent && kind == cancellationrecord.KindCANCEL && !direct && refund > 0 &&
		r.ReasonCode != string(cancellationrecord.ReasonCodeCUSTOMER_REQUEST) && r.CustomerContactID == nil, nil
}

// sendCancellationToCustomer puts a recorded cancellation request before
// the customer with what it would do: the lines it cancels, the order's
// total before and after, and the refund.
func (s *Service) sendCancellationToCustomer(ctx context.Context, l *Locked, rec *ent.CancellationRecord) error {
	e, err := l.plan(ctx, rec)
	if err != nil {
		return err
	}
	o := l.Order
	facts := map[string]string{"lines": describeScope(l.Lines, e.scope), "reason": string(rec.ReasonCode),
		"totalBefore": money.Format(o.TotalMinor, o.Currency), "totalAfter": money.Format(e.after.TotalMinor, o.Currency),
		"refund": "", "partial": ""}
	if e.refund > 0 {
		facts["refund"] = money.Format(e.refund, o.Currency)
	}
	if !e.full {
		facts["partial"] = "yes"
	}
	return s.askConsent(ctx, l, DecideCancellation, rec.ID, rec.Version, "cancellation.sent_to_customer",
		notice.CancellationAwaitingCustomer, facts)
}

// describeScope lists the quantities a cancellation takes off each line,
// for the customer.
func describeScope(lines []*ent.OrderLine, scope []change.LineQuantity) string {
	parts := make([]string, 0, len(scope))
	for _, x := range scope {
		if line := lineByID(lines, x.OrderLineID); line != nil {
			parts = append(parts, line.Sku+" "+line.Name+" × "+strconv.Itoa(x.Quantity))
		}
	}
	return strings.Join(parts, "; ")
}

// cancellationConfirmation reads a cancellation request for its page: the
// order with its lines and customer, and — while it awaits the customer —
// what it would do now.
func (s *Service) cancellationConfirmation(ctx context.Context, id int) (*Confirmation, error) {
	rec, err := s.client.CancellationRecord.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	o, err := s.effectOrder(ctx, rec.OrderID, true)
	if err != nil {
		return nil, err
	}
	c := &Confirmation{Cancellation: rec, Order: o, Customer: o.Edges.Customer}
	if rec.Status == cancellationrecord.StatusAWAITING_CUSTOMER {
		c.Effect, err = effectOf(o, rec)
	}
	return c, err
}

// effectOrder reads order id with its lines (by position) and charges, as
// a cancellation's effect needs them, and its customer when asked.
func (s *Service) effectOrder(ctx context.Context, id int, customer bool) (*ent.Order, error) {
	q := s.client.Order.Query().Where(entorder.ID(id)).
		WithLines(func(q *ent.OrderLineQuery) { q.Order(ent.Asc(orderline.FieldPosition)) }).
		WithPayments(func(q *ent.PaymentQuery) {
			q.Where(entpayment.KindEQ(entpayment.KindCHARGE)).Order(ent.Asc(entpayment.FieldID))
		})
	if customer {
		q.WithCustomer()
	}
	return q.Only(ctx)
}

// customerDecidesCancellation records the customer's answer to a cancellation
// request. Accepted, the request goes on to the approvals it still needs —
// or, having them all (a manager asked, and no money moves past finance),
// executes at once; declined, it is rejected and the order stays as it is.
func (s *Service) customerDecidesCancellation(ctx context.Context, tx *ent.Tx, id int, version int64, accept bool, address string) (*Result, error) {
	l, rec, err := holdChild(ctx, s, tx, CustomerDecideCancellation, "", "cancellation", cancellations(tx, id))
	if fault.CodeOf(err) == fault.NotFound {
		return nil, fault.New(fault.NotFound, "", "%s", ErrLinkInvalid.Error())
	}
	if err != nil {
		return nil, err
	}
	if rec.Status != cancellationrecord.StatusAWAITING_CUSTOMER || rec.Version != version {
		return nil, fault.New(fault.NotAllowed, "", "this cancellation was decided already (it is %s)", rec.Status)
	}
	upd := tx.CancellationRecord.UpdateOne(rec).SetCustomerDecidedAt(l.Now).SetCustomerDecisionAddress(address).AddVersion(1)
	action, note := "cancellation.customer_accepted", "accepted by the customer on the confirmation page"
	if accept {
		status := cancellationrecord.StatusREQUESTED
		if rec.ManagerApprovedAt != nil {
			status = cancellationrecord.StatusAPPROVED
		}
		upd.SetStatus(status).SetCustomerDecision(cancellationrecord.CustomerDecisionACCEPTED)
	} else {
		action, note = "cancellation.customer_declined", "declined by the customer on the confirmation page"
		upd.SetStatus(cancellationrecord.StatusREJECTED).SetCustomerDecision(cancellationrecord.CustomerDecisionDECLINED).
			SetDecidedAt(l.Now).SetDecisionNote(note)
	}
	if rec, err = upd.Save(ctx); err != nil {
		return nil, err
	}
	o := l.Order
	if err := l.audit(ctx, audit.Event{Action: action, SubjectType: "CancellationRecord", SubjectID: rec.ID,
		From: string(cancellationrecord.StatusAWAITING_CUSTOMER), To: string(rec.Status), Reason: note,
		After: map[string]any{"address": address}}); err != nil {
		return nil, err
	}
	if !accept {
		err := l.notify(ctx, new(notify.Recipients).User(rec.RequestedByID).User(o.OwnerID), notify.Notice{Kind: action,
			Title: fmt.Sprintf("The customer declined the cancellation of %s", o.Number), Body: note,
			SubjectType: "CancellationRecord", SubjectID: rec.ID})
		return &Result{Order: o, Cancellation: rec}, err
	}
	// Money captured since the request now goes back: finance must agree.
	if rec, err = l.followMoney(ctx, rec); err != nil {
		return nil, err
	}
	if approvalsComplete(rec) {
		if err := l.allow(ctx, ApproveCancel); err != nil {
			return nil, err
		}
		return s.execute(ctx, l, rec, nil)
	}
	return &Result{Order: o, Cancellation: rec}, l.askApprovers(ctx, rec)
}

// Open requests as hold reads them with the order row (withOpenRequests),
// so that an action on an order with none spends no statement looking.
type openRequests int

const (
	openCancellations openRequests = 1 << iota
	openCorrections
	// twoOpenCancellations: more than one cancellation request is open, so
	// executing one leaves others to close.
	twoOpenCancellations
)

const openRequestsColumn = "open_requests"

// withOpenRequests has hold read, with the order row, whether the order
// has a cancellation request (one, or more) or a correction not yet
// decided.
func withOpenRequests(s *entsql.Selector) {
	exists := func(table, orderColumn, statusColumn string, statuses []string) *entsql.Selector {
		t := entsql.Table(table)
		args := make([]any, len(statuses))
		for i, st := range statuses {
			args[i] = st
		}
		return entsql.Select(t.C(orderColumn)).From(t).Where(entsql.And(
			entsql.ColumnsEQ(t.C(orderColumn), s.C(entorder.FieldID)), entsql.In(t.C(statusColumn), args...)))
	}
	cancels := make([]string, len(openCancellation))
	for i, st := range openCancellation {
		cancels[i] = string(st)
	}
	corrections := make([]string, len(pendingCorrection))
	for i, st := range pendingCorrection {
		corrections[i] = string(st)
	}
	flag := func(b *entsql.Builder, sub *entsql.Selector, bit openRequests) {
		b.WriteString("CASE WHEN EXISTS ").Wrap(func(b *entsql.Builder) { b.Join(sub) }).
			WriteString(" THEN " + strconv.Itoa(int(bit)) + " ELSE 0 END")
	}
	s.AppendSelectExprAs(entsql.ExprFunc(func(b *entsql.Builder) {
		b.WriteString("(CASE ")
		cancellations := exists(cancellationrecord.Table, cancellationrecord.FieldOrderID, cancellationrecord.FieldStatus, cancels)
		b.Wrap(func(b *entsql.Builder) { b.Join(cancellations.Select(entsql.Count("*"))) })
		b.WriteString(" WHEN 0 THEN 0 WHEN 1 THEN " + strconv.Itoa(int(openCancellations)) +
			" ELSE " + strconv.Itoa(int(openCancellations|twoOpenCancellations)) + " END + ")
		flag(b, exists(ordercorrection.Table, ordercorrection.FieldOrderID, ordercorrection.FieldStatus, corrections), openCorrections)
		b.WriteString(")")
	}), openRequestsColumn)
}

func openRequestsOf(o *ent.Order) (openRequests, error) {
	v, err := o.Value(openRequestsColumn)
	if err != nil {
		return 0, err
	}
	switch n := v.(type) {
	case int64:
		return openRequests(n), nil
	case []byte:
		i, err := strconv.Atoi(string(n))
		return openRequests(i), err
	default:
		return 0, fmt.Errorf("open requests of type %T", v)
	}
}
