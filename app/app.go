// Package app assembles orderdesk: the services over one database and the
// HTTP handler over the services. The server and the API tests build it the
// same way.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"orderdesk/account"
	"orderdesk/aftersales"
	"orderdesk/auth"
	"orderdesk/bus"
	"orderdesk/contact"
	"orderdesk/customer"
	"orderdesk/graph"
	"orderdesk/graph/guard"
	"orderdesk/httpapi"
	"orderdesk/notice"
	"orderdesk/notify"
	"orderdesk/order"
	"orderdesk/report"
	"orderdesk/stock"
	"orderdesk/store"
	"orderdesk/telemetry"
	"orderdesk/webhook"
)

// Options configure the app.
type Options struct {
	Log        *slog.Logger
	Tokens     *auth.Tokens
	BcryptCost int
	Currency   string
	Limits     guard.Limits
	Policy     order.Policy
	Edge       httpapi.Edge
	Throttle   account.ThrottleLimits // zero: account.DefaultThrottle
	// RefreshGrace is how long a spent refresh token still gets the
	// session it was exchanged for; 0: account.DefaultRefreshGrace,
	// negative: none.
	RefreshGrace time.Duration
	// MetricsToken, when set, serves /metrics to bearers of it.
	MetricsToken string
	// Tracing, when not nil, spans requests, GraphQL operations and
	// resolvers; SQL too if the database was opened with its OpenSQL.
	Tracing *telemetry.Tracing
	// Mailer delivers customer notices by email; nil records them as
	// SKIPPED.
	Mailer notice.Mailer
	// NoticeLanguage is the language of customers who have none;
	// default notice.DefaultLanguage.
	NoticeLanguage string
	// NoticeHold keeps each notice this long before it goes.
	NoticeHold time.Duration
	// PublicURL is the server's address as customers reach it, for the
	// links to the confirmation page; default http://localhost:8080.
	PublicURL string
	// ConfirmationTTL is how long a confirmation link works; default
	// order.DefaultConfirmationTTL.
	ConfirmationTTL time.Duration
	// Dunning is when payment reminders go (order.Service.Dunning); nil:
	// order.DefaultDunning, empty: none.
	Dunning []time.Duration
	// WebhookAllow lists the address ranges webhook endpoints may point
	// at besides public addresses.
	WebhookAllow webhook.Addresses
	// WebhookTimeout bounds one delivery attempt; default
	// webhook.DefaultTimeout.
	WebhookTimeout time.Duration
	// Bus, when set, connects this server's live subscriptions to every
	// other server's (notify.Broker.Share); ListenBus starts listening.
	Bus *bus.Bus
}

// App is orderdesk over one database.
type App struct {
	DB         *store.DB
	Accounts   *account.Service
	Customers  *customer.Service
	Stock      *stock.Service
	Orders     *order.Service
	Complaints *aftersales.Service
	Contacts   *contact.Service
	Reports    *report.Service
	// Notices delivers the notices to customers that actions queue.
	Notices *notice.Sender
	// Webhooks manages integrators' endpoints; Relay delivers the
	// committed events to them.
	Webhooks *webhook.Service
	Relay    *webhook.Relay
	// Broker delivers committed notifications and order events to live
	// subscriptions on this server.
	Broker   *notify.Broker
	Handler  http.Handler
	draining atomic.Bool
	bus      *bus.Bus
	// Metrics counts this app's requests, database pool, transaction
	// retries and committed business events.
	Metrics *telemetry.Metrics
}

// New builds the services and the handler.
func New(db *store.DB, o Options) *App {
	a := &App{
		DB:         db,
		Accounts:   account.New(db.Client, o.Tokens, auth.NewPasswords(o.BcryptCost)),
		Customers:  customer.New(db.Client, o.Currency),
		Stock:      stock.New(db.Client, o.Currency),
		Orders:     order.New(db.Client, o.Policy),
		Complaints: aftersales.New(db.Client, aftersales.DefaultPolicy),
		Contacts:   contact.New(db.Client),
		Reports:    report.New(db.Client),
		Notices:    notice.NewSender(db.Client, o.Mailer),
		Webhooks:   webhook.NewService(db.Client, o.WebhookAllow),
		Relay:      webhook.NewRelay(db.Client, o.WebhookAllow),
		Broker:     notify.NewBroker(),
		Metrics:    telemetry.NewMetrics(),
	}
	if o.NoticeLanguage != "" {
		a.Notices.Language = o.NoticeLanguage
	}
	a.Notices.Hold = o.NoticeHold
	if o.PublicURL == "" {
		o.PublicURL = "http://localhost:8080"
	}
	a.Orders.Confirmations = order.NewConfirmations(o.Tokens.Key("customer-confirmation"), o.PublicURL)
	if o.ConfirmationTTL > 0 {
		a.Orders.Confirmations.TTL = o.ConfirmationTTL
	}
	if o.Dunning != nil {
		a.Orders.Dunning = o.Dunning
	}
	a.Metrics.CollectDB(db.SQL)
	db.Client.AuditEvent.Use(a.Metrics.AuditHook())
	db.Client.CustomerNotice.Use(store.WakeOnCommit(a.Notices.Wake))
	db.Client.OutboxEvent.Use(store.WakeOnCommit(a.Relay.Wake))
	if o.WebhookTimeout > 0 {
		a.Relay.SetTimeout(o.WebhookTimeout)
	}
	if o.Bus != nil {
		a.bus = o.Bus
		a.Broker.Share()
		a.Relay.Bus = o.Bus
	}
	a.Accounts.OnChange = a.Broker.ForgetMembers
	resolver := &graph.Resolver{Client: db.Client, Accounts: a.Accounts, Customers: a.Customers,
		Stock: a.Stock, Orders: a.Orders, Complaints: a.Complaints, ContactLog: a.Contacts, Reports: a.Reports,
		Notices: a.Notices, Broker: a.Broker, Webhooks: a.Webhooks}
	if o.Throttle != (account.ThrottleLimits{}) {
		a.Accounts.SetThrottle(o.Throttle)
	}
	if o.RefreshGrace != 0 {
		a.Accounts.SetRefreshGrace(max(o.RefreshGrace, 0))
	}
	a.Handler = httpapi.New(httpapi.Config{Log: o.Log, Auth: a.Accounts, Resolver: resolver,
		Ready: db.Ready, Draining: a.draining.Load, Limits: o.Limits, Broker: a.Broker, Edge: o.Edge,
		Telemetry: httpapi.Telemetry{Observer: a.Metrics, Metrics: a.Metrics.Handler(),
			MetricsToken: o.MetricsToken, Tracing: o.Tracing}})
	return a
}

// ListenBus feeds this server's live subscribers from the bus, when there
// is one, until stop is called. What commits here reaches them the same
// way: the relay (RunWebhooks) publishes it.
func (a *App) ListenBus(ctx context.Context, log *slog.Logger) (stop func(), err error) {
	if a.bus == nil {
		return func() {}, nil
	}
	return a.bus.Listen(ctx, func(r bus.Record) {
		if err := a.Broker.Deliver(ctx, a.DB.Client, r.Kind, r.ID); err != nil {
			log.WarnContext(ctx, "live record from the bus", "kind", r.Kind, "id", r.ID, "err", err)
		}
	})
}

// Drain fails /readyz from now on: the server is about to shut down.
func (a *App) Drain() { a.draining.Store(true) }
