// Package apptest runs the whole API over a fresh test database, behind a
// real HTTP server, and talks to it as a client would.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"entgo.io/ent/dialect"
	"golang.org/x/crypto/bcrypt"

	"orderdesk/account"
	"orderdesk/app"
	"orderdesk/auth"
	"orderdesk/ent"
	_ "orderdesk/ent/runtime" // registers privacy policies and hooks
	"orderdesk/graph/guard"
	"orderdesk/order"
	"orderdesk/store"
	"orderdesk/store/storetest"
	"orderdesk/webhook"
)

// Password of every test user.
const Password = "test-password-1"

// Env is a running API.
type Env struct {
	*app.App
	URL string
	// Statements counts the SQL statements the API has sent.
	Statements atomic.Int64
	capture    atomic.Pointer[capture]
	// Users holds one account per role, and a second sales rep as "REP2".
	Users map[string]*ent.User
	// Sys is a context that may do anything, for arranging test data.
	Sys context.Context
}

// New starts the API over a fresh database with one user per role.
func New(t testing.TB) *Env {
	t.Helper()
	return NewWith(t, storetest.New(t), app.Options{})
}

// NewWith starts the API over db, with the edge settings, sign-in
// throttle and order policy of o (order.DefaultPolicy when o has none; the
// rest of o is the tests' own).
func NewWith(t testing.TB, db *store.DB, o app.Options) *Env {
	t.Helper()
	e := start(t, db, o)
	e.Users = map[string]*ent.User{}
	for _, r := range auth.Roles {
		e.Users[string(r)] = e.CreateUser(t, strings.ToLower(string(r))+"@test.local", r)
	}
	e.Users["REP2"] = e.CreateUser(t, "rep2@test.local", auth.SalesRep)
	return e
}

// Replica starts a second server over the same database, as another
// replica behind a load balancer would be: it shares the database and
// nothing else.
func (e *Env) Replica(t testing.TB, o app.Options) *Env {
	t.Helper()
	db := *e.DB
	r := start(t, &db, o)
	r.Users = e.Users
	return r
}

func start(t testing.TB, db *store.DB, o app.Options) *Env {
	t.Helper()
	e := &Env{Sys: auth.NewContext(context.Background(), auth.System("test"))}
	db.Client = ent.NewClient(ent.Driver(dialect.DebugWithContext(db.Driver, func(_ context.Context, args ...any) {
		e.Statements.Add(1)
		if c := e.capture.Load(); c != nil {
			c.add(fmt.Sprint(args...))
		}
	})))
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", auth.MinSecretLen)), 10*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.New(slog.NewJSONHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	policy := o.Policy
	if policy == (order.Policy{}) {
		policy = order.DefaultPolicy
	}
	e.App = app.New(db, app.Options{Log: log, Tokens: tokens, BcryptCost: bcrypt.MinCost,
		Currency: "EUR", Limits: guard.DefaultLimits(), Policy: policy,
		Edge: o.Edge, Throttle: o.Throttle, RefreshGrace: o.RefreshGrace, Mailer: o.Mailer, WebhookAllow: testWebhooks, Bus: o.Bus})
	if o.Bus != nil {
		// A server behind a bus: it listens, and its relay publishes what
		// commits here, as cmd/orderdesk's do.
		ctx, cancel := context.WithCancel(e.Sys)
		stop, err := e.ListenBus(ctx, log)
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan struct{})
		go func() { defer close(done); e.RunWebhooks(ctx, log, 20*time.Millisecond) }()
		t.Cleanup(func() { cancel(); <-done; stop() })
	}
	srv := httptest.NewServer(e.Handler)
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	e.Orders.Confirmations.Base = srv.URL // links in notices lead to this server
	return e
}

// testWebhooks lets endpoints in tests point at receivers on this machine.
var testWebhooks, _ = webhook.ParseAddresses("127.0.0.0/8,::1")

// Capture records the SQL statements sent from now on; the function it
// returns stops recording and lists them, to show where a budget goes.
func (e *Env) Capture() func() []string {
	c := &capture{}
	e.capture.Store(c)
	return func() []string {
		e.capture.Store(nil)
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.stmts
	}
}

type capture struct {
	mu    sync.Mutex
	stmts []string
}

func (c *capture) add(s string) {
	c.mu.Lock()
	c.stmts = append(c.stmts, s)
	c.mu.Unlock()
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// CreateUser adds an active account with the test password.
func (e *Env) CreateUser(t testing.TB, email string, role auth.Role) *ent.User {
	t.Helper()
	u, err := e.Accounts.CreateUser(e.Sys, account.NewUserRequest{Email: email, Name: email,
		Password: Password, Role: string(role)})
	if err != nil {
		t.Fatalf("creating %s: %v", email, err)
	}
	return u
}

// As is a client signed in as the user of the role (or "REP2"); "" is anonymous.
func (e *Env) As(t testing.TB, role string) *Client {
	t.Helper()
	c := &Client{env: e}
	if role == "" {
		return c
	}
	u := e.Users[role]
	if u == nil {
		t.Fatalf("no test user for role %q", role)
	}
	var out struct {
		Login struct {
			Session struct{ AccessToken string }
			Errors  []UserError
		}
	}
	c.MustDo(t, `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {
		session { accessToken } errors { code field message } } }`, Vars{"e": u.Email, "p": Password}, &out)
	if len(out.Login.Errors) > 0 {
		t.Fatalf("login as %s: %v", role, out.Login.Errors)
	}
	c.Token = out.Login.Session.AccessToken
	return c
}

// Client sends GraphQL requests with an optional bearer token.
type Client struct {
	env   *Env
	Token string
	// Header is added to every request (e.g. X-Forwarded-For).
	Header http.Header
}

// Vars are GraphQL variables.
type Vars map[string]any

// UserError is a payload error.
type UserError struct {
	Code    string
	Field   *string
	Message string
}

// GQLError is a top-level GraphQL error.
type GQLError struct {
	Message    string
	Path       []any
	Extensions map[string]any
}

// Code is extensions.code.
func (e GQLError) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Response is a GraphQL response.
type Response struct {
	Status int
	Header http.Header
	Data   json.RawMessage
	Errors []GQLError
}

// Codes lists the top-level error codes.
func (r Response) Codes() []string {
	var cs []string
	for _, e := range r.Errors {
		cs = append(cs, e.Code())
	}
	return cs
}

// Do posts a query and decodes the response.
func (c *Client) Do(t testing.TB, query string, vars Vars) Response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, c.env.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	for k, vs := range c.Header {
		req.Header[k] = vs
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var r Response
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatalf("response %d is not GraphQL JSON: %s", res.StatusCode, raw)
	}
	r.Status, r.Header = res.StatusCode, res.Header
	return r
}

// MustDo posts a query, fails the test on any top-level error, and decodes
// data into out.
func (c *Client) MustDo(t testing.TB, query string, vars Vars, out any) {
	t.Helper()
	r := c.Do(t, query, vars)
	if len(r.Errors) > 0 {
		t.Fatalf("query failed: %+v\nquery: %s", r.Errors, query)
	}
	if out != nil {
		if err := json.Unmarshal(r.Data, out); err != nil {
			t.Fatalf("decoding %s: %v", r.Data, err)
		}
	}
}

// ID formats an ent id as a GraphQL ID.
func ID(id int) string { return fmt.Sprint(id) }
