package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"orderdesk/app/apptest"
	"orderdesk/demo"
	"orderdesk/graph/sdl"
)

// syncBuffer is a bytes.Buffer safe for the server's concurrent logging.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// server is one run of the command.
type server struct {
	addr   string
	stdout *syncBuffer
	cancel context.CancelFunc
	done   chan error
}

// testEnv is a getenv over a fixed map, with a free port and a cheap bcrypt
// cost unless the map says otherwise.
func testEnv(vars map[string]string) func(string) string {
	all := map[string]string{"ORDERDESK_ADDR": "127.0.0.1:0", "ORDERDESK_BCRYPT_COST": "4"}
	for k, v := range vars {
		all[k] = v
	}
	return func(name string) string { return all[name] }
}

// start runs the command and waits until it listens.
func start(t *testing.T, args []string, getenv func(string) string) *server {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{stdout: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() { s.done <- run(ctx, args, getenv, s.stdout, io.Discard, ready) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-s.done:
		case <-time.After(20 * time.Second):
		}
	})
	select {
	case s.addr = <-ready:
	case err := <-s.done:
		t.Fatalf("run ended before listening: %v\n%s", err, s.stdout)
	case <-time.After(60 * time.Second):
		t.Fatalf("run did not listen within a minute\n%s", s.stdout)
	}
	return s
}

// stop cancels the context and expects a clean, prompt shutdown.
func (s *server) stop(t *testing.T) {
	t.Helper()
	s.cancel()
	select {
	case err := <-s.done:
		if err != nil {
			t.Errorf("run returned %v after cancel, want nil", err)
		}
		s.done <- err // for the cleanup
	case <-time.After(5 * time.Second):
		t.Fatal("run did not return within 5s of cancel")
	}
}

// graphql posts a query and decodes the data; errors fail the test.
func (s *server) graphql(t *testing.T, token, query string, vars map[string]any, out any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, "http://"+s.addr+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response %d is not GraphQL JSON: %s", res.StatusCode, raw)
	}
	if len(r.Errors) > 0 {
		t.Fatalf("query failed: %s\nquery: %s", raw, query)
	}
	if err := json.Unmarshal(r.Data, out); err != nil {
		t.Fatalf("decoding %s: %v", r.Data, err)
	}
}

// login signs in and returns the access token.
func (s *server) login(t *testing.T, email, password string) string {
	t.Helper()
	var out struct {
		Login struct {
			Session *struct{ AccessToken string }
			Errors  []struct{ Code, Message string }
		}
	}
	s.graphql(t, "", `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {
		session { accessToken } errors { code message } } }`, map[string]any{"e": email, "p": password}, &out)
	if len(out.Login.Errors) > 0 || out.Login.Session == nil {
		t.Fatalf("login as %s: %+v", email, out.Login.Errors)
	}
	return out.Login.Session.AccessToken
}

// role is the viewer's role of the token.
func (s *server) role(t *testing.T, token string) string {
	t.Helper()
	var out struct{ Me struct{ Role string } }
	s.graphql(t, token, `{ me { role } }`, nil, &out)
	return out.Me.Role
}

