package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ---- processes this tool starts (and the only ones it stops)

type proc struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

var started struct {
	sync.Mutex
	procs []*proc
}

func startProc(name, bin string, args, env []string, logPath string) (*proc, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &proc{name: name, cmd: cmd, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	started.Lock()
	started.procs = append(started.procs, p)
	started.Unlock()
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop ends the process by its pid: SIGTERM, and SIGKILL after 20 s.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// stopAll stops every process this tool started that still runs.
func stopAll() {
	started.Lock()
	defer started.Unlock()
	for _, p := range started.procs {
		p.stop()
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitUp polls url until it answers 200, the process exits, or timeout.
func waitUp(ctx context.Context, p *proc, url string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	c := &http.Client{Timeout: 2 * time.Second}
	for time.Now().Before(deadline) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if p.exited() {
			return fmt.Errorf("%s exited: %v", p.name, p.err)
		}
		if res, err := c.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer %s within %s", p.name, url, timeout)
}

// goBuild builds pkg of the module in dir into out.
func goBuild(ctx context.Context, dir, pkg, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
	cmd.Dir = dir
	b, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build %s in %s: %v\n%s", pkg, dir, err, b)
	}
	return nil
}

// cleanEnv is the environment without ORDERDESK_* settings, plus extra.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ORDERDESK_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func randomSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// ---- the servers under test

type server struct {
	p       *proc
	base    string // http://127.0.0.1:port
	logPath string
}

func (s *server) stop() { s.p.stop() }

// startOrderdesk starts the built orderdesk binary on a free loopback port.
func (b *bench) startOrderdesk(ctx context.Context, logPath string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	env := cleanEnv("ORDERDESK_DB_DRIVER="+b.odDriver, "ORDERDESK_DB_DSN="+b.odDSN, "ORDERDESK_ADDR="+addr,
		"ORDERDESK_RULES_INTERVAL=0", "ORDERDESK_JWT_SECRET="+b.jwtSecret, "ORDERDESK_LOG_LEVEL=warn")
	if b.metricsToken != "" {
		env = append(env, "ORDERDESK_METRICS_TOKEN="+b.metricsToken)
	}
	p, err := startProc("orderdesk", b.odBin, nil, env, logPath)
	if err != nil {
		return nil, err
	}
	s := &server{p: p, base: "http://" + addr, logPath: logPath}
	if err := waitUp(ctx, p, s.base+"/readyz", 2*time.Minute); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\n%s", err, tail(logPath, 10))
	}
	return s, nil
}

// startLimit starts the limit's server (rawsql-server serve).
func (b *bench) startLimit(ctx context.Context, logPath string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := startProc("rawsql-server", b.limitBin, []string{"serve", "-addr", addr, "-pool", strconv.Itoa(b.cfg.pool),
		"-dsn", b.serverDSN}, cleanEnv(), logPath)
	if err != nil {
		return nil, err
	}
	s := &server{p: p, base: "http://" + addr, logPath: logPath}
	if err := waitUp(ctx, p, s.base+"/healthz", time.Minute); err != nil {
		s.stop()
		return nil, fmt.Errorf("%w\n%s", err, tail(logPath, 10))
	}
	return s, nil
}

// seedLimit runs the limit's own seed (drops and refills rawsql_peer).
func (b *bench) seedLimit(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, b.limitBin, "seed", "-orders", strconv.Itoa(b.cfg.orders), "-dsn", b.serverDSN)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	last := lines[len(lines)-1]
	if err != nil {
		return "", fmt.Errorf("rawsql-server seed: %v: %s", err, out)
	}
	return last, nil
}

func tail(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// logProblems counts the lines at WARN or ERROR in an orderdesk log and
// keeps a few distinct messages.
func logProblems(path string) (int, []string) {
	f, err := os.Open(path)
	if err != nil {
		return 0, nil
	}
	defer f.Close()
	n := 0
	seen := map[string]bool{}
	var samples []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		var l struct {
			Level string `json:"level"`
			Msg   string `json:"msg"`
			Err   string `json:"error"`
		}
		if json.Unmarshal([]byte(line), &l) != nil {
			if strings.TrimSpace(line) != "" {
				n++
				if len(samples) < 3 && !seen[line] {
					seen[line] = true
					samples = append(samples, sample(line))
				}
			}
			continue
		}
		if l.Level != "WARN" && l.Level != "ERROR" {
			continue
		}
		n++
		key := l.Level + " " + l.Msg + " " + l.Err
		if len(samples) < 3 && !seen[key] {
			seen[key] = true
			samples = append(samples, sample(line))
		}
	}
	return n, samples
}

// ---- GraphQL operations

var (
	qLogin = newGQL(`mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {
		session { accessToken } errors { code field message } } }`)
	// The same data the limit's /list returns: a page of 50, newest first,
	// starting before a given moment (the limit starts before an id; the
	// API orders by creation time, and a filter on the same column lets the
	// database walk its index instead of filtering a scan).
	qList = newGQL(`query($before: Time!) { orders(first: 50, orderBy: {field: CREATED_AT, direction: DESC}, where: {createdAtLT: $before}) {
		edges { node { id number status currency total { amount } version createdAt updatedAt
			customer { id name } owner { id email }
			lines { quantity unitPrice { amount } stockItem { sku name } }
			payments { kind amount { amount } status } } }
		pageInfo { endCursor hasNextPage } } }`)
	qVoid = newGQL(`mutation($o: ID!) { voidOrder(input: {orderId: $o, reasonCode: DUPLICATE_ORDER}) {
		order { id status } cancellation { id status } errors { code field message } } }`)
	qRequest = newGQL(`mutation($o: ID!) { requestOrderCancellation(input: {orderId: $o, reasonCode: CUSTOMER_REQUEST}) {
		cancellation { id status } errors { code field message } } }`)
	qApprove = newGQL(`mutation($c: ID!) { approveOrderCancellation(input: {cancellationId: $c}) {
		order { id status } cancellation { id status } errors { code field message } } }`)
)

type cancellationPayload struct {
	Order        *struct{ ID, Status string }
	Cancellation *struct{ ID, Status string }
}

func (p cancellationPayload) status() (order, cancellation string) {
	if p.Order != nil {
		order = p.Order.Status
	}
	if p.Cancellation != nil {
		cancellation = p.Cancellation.Status
	}
	return order, cancellation
}

func (s *server) login(ctx context.Context, email string) (string, error) {
	c := newClient(1)
	defer c.close()
	var out struct {
		Session *struct{ AccessToken string }
	}
	if err := c.mutate(ctx, s.base+"/graphql", "", qLogin, map[string]any{"e": email, "p": benchPassword}, "login", &out); err != nil {
		return "", fmt.Errorf("login as %s: %w", email, err)
	}
	if out.Session == nil {
		return "", fmt.Errorf("login as %s: no session", email)
	}
	return out.Session.AccessToken, nil
}

func idStr(id int64) string { return strconv.FormatInt(id, 10) }

// listPreflight reads one page fully and checks it holds what the limit's
// /list returns: 50 orders, each with customer, owner, lines with stock
// items, and its charge.
func listPreflight(ctx context.Context, url, token string, body []byte, limit bool) error {
	c := newClient(1)
	defer c.close()
	rb, err := c.post(ctx, url, token, body)
	if err != nil {
		return err
	}
	type node struct {
		Customer *struct{ Name string }
		Owner    *struct{ Email string }
		Lines    []struct {
			Quantity  int
			StockItem *struct{ Name string }
		}
		Payments []struct{ Kind, Status string }
	}
	var nodes []node
	if limit {
		var r struct {
			Data struct{ Orders struct{ Nodes []node } }
		}
		if err := json.Unmarshal(rb, &r); err != nil {
			return err
		}
		nodes = r.Data.Orders.Nodes
	} else {
		var r struct {
			Data struct {
				Orders struct{ Edges []struct{ Node node } }
			}
			Errors json.RawMessage
		}
		if err := json.Unmarshal(rb, &r); err != nil {
			return err
		}
		if len(r.Errors) > 0 {
			return fmt.Errorf("errors: %s", sample(string(r.Errors)))
		}
		for _, e := range r.Data.Orders.Edges {
			nodes = append(nodes, e.Node)
		}
	}
	if len(nodes) != 50 {
		return fmt.Errorf("a page has %d orders, want 50", len(nodes))
	}
	for _, n := range nodes {
		if n.Customer == nil || n.Owner == nil || len(n.Lines) == 0 || len(n.Payments) != 1 || n.Lines[0].StockItem == nil {
			return fmt.Errorf("an order lacks customer, owner, lines, stock item or its one payment: %+v", n)
		}
	}
	return nil
}

var errorsKey = []byte(`"errors"`)

// orderdeskOp builds the load of one orderdesk operation on a started
// server, after signing in the users it acts as.
func (b *bench) orderdeskOp(ctx context.Context, s *server, op string, conc int) (load, error) {
	url := s.base + "/graphql"
	manager, err := s.login(ctx, "manager@bench.local")
	if err != nil {
		return load{}, err
	}
	l := load{conc: conc, dur: b.cfg.dur}
	orders := b.orders
	switch op {
	case "list":
		if err := listPreflight(ctx, url, manager, qList.with(map[string]any{"before": orders[len(orders)-1].createdAt.Format(time.RFC3339Nano)}), false); err != nil {
			b.say("  list preflight FAILED: %v", err)
		}
		// Before the creation of an order with at least 50 older ones.
		l.n = len(orders) - 50
		l.op = func(ctx context.Context, w *worker, i int) error {
			rb, err := w.c.post(ctx, url, manager, qList.with(map[string]any{"before": orders[i+50].createdAt.Format(time.RFC3339Nano)}))
			if err != nil {
				return err
			}
			if bytes.Contains(rb, errorsKey) {
				return failf("graphql errors", "%s", sample(string(rb)))
			}
			return nil
		}
	case "void":
		l.n, l.once = len(orders), true
		l.op = func(ctx context.Context, w *worker, i int) error {
			var p cancellationPayload
			if err := w.c.mutate(ctx, url, manager, qVoid, map[string]any{"o": idStr(orders[i].id)}, "voidOrder", &p); err != nil {
				return err
			}
			if o, c := p.status(); o != "VOIDED" || c != "EXECUTED" {
				return failf("voidOrder not executed", "order %s, cancellation %s", o, c)
			}
			return nil
		}
	case "chain":
		finance, err := s.login(ctx, "finance1@bench.local")
		if err != nil {
			return load{}, err
		}
		reps := map[string]string{}
		for _, o := range orders {
			if reps[o.repEmail] == "" {
				if reps[o.repEmail], err = s.login(ctx, o.repEmail); err != nil {
					return load{}, err
				}
			}
		}
		l.n, l.once = len(orders), true
		l.steps = []string{"request (rep)", "approve (manager)", "approve (finance)"}
		l.op = func(ctx context.Context, w *worker, i int) error {
			var p cancellationPayload
			t := time.Now()
			if err := w.c.mutate(ctx, url, reps[orders[i].repEmail], qRequest, map[string]any{"o": idStr(orders[i].id)},
				"requestOrderCancellation", &p); err != nil {
				return err
			}
			w.step(l.steps[0], t)
			if _, c := p.status(); c != "REQUESTED" {
				return failf("request not REQUESTED", "cancellation %s", c)
			}
			id := p.Cancellation.ID
			t = time.Now()
			if err := w.c.mutate(ctx, url, manager, qApprove, map[string]any{"c": id}, "approveOrderCancellation", &p); err != nil {
				return err
			}
			w.step(l.steps[1], t)
			if _, c := p.status(); c != "APPROVED" {
				return failf("manager approval not APPROVED", "cancellation %s", c)
			}
			t = time.Now()
			if err := w.c.mutate(ctx, url, finance, qApprove, map[string]any{"c": id}, "approveOrderCancellation", &p); err != nil {
				return err
			}
			w.step(l.steps[2], t)
			if o, c := p.status(); o != "CANCELLED" || c != "EXECUTED" {
				return failf("finance approval not executed", "order %s, cancellation %s", o, c)
			}
			return nil
		}
	default:
		return load{}, fmt.Errorf("unknown operation %q", op)
	}
	return l, nil
}

// limitOp builds the load of the limit's /list or /cancel.
func (b *bench) limitOp(ctx context.Context, s *server, op string, conc int) (load, error) {
	n := b.cfg.orders
	l := load{conc: conc, dur: b.cfg.dur}
	var url string
	var body func(i int) []byte
	switch op {
	case "list":
		url = s.base + "/list"
		if err := listPreflight(ctx, url, "", []byte(fmt.Sprintf(`{"first":50,"after":%d}`, n+1)), true); err != nil {
			b.say("  limit list preflight FAILED: %v", err)
		}
		l.n = n - 50 + 1 // after in [51, n+1], as run-all.sh
		body = func(i int) []byte { return []byte(fmt.Sprintf(`{"first":50,"after":%d}`, i+51)) }
	case "cancel":
		url = s.base + "/cancel"
		l.n, l.once = n, true
		body = func(i int) []byte { return []byte(fmt.Sprintf(`{"orderId":%d}`, i+1)) }
	default:
		return load{}, fmt.Errorf("unknown limit operation %q", op)
	}
	l.op = func(ctx context.Context, w *worker, i int) error {
		rb, err := w.c.post(ctx, url, "", body(i))
		if err != nil {
			return err
		}
		if bytes.Contains(rb, errorsKey) {
			return failf("errors", "%s", sample(string(rb)))
		}
		return nil
	}
	return l, nil
}

// ---- one measured run

type runResult struct {
	round       int
	system      string // orderdesk, limit
	op          string // list, void, chain; the limit's list, cancel
	conc        int
	res         *loadResult
	m           measured
	hwmKB       int64
	busyBefore  int
	invariants  string // "" for read runs
	failed      bool   // an invariant was violated
	logProblems int
	logSamples  []string
	skipped     string // why the run did not happen
}

// noisy: other processes used more than maxOther % of one CPU during the
// run, or wrote more than maxOther MiB to disk per 10 s.
func (r *runResult) noisy(maxOther int) bool {
	return r.m.otherPct > float64(maxOther) || r.m.otherWriteMiB/r.m.wall.Seconds()*10 > float64(maxOther)
}

func (r *runResult) perOp(v float64) float64 {
	n := r.res.ok + r.res.errors
	if n == 0 {
		return 0
	}
	return v / float64(n)
}

// quiet waits for a quiet machine before a run (with the server started
// and idle; before signing in, so that tokens are fresh).
func (b *bench) quiet(ctx context.Context, r *runResult) error {
	busy, err := waitQuiet(ctx, b.cfg.maxBusy, b.cfg.busyWait, b.say)
	r.busyBefore = busy
	return err
}

// measure runs l against s between two probes.
func (b *bench) measure(ctx context.Context, r *runResult, s *server, l load) error {
	p0, err := takeProbe(ctx, b.admin, s.p.pid(), b.dbPID)
	if err != nil {
		return err
	}
	r.res = l.run(ctx)
	p1, err := takeProbe(ctx, b.admin, s.p.pid(), b.dbPID)
	if err != nil {
		return err
	}
	r.m = between(p0, p1)
	r.hwmKB = procStatusKB(s.p.pid(), "VmHWM")
	if s.p.exited() {
		return fmt.Errorf("the server exited during the run: %v\n%s", s.p.err, tail(s.logPath, 10))
	}
	return ctx.Err()
}

func (b *bench) runOrderdesk(ctx context.Context, round int, op string, conc int) (*runResult, error) {
	r := &runResult{round: round, system: "orderdesk", op: op, conc: conc}
	if b.odDirty {
		t := time.Now()
		if err := b.snap.restore(ctx); err != nil {
			return nil, err
		}
		b.odDirty = false
		b.say("  restored the seeded data in %.1fs", time.Since(t).Seconds())
	}
	logPath := filepath.Join(b.tmp, fmt.Sprintf("orderdesk-r%d-%s-c%d.log", round, op, conc))
	s, err := b.startOrderdesk(ctx, logPath)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	if err := b.quiet(ctx, r); err != nil {
		return nil, err
	}
	l, err := b.orderdeskOp(ctx, s, op, conc)
	if err != nil {
		return nil, err
	}
	if op != "list" {
		b.odDirty = true
	}
	profiled := b.profile(ctx, s, fmt.Sprintf("%s-c%d-r%d.pprof", op, conc, round))
	if err := b.measure(ctx, r, s, l); err != nil {
		return nil, err
	}
	if err := <-profiled; err != nil {
		b.say("  no CPU profile: %v", err)
	}
	if b.cfg.profiles != "" { // what the server holds at the end of the run
		if err := b.fetchProfile(ctx, s, "/debug/pprof/heap", fmt.Sprintf("%s-c%d-r%d.heap", op, conc, round)); err != nil {
			b.say("  no heap profile: %v", err)
		}
	}
	s.stop()
	r.logProblems, r.logSamples = logProblems(logPath)
	if op != "list" {
		rep, failed, err := b.checkOrderdesk(ctx, op, r.res)
		if err != nil {
			return nil, err
		}
		r.invariants, r.failed = rep, failed
	}
	return r, nil
}

// profile records orderdesk's CPU for the run's length (less a second, so
// that it ends within the run) into the -cpuprofile folder as name; the
// channel gives the outcome. Without -cpuprofile it does nothing.
func (b *bench) profile(ctx context.Context, s *server, name string) <-chan error {
	done := make(chan error, 1)
	secs := int(b.cfg.dur.Seconds()) - 1
	if b.cfg.profiles == "" || secs < 1 {
		done <- nil
		return done
	}
	go func() { done <- b.fetchProfile(ctx, s, fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs), name) }()
	return done
}

