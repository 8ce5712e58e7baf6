// Package rule turns the permission table of package auth into ent privacy
// policies, so that every read and write — root fields, node(id), nested
// edges, domain services — passes the same checks.
//
// Rows are restricted with entql predicates named by field and edge strings
// rather than generated types: the schema imports this package, so it must
// compile even while the generated code is being rewritten.
package rule

import (
	"context"

	"entgo.io/ent"
	"entgo.io/ent/entql"

	"orderdesk/auth"
	"orderdesk/ent/privacy"
)

// Owned restricts rows to those of the sales rep's own customers.
type Owned func(userID int) entql.P

// Guard describes how one entity is protected.
type Guard struct {
	// Read is the permission needed to read; empty means any signed-in viewer.
	Read auth.Permission
	// Own restricts viewers who see only their own customers' records.
	Own Owned
	// Mine restricts every viewer but the system to rows addressed to them,
	// for reading and changing alike (notifications are personal).
	Mine Owned
	// Write is the permission needed to create, change or delete; empty
	// leaves the decision to the domain service, which checks the action's
	// own permission before it writes.
	Write auth.Permission
	// AppendOnly records are created and never changed or deleted, by anyone.
	AppendOnly bool
	// Internal rows are read and written only by the system or a domain
	// service that has decided to (privacy.DecisionContext).
	Internal bool
}

// Policy is the ent policy for the guard.
func (g Guard) Policy() ent.Policy {
	return privacy.Policy{
		Query:    privacy.QueryPolicy{privacy.FilterFunc(g.query)},
		Mutation: privacy.MutationPolicy{privacy.FilterFunc(g.mutation)},
	}
}

func (g Guard) query(ctx context.Context, f privacy.Filter) error {
	v := auth.FromContext(ctx)
	switch {
	case v == nil:
		return privacy.Denyf("sign in first")
	case v.IsSystem():
		return privacy.Allow
	case g.Internal:
		return privacy.Denyf("internal records")
	case g.Read != "" && !v.Can(g.Read):
		return privacy.Denyf("your role may not read this (needs %s)", g.Read)
	case g.Mine != nil:
		f.Where(g.Mine(v.UserID))
	case g.Own != nil && v.OwnCustomersOnly():
		f.Where(g.Own(v.UserID))
	}
	return privacy.Allow
}

func (g Guard) mutation(ctx context.Context, f privacy.Filter) error {
	v := auth.FromContext(ctx)
	m, _ := f.(ent.Mutation)
	switch {
	case g.AppendOnly && m != nil && !m.Op().Is(ent.OpCreate):
		return privacy.Denyf("append-only records are never changed")
	case v == nil:
		return privacy.Denyf("sign in first")
	case v.IsSystem():
		return privacy.Allow
	case g.Internal:
		return privacy.Denyf("internal records")
	case g.Write != "" && !v.Can(g.Write):
		return privacy.Denyf("your role may not change this (needs %s)", g.Write)
	case g.Mine != nil && m != nil && !m.Op().Is(ent.OpCreate):
		f.Where(g.Mine(v.UserID))
	case g.Own != nil && v.OwnCustomersOnly() && m != nil && !m.Op().Is(ent.OpCreate):
		f.Where(g.Own(v.UserID))
	}
	return privacy.Allow
}

// CustomerOwned: the customer belongs to the user.
func CustomerOwned(uid int) entql.P { return entql.FieldEQ("owner_id", uid) }

// ViaCustomer: the row's customer belongs to the user (orders, complaints).
func ViaCustomer(uid int) entql.P { return entql.HasEdgeWith("customer", CustomerOwned(uid)) }

// ViaOrder: the row's order belongs to one of the user's customers.
func ViaOrder(uid int) entql.P { return entql.HasEdgeWith("order", ViaCustomer(uid)) }

// UnlessOtherOrder: the row belongs to no order, or to one of the user's
// customers' (stock movements: receipts and adjustments are everyone's).
func UnlessOtherOrder(uid int) entql.P {
	return entql.Or(entql.FieldNil("order_id"), ViaOrder(uid))
}

// Via follows one more edge to a row that Own restricts.
func Via(edge string, own Owned) Owned {
	return func(uid int) entql.P { return entql.HasEdgeWith(edge, own(uid)) }
}

// Recipient: the notification is addressed to the user.
func Recipient(uid int) entql.P { return entql.FieldEQ("recipient_id", uid) }

// AuditPolicy lets auditors, managers and admins (audit:read) read the whole
// log, and other order readers the timelines of the orders they may read.
func AuditPolicy() ent.Policy {
	return privacy.Policy{
		Query: privacy.QueryPolicy{privacy.FilterFunc(func(ctx context.Context, f privacy.Filter) error {
			v := auth.FromContext(ctx)
			switch {
			case v == nil:
				return privacy.Denyf("sign in first")
			case v.IsSystem(), v.Can(auth.AuditRead):
				return privacy.Allow
			case !v.Can(auth.OrderRead):
				return privacy.Denyf("your role may not read the audit log (needs %s)", auth.AuditRead)
			case v.OwnCustomersOnly():
				f.Where(ViaOrder(v.UserID))
			default:
				f.Where(entql.HasEdge("order"))
			}
			return privacy.Allow
		})},
		Mutation: Guard{AppendOnly: true}.Policy().(privacy.Policy).Mutation,
	}
}
