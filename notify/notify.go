// Package notify tells staff that something needs them. Notifications are
// rows written in the transaction of the change they announce; a role's
// notification is written once per active member, so each has its own read
// flag. Live delivery happens after commit.
package notify

import (
	"context"
	"slices"

	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/outbox"
)

// Notice is what to tell.
type Notice struct {
	Kind        string // e.g. "cancellation.requested"
	Title       string
	Body        string
	SubjectType string
	SubjectID   int
	OrderID     *int
}

// Recipients collects the users to tell, without duplicates.
type Recipients struct {
	users []int
	roles []auth.Role
}

// User adds one user (nil is ignored: e.g. an order without owner).
func (r *Recipients) User(id *int) *Recipients {
	if id != nil && !slices.Contains(r.users, *id) {
		r.users = append(r.users, *id)
	}
	return r
}

// Role adds every active member of a role.
func (r *Recipients) Role(roles ...auth.Role) *Recipients {
	r.roles = append(r.roles, roles...)
	return r
}

// Send writes one notification per recipient inside tx, and after tx
// commits hands them to the broker of ctx (WithBroker), when there is one,
// for live delivery. The actor of the change is not told of their own action.
func Send(ctx context.Context, tx *ent.Tx, to *Recipients, n Notice) error {
	type target struct {
		id  int
		via string
	}
	var targets []target
	seen := map[int]bool{}
	if v := auth.FromContext(ctx); v != nil && !v.IsSystem() {
		seen[v.UserID] = true
	}
	for _, id := range to.users {
		if !seen[id] {
			seen[id] = true
			targets = append(targets, target{id: id})
		}
	}
	if len(to.roles) > 0 {
		members, err := roleMembers(ctx, tx, to.roles)
		if err != nil {
			return err
		}
		for _, m := range members {
			if !seen[m.id] {
				seen[m.id] = true
				targets = append(targets, target{id: m.id, via: string(m.role)})
			}
		}
	}
	if len(targets) == 0 {
		return nil
	}
	builders := make([]*ent.NotificationCreate, len(targets))
	for i, t := range targets {
		builders[i] = tx.Notification.Create().SetRecipientID(t.id).SetViaRole(t.via).
			SetKind(n.Kind).SetTitle(clip.Runes(n.Title, 200)).SetBody(clip.Runes(n.Body, 2000)).
			SetSubjectType(n.SubjectType).SetSubjectID(n.SubjectID).SetNillableOrderID(n.OrderID)
	}
	created, err := tx.Notification.CreateBulk(builders...).Save(ctx)
	if err != nil {
		return err
	}
	if b := BrokerFrom(ctx); b != nil && b.shared {
		for _, c := range created {
			if err := outbox.Add(ctx, tx, outbox.Event{Type: outbox.LiveNotification, SubjectType: "Notification", SubjectID: c.ID}); err != nil {
				return err
			}
		}
		return nil
	}
	onCommit(ctx, tx, func(p *pending) { p.notifications = append(p.notifications, created...) })
	return nil
}
