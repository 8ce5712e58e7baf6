package app

import (
	"context"
	"log/slog"
	"time"

	"orderdesk/auth"
	"orderdesk/idem"
	"orderdesk/notify"
)

// RunRules runs the background rules every interval until ctx ends:
// cancelling orders unpaid past their due time, reminding customers of
// overdue invoices, announcing complaints past theirs and contacts'
// follow-ups that came due, and forgetting expired
// idempotency keys and webhook events past their retention. Every rule is safe to run on several servers at once.
func (a *App) RunRules(ctx context.Context, log *slog.Logger, every time.Duration) {
	// What the rules commit (automatic cancellations, overdue complaints:
	// their notifications and timeline events) is delivered live, like a
	// request's changes.
	ctx = notify.WithBroker(ctx, a.Broker)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		a.runRulesOnce(ctx, log)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (a *App) runRulesOnce(ctx context.Context, log *slog.Logger) {
	n, err := a.Orders.AutoCancelOverdue(ctx)
	if err != nil {
		log.ErrorContext(ctx, "automatic cancellation", "err", err)
	}
	if n > 0 {
		log.InfoContext(ctx, "cancelled unpaid orders past their due time", "orders", n)
	}
	if n, err := a.Complaints.NotifyOverdue(ctx); err != nil {
		log.ErrorContext(ctx, "complaint overdue notifications", "err", err)
	} else if n > 0 {
		log.InfoContext(ctx, "announced complaints past their due time", "complaints", n)
	}
	if n, err := a.Orders.RemindOverdue(ctx, time.Now().UTC()); err != nil {
		log.ErrorContext(ctx, "payment reminders", "err", err)
	} else if n > 0 {
		log.InfoContext(ctx, "sent payment reminders of overdue invoices", "reminders", n)
	}
	if n, err := a.Contacts.NotifyDue(ctx); err != nil {
		log.ErrorContext(ctx, "follow-up due notifications", "err", err)
	} else if n > 0 {
		log.InfoContext(ctx, "announced follow-ups that came due", "follow_ups", n)
	}
	sys := auth.NewContext(ctx, auth.System("idempotency-sweep"))
	if _, err := idem.Sweep(sys, a.DB.Client); err != nil {
		log.ErrorContext(ctx, "idempotency sweep", "err", err)
	}
	if _, err := a.Accounts.Sweep(ctx); err != nil {
		log.ErrorContext(ctx, "sign-in throttle sweep", "err", err)
	}
	if _, err := a.Relay.Sweep(ctx, time.Now().UTC()); err != nil {
		log.ErrorContext(ctx, "webhook retention sweep", "err", err)
	}
}

// RunWebhooks relays the committed events to the webhook endpoints,
// every interval and as soon as one commits on this server, until ctx
// ends. Several servers may run it at once (see webhook.Relay).
func (a *App) RunWebhooks(ctx context.Context, log *slog.Logger, every time.Duration) {
	a.Relay.Run(ctx, every, func(n int, err error) {
		if err != nil {
			log.ErrorContext(ctx, "webhooks", "err", err)
		} else if n > 0 {
			log.DebugContext(ctx, "webhook deliveries settled", "deliveries", n)
		}
	})
}

// RunNotices delivers the customer notices that actions queue, every
// interval and as soon as one commits on this server, until ctx ends.
// Several servers may run it at once (see notice.Sender).
func (a *App) RunNotices(ctx context.Context, log *slog.Logger, every time.Duration) {
	ctx = notify.WithBroker(ctx, a.Broker) // the timeline's live subscribers see deliveries
	a.Notices.Run(ctx, every, func(n int, err error) {
		if err != nil {
			log.ErrorContext(ctx, "customer notices", "err", err)
		} else if n > 0 {
			log.InfoContext(ctx, "customer notices delivered or settled", "notices", n)
		}
	})
}
