package notify

import (
	"context"
	"slices"
	"sync"
	"time"

	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/user"
)

// MembersTTL is how long a server reuses the list of a role's active
// members when telling the role something. A change of accounts made on
// this server (ForgetMembers) takes effect at once; one made on another
// server of the same database within MembersTTL.
const MembersTTL = 5 * time.Second

// member is an active user and the role they were told through.
type member struct {
	id   int
	role auth.Role
}

// members caches each role's active members, so that a notification to a
// role does not read the users table every time.
type members struct {
	mu     sync.Mutex
	byRole map[auth.Role]cachedMembers
}

type cachedMembers struct {
	ids   []int
	until time.Time
}

// ForgetMembers drops what the broker remembers of roles' members; the
// account service calls it when an account is created or changed.
func (b *Broker) ForgetMembers() {
	if b == nil {
		return
	}
	b.members.mu.Lock()
	b.members.byRole = nil
	b.members.mu.Unlock()
}

// roleMembers lists the active members of roles, in role order and by id
// within a role, read in tx for the roles the broker of ctx does not
// remember (all of them without a broker).
func roleMembers(ctx context.Context, tx *ent.Tx, roles []auth.Role) ([]member, error) {
	b := BrokerFrom(ctx)
	now := time.Now()
	known := map[auth.Role][]int{}
	var missing []user.Role
	if b != nil {
		b.members.mu.Lock()
		for _, r := range roles {
			if c, ok := b.members.byRole[r]; ok && now.Before(c.until) {
				known[r] = c.ids
			}
		}
		b.members.mu.Unlock()
	}
	for _, r := range roles {
		if _, ok := known[r]; !ok && !slices.Contains(missing, user.Role(r)) {
			missing = append(missing, user.Role(r))
		}
	}
	if len(missing) > 0 {
		users, err := tx.User.Query().Where(user.RoleIn(missing...), user.Active(true)).
			Order(ent.Asc(user.FieldID)).All(ctx)
		if err != nil {
			return nil, err
		}
		read := map[auth.Role][]int{}
		for _, r := range missing {
			read[auth.Role(r)] = []int{}
		}
		for _, u := range users {
			read[auth.Role(u.Role)] = append(read[auth.Role(u.Role)], u.ID)
		}
		for r, ids := range read {
			known[r] = ids
		}
		if b != nil {
			b.members.mu.Lock()
			if b.members.byRole == nil {
				b.members.byRole = map[auth.Role]cachedMembers{}
			}
			for r, ids := range read {
				b.members.byRole[r] = cachedMembers{ids: ids, until: now.Add(MembersTTL)}
			}
			b.members.mu.Unlock()
		}
	}
	var out []member
	for _, r := range roles {
		for _, id := range known[r] {
			out = append(out, member{id: id, role: r})
		}
	}
	return out, nil
}
