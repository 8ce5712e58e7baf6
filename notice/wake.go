package notice

import (
	"context"
	"time"

	"orderdesk/store"
)

// Wake asks the sender's loop (Run) for a round now; it never blocks.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default: // a round is asked for already
	}
}

// Run delivers due notices every interval, and when woken (at most one
// round per store.WakeGap), until ctx ends.
func (s *Sender) Run(ctx context.Context, every time.Duration, round func(n int, err error)) {
	store.Rounds(ctx, every, s.wake, func() { round(s.DeliverDue(ctx)) })
}
