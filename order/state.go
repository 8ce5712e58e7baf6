// Package order is the order aggregate: an order, its lines, and everything
// that belongs to it — payments and refunds, shipments and their delivery
// exceptions, returns, corrections and cancellation requests. Every action
// on any of them is one transaction that holds the order (hold: the locks in
// one documented order, one clock reading), checks the state table and the
// named guards below, writes the change with its stock movements, money,
// ledger, audit and notification rows, and commits. No action reaches an
// order another way, so a rule written here holds for all of them.
package order

import (
	"fmt"
	"strings"

	"orderdesk/auth"
	"orderdesk/ent"
	entorder "orderdesk/ent/order"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/payment"
)

// Status is an order's status.
type Status = entorder.Status

// Statuses.
const (
	Draft         = entorder.StatusDRAFT
	PendingReview = entorder.StatusPENDING_REVIEW
	Confirmed     = entorder.StatusCONFIRMED
	Shipped       = entorder.StatusSHIPPED
	Delivered     = entorder.StatusDELIVERED
	Completed     = entorder.StatusCOMPLETED
	Rejected      = entorder.StatusREJECTED
	Cancelled     = entorder.StatusCANCELLED
	Voided        = entorder.StatusVOIDED
)

// Action is something that can be done to an order or to a record it owns.
type Action string

// The order's own actions: the ones availableActions lists.
const (
	Update  Action = "UPDATE"
	Submit  Action = "SUBMIT"
	Confirm Action = "CONFIRM"
	Reject  Action = "REJECT"
	Pay     Action = "PAY"
	Refund  Action = "REFUND"
	Ship    Action = "SHIP"
	Deliver Action = "DELIVER"
	Finish  Action = "COMPLETE"
	Cancel  Action = "CANCEL"
	Void    Action = "VOID"
	Reorder Action = "REORDER"
	Correct Action = "CORRECT"
	Return  Action = "RETURN"
	// IssueInvoice issues the order's invoice (order/invoice.go).
	IssueInvoice Action = "ISSUE_INVOICE"
)

// Actions on the records an order owns. They go through the same hold and
// table as the order's own: a closed order's payments, shipments, returns
// and requests change no more either.
const (
	CapturePayment    Action = "CAPTURE_PAYMENT"
	FailPayment       Action = "FAIL_PAYMENT"
	CancelPayment     Action = "CANCEL_PAYMENT"
	ApproveCancel     Action = "APPROVE_CANCELLATION"
	RejectCancel      Action = "REJECT_CANCELLATION"
	ApproveCorrection Action = "APPROVE_CORRECTION"
	RejectCorrection  Action = "REJECT_CORRECTION"
	DecideReturn      Action = "DECIDE_RETURN"
	ReceiveReturn     Action = "RECEIVE_RETURN"
	RefundReturn      Action = "REFUND_RETURN"
	CloseReturn       Action = "CLOSE_RETURN"
	ReportException   Action = "REPORT_EXCEPTION"
	ResolveException  Action = "RESOLVE_EXCEPTION"
	ReissueInvoice    Action = "REISSUE_INVOICE"
	// RemindInvoice sends a payment reminder of an overdue invoice (the
	// dunning rule, order/dunning.go).
	RemindInvoice Action = "REMIND_INVOICE"
	// CustomerDecideCorrection is the customer's answer to a correction
	// on the confirmation page (order/confirm.go).
	CustomerDecideCorrection Action = "CUSTOMER_DECIDE_CORRECTION"
	// CustomerDecideCancellation is the customer's answer to a
	// cancellation request on the confirmation page (order/consent.go).
	CustomerDecideCancellation Action = "CUSTOMER_DECIDE_CANCELLATION"
)

// Actions lists the order's own actions, in the order availableActions
// shows them.
var Actions = []Action{Update, Submit, Confirm, Reject, Pay, Refund, Ship, Deliver, Finish, Cancel, Void, Reorder, Correct, Return,
	IssueInvoice}

// ChildActions lists the actions on records the order owns.
var ChildActions = []Action{CapturePayment, FailPayment, CancelPayment, ApproveCancel, RejectCancel,
	ApproveCorrection, RejectCorrection, DecideReturn, ReceiveReturn, RefundReturn, CloseReturn,
	ReportException, ResolveException, ReissueInvoice, RemindInvoice, CustomerDecideCorrection,
	CustomerDecideCancellation}

// The statuses an action may be taken in, by group.
var (
	notClosed   = []Status{Draft, PendingReview, Confirmed, Shipped, Delivered}
	live        = []Status{Confirmed, Shipped, Delivered} // money and goods move
	cancellable = []Status{Draft, PendingReview, Confirmed}
	invoiceable = []Status{Confirmed, Shipped, Delivered, Completed}
)

