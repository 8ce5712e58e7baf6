package bus

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"sync"
	"testing"
	"time"
)

// natsServer starts a nats-server of the test's own, with JetStream and
// its store in dir, on port (0: a free one), and returns its URL and a
// function that stops it. Without the binary the test is skipped, unless
// ORDERDESK_REQUIRE_NATS=1 (CI installs it and sets that).
func natsServer(t *testing.T, dir string, port int) (url string, stop func()) {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		if os.Getenv("ORDERDESK_REQUIRE_NATS") == "1" {
			t.Fatal("nats-server not found (Debian: apt-get install nats-server; scripts/nats installs it)")
		}
		t.Skip("nats-server not found")
	}
	if port == 0 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port = l.Addr().(*net.TCPAddr).Port
		l.Close()
	}
	cmd := exec.Command(bin, "-a", "127.0.0.1", "-p", fmt.Sprint(port), "-js", "-sd", dir)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatalf("nats-server did not start on %s", addr)
		}
	}
	var once sync.Once
	stop = func() {
		once.Do(func() {
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
		})
	}
	t.Cleanup(stop)
	return "nats://" + addr, stop
}

// received collects what a listener is handed.
type received struct {
	mu  sync.Mutex
	ids []int
}

func (r *received) add(rec Record) { r.mu.Lock(); r.ids = append(r.ids, rec.ID); r.mu.Unlock() }

// await waits until n records have come, then a moment for any extra.
func (r *received) await(t *testing.T, n int) []int {
	t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		r.mu.Lock()
		got := len(r.ids)
		r.mu.Unlock()
		if got >= n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d records arrived", got, n)
		}
	}
	time.Sleep(300 * time.Millisecond)
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.ids...)
}

func publish(t *testing.T, b *Bus, ids ...int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	for _, id := range ids {
		if err := b.Publish(ctx, fmt.Sprint("event-", id), Record{Kind: "event", ID: id}); err != nil {
			t.Fatalf("publishing %d: %v", id, err)
		}
	}
}

// TestBus_RepeatsDroppedAcrossRestart: a record published again under
// its message id (a relay that died after publishing, before recording
// it) reaches listeners once; and when the NATS server restarts, a
// listener that reconnects resumes where it was — every record published
// before and after, once each, in order.
func TestBus_RepeatsDroppedAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	url, stop := natsServer(t, dir, 0)
	ctx := context.Background()
	relay, err := Connect(ctx, url, "odtest")
	if err != nil {
		t.Fatal(err)
	}
	defer relay.Close()
	listener, err := Connect(ctx, url, "odtest")
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close()
	var got received
	end, err := listener.Listen(ctx, got.add)
	if err != nil {
		t.Fatal(err)
	}
	defer end()

	publish(t, relay, 1, 2, 2, 3, 1)
	if ids := got.await(t, 3); fmt.Sprint(ids) != "[1 2 3]" {
		t.Fatalf("before the restart: %v, want [1 2 3]", ids)
	}

	stop()
	var port int
	if _, err := fmt.Sscanf(url, "nats://127.0.0.1:%d", &port); err != nil {
		t.Fatal(err)
	}
	natsServer(t, dir, port) // the same store: the stream and its messages survive
	publish(t, relay, 3, 4, 5)
	if ids := got.await(t, 5); fmt.Sprint(ids) != "[1 2 3 4 5]" {
		t.Fatalf("after the restart: %v, want [1 2 3 4 5]", ids)
	}
}
