package telemetry

import (
	"context"
	"regexp"

	entgo "entgo.io/ent"
	"github.com/prometheus/client_golang/prometheus"

	"orderdesk/ent"
	"orderdesk/ent/hook"
	"orderdesk/money"
)

// business counts what the audit log records, once it has committed: every
// business action writes its audit events in its own transaction, so the
// log is the one place that sees every cancellation, refund and capture,
// whichever service, mutation or background rule made it.
type business struct {
	events        *prometheus.CounterVec
	ordersClosed  *prometheus.CounterVec
	refunds       *prometheus.CounterVec
	refundedMinor *prometheus.CounterVec
	captures      *prometheus.CounterVec
	capturedMinor *prometheus.CounterVec
}

func newBusiness() business {
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: namespace, Name: name, Help: help}, labels)
	}
	return business{
		events:        counter("audit_events_total", "Committed audit events, by action (order.confirmed, payment.refunded, …).", "action"),
		ordersClosed:  counter("orders_closed_total", "Orders that reached a final status: cancelled, voided or completed.", "status"),
		refunds:       counter("refunds_total", "Committed refund payments, by currency.", "currency"),
		refundedMinor: counter("refunded_minor_total", "Money refunded, in minor units of the currency (cents).", "currency"),
		captures:      counter("payments_captured_total", "Committed captures of charges, by currency.", "currency"),
		capturedMinor: counter("captured_minor_total", "Money captured, in minor units of the currency (cents).", "currency"),
	}
}

func (b business) register(r *prometheus.Registry) {
	r.MustRegister(b.events, b.ordersClosed, b.refunds, b.refundedMinor, b.captures, b.capturedMinor)
}

// closedStatus is the status label of the actions that end an order.
var closedStatus = map[string]string{
	"order.cancelled": "cancelled",
	"order.voided":    "voided",
	"order.completed": "completed",
}

// committedEvent is what the counters need of an audit event.
type committedEvent struct {
	action   string
	amount   int64
	currency string
}

func (b business) count(e committedEvent) {
	b.events.WithLabelValues(actionLabel(e.action)).Inc()
	if status, ok := closedStatus[e.action]; ok {
		b.ordersClosed.WithLabelValues(status).Inc()
	}
	// Refunds are recorded as negative amounts (money going out).
	amount := float64(max(e.amount, -e.amount))
	switch e.action {
	case "payment.refunded":
		b.refunds.WithLabelValues(currencyLabel(e.currency)).Inc()
		b.refundedMinor.WithLabelValues(currencyLabel(e.currency)).Add(amount)
	case "payment.captured":
		b.captures.WithLabelValues(currencyLabel(e.currency)).Inc()
		b.capturedMinor.WithLabelValues(currencyLabel(e.currency)).Add(amount)
	}
}

// AuditHook is an ent hook for the client's audit events (Use it on
// client.AuditEvent): each event it sees written is counted when the
// transaction that wrote it commits, and never when it rolls back, so a
// retried or failed action is not counted. An event written outside a
// transaction is counted at once.
func (m *Metrics) AuditHook() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, mu ent.Mutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, mu)
			am, ok := mu.(*ent.AuditEventMutation)
			if err != nil || !ok {
				return v, err
			}
			m.countOnCommit(am, eventOf(am))
			return v, nil
		})
	}, entgo.OpCreate)
}

func eventOf(m *ent.AuditEventMutation) committedEvent {
	var e committedEvent
	e.action, _ = m.Action()
	e.amount, _ = m.AmountMinor()
	e.currency, _ = m.Currency()
	return e
}

func (m *Metrics) countOnCommit(am *ent.AuditEventMutation, e committedEvent) {
	tx, err := am.Tx()
	if err != nil {
		m.business.count(e)
		return
	}
	tx.OnCommit(func(next ent.Committer) ent.Committer {
		return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
			if err := next.Commit(ctx, tx); err != nil {
				return err
			}
			m.business.count(e)
			return nil
		})
	})
}

// Actions are the code's constants ("order.cancelled"); the check keeps a
// future action built from data from growing the label space.
var actionPattern = regexp.MustCompile(`^[a-z_]{1,32}\.[a-z_]{1,32}$`)

func actionLabel(action string) string {
	if actionPattern.MatchString(action) {
		return action
	}
	return Other
}

func currencyLabel(code string) string {
	if money.ValidCurrency(code) {
		return code
	}
	return Other
}