// rule is one row of the action table: where the action may be taken, the
// status it leads to (empty: it stays), whether it changes what the
// customer owes (then hold locks the customer first, because the credit
// check reads all of the customer's orders), the guards that must pass on
// the held order, and whether the action only writes a document about the
// order (an invoice): it changes neither the order nor its money, so it may
// be taken on a COMPLETED order too.
type rule struct {
	in       []Status
	to       Status
	exposure bool
	guards   []guard
	document bool
}

// rules is the action table. An action not allowed in the order's status is
// INVALID_TRANSITION; a failed guard says what stands in the way. Actions
// that may stop short of their target (a partial shipment or cancellation)
// decide that themselves.
var rules = map[Action]rule{
	Update:  {in: []Status{Draft}},
	Submit:  {in: []Status{Draft}, to: PendingReview},
	Confirm: {in: []Status{PendingReview}, to: Confirmed, exposure: true},
	Reject:  {in: []Status{PendingReview}, to: Rejected},
	Pay:     {in: live, guards: []guard{owesMoney}},
	Refund:  {in: live, guards: []guard{hasRefundable}},
	Ship:    {in: []Status{Confirmed}, to: Shipped, guards: []guard{hasUnshipped}},
	Deliver: {in: []Status{Shipped}, to: Delivered},
	Finish:  {in: []Status{Delivered}, to: Completed, guards: []guard{settled, nothingOpen}},
	Cancel:  {in: cancellable, to: Cancelled, guards: []guard{hasUnshipped}},
	Void:    {in: cancellable, to: Voided, guards: []guard{nothingShipped}},
	Reorder: {in: []Status{Rejected, Cancelled, Voided}},
	Correct: {in: []Status{PendingReview, Confirmed}, exposure: true, guards: []guard{hasUnshipped}},
	Return:  {in: live, guards: []guard{hasShipped}},
	// Documents about the order (invoice.go).
	IssueInvoice: {in: invoiceable, document: true, guards: []guard{hasDue, notInvoiced}},

	CapturePayment:    {in: live},
	FailPayment:       {in: live},
	CancelPayment:     {in: live, exposure: true},
	ApproveCancel:     {in: cancellable, guards: []guard{hasUnshipped}},
	RejectCancel:      {in: notClosed},
	ApproveCorrection: {in: []Status{PendingReview, Confirmed}, exposure: true},
	RejectCorrection:  {in: notClosed},
	DecideReturn:      {in: live},
	ReceiveReturn:     {in: live},
	RefundReturn:      {in: live, guards: []guard{hasRefundable}},
	CloseReturn:       {in: live},
	ReportException:   {in: live, guards: []guard{hasShipped}},
	ResolveException:  {in: live},
	ReissueInvoice:    {in: invoiceable, document: true},
	RemindInvoice:     {in: invoiceable, document: true},
	// Consent only: applying the correction is a manager's approval.
	CustomerDecideCorrection: {in: []Status{PendingReview, Confirmed}},
	// A refusal closes the request on any open order; an acceptance that
	// executes it also passes ApproveCancel's rule.
	CustomerDecideCancellation: {in: notClosed},
}

// permissions is what a viewer needs for each of the order's own actions,
// for availableActions; the services check the same at their entry (a
// reorder makes an order, so it also takes order:create).
var permissions = map[Action][]auth.Permission{
	Update: {auth.OrderCreate}, Submit: {auth.OrderCreate}, Confirm: {auth.OrderReview}, Reject: {auth.OrderReview},
	Pay: {auth.PaymentRecord}, Refund: {auth.RefundExecute}, Ship: {auth.OrderFulfil}, Deliver: {auth.OrderFulfil},
	Finish: {auth.OrderComplete}, Cancel: {auth.OrderCancelRequest}, Void: {auth.OrderVoid},
	Reorder: {auth.OrderReorder, auth.OrderCreate}, Correct: {auth.OrderCorrect}, Return: {auth.ReturnRequest},
	IssueInvoice: {auth.InvoiceIssue},
}

// mayTake reports whether v has every permission action a needs.
func mayTake(v *auth.Viewer, a Action) bool {
	for _, p := range permissions[a] {
		if !v.Can(p) {
			return false
		}
	}
	return len(permissions[a]) > 0
}

// Terminal reports whether nothing more happens to an order in status s.
func Terminal(s Status) bool {
	return s == Completed || s == Cancelled || s == Voided || s == Rejected
}

// Allowed reports whether the table allows action a in status s; guards
// may still refuse it.
func Allowed(s Status, a Action) bool {
	for _, x := range rules[a].in {
		if x == s {
			return true
		}
	}
	return false
}

// target is the status action a leads to from s.
func target(s Status, a Action) Status {
	if to := rules[a].to; to != "" {
		return to
	}
	return s
}

// check returns INVALID_TRANSITION unless the table allows a in status s.
func check(s Status, a Action) error {
	if Allowed(s, a) {
		return nil
	}
	hint := ""
	switch {
	case (a == Cancel || a == Void || a == ApproveCancel) && (s == Shipped || s == Delivered):
		hint = "; shipped goods come back through a return (createReturn)"
	case Terminal(s):
		hint = "; the order is closed"
	}
	return fault.New(fault.InvalidTransition, "", "cannot %s an order that is %s%s", actionVerb(a), s, hint)
}

