package notice

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/customernotice"
	"orderdesk/ent/predicate"
	"orderdesk/store"
)

// Mail is one message for a Mailer.
type Mail struct {
	// ID identifies the notice; a mailer sends it as the Message-ID, so
	// that a notice delivered twice (see Sender) is one message to the
	// customer's mail system.
	ID                string
	To, Subject, Body string
}

// Mailer delivers mail. An error that Permanent reports as such is not
// retried.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
}

// PermanentError marks a delivery that no retry will make succeed (an
// address the mail server refuses).
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Sender delivers queued notices. Several servers may run one each over
// the same database: a sender takes a notice by moving its next attempt
// forward by Lease in one conditional update, so only one sender has it at
// a time, and a sender that dies with it leaves it to be taken again when
// the lease ends. Delivery is therefore at least once: a server that dies
// after the mail server took a message but before recording it sends it
// again, under the same Message-ID.
type Sender struct {
	client *ent.Client
	// Mailer sends email; nil means no channel is configured, and every
	// notice is recorded as SKIPPED with what it would have said.
	Mailer Mailer
	// Language is what customers without one are written in.
	Language string
	// Retries are the waits after each failed attempt; after the last the
	// notice is FAILED.
	Retries []time.Duration
	Lease   time.Duration
	Timeout time.Duration // of one delivery
	// Hold keeps each notice this long after it was queued before it
	// goes, so that staff may read it and withhold it.
	Hold  time.Duration
	Batch int
	Now   func() time.Time
	wake  chan struct{} // see Wake
}

// DefaultRetries wait from half a minute to six hours, eight attempts in
// all over about eleven hours.
var DefaultRetries = []time.Duration{30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute,
	time.Hour, 3 * time.Hour, 6 * time.Hour}

// NewSender returns a sender over client with the defaults.
func NewSender(client *ent.Client, m Mailer) *Sender {
	return &Sender{client: client, Mailer: m, Language: DefaultLanguage, Retries: DefaultRetries,
		Lease: 2 * time.Minute, Timeout: 30 * time.Second, Batch: 50, Now: time.Now, wake: make(chan struct{}, 1)}
}

// DeliverDue delivers the notices due now and returns how many it settled
// (sent, failed or skipped): it takes up to Batch of them at once, sends
// them one by one, and records what became of them in one transaction.
func (s *Sender) DeliverDue(ctx context.Context) (int, error) {
	ctx = auth.NewContext(ctx, auth.System("notice-sender"))
	now := s.Now().UTC()
	taken, err := s.take(ctx, now)
	if err != nil || len(taken) == 0 {
		return 0, err
	}
	// The round holds its notices until the lease ends: a send that could
	// outlast it is not begun, lest another sender take and send the
	// notice too; those left go back to the queue.
	lease := now.Add(s.Lease)
	outcomes := make([]outcome, len(taken))
	for i, n := range taken {
		if i > 0 && s.Now().Add(s.Timeout).After(lease) {
			outcomes[i] = outcome{untried: true}
			continue
		}
		outcomes[i] = s.attempt(ctx, n, now)
	}
	return s.settle(ctx, taken, outcomes, now)
}

// due selects the notices a sender may take at now: queued, their next
// attempt come, past their hold, and not taken by another sender.
func (s *Sender) due(now time.Time) []predicate.CustomerNotice {
	return []predicate.CustomerNotice{customernotice.StatusEQ(customernotice.StatusQUEUED),
		customernotice.NextAttemptAtLTE(now), customernotice.CreatedAtLTE(now.Add(-s.Hold)),
		customernotice.Or(customernotice.TakenUntilIsNil(), customernotice.TakenUntilLT(now))}
}

// take leases up to Batch due notices to this sender, with their customers
// and orders: the due ones are locked, then their next attempt is moved
// forward by Lease, in one transaction. Another sender's take waits for it
// and then finds them no longer due.
func (s *Sender) take(ctx context.Context, now time.Time) ([]*ent.CustomerNotice, error) {
	var taken []*ent.CustomerNotice
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		var err error
		taken, err = tx.CustomerNotice.Query().Where(s.due(now)...).
			Order(ent.Asc(customernotice.FieldNextAttemptAt), ent.Asc(customernotice.FieldID)).Limit(s.Batch).
			Modify(store.ForUpdate).WithCustomer().WithOrder().All(ctx)
		if err != nil || len(taken) == 0 {
			return err
		}
		ids := make([]int, len(taken))
		for i, n := range taken {
			ids[i] = n.ID
		}
		lease := now.Add(s.Lease)
		return tx.CustomerNotice.Update().Where(customernotice.IDIn(ids...)).
			SetNextAttemptAt(lease).SetTakenUntil(lease).AddAttempts(1).AddVersion(1).Exec(ctx)
	})
	if err != nil {
		return nil, err
	}
	for _, n := range taken {
		n.Attempts++
	}
	return taken, nil
}

// attempt tries notice n, with its customer and order loaded, once.
func (s *Sender) attempt(ctx context.Context, n *ent.CustomerNotice, now time.Time) outcome {
	letter, err := s.letter(n)
	if err != nil {
		return outcome{status: customernotice.StatusFAILED, problem: err.Error()}
	}
	out := outcome{letter: letter}
	switch {
	case s.Mailer == nil:
		out.status, out.channel, out.problem = customernotice.StatusSKIPPED, customernotice.ChannelNONE, "no email channel is configured"
	case letter.Recipient == "":
		out.status, out.channel, out.problem = customernotice.StatusSKIPPED, customernotice.ChannelNONE, "the customer has no email address"
	default:
		out.channel = customernotice.ChannelEMAIL
		send, cancel := context.WithTimeout(ctx, s.Timeout)
		err := s.Mailer.Send(send, Mail{ID: messageID(n), To: letter.Recipient, Subject: letter.Title, Body: letter.Body})
		cancel()
		var permanent *PermanentError
		switch {
		case err == nil:
			out.status = customernotice.StatusSENT
		case errors.As(err, &permanent) || n.Attempts > len(s.Retries):
			out.status, out.problem = customernotice.StatusFAILED, err.Error()
		default:
			out.status, out.problem = customernotice.StatusQUEUED, err.Error()
			out.retryAt = now.Add(jitter(s.Retries[n.Attempts-1]))
		}
	}
	return out
}

