package account

import (
	"sync"
	"time"

	"orderdesk/auth"
)

// ViewerTTL is how long a signed-in account's viewer is reused without
// reading the account again. A change made on this server (deactivation,
// a new role) takes effect at once; one made on another server of the same
// database within ViewerTTL.
const ViewerTTL = 5 * time.Second

// viewers caches the viewer of each active account, so that a request
// does not read its user row.
type viewers struct {
	mu   sync.Mutex
	byID map[int]cachedViewer
}

type cachedViewer struct {
	v     *auth.Viewer
	until time.Time
}

func (c *viewers) get(id int, now time.Time) *auth.Viewer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byID[id]; ok && now.Before(e.until) {
		return e.v
	}
	return nil
}

func (c *viewers) put(id int, v *auth.Viewer, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.byID == nil {
		c.byID = map[int]cachedViewer{}
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

func (c *viewers) forget(id int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.byID, id)
}
