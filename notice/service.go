package notice

import (
	"context"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/customernotice"
	"orderdesk/ent/privacy"
	"orderdesk/fault"
	"orderdesk/store"
)

// Filter narrows the notices listed.
type Filter struct {
	CustomerID, OrderID *int
	Status              *customernotice.Status
	Kind                *customernotice.Kind
}

// Query is the notices the filter keeps, read as the viewer: privacy
// hides another rep's customers' notices and refuses roles without
// contact:read.
func (s *Sender) Query(f Filter) *ent.CustomerNoticeQuery {
	q := s.client.CustomerNotice.Query()
	if f.CustomerID != nil {
		q.Where(customernotice.CustomerID(*f.CustomerID))
	}
	if f.OrderID != nil {
		q.Where(customernotice.OrderID(*f.OrderID))
	}
	if f.Status != nil {
		q.Where(customernotice.StatusEQ(*f.Status))
	}
	if f.Kind != nil {
		q.Where(customernotice.KindEQ(*f.Kind))
	}
	return q
}

// Message is what n said, once delivered (or skipped); until then, what
// it would say if it went now.
func (s *Sender) Message(ctx context.Context, n *ent.CustomerNotice) (Message, error) {
	if n.Title != "" {
		return Message{Language: n.Language, Recipient: n.Recipient, Title: n.Title, Body: n.Body}, nil
	}
	sys := privacy.DecisionContext(ctx, privacy.Allow) // the viewer already sees the notice
	if n.Edges.Customer == nil {
		c, err := s.client.Customer.Get(sys, n.CustomerID)
		if err != nil {
			return Message{}, err
		}
		n.Edges.Customer = c
	}
	if n.Edges.Order == nil && n.OrderID != nil {
		o, err := s.client.Order.Get(sys, *n.OrderID)
		if err != nil {
			return Message{}, err
		}
		n.Edges.Order = o
	}
	return s.letter(n)
}

// MaxWithholdReason is the longest reason for withholding a notice, in
// characters: with "withheld by" and the longest name it fits the
// notice's last error whole.
const MaxWithholdReason = 500

// Withhold stops a notice that has not gone: it is SKIPPED, with the
// viewer's reason. A notice a sender is delivering at this moment cannot
// be withheld. Needs contact:log.
func (s *Sender) Withhold(ctx context.Context, id int, reason string) (*ent.CustomerNotice, error) {
	v, err := auth.Require(ctx, auth.ContactLog)
	if err != nil {
		return nil, err
	}
	var errs fault.List
	if reason = errs.Text("input.reason", reason, MaxWithholdReason, true); errs.Err() != nil {
		return nil, errs.Err()
	}
	return s.change(ctx, id, customernotice.StatusQUEUED, func(tx *ent.Tx, n *ent.CustomerNotice, ctx context.Context, now time.Time) error {
		if n.TakenUntil != nil && n.TakenUntil.After(now) {
			return fault.New(fault.NotAllowed, "input.noticeId", "the notice is being delivered at this moment; look again in a minute")
		}
		why := clip.Runes("withheld by "+v.Name+": "+reason, 1000)
		if err := tx.CustomerNotice.UpdateOne(n).SetStatus(customernotice.StatusSKIPPED).SetChannel(customernotice.ChannelNONE).
			SetLastError(why).AddVersion(1).Exec(ctx); err != nil {
			return err
		}
		return record(ctx, tx, n, "notice.withheld", string(customernotice.StatusSKIPPED), reason)
	})
}

// Resend queues a FAILED or SKIPPED notice again, to be written anew for
// the customer as they are now and sent at once. Needs contact:log.
func (s *Sender) Resend(ctx context.Context, id int) (*ent.CustomerNotice, error) {
	if _, err := auth.Require(ctx, auth.ContactLog); err != nil {
		return nil, err
	}
	n, err := s.change(ctx, id, "", func(tx *ent.Tx, n *ent.CustomerNotice, ctx context.Context, now time.Time) error {
		if n.Status != customernotice.StatusFAILED && n.Status != customernotice.StatusSKIPPED {
			return fault.New(fault.NotAllowed, "input.noticeId", "a %s notice is not sent again", n.Status)
		}
		if err := tx.CustomerNotice.UpdateOne(n).SetStatus(customernotice.StatusQUEUED).SetAttempts(0).
			SetNextAttemptAt(now).ClearTakenUntil().ClearChannel().SetLastError("").SetLanguage("").SetRecipient("").
			SetTitle("").SetBody("").ClearSentAt().AddVersion(1).Exec(ctx); err != nil {
			return err
		}
		return record(ctx, tx, n, "notice.resent", string(customernotice.StatusQUEUED), "")
	})
	if err == nil {
		s.Wake()
	}
	return n, err
}

// change locks notice id as the viewer sees it (NOT_FOUND otherwise),
// checks it is in status want (any, when empty), applies do and returns
// the notice as it is then.
func (s *Sender) change(ctx context.Context, id int, want customernotice.Status,
	do func(tx *ent.Tx, n *ent.CustomerNotice, ctx context.Context, now time.Time) error) (*ent.CustomerNotice, error) {
	var out *ent.CustomerNotice
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		n, err := tx.CustomerNotice.Query().Where(customernotice.ID(id)).Modify(store.ForUpdate).Only(ctx)
		if ent.IsNotFound(err) {
			return fault.New(fault.NotFound, "input.noticeId", "no such notice")
		}
		if err != nil {
			return err
		}
		if want != "" && n.Status != want {
			return fault.New(fault.NotAllowed, "input.noticeId", "the notice is %s already", n.Status)
		}
		now := s.Now().UTC()
		sys := privacy.DecisionContext(store.WithNow(ctx, now), privacy.Allow) // the viewer may see it; the action decided
		if err := do(tx, n, sys, now); err != nil {
			return err
		}
		out, err = tx.CustomerNotice.Get(sys, id)
		return err
	})
	return out, err
}

// record puts a step of notice n on its order's timeline.
func record(ctx context.Context, tx *ent.Tx, n *ent.CustomerNotice, action, to, reason string) error {
	if n.OrderID == nil {
		return nil
	}
	return audit.Record(ctx, tx, audit.Event{Action: action, SubjectType: "CustomerNotice", SubjectID: n.ID,
		OrderID: n.OrderID, From: string(n.Status), To: to, Reason: reason, After: map[string]any{"kind": n.Kind}})
}
