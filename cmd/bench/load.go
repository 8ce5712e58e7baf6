package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"orderdesk/clip"
)

// The load driver: c workers, each with its own keep-alive connection, run
// one operation after another until the duration is up or, for operations
// that take each id once, the ids are used up. An operation may be several
// requests (the approval chain); its latency is the whole operation's. No
// operation starts after the deadline; those in flight finish (each request
// is bounded by requestTimeout).

const requestTimeout = 30 * time.Second

// client posts to loopback addresses only, over keep-alive connections.
type client struct {
	http *http.Client
}

func newClient(conc int) *client {
	dialer := &net.Dialer{
		Timeout: 5 * time.Second,
		// Checked on the resolved address of every connection.
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("refusing non-loopback address %s", address)
			}
			return nil
		},
	}
	tr := &http.Transport{
		DialContext:         dialer.DialContext,
		MaxIdleConns:        conc,
		MaxIdleConnsPerHost: conc,
		MaxConnsPerHost:     conc,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &client{http: &http.Client{Transport: tr, Timeout: requestTimeout}}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// checkLoopback refuses a target URL whose host is not a loopback IP.
func checkLoopback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if ip := net.ParseIP(u.Hostname()); ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("target %s is not a loopback address", raw)
	}
	return nil
}

// opError is a failed operation, by kind, with a sample of what came back.
type opError struct {
	kind, sample string
}

func (e *opError) Error() string { return e.kind + ": " + e.sample }

func failf(kind, format string, a ...any) *opError {
	return &opError{kind: kind, sample: fmt.Sprintf(format, a...)}
}

// post sends body and returns the response body; a transport error or a
// status other than 200 is an *opError.
func (c *client) post(ctx context.Context, url, token string, body []byte) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		kind := "transport"
		if errors.Is(err, context.DeadlineExceeded) || strings.Contains(err.Error(), "Timeout") {
			kind = "timeout"
		}
		return nil, &opError{kind: kind, sample: err.Error()}
	}
	rb, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		return nil, &opError{kind: "transport", sample: err.Error()}
	}
	if res.StatusCode != http.StatusOK {
		return rb, &opError{kind: "status " + strconv.Itoa(res.StatusCode), sample: sample(string(rb))}
	}
	return rb, nil
}

// gqlBody is a GraphQL request body; the query is escaped once.
type gqlBody struct{ prefix []byte }

func newGQL(query string) gqlBody {
	q, _ := json.Marshal(strings.Join(strings.Fields(query), " "))
	return gqlBody{prefix: append(append([]byte(`{"query":`), q...), `,"variables":`...)}
}

func (g gqlBody) with(vars map[string]any) []byte {
	v, _ := json.Marshal(vars)
	b := make([]byte, 0, len(g.prefix)+len(v)+1)
	return append(append(append(b, g.prefix...), v...), '}')
}

// userError is a mutation payload's error.
type userError struct {
	Code    string  `json:"code"`
	Field   *string `json:"field"`
	Message string  `json:"message"`
}