// fetchProfile writes what orderdesk's /debug/pprof path answers into the
// -cpuprofile folder as name.
func (b *bench) fetchProfile(ctx context.Context, s *server, path, name string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.metricsToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("%s: %.200s", resp.Status, body)
	}
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(b.cfg.profiles, name), body, 0o644)
}

func (b *bench) runLimit(ctx context.Context, round int, op string, conc int) (*runResult, error) {
	r := &runResult{round: round, system: "limit", op: op, conc: conc}
	if b.limitDirty {
		line, err := b.seedLimit(ctx)
		if err != nil {
			return nil, err
		}
		b.limitDirty = false
		b.say("  limit re-seeded: %s", line)
	}
	logPath := filepath.Join(b.tmp, fmt.Sprintf("limit-r%d-%s-c%d.log", round, op, conc))
	s, err := b.startLimit(ctx, logPath)
	if err != nil {
		return nil, err
	}
	defer s.stop()
	if err := b.quiet(ctx, r); err != nil {
		return nil, err
	}
	l, err := b.limitOp(ctx, s, op, conc)
	if err != nil {
		return nil, err
	}
	if op != "list" {
		b.limitDirty = true
	}
	if err := b.measure(ctx, r, s, l); err != nil {
		return nil, err
	}
	if op == "cancel" {
		r.invariants, r.failed = limitCheck(ctx, s.base, r.res.ok)
	}
	return r, nil
}

