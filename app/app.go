// Package app assembles orderdesk: the services over one database and the
// HTTP handler over the services. The server and the API tests build it the
// same way.
package app

import (
	"log/slog"
	"net/http"

	"orderdesk/account"
	"orderdesk/aftersales"
	"orderdesk/auth"
	"orderdesk/customer"
	"orderdesk/graph"
	"orderdesk/graph/guard"
	"orderdesk/httpapi"
	"orderdesk/notify"
	"orderdesk/order"
	"orderdesk/report"
	"orderdesk/stock"
	"orderdesk/store"
)

// Options configure the app.
type Options struct {
	Log        *slog.Logger
	Tokens     *auth.Tokens
	BcryptCost int
	Currency   string
	Limits     guard.Limits
	Policy     order.Policy
}

// App is orderdesk over one database.
type App struct {
	DB         *store.DB
	Accounts   *account.Service
	Customers  *customer.Service
	Stock      *stock.Service
	Orders     *order.Service
	Complaints *aftersales.Service
	Reports    *report.Service
	// Broker delivers committed notifications and order events to live
	// subscriptions on this server.
	Broker  *notify.Broker
	Handler http.Handler
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
		Reports:    report.New(db.Client),
		Broker:     notify.NewBroker(),
	}
	a.Accounts.OnChange = a.Broker.ForgetMembers
	resolver := &graph.Resolver{Client: db.Client, Accounts: a.Accounts, Customers: a.Customers,
		Stock: a.Stock, Orders: a.Orders, Complaints: a.Complaints, Reports: a.Reports,
		Broker: a.Broker}
	a.Handler = httpapi.New(httpapi.Config{Log: o.Log, Auth: a.Accounts, Resolver: resolver,
		Ready: db.Ping, Limits: o.Limits, Broker: a.Broker})
	return a
}
