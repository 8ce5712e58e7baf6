package notice

import (
	"context"
	"time"

	entgo "entgo.io/ent"

	"orderdesk/ent"
	"orderdesk/ent/hook"
)

// WakeHook is an ent hook on new notices that wakes this server's sender
// once their transaction commits, so that a notice goes out at once
// rather than at the sender's next round. Other servers' senders find it
// on their own rounds.
func (s *Sender) WakeHook() ent.Hook {
	return hook.On(func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			v, err := next.Mutate(ctx, m)
			nm, ok := m.(*ent.CustomerNoticeMutation)
			if err != nil || !ok {
				return v, err
			}
			tx, err := nm.Tx()
			if err != nil { // not in a transaction: it is committed already
				s.Wake()
				return v, nil
			}
			tx.OnCommit(func(next ent.Committer) ent.Committer {
				return ent.CommitFunc(func(ctx context.Context, tx *ent.Tx) error {
					err := next.Commit(ctx, tx)
					if err == nil {
						s.Wake()
					}
					return err
				})
			})
			return v, nil
		})
	}, entgo.OpCreate)
}

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
