package auth

import (
	"sync"
	"time"
)

// Throttle slows down repeated failed sign-ins per key (an email, an
// address): after Free failures within Window, each further attempt must
// wait twice as long as the previous one, up to Max. It is per process; a
// cluster behind a load balancer multiplies the allowance by its size.
type Throttle struct {
	Free   int
	Window time.Duration
	Max    time.Duration
	now    func() time.Time

	mu    sync.Mutex
	fails map[string]*failures
}

type failures struct {
	count int
	last  time.Time
}

// NewThrottle allows 5 free failures per 15 minutes, then backs off up to 15 minutes.
func NewThrottle() *Throttle {
	return &Throttle{Free: 5, Window: 15 * time.Minute, Max: 15 * time.Minute, now: time.Now,
		fails: map[string]*failures{}}
}

// Wait is how long the key must wait before its next attempt; zero if none.
func (t *Throttle) Wait(key string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	f := t.fails[key]
	now := t.now()
	if f == nil || now.Sub(f.last) > t.Window {
		return 0
	}
	if f.count < t.Free {
		return 0
	}
	backoff := time.Second << min(f.count-t.Free, 20)
	backoff = min(backoff, t.Max)
	if wait := f.last.Add(backoff).Sub(now); wait > 0 {
		return wait
	}
	return 0
}

// Fail records a failed attempt.
func (t *Throttle) Fail(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	f := t.fails[key]
	if f == nil || now.Sub(f.last) > t.Window {
		f = &failures{}
		t.fails[key] = f
	}
	f.count++
	f.last = now
	// Keep the map from growing without bound under a spray of keys.
	if len(t.fails) > 100_000 {
		for k, v := range t.fails {
			if now.Sub(v.last) > t.Window {
				delete(t.fails, k)
			}
		}
	}
}

// Succeed forgets the key's failures.
func (t *Throttle) Succeed(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.fails, key)
}
