// Package graph is the GraphQL layer: resolvers decode the input, call one
// domain service method, and encode the result. They decide nothing.
package graph

import (
	"orderdesk/account"
	"orderdesk/aftersales"
	"orderdesk/contact"
	"orderdesk/customer"
	"orderdesk/ent"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notice"
	"orderdesk/notify"
	"orderdesk/order"
	"orderdesk/report"
	"orderdesk/stock"
	"orderdesk/webhook"
)

// Resolver holds the services the resolvers call.
type Resolver struct {
	Client     *ent.Client
	Accounts   *account.Service
	Customers  *customer.Service
	Stock      *stock.Service
	Orders     *order.Service
	Complaints *aftersales.Service
	ContactLog *contact.Service
	Reports    *report.Service
	Notices    *notice.Sender
	Broker     *notify.Broker
	Webhooks   *webhook.Service
}

// outcome splits a service error into the payload's errors (expected
// business failures) and a top-level error (refusals and internal errors).
func outcome(err error) ([]*fault.Error, error) {
	if err == nil {
		return []*fault.Error{}, nil
	}
	errs, ok := fault.Expected(err)
	if !ok {
		return nil, err
	}
	return errs, nil
}

// amount is a Money for the API.
func amount(minor int64, currency string) *money.Money {
	m := money.Of(minor, currency)
	return &m
}

// text is the value of an optional string input, or "".
func text(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// nonEmpty is s, or nil when it is empty: a secret shown only by the
// action that made it.
func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
