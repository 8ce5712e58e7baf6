// Package order runs an order through its life — entry, review, payment,
// fulfilment — and through every way it goes wrong: cancellation with
// approval, void, refund, re-order and automatic cancellation. Each action
// is one transaction that locks the order row first, checks the state
// table, writes the change with its stock movements, money, ledger, audit
// and notification rows, and commits.
package order

import (
	"strings"

	"orderdesk/auth"
	entorder "orderdesk/ent/order"
	"orderdesk/fault"
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

// Action is something that can be done to an order.
type Action string

// Actions.
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
)

// Actions lists every action.
var Actions = []Action{Update, Submit, Confirm, Reject, Pay, Refund, Ship, Deliver, Finish, Cancel, Void, Reorder, Correct, Return}

// transitions is the order lifecycle: for each status, the actions allowed
// and the status they lead to. An action that is not listed is an
// INVALID_TRANSITION. Some actions may stop short of the target: a partial
// shipment or partial cancellation leaves the order CONFIRMED.
var transitions = map[Status]map[Action]Status{
	Draft:         {Update: Draft, Submit: PendingReview, Cancel: Cancelled, Void: Voided},
	PendingReview: {Confirm: Confirmed, Reject: Rejected, Cancel: Cancelled, Void: Voided, Correct: PendingReview},
	Confirmed: {Pay: Confirmed, Refund: Confirmed, Ship: Shipped, Cancel: Cancelled, Void: Voided,
		Correct: Confirmed},
	Shipped:   {Pay: Shipped, Refund: Shipped, Deliver: Delivered, Return: Shipped},
	Delivered: {Pay: Delivered, Refund: Delivered, Finish: Completed, Return: Delivered},
	// Terminal: nothing changes them. A re-order creates a new order that
	// points back at the old one, which stays as it is.
	Completed: {},
	Rejected:  {Reorder: Rejected},
	Cancelled: {Reorder: Cancelled},
	Voided:    {Reorder: Voided},
}

// permissions is what a viewer needs for each action.
var permissions = map[Action]auth.Permission{
	Update: auth.OrderCreate, Submit: auth.OrderCreate, Confirm: auth.OrderReview, Reject: auth.OrderReview,
	Pay: auth.PaymentRecord, Refund: auth.RefundExecute, Ship: auth.OrderFulfil, Deliver: auth.OrderFulfil,
	Finish: auth.OrderComplete, Cancel: auth.OrderCancelRequest, Void: auth.OrderVoid,
	Reorder: auth.OrderReorder, Correct: auth.OrderCorrect, Return: auth.ReturnRequest,
}

// Terminal reports whether nothing more happens to an order in status s.
func Terminal(s Status) bool {
	return s == Completed || s == Cancelled || s == Voided || s == Rejected
}

// Allowed reports whether action may be taken in status s.
func Allowed(s Status, a Action) bool {
	_, ok := transitions[s][a]
	return ok
}

// check returns INVALID_TRANSITION unless action may be taken in status s.
func check(s Status, a Action) error {
	if Allowed(s, a) {
		return nil
	}
	hint := ""
	switch {
	case a == Cancel && (s == Shipped || s == Delivered):
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
	default:
		return strings.ToLower(string(a))
	}
}

// AvailableActions lists the actions the viewer may take on an order in
// status s: what the state table allows and the viewer's role permits.
func AvailableActions(v *auth.Viewer, s Status) []Action {
	var out []Action
	for _, a := range Actions {
		if Allowed(s, a) && v.Can(permissions[a]) {
			out = append(out, a)
		}
	}
	return out
}
