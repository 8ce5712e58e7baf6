package account

import (
	"sync"
	"time"

	"orderdesk/auth"
)

// ViewerTTL is how long a session's viewer is reused without reading the
// account and the session again. A change made on this server
// (deactivation, a new role, logout, a new password) takes effect at once;
// one made on another server of the same database within ViewerTTL.
const ViewerTTL = 5 * time.Second

// viewers caches the viewer of each open session, so that a request does
// not read its user and session rows.
type viewers struct {
	mu   sync.Mutex
	byID map[auth.Subject]cachedViewer
}

type cachedViewer struct {
	v     *auth.Viewer
	until time.Time
}

func (c *viewers) get(id auth.Subject, now time.Time) *auth.Viewer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[id]; ok && now.Before(e.until) {
		return e.v
	}
	return nil
}

func (c *viewers) put(id auth.Subject, v *auth.Viewer, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[auth.Subject]cachedViewer{}
	}
	// Expired entries go as new ones come: the map stays as large as the
	// accounts signed in within a TTL.
	for k, e := range c.byID {
		if !now.Before(e.until) {
			delete(c.byID, k)
		}
	}
	c.byID[id] = cachedViewer{v: v, until: now.Add(ViewerTTL)}
}

func (c *viewers) forget(id auth.Subject) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byID, id)
}

// forgetUser drops every session of the user.
func (c *viewers) forgetUser(userID int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.byID {
		if k.UserID == userID {
			delete(c.byID, k)
		}
	}
}
