package httpapi

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestShed: with two requests in flight, a third is refused at once with
// 503, Retry-After and SERVICE_UNAVAILABLE; once one ends, the next is
// served.
func TestShed(t *testing.T) {
	release := make(chan struct{})
	var entered sync.WaitGroup
	entered.Add(2)
	h := shed(2, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("hold") != "" {
			entered.Done()
			<-release
		}
		w.WriteHeader(http.StatusOK)
	}))
	var done sync.WaitGroup
	for range 2 {
		done.Go(func() {
			h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql?hold=1", nil))
		})
	}
	entered.Wait()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", nil))
	if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" ||
		!strings.Contains(rec.Body.String(), `"code":"SERVICE_UNAVAILABLE"`) {
		t.Fatalf("third request: %d %q %s, want 503 with Retry-After", rec.Code, rec.Header().Get("Retry-After"), rec.Body)
	}
	close(release)
	done.Wait()
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("after the burst: %d", rec.Code)
	}
}

// TestPaced: with two requests executing, a third waits — it is not
// refused — and executes once one ends; one whose time runs out while it
// waits is answered 503 without executing.
func TestPaced(t *testing.T) {
	release := make(chan struct{})
	var executing, most, entered atomic.Int64
	var inTwo sync.WaitGroup
	inTwo.Add(2)
	h := paced(2, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := executing.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		if entered.Add(1) <= 2 {
			inTwo.Done()
		}
		<-release
		executing.Add(-1)
		w.WriteHeader(http.StatusOK)
	}))
	codes := make([]int, 3)
	var done sync.WaitGroup
	for i := range 2 {
		done.Go(func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", nil))
			codes[i] = rec.Code
		})
	}
	inTwo.Wait()
	// Its time runs out while the two execute: refused, never executed.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", nil).WithContext(ctx))
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), `"code":"SERVICE_UNAVAILABLE"`) {
		t.Errorf("a request whose time ran out waiting: %d %s, want 503", rec.Code, rec.Body)
	}
	// A third with time waits for a slot.
	done.Go(func() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", nil))
		codes[2] = rec.Code
	})
	close(release)
	done.Wait()
	if codes[0] != http.StatusOK || codes[1] != http.StatusOK || codes[2] != http.StatusOK || entered.Load() != 3 || most.Load() != 2 {
		t.Errorf("answers %v, %d executed, at most %d at once; want three 200s, 3 executed, at most 2 at once",
			codes, entered.Load(), most.Load())
	}
}

// TestBudgeted: a request's context ends after its budget.
func TestBudgeted(t *testing.T) {
	var deadline time.Time
	h := budgeted(time.Second, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		deadline, _ = r.Context().Deadline()
	}))
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodPost, "/graphql", nil).WithContext(context.Background()))
	if d := time.Until(deadline); d <= 0 || d > time.Second {
		t.Fatalf("request deadline in %v, want within 1 s", d)
	}
}

// TestClientIP: X-Forwarded-For is believed only from trusted proxies, and
// read from the right past them.
func TestClientIP(t *testing.T) {
	proxies, err := ParseProxies("10.0.0.0/8, 192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseProxies("10.0.0.0/8, nonsense"); err == nil {
		t.Fatal("a bad entry was accepted")
	}
	for _, c := range []struct{ peer, xff, want string }{
		{"203.0.113.5:1000", "1.2.3.4", "203.0.113.5"},                        // untrusted peer: its header is ignored
		{"10.1.1.1:1000", "198.51.100.7", "198.51.100.7"},                     // one trusted proxy
		{"10.1.1.1:1000", "6.6.6.6, 198.51.100.7, 192.0.2.1", "198.51.100.7"}, // forged left part ignored
		{"10.1.1.1:1000", "", "10.1.1.1"},                                     // proxy without header
		{"10.1.1.1:1000", "junk", "10.1.1.1"},                                 // unparsable hop
	} {
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		r.RemoteAddr = c.peer
		if c.xff != "" {
			r.Header.Set("X-Forwarded-For", c.xff)
		}
		if got := proxies.clientIP(r); got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", c.peer, c.xff, got, c.want)
		}
	}
}