// limitCheck asks the limit's /check (its invariant queries) and compares
// the orders it cancelled with the successful operations.
func limitCheck(ctx context.Context, base string, ok int64) (string, bool) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/check", nil)
	res, err := (&http.Client{Timeout: time.Minute}).Do(req)
	if err != nil {
		return "limit /check: " + err.Error(), true
	}
	defer res.Body.Close()
	var c struct {
		OK         bool             `json:"ok"`
		Violations map[string]int64 `json:"violations"`
		Totals     map[string]int64 `json:"totals"`
	}
	if err := json.NewDecoder(res.Body).Decode(&c); err != nil {
		return "limit /check: " + err.Error(), true
	}
	var bad []string
	for k, v := range c.Violations {
		if v != 0 {
			bad = append(bad, fmt.Sprintf("%s=%d", k, v))
		}
	}
	cancelled := c.Totals["orders_cancelled"]
	if cancelled != ok {
		bad = append(bad, fmt.Sprintf("cancelled orders %d ≠ successful ops %d", cancelled, ok))
	}
	if len(bad) > 0 {
		return "FAIL (limit /check): " + strings.Join(bad, ", "), true
	}
	return fmt.Sprintf("pass (limit /check, %d checks; %d cancelled = ok ops)", len(c.Violations), cancelled), false
}