// mutate posts a mutation and decodes the payload of field into out
// (a struct with an Errors field is not needed: errors are checked here).
// Top-level errors and a non-empty payload errors list are *opErrors.
func (c *client) mutate(ctx context.Context, url, token string, g gqlBody, vars map[string]any, field string, out any) error {
	rb, err := c.post(ctx, url, token, g.with(vars))
	if err != nil {
		return err
	}
	var r struct {
		Data   map[string]json.RawMessage `json:"data"`
		Errors []struct {
			Message    string         `json:"message"`
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(rb, &r); err != nil {
		return failf("bad json", "%s", sample(string(rb)))
	}
	if len(r.Errors) > 0 {
		code, _ := r.Errors[0].Extensions["code"].(string)
		return &opError{kind: "graphql " + code, sample: field + ": " + sample(string(rb))}
	}
	payload := r.Data[field]
	var pe struct {
		Errors []userError `json:"errors"`
	}
	if err := json.Unmarshal(payload, &pe); err != nil {
		return failf("bad json", "%s", sample(string(rb)))
	}
	if len(pe.Errors) > 0 {
		return &opError{kind: field + " " + pe.Errors[0].Code, sample: sample(string(payload))}
	}
	if out != nil {
		if err := json.Unmarshal(payload, out); err != nil {
			return failf("bad json", "%s", sample(string(payload)))
		}
	}
	return nil
}

// sample is an answer cut to 300 characters, for an error's report.
func sample(s string) string { return clip.Marked(strings.TrimSpace(s), 300) }

// worker is one load worker's state and tallies.
type worker struct {
	c    *client
	rng  *rand.Rand
	lat  []time.Duration // successful operations only
	ok   int64
	errs map[string]int64
	samp []string
	// steps: latency of each step of a multi-request operation, by name
	steps map[string][]time.Duration
}

// step records the latency of a step of an operation begun at t0.
func (w *worker) step(name string, t0 time.Time) {
	if w.steps == nil {
		w.steps = map[string][]time.Duration{}
	}
	w.steps[name] = append(w.steps[name], time.Since(t0))
}

// opFunc runs operation i: with load.once the i-th id (each once), else a
// random index below load.n.
type opFunc func(ctx context.Context, w *worker, i int) error

// load is one bounded run.
type load struct {
	conc int
	dur  time.Duration
	n    int  // ids available
	once bool // take each of the n ids once, in order; else random
	op   opFunc
	// steps names the steps op records with worker.step, in order.
	steps []string
}

// loadResult is what a run measured.
type loadResult struct {
	ok, errors               int64
	byKind                   map[string]int64
	samples                  []string
	elapsed                  time.Duration
	p50, p90, p99, max, mean float64 // ms, successful operations
	stop                     string  // duration or ids-exhausted
	opsPerSec                float64
	usedIDs                  int      // once: ids taken (the highest index + 1)
	steps                    []string // p50/p99 of each step, for multi-request operations
}

func (l load) run(ctx context.Context) *loadResult {
	cl := newClient(l.conc)
	defer cl.close()
	var (
		next      atomic.Int64
		exhausted atomic.Bool
		wg        sync.WaitGroup
	)
	start := time.Now()
	deadline := start.Add(l.dur)
	// In-flight operations finish, bounded by the request timeout.
	opCtx, cancel := context.WithDeadline(ctx, deadline.Add(requestTimeout+5*time.Second))
	defer cancel()
	workers := make([]*worker, l.conc)
	for wi := range workers {
		w := &worker{c: cl, rng: rand.New(rand.NewSource(int64(wi)*7919 + 1)), errs: map[string]int64{},
			lat: make([]time.Duration, 0, 4096)}
		workers[wi] = w
		wg.Go(func() {
			for ctx.Err() == nil && time.Now().Before(deadline) {
				var i int
				if l.once {
					i = int(next.Add(1) - 1)
					if i >= l.n {
						exhausted.Store(true)
						return
					}
				} else {
					i = w.rng.Intn(l.n)
				}
				t0 := time.Now()
				err := l.op(opCtx, w, i)
				d := time.Since(t0)
				if err != nil {
					kind := "error"
					var oe *opError
					if errors.As(err, &oe) {
						kind = oe.kind
					}
					w.errs[kind]++
					if len(w.samp) < 3 {
						w.samp = append(w.samp, sample(err.Error()))
					}
					continue
				}
				w.ok++
				w.lat = append(w.lat, d)
			}
		})
	}
	wg.Wait()
	r := &loadResult{elapsed: time.Since(start), byKind: map[string]int64{}, stop: "duration"}
	if exhausted.Load() {
		r.stop = "ids-exhausted"
	}
	if ctx.Err() != nil {
		r.stop = "interrupted"
	}
	if l.once {
		r.usedIDs = min(int(next.Load()), l.n)
	}
	var all []time.Duration
	steps := map[string][]time.Duration{}
	for _, w := range workers {
		all = append(all, w.lat...)
		for k, v := range w.steps {
			steps[k] = append(steps[k], v...)
		}
		r.ok += w.ok
		for k, v := range w.errs {
			r.byKind[k] += v
			r.errors += v
		}
		r.samples = append(r.samples, w.samp...)
	}
	slices.Sort(all)
	r.p50, r.p90, r.p99, r.max = pct(all, 50), pct(all, 90), pct(all, 99), pct(all, 100)
	for _, name := range l.steps {
		d := steps[name]
		slices.Sort(d)
		r.steps = append(r.steps, fmt.Sprintf("%s p50 %.1f p99 %.1f max %.1f ms (n %d)", name, pct(d, 50), pct(d, 99), pct(d, 100), len(d)))
	}
	for _, d := range all {
		r.mean += ms(d)
	}
	if len(all) > 0 {
		r.mean /= float64(len(all))
	}
	r.opsPerSec = float64(r.ok) / r.elapsed.Seconds()
	return r
}

// pct is the p-th percentile of sorted durations, in ms.
func pct(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return ms(sorted[i])
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// kinds renders the error counts by kind.
func (r *loadResult) kinds() string {
	var ks []string
	for k, v := range r.byKind {
		ks = append(ks, fmt.Sprintf("%s×%d", k, v))
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}
