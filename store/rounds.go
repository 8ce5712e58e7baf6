package store

import (
	"context"
	"time"
)

// WakeGap is the least time between two rounds that commits wake (see
// Rounds): the commits that land meanwhile share the next round, so a busy
// server spends one round — a transaction — per gap, not one per commit,
// while a quiet one still starts at once.
const WakeGap = 50 * time.Millisecond

// Rounds runs round, then again every interval and when wake fires, until
// ctx ends; a woken round waits until WakeGap has passed since the last
// one ended. Background workers that commits wake (the webhook relay, the
// notice sender) run this way.
func Rounds(ctx context.Context, every time.Duration, wake <-chan struct{}, round func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		round()
		ended := time.Now()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-wake:
			if wait := WakeGap - time.Since(ended); wait > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
	}
}
