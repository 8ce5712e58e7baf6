package order

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/invoice"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notice"
	"orderdesk/notify"
)

// DefaultDunning reminds the customer of an unpaid invoice (应收账款催收)
// one day, one week and two weeks after its due time.
var DefaultDunning = []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 14 * 24 * time.Hour}

// DunningBatch bounds the reminders one sweep sends per level.
const DunningBatch = 100

// RemindOverdue sends the payment reminders that are due at now: reminder
// n+1 of an invoice still OPEN Dunning[n] after its due time. Each goes in
// its own transaction, which holds the invoice's order and checks the
// invoice again, so a payment that lands meanwhile stops it and sweeps on
// several servers send each reminder once. A reminder tells the customer
// (PAYMENT_OVERDUE notice), the order's rep and finance, and goes on the
// order's timeline. It returns how many it sent, and the failures joined.
func (s *Service) RemindOverdue(ctx context.Context, now time.Time) (int, error) {
	ctx = auth.NewContext(ctx, auth.System("dunning"))
	sent := 0
	var failures []error
	for level, after := range s.Dunning {
		due, err := s.client.Invoice.Query().Where(invoice.StatusEQ(invoice.StatusOPEN), invoice.Reminders(level),
			invoice.DueAtLTE(now.Add(-after))).Order(ent.Asc(invoice.FieldDueAt)).Limit(DunningBatch).IDs(ctx)
		if err != nil {
			return sent, errors.Join(append(failures, err)...)
		}
		for _, id := range due {
			res, err := s.run(ctx, "", "", nil, func(ctx context.Context, tx *ent.Tx) (*Result, error) {
				return s.remind(ctx, tx, id, level, now.Add(-after))
			})
			switch {
			case err != nil:
				failures = append(failures, fmt.Errorf("invoice %d: %w", id, err))
			case res.Order != nil:
				sent++
			}
		}
	}
	return sent, errors.Join(failures...)
}

// remind sends reminder level+1 of invoice id if it is still OPEN, at that
// level and due before dueBy, with its order held; otherwise it does
// nothing (an empty result).
func (s *Service) remind(ctx context.Context, tx *ent.Tx, id, level int, dueBy time.Time) (*Result, error) {
	l, inv, err := holdChild(ctx, s, tx, RemindInvoice, "", "invoice", invoices(tx, id))
	if fault.CodeOf(err) == fault.InvalidTransition {
		return &Result{}, nil // the order closed meanwhile
	}
	if err != nil {
		return nil, err
	}
	if inv.Status != invoice.StatusOPEN || inv.Reminders != level || inv.DueAt.After(dueBy) {
		return &Result{}, nil // paid, credited or reminded meanwhile
	}
	if err := tx.Invoice.UpdateOne(inv).SetReminders(level + 1).SetRemindedAt(l.Now).AddVersion(1).Exec(ctx); err != nil {
		return nil, err
	}
	o := l.Order
	balance, nth := money.Format(inv.BalanceMinor, inv.Currency), strconv.Itoa(level+1)
	if err := l.audit(ctx, audit.Event{Action: "invoice.reminded", SubjectType: "Invoice", SubjectID: inv.ID,
		Reason: "reminder " + nth, Amount: &inv.BalanceMinor, Currency: inv.Currency,
		After: map[string]any{"invoice": inv.Number, "reminder": level + 1, "balance": balance}}); err != nil {
		return nil, err
	}
	if err := l.notify(ctx, new(notify.Recipients).User(o.OwnerID).Role(auth.Finance), notify.Notice{Kind: "invoice.overdue",
		Title:       fmt.Sprintf("Invoice %s of %s is overdue", inv.Number, o.Number),
		Body:        fmt.Sprintf("%s open since %s; reminder %s sent to the customer.", balance, inv.DueAt.Format("2006-01-02"), nth),
		SubjectType: "Invoice", SubjectID: inv.ID}); err != nil {
		return nil, err
	}
	err = l.tellCustomer(ctx, notice.PaymentOverdue, "Invoice", inv.ID, map[string]string{"invoice": inv.Number,
		"balance": balance, "due": inv.DueAt.Format("2006-01-02"), "level": nth})
	return &Result{Order: o}, err
}