// Message is a notice as an email: what was sent, or what would be.
type Message struct{ Language, Recipient, Title, Body string }

// letter renders n, with its customer and order loaded, for the customer
// as they are now.
func (s *Sender) letter(n *ent.CustomerNotice) (Message, error) {
	c := n.Edges.Customer
	lang, ok := Language(c.Language)
	if !ok {
		lang = s.Language
	}
	l := Letter{Customer: c.Name, Facts: n.Facts}
	if c.ContactName != "" {
		l.Customer = c.ContactName
	}
	if o := n.Edges.Order; o != nil {
		l.Order = o.Number
	}
	title, body, err := Render(n.Kind, lang, l)
	return Message{Language: lang, Recipient: c.Email, Title: title, Body: body}, err
}

type outcome struct {
	untried bool // not sent: the round's lease would have ended
	status  customernotice.Status
	channel customernotice.Channel
	problem string
	retryAt time.Time
	letter  Message
}

// settle records the outcomes of the attempts that took notices in one
// transaction, each unless its lease ran out and another sender took it
// meanwhile, and returns how many it settled. Should that transaction
// fail, each is recorded in one of its own, so that one notice that
// cannot be recorded holds back (and has sent again) no other.
func (s *Sender) settle(ctx context.Context, notices []*ent.CustomerNotice, outcomes []outcome, now time.Time) (int, error) {
	ctx = store.WithNow(ctx, now)
	n, err := s.recordAll(ctx, notices, outcomes, now)
	if err == nil || len(notices) == 1 {
		return n, err
	}
	n = 0
	var errs []error
	for i := range notices {
		k, err := s.recordAll(ctx, notices[i:i+1], outcomes[i:i+1], now)
		n += k
		if err != nil {
			errs = append(errs, err)
		}
	}
	return n, errors.Join(errs...)
}

// recordAll records outcomes in one transaction; a settled notice goes on
// its order's timeline.
func (s *Sender) recordAll(ctx context.Context, notices []*ent.CustomerNotice, outcomes []outcome, now time.Time) (int, error) {
	var recorded int
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		recorded = 0
		ctx := audit.Batch(ctx)
		for i, n := range notices {
			ok, err := s.record(ctx, tx, n, outcomes[i], now)
			if err != nil {
				return fmt.Errorf("notice %d: %w", n.ID, err)
			}
			if ok {
				recorded++
			}
		}
		return audit.Flush(ctx, tx)
	})
	return recorded, err
}

// record writes what became of the attempt at n; false when the attempt's
// lease was lost or it is to be retried.
func (s *Sender) record(ctx context.Context, tx *ent.Tx, n *ent.CustomerNotice, out outcome, now time.Time) (bool, error) {
	mine := []predicate.CustomerNotice{customernotice.ID(n.ID), customernotice.Attempts(n.Attempts),
		customernotice.StatusEQ(customernotice.StatusQUEUED)}
	if out.untried { // back to the queue, as if not taken
		return false, tx.CustomerNotice.Update().Where(mine...).ClearTakenUntil().SetNextAttemptAt(now).
			AddAttempts(-1).AddVersion(1).Exec(ctx)
	}
	u := tx.CustomerNotice.Update().Where(mine...).
		SetStatus(out.status).SetLastError(clip.Runes(out.problem, 1000)).ClearTakenUntil().AddVersion(1)
	if l := out.letter; l.Title != "" {
		u.SetLanguage(l.Language).SetRecipient(l.Recipient).SetTitle(clip.Runes(l.Title, 400)).SetBody(l.Body)
	}
	if out.channel != "" {
		u.SetChannel(out.channel)
	}
	switch out.status {
	case customernotice.StatusSENT:
		u.SetSentAt(now)
	case customernotice.StatusQUEUED:
		u.SetNextAttemptAt(out.retryAt)
	}
	k, err := u.Save(ctx)
	if err != nil || k == 0 || out.status == customernotice.StatusQUEUED {
		return false, err
	}
	if n.OrderID == nil {
		return true, nil
	}
	e := audit.Event{Action: "notice." + lower(out.status), SubjectType: "CustomerNotice", SubjectID: n.ID,
		OrderID: n.OrderID, To: string(out.status), Reason: out.problem,
		After: map[string]any{"kind": n.Kind, "recipient": out.letter.Recipient, "language": out.letter.Language}}
	return true, audit.Record(ctx, tx, e)
}

func lower(s customernotice.Status) string {
	return map[customernotice.Status]string{customernotice.StatusSENT: "sent", customernotice.StatusFAILED: "failed",
		customernotice.StatusSKIPPED: "skipped"}[s]
}

func messageID(n *ent.CustomerNotice) string { return fmt.Sprintf("notice-%d@orderdesk", n.ID) }

// jitter spreads retries of many notices failed at once over ±20% of d.
func jitter(d time.Duration) time.Duration {
	return d + time.Duration((rand.Float64()*0.4-0.2)*float64(d))
}
