package notice

import (
	"context"
	"time"
)

// Wake asks the sender's loop (Run) for a round now; it never blocks.
func (s *Sender) Wake() {
	select {
	case s.wake <- struct{}{}:
	default: // a round is asked for already
	}
}

// Run delivers due notices every interval, and when woken, until ctx ends.
func (s *Sender) Run(ctx context.Context, every time.Duration, round func(n int, err error)) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		round(s.DeliverDue(ctx))
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wake:
		}
	}
}
