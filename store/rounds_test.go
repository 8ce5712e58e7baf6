package store

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
)

// TestRounds_WakesShareARound: a first round runs at once; wakes that come
// faster than WakeGap share rounds, at most one per gap, and the last
// wake is never dropped.
func TestRounds_WakesShareARound(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rounds atomic.Int64
	wake := make(chan struct{}, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		Rounds(ctx, time.Hour, wake, func() { rounds.Add(1) })
	}()
	for rounds.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	start := time.Now()
	for range 200 { // 200 commits in about 200 ms
		select {
		case wake <- struct{}{}:
		default:
		}
		time.Sleep(time.Millisecond)
	}
	time.Sleep(3 * WakeGap) // the last wake's round
	took := time.Since(start)
	woken := rounds.Load() - 1
	if most := int64(took/WakeGap) + 1; woken < 1 || woken > most {
		t.Errorf("200 wakes over %v gave %d rounds, want 1 to %d (one per %v at most)", took, woken, most, WakeGap)
	}
	// Quiet again: one more wake gets its round.
	before := rounds.Load()
	wake <- struct{}{}
	for deadline := time.Now().Add(5 * time.Second); rounds.Load() == before; time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a wake after a quiet spell got no round")
		}
	}
	cancel()
	<-done
}
