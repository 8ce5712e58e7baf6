// Package notice tells customers what happened to their orders. A notice
// is queued in the transaction of the change it announces (Queue), so a
// change that rolls back tells nobody and one that commits cannot lose its
// notice; the Sender delivers queued notices afterwards, by email when a
// mail server is configured, and records how each one went.
package notice

import (
	"context"

	"orderdesk/ent"
	"orderdesk/ent/customernotice"
	"orderdesk/ent/privacy"
	"orderdesk/store"
)

// Kind is what a notice announces.
type Kind = customernotice.Kind

// The kinds of notice.
const (
	OrderConfirmed             = customernotice.KindORDER_CONFIRMED
	CancellationExecuted       = customernotice.KindCANCELLATION_EXECUTED
	OrderVoided                = customernotice.KindORDER_VOIDED
	ReturnReceived             = customernotice.KindRETURN_RECEIVED
	ReturnRefunded             = customernotice.KindRETURN_REFUNDED
	CorrectionAwaitingCustomer = customernotice.KindCORRECTION_AWAITING_CUSTOMER
	InvoiceIssued              = customernotice.KindINVOICE_ISSUED
	PaymentOverdue             = customernotice.KindPAYMENT_OVERDUE
	// CancellationAwaitingCustomer asks the customer to agree to a
	// cancellation that moves money (the confirmation page).
	CancellationAwaitingCustomer = customernotice.KindCANCELLATION_AWAITING_CUSTOMER
)

// Notice is one notice to queue: to whom, about what, and the facts of the
// change the customer must hear, as the text the templates show.
type Notice struct {
	Kind        Kind
	CustomerID  int
	OrderID     *int
	SubjectType string
	SubjectID   *int
	Facts       map[string]string
}

// Queue writes n in tx, due for delivery at once. The change's own
// permission was checked by the action that queues it.
func Queue(ctx context.Context, tx *ent.Tx, n Notice) error {
	sys := privacy.DecisionContext(ctx, privacy.Allow)
	return tx.CustomerNotice.Create().SetKind(n.Kind).SetCustomerID(n.CustomerID).SetNillableOrderID(n.OrderID).
		SetSubjectType(n.SubjectType).SetNillableSubjectID(n.SubjectID).SetFacts(n.Facts).
		SetNextAttemptAt(store.Now(ctx)).Exec(sys)
}