func actionVerb(a Action) string {
	switch a {
	case Pay:
		return "take payments for"
	case Finish:
		return "complete"
	case CapturePayment, FailPayment, CancelPayment:
		return strings.ToLower(strings.Replace(string(a), "_PAYMENT", "", 1)) + " a payment of"
	case ApproveCancel, RejectCancel, ApproveCorrection, RejectCorrection, CustomerDecideCorrection, CustomerDecideCancellation:
		return "decide a request on"
	case DecideReturn, ReceiveReturn, RefundReturn, CloseReturn:
		return "act on a return of"
	case ReportException, ResolveException:
		return "act on a shipment of"
	case IssueInvoice:
		return "invoice"
	case ReissueInvoice:
		return "credit and reissue an invoice of"
	default:
		return strings.ToLower(string(a))
	}
}

// facts is what the guards look at: the order, its lines, and (read only
// when a guard asks) the work still open on it and its open invoice's
// number ("" when it has none).
type facts struct {
	order       *ent.Order
	lines       []*ent.OrderLine
	openWork    func() (string, error)
	openInvoice func() (string, error)
}

// guard refuses an action the table allows when the order's state stands
// in the way; it names what does.
type guard struct {
	name  string
	check func(f facts) (string, error) // "" passes
	code  fault.Code
}

var (
	owesMoney = guard{"owes money", func(f facts) (string, error) {
		if payment.Outstanding(f.order) > 0 {
			return "", nil
		}
		return "nothing is outstanding", nil
	}, fault.PaymentExceeds}
	hasRefundable = guard{"has refundable money", func(f facts) (string, error) {
		if payment.Refundable(f.order) > 0 {
			return "", nil
		}
		return "no captured money is left to refund", nil
	}, fault.RefundExceeds}
	hasUnshipped = guard{"has unshipped units", func(f facts) (string, error) {
		for _, l := range f.lines {
			if unshipped(l) > 0 {
				return "", nil
			}
		}
		return "nothing is left that has not shipped or been cancelled", nil
	}, fault.InvalidTransition}
	nothingShipped = guard{"nothing shipped", func(f facts) (string, error) {
		for _, l := range f.lines {
			if l.QuantityShipped > 0 {
				return "part of the order has shipped: cancel what is open, and bring shipped goods back through a return (createReturn)", nil
			}
		}
		return "", nil
	}, fault.InvalidTransition}
	hasShipped = guard{"has shipped units", func(f facts) (string, error) {
		for _, l := range f.lines {
			if l.QuantityShipped > 0 {
				return "", nil
			}
		}
		return "nothing of the order has shipped", nil
	}, fault.InvalidTransition}
	settled = guard{"settled", func(f facts) (string, error) {
		o := f.order
		if out := payment.Outstanding(o); out > 0 {
			return fmt.Sprintf("the customer still owes %s", money.Format(out, o.Currency)), nil
		}
		if due := payment.RefundDue(o); due > 0 {
			return fmt.Sprintf("%s is due back to the customer", money.Format(due, o.Currency)), nil
		}
		return "", nil
	}, fault.NotAllowed}
	hasDue = guard{"has something to bill", func(f facts) (string, error) {
		if payment.Due(f.order) > 0 {
			return "", nil
		}
		return "nothing is left to bill", nil
	}, fault.NotAllowed}
	notInvoiced = guard{"not invoiced", func(f facts) (string, error) {
		number, err := f.openInvoice()
		if err != nil || number == "" {
			return "", err
		}
		return "it has invoice " + number + " (to correct it, use creditAndReissueInvoice)", nil
	}, fault.Duplicate}
	nothingOpen = guard{"nothing open", func(f facts) (string, error) {
		open, err := f.openWork()
		if err != nil || open == "" {
			return "", err
		}
		return open + " is still open", nil
	}, fault.NotAllowed}
)

// allow checks the table and the action's guards against f.
func allow(f facts, a Action) error {
	if err := check(f.order.Status, a); err != nil {
		return err
	}
	for _, g := range rules[a].guards {
		why, err := g.check(f)
		if err != nil {
			return err
		}
		if why != "" {
			return fault.New(g.code, "", "cannot %s %s: %s", actionVerb(a), f.order.Number, why)
		}
	}
	return nil
}

// actionsFor lists the order's own actions viewer v may take now on the
// order of f: what the table and its guards allow and the role permits.
func actionsFor(v *auth.Viewer, f facts) ([]Action, error) {
	var out []Action
	for _, a := range Actions {
		if !mayTake(v, a) {
			continue
		}
		err := allow(f, a)
		if _, expected := fault.Expected(err); err != nil && !expected {
			return nil, err
		}
		if err == nil {
			out = append(out, a)
		}
	}
	return out, nil
}