func TestRunSmoke(t *testing.T) {
	dbFile := filepath.Join(t.TempDir(), "orderdesk.db")
	const adminEmail, adminPassword = "boss@example.com", "boss-password-1"
	s := start(t, nil, testEnv(map[string]string{
		"ORDERDESK_DB_DSN":         dbFile,
		"ORDERDESK_ADMIN_EMAIL":    adminEmail,
		"ORDERDESK_ADMIN_PASSWORD": adminPassword,
	}))

	res, err := http.Get("http://" + s.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != `{"status":"ok"}` {
		t.Errorf("/healthz %d %s", res.StatusCode, body)
	}

	token := s.login(t, adminEmail, adminPassword)
	if got := s.role(t, token); got != "ADMIN" {
		t.Errorf("me.role %q, want ADMIN", got)
	}

	info, err := os.Stat(dbFile + ".secret")
	if err != nil {
		t.Fatalf("no generated JWT secret: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("secret file mode %v, want 0600", perm)
	}
	secret, _ := os.ReadFile(dbFile + ".secret")
	if len(strings.TrimSpace(string(secret))) < 32 {
		t.Errorf("generated secret %d bytes, want at least 32", len(strings.TrimSpace(string(secret))))
	}
	if strings.Contains(s.stdout.String(), strings.TrimSpace(string(secret))) {
		t.Error("the generated secret is in the log")
	}

	s.stop(t)
	if _, err := http.Get("http://" + s.addr + "/healthz"); err == nil {
		t.Error("the server still answers after shutdown")
	}
}

func TestRunDemo(t *testing.T) {
	dbFile := filepath.Join(t.TempDir(), "demo.db")
	getenv := testEnv(map[string]string{"ORDERDESK_DB_DSN": dbFile})

	first := start(t, []string{"-demo"}, getenv)
	if out := first.stdout.String(); !strings.Contains(out, "rep1@demo.local") {
		t.Errorf("the demo logins are not printed:\n%s", out)
	}
	token := first.login(t, "rep1@demo.local", demo.Password)
	if got := first.role(t, token); got != "SALES_REP" {
		t.Errorf("rep1 me.role %q, want SALES_REP", got)
	}
	first.stop(t)

	// Same database again: the seed is skipped, the secret is kept.
	second := start(t, []string{"-demo"}, getenv)
	if out := second.stdout.String(); !strings.Contains(out, "rep1@demo.local") {
		t.Errorf("the second start does not print the demo logins:\n%s", out)
	}
	if got := second.role(t, token); got != "SALES_REP" {
		t.Errorf("a token of the first run gives role %q, want SALES_REP (the secret file is reused)", got)
	}
	var out struct{ Users struct{ TotalCount int } }
	second.graphql(t, second.login(t, "admin@demo.local", demo.Password), `{ users { totalCount } }`, nil, &out)
	if out.Users.TotalCount != len(demo.Users) {
		t.Errorf("%d users after seeding twice, want %d", out.Users.TotalCount, len(demo.Users))
	}
	second.stop(t)
}

func TestRunConfigErrors(t *testing.T) {
	longSecret := strings.Repeat("s", 40)
	for _, c := range []struct {
		name string
		args []string
		env  map[string]string
		want []string // each must be in the error
	}{
		{name: "ErrMySQLWithoutSecret", env: map[string]string{"ORDERDESK_DB_DRIVER": "mysql",
			"ORDERDESK_DB_DSN": "root@tcp(127.0.0.1:1)/orderdesk"}, want: []string{"ORDERDESK_JWT_SECRET"}},
		{name: "ErrShortSecret", env: map[string]string{"ORDERDESK_JWT_SECRET": "short"},
			want: []string{"ORDERDESK_JWT_SECRET"}},
		{name: "ErrShortSecretMySQL", env: map[string]string{"ORDERDESK_DB_DRIVER": "mysql",
			"ORDERDESK_DB_DSN": "root@tcp(127.0.0.1:1)/orderdesk", "ORDERDESK_JWT_SECRET": "short"},
			want: []string{"ORDERDESK_JWT_SECRET"}},
		{name: "ErrUnknownDriver", env: map[string]string{"ORDERDESK_DB_DRIVER": "postgres",
			"ORDERDESK_JWT_SECRET": longSecret}, want: []string{"postgres"}},
		{name: "ErrUnknownDriverWithoutSecret", env: map[string]string{"ORDERDESK_DB_DRIVER": "postgres"},
			want: []string{"postgres"}},
		{name: "ErrBcryptCost", env: map[string]string{"ORDERDESK_BCRYPT_COST": "cheap"},
			want: []string{"ORDERDESK_BCRYPT_COST"}},
		{name: "ErrCurrency", env: map[string]string{"ORDERDESK_CURRENCY": "euro"}, want: []string{"euro"}},
		{name: "ErrFlag", args: []string{"-no-such-flag"}, want: []string{"no-such-flag"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			env := map[string]string{"ORDERDESK_DB_DSN": filepath.Join(dir, "orderdesk.db")}
			for k, v := range c.env {
				env[k] = v
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			ready := make(chan string, 1)
			done := make(chan error, 1)
			stdout := &syncBuffer{}
			go func() { done <- run(ctx, c.args, testEnv(env), stdout, io.Discard, ready) }()
			var err error
			select {
			case err = <-done:
			case addr := <-ready:
				cancel()
				<-done
				t.Fatalf("run listened on %s despite the bad configuration", addr)
			case <-time.After(30 * time.Second):
				cancel()
				t.Fatal("run neither failed nor listened within 30s")
			}
			if err == nil {
				t.Fatal("run returned nil, want a configuration error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
			if errors.Is(err, context.Canceled) {
				t.Errorf("error %v is a cancellation, not a configuration error", err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("a refused configuration left files: %v", entries)
			}
		})
	}
}

// TestRunSlowClientDropped: a client that opens a connection and never
// finishes its request headers is disconnected after the header timeout,
// instead of holding a connection for as long as it likes.
func TestRunSlowClientDropped(t *testing.T) {
	t.Parallel()
	s := start(t, nil, testEnv(map[string]string{"ORDERDESK_DB_DSN": filepath.Join(t.TempDir(), "orderdesk.db")}))
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("POST /graphql HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	start := time.Now()
	_, err = io.ReadAll(conn)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the half-sent request held its connection for %v", time.Since(start))
	}
}

// TestPublishedSchema: schema.graphql at the root is the schema the server
// runs (go generate writes it), and /graphql/schema.graphql serves it to
// anyone, as one valid SDL document without the server's own directives.
func TestPublishedSchema(t *testing.T) {
	file, err := os.ReadFile("schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(file, sdl.Print()) {
		t.Fatal("schema.graphql is not the schema the server runs: run go generate ./...")
	}
	if ref, err := os.ReadFile("docs/schema.md"); err != nil || !bytes.Equal(ref, sdl.Reference()) {
		t.Fatalf("docs/schema.md is not the reference of the schema the server runs (%v): run go generate ./...", err)
	}
	if _, err := gqlparser.LoadSchema(&ast.Source{Name: "schema.graphql", Input: string(file)}); err != nil {
		t.Fatalf("schema.graphql does not load: %v", err)
	}
	if bytes.Contains(file, []byte("@goField")) || bytes.Contains(file, []byte("@concurrent")) {
		t.Fatal("schema.graphql carries gqlgen's directives")
	}
	env := apptest.New(t)
	res, err := http.Get(env.URL + "/graphql/schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	served, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || !bytes.Equal(served, file) {
		t.Fatalf("/graphql/schema.graphql: %d, %d bytes, want the %d of schema.graphql", res.StatusCode, len(served), len(file))
	}
}
