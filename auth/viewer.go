// Package auth knows who is asking and what they may do: the viewer carried
// in the request context, the role → permission table, access tokens and
// password hashes. It does not touch the database.
package auth

import (
	"context"
	"slices"

	"orderdesk/fault"
)

// Viewer is the actor of a request: a signed-in user, an integrator, or the
// system itself running a background rule.
type Viewer struct {
	UserID int
	Name   string
	Role   Role
	perms  []Permission
	system bool
}

// NewUser is the viewer for a signed-in account.
func NewUser(id int, name string, role Role, scopes []string) *Viewer {
	return &Viewer{UserID: id, Name: name, Role: role, perms: PermissionsOf(role, scopes)}
}

// System is the viewer of background rules: it may do everything, and the
// audit log names it as the system under the given name.
func System(name string) *Viewer {
	return &Viewer{Name: name, Role: Admin, perms: All, system: true}
}

// IsSystem reports whether the viewer is a background rule.
func (v *Viewer) IsSystem() bool { return v != nil && v.system }

// Can reports whether the viewer holds permission p.
func (v *Viewer) Can(p Permission) bool {
	return v != nil && slices.Contains(v.perms, p)
}

// Permissions are the viewer's permissions, sorted.
func (v *Viewer) Permissions() []Permission {
	if v == nil {
		return nil
	}
	return slices.Clone(v.perms)
}

// OwnCustomersOnly reports whether the viewer sees only the customers they
// own and those customers' records: true for sales reps.
func (v *Viewer) OwnCustomersOnly() bool { return v != nil && !v.system && v.Role == SalesRep }

// ActorID is the user to name as the actor of a change, or nil for the system.
func (v *Viewer) ActorID() *int {
	if v == nil || v.system {
		return nil
	}
	id := v.UserID
	return &id
}

type ctxKey struct{}

// NewContext returns ctx carrying the viewer.
func NewContext(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, v)
}

// FromContext returns the viewer of ctx, or nil for an anonymous caller.
func FromContext(ctx context.Context) *Viewer {
	v, _ := ctx.Value(ctxKey{}).(*Viewer)
	return v
}

// Require returns the viewer when it holds every permission given, and an
// Unauthenticated or Forbidden fault otherwise.
func Require(ctx context.Context, perms ...Permission) (*Viewer, error) {
	v := FromContext(ctx)
	if v == nil {
		return nil, fault.New(fault.Unauthenticated, "", "sign in first")
	}
	for _, p := range perms {
		if !v.Can(p) {
			return nil, fault.New(fault.Forbidden, "", "your role may not do this (needs %s)", p)
		}
	}
	return v, nil
}
