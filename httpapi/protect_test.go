package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"orderdesk/app/apptest"
	"orderdesk/graph/generated"
)

// raw is an HTTP response as received.
type raw struct {
	Status int
	Header http.Header
	Body   []byte
}

// gql decodes the body as a GraphQL response.
func (r raw) gql(t *testing.T) apptest.Response {
	t.Helper()
	var out apptest.Response
	if err := json.Unmarshal(r.Body, &out); err != nil {
		t.Fatalf("response %d is not GraphQL JSON: %s", r.Status, r.Body)
	}
	out.Status = r.Status
	return out
}

// send makes one request; header holds extra headers.
func send(t *testing.T, method, target string, body io.Reader, header map[string]string) raw {
	t.Helper()
	req, err := http.NewRequest(method, target, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("reading the response of %s %s: %v", method, target, err)
	}
	return raw{Status: res.StatusCode, Header: res.Header, Body: b}
}

// post sends a GraphQL request as JSON with an optional bearer token.
func post(t *testing.T, env *apptest.Env, token, query string, vars map[string]any, header map[string]string) raw {
	t.Helper()
	body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	h := map[string]string{"Content-Type": "application/json"}
	if token != "" {
		h["Authorization"] = "Bearer " + token
	}
	for k, v := range header {
		h[k] = v
	}
	return send(t, http.MethodPost, env.URL+"/graphql", bytes.NewReader(body), h)
}

func hasCode(r apptest.Response, code string) bool {
	for _, c := range r.Codes() {
		if c == code {
			return true
		}
	}
	return false
}

// refused asserts the request was refused with the code and nothing was
// resolved.
func refused(t *testing.T, r apptest.Response, code string) {
	t.Helper()
	if !hasCode(r, code) {
		t.Errorf("want error code %s, got errors %+v (status %d)", code, r.Errors, r.Status)
	}
	if d := strings.TrimSpace(string(r.Data)); d != "" && d != "null" {
		t.Errorf("a refused operation returned data %s", d)
	}
}

func ok(t *testing.T, r apptest.Response) {
	t.Helper()
	if len(r.Errors) > 0 || r.Status != http.StatusOK {
		t.Errorf("want success, got status %d, errors %+v", r.Status, r.Errors)
	}
}

// customerCount is the number of customers ADMIN sees.
func customerCount(t *testing.T, admin *apptest.Client) int {
	t.Helper()
	var out struct{ Customers struct{ TotalCount int } }
	admin.MustDo(t, `{ customers { totalCount } }`, nil, &out)
	return out.Customers.TotalCount
}

// chainQuery follows the schema's real edges from Query — users → edges →
// node, then Customer's owner and User's customers around the cycle — for
// depth-1 fields and ends with a scalar field, so the operation has exactly
// the given depth. Every connection gets first: 1 to keep the complexity low.
func chainQuery(t *testing.T, depth int) string {
	t.Helper()
	schema := generated.NewExecutableSchema(generated.Config{}).Schema()
	path := []string{"users", "edges", "node"}
	for len(path) < depth-1 {
		path = append(path, "customers", "edges", "node", "owner")
	}
	path = path[:depth-1]
	typ := schema.Query
	var b strings.Builder
	b.WriteString("{ ")
	for _, name := range path {
		f := typ.Fields.ForName(name)
		if f == nil {
			t.Fatalf("type %s has no field %s", typ.Name, name)
		}
		b.WriteString(name)
		if f.Arguments.ForName("first") != nil {
			b.WriteString("(first: 1)")
		}
		b.WriteString(" { ")
		typ = schema.Types[f.Type.Name()]
	}
	leaf := ""
	for _, f := range typ.Fields {
		k := schema.Types[f.Type.Name()].Kind
		if (k == ast.Scalar || k == ast.Enum) && len(f.Arguments) == 0 && !strings.HasPrefix(f.Name, "__") {
			leaf = f.Name
			break
		}
	}
	if leaf == "" {
		t.Fatalf("type %s has no scalar field", typ.Name)
	}
	b.WriteString(leaf)
	b.WriteString(strings.Repeat(" }", len(path)+1))
	return b.String()
}

func TestQueryLimits(t *testing.T) {
	env := apptest.New(t)
	admin := env.As(t, "ADMIN")
	rep := env.As(t, "SALES_REP")
	rep.MustDo(t, `mutation { createCustomer(input: {name: "Deep Customer"}) { customer { id } } }`, nil, nil)

	t.Run("Depth", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			q := chainQuery(t, 12)
			ok(t, admin.Do(t, q, nil))
			ok(t, admin.Do(t, `{ customers(first: 5) { edges { node { name owner { email } } } } }`, nil))
		})
		t.Run("ErrTooDeep", func(t *testing.T) {
			q := chainQuery(t, 13)
			r := admin.Do(t, q, nil)
			refused(t, r, "DEPTH_LIMIT_EXCEEDED")
			if len(r.Errors) > 0 && !strings.Contains(r.Errors[0].Message, "13") {
				t.Errorf("message %q does not name the depth 13", r.Errors[0].Message)
			}
		})
		t.Run("ErrTooDeepThroughFragment", func(t *testing.T) {
			// 13 levels, 10 of them in a fragment.
			frag := `query { users(first: 1) { edges { node { ...U } } } }
				fragment U on User { customers(first: 1) { edges { node { owner { customers(first: 1) { edges { node { owner { customers(first: 1) { totalCount } } } } } } } } } }`
			refused(t, admin.Do(t, frag, nil), "DEPTH_LIMIT_EXCEEDED")
		})
	})

	aliases := func(n int) string {
		var b strings.Builder
		b.WriteString("{ ")
		for i := range n {
			fmt.Fprintf(&b, "a%d: me { role } ", i)
		}
		b.WriteString("}")
		return b.String()
	}
	t.Run("Aliases", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) { ok(t, admin.Do(t, aliases(15), nil)) })
		t.Run("ErrTooManyAliases", func(t *testing.T) {
			refused(t, admin.Do(t, aliases(16), nil), "ALIAS_LIMIT_EXCEEDED")
		})
		t.Run("ErrTooManyMutations", func(t *testing.T) {
			before := customerCount(t, admin)
			var b strings.Builder
			b.WriteString("mutation { ")
			for i := range 16 {
				fmt.Fprintf(&b, `c%d: createCustomer(input: {name: "Alias %d"}) { customer { id } } `, i, i)
			}
			b.WriteString("}")
			refused(t, admin.Do(t, b.String(), nil), "MUTATION_LIMIT_EXCEEDED")
			if after := customerCount(t, admin); after != before {
				t.Errorf("a refused mutation created customers: %d before, %d after", before, after)
			}
		})
	})

	t.Run("PageSize", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			ok(t, admin.Do(t, `{ customers(first: 100) { totalCount } }`, nil))
			ok(t, admin.Do(t, `{ customers(last: 100) { totalCount } }`, nil))
			ok(t, admin.Do(t, `query($n: Int) { customers(first: $n) { totalCount } }`, apptest.Vars{"n": 100}))
		})
		t.Run("ErrFirst101", func(t *testing.T) {
			refused(t, admin.Do(t, `{ customers(first: 101) { totalCount } }`, nil), "BAD_USER_INPUT")
		})
		t.Run("ErrLast101", func(t *testing.T) {
			refused(t, admin.Do(t, `{ customers(last: 101) { totalCount } }`, nil), "BAD_USER_INPUT")
		})
		t.Run("ErrFirst0", func(t *testing.T) {
			refused(t, admin.Do(t, `{ customers(first: 0) { totalCount } }`, nil), "BAD_USER_INPUT")
		})
		t.Run("ErrVariable101", func(t *testing.T) {
			refused(t, admin.Do(t, `query($n: Int) { customers(first: $n) { totalCount } }`, apptest.Vars{"n": 101}), "BAD_USER_INPUT")
		})
		t.Run("ErrNested101", func(t *testing.T) {
			refused(t, admin.Do(t, `{ users(first: 1) { edges { node { customers(first: 101) { totalCount } } } } }`, nil), "BAD_USER_INPUT")
		})
	})

	t.Run("DefaultPageSize", func(t *testing.T) {
		for batch := 0; batch < 25; batch += 5 {
			var b strings.Builder
			b.WriteString("mutation { ")
			for i := batch; i < min(batch+5, 25); i++ {
				fmt.Fprintf(&b, `s%d: createStockItem(input: {sku: "PAGE-%02d", name: "Item %d", unitPrice: "1.00"}) { errors { code message } } `, i, i, i)
			}
			b.WriteString("}")
			var out map[string]struct{ Errors []apptest.UserError }
			admin.MustDo(t, b.String(), nil, &out)
			for alias, p := range out {
				if len(p.Errors) > 0 {
					t.Fatalf("%s: %+v", alias, p.Errors)
				}
			}
		}
		var out struct {
			StockItems struct {
				TotalCount int
				Edges      []struct{ Node struct{ ID string } }
				PageInfo   struct{ HasNextPage bool }
			}
		}
		admin.MustDo(t, `{ stockItems { totalCount edges { node { id } } pageInfo { hasNextPage } } }`, nil, &out)
		if got := len(out.StockItems.Edges); got != 20 {
			t.Errorf("a connection without first/last returned %d edges, want 20", got)
		}
		if !out.StockItems.PageInfo.HasNextPage {
			t.Error("hasNextPage is false with 25 items and a page of 20")
		}
		if out.StockItems.TotalCount != 25 {
			t.Errorf("totalCount %d, want 25", out.StockItems.TotalCount)
		}
		admin.MustDo(t, `{ stockItems(first: 100) { totalCount edges { node { id } } pageInfo { hasNextPage } } }`, nil, &out)
		if got := len(out.StockItems.Edges); got != 25 || out.StockItems.PageInfo.HasNextPage {
			t.Errorf("first: 100 returned %d edges, hasNextPage %v; want 25, false", got, out.StockItems.PageInfo.HasNextPage)
		}
		// Through a fragment too.
		var viaFragment struct {
			StockItems struct {
				Edges []struct{ Node struct{ ID string } }
			}
		}
		admin.MustDo(t, `query { ...Q } fragment Q on Query { stockItems { edges { node { id } } } }`, nil, &viaFragment)
		if got := len(viaFragment.StockItems.Edges); got != 20 {
			t.Errorf("a connection in a fragment without first/last returned %d edges, want 20", got)
		}
	})

	t.Run("Complexity", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			ok(t, admin.Do(t, `{ customers(first: 10) { edges { node { orders(first: 10) { edges { node { id } } } } } } }`, nil))
		})
		t.Run("ErrComplexity", func(t *testing.T) {
			// 1 + 100 × (1 + 1 + (1 + 100 × 2)) = 20,301 > 1000.
			refused(t, admin.Do(t, `{ customers(first: 100) { edges { node { orders(first: 100) { edges { node { id } } } } } } }`, nil),
				"COMPLEXITY_LIMIT_EXCEEDED")
		})
		t.Run("ErrComplexityOfDefaultPages", func(t *testing.T) {
			// No first anywhere: default pages of 20 still multiply, 20^3 > 1000.
			refused(t, admin.Do(t, `{ users { edges { node { customers { edges { node { orders { edges { node { id } } } } } } } } } }`, nil),
				"COMPLEXITY_LIMIT_EXCEEDED")
		})
	})

	// nameIn lists n strings; the rest of the query is a few dozen tokens.
	manyTokens := func(n int) string {
		return `{ customers(first: 1, where: {nameIn: [` + strings.Repeat(`"x" `, n) + `]}) { totalCount } }`
	}
	t.Run("TokenLimit", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) { ok(t, admin.Do(t, manyTokens(9_900), nil)) })
		t.Run("ErrTooManyTokens", func(t *testing.T) {
			r := admin.Do(t, manyTokens(10_001), nil)
			if len(r.Errors) == 0 {
				t.Fatalf("a query of over 10,000 tokens was served: %s", r.Data)
			}
			if d := strings.TrimSpace(string(r.Data)); d != "" && d != "null" {
				t.Errorf("data %s", d)
			}
			if !strings.Contains(strings.ToLower(r.Errors[0].Message), "token limit") {
				t.Errorf("message %q does not mention the token limit", r.Errors[0].Message)
			}
		})
		t.Run("ErrTooManyTokensAnonymous", func(t *testing.T) {
			r := env.As(t, "").Do(t, "{ "+strings.Repeat("__typename ", 10_001)+"}", nil)
			if len(r.Errors) == 0 || !strings.Contains(strings.ToLower(r.Errors[0].Message), "token limit") {
				t.Errorf("want a token limit error, got %+v", r.Errors)
			}
		})
	})
}

// chunked hides the length of a body, so it is sent chunked.
type chunked struct{ io.Reader }

func TestTransport(t *testing.T) {
	env := apptest.New(t)
	admin := env.As(t, "ADMIN")
	create := `mutation { createCustomer(input: {name: "Transport"}) { customer { id } } }`
	auth := map[string]string{"Content-Type": "application/json", "Authorization": "Bearer " + admin.Token}

	// bigBody is a createCustomer request padded to size bytes.
	bigBody := func(size int) []byte {
		b, _ := json.Marshal(map[string]any{"query": create, "variables": map[string]any{"pad": ""}})
		pad := strings.Repeat("x", size-len(b))
		b, _ = json.Marshal(map[string]any{"query": create, "variables": map[string]any{"pad": pad}})
		if len(b) != size {
			t.Fatalf("body of %d bytes, want %d", len(b), size)
		}
		return b
	}

	t.Run("BodySize", func(t *testing.T) {
		t.Run("OK", func(t *testing.T) {
			before := customerCount(t, admin)
			r := send(t, http.MethodPost, env.URL+"/graphql", bytes.NewReader(bigBody(1<<20)), auth)
			ok(t, r.gql(t))
			if after := customerCount(t, admin); after != before+1 {
				t.Errorf("a body of exactly 1 MiB was not served: %d customers before, %d after", before, after)
			}
		})
		t.Run("ErrTooLarge", func(t *testing.T) {
			before := customerCount(t, admin)
			r := send(t, http.MethodPost, env.URL+"/graphql", bytes.NewReader(bigBody(1<<20+1)), auth)
			if r.Status != http.StatusRequestEntityTooLarge {
				t.Errorf("status %d, want 413; body %.200s", r.Status, r.Body)
			}
			if after := customerCount(t, admin); after != before {
				t.Errorf("an oversized request ran: %d customers before, %d after", before, after)
			}
		})
		t.Run("ErrTooLargeChunked", func(t *testing.T) {
			before := customerCount(t, admin)
			r := send(t, http.MethodPost, env.URL+"/graphql", chunked{bytes.NewReader(bigBody(2 << 20))}, auth)
			if r.Status == http.StatusOK {
				if res := r.gql(t); len(res.Errors) == 0 {
					t.Errorf("an oversized chunked request was served: %s", r.Body)
				}
			}
			if after := customerCount(t, admin); after != before {
				t.Errorf("an oversized chunked request ran: %d customers before, %d after", before, after)
			}
		})
	})

	t.Run("GET", func(t *testing.T) {
		// Queries may come by GET (urql's default, cacheable by proxies);
		// mutations never: a link must not change anything.
		t.Run("Query", func(t *testing.T) {
			r := send(t, http.MethodGet, env.URL+"/graphql?query="+url.QueryEscape("{__typename}"), nil, nil)
			if r.Status != http.StatusOK || !bytes.Contains(r.Body, []byte(`"Query"`)) {
				t.Errorf("GET of a query: status %d, body %s", r.Status, r.Body)
			}
		})
		t.Run("ErrMutation", func(t *testing.T) {
			before := customerCount(t, admin)
			r := send(t, http.MethodGet, env.URL+"/graphql?query="+url.QueryEscape(create), nil,
				map[string]string{"Authorization": "Bearer " + admin.Token})
			if r.Status == http.StatusOK {
				t.Errorf("GET with a mutation answered 200: %s", r.Body)
			}
			if after := customerCount(t, admin); after != before {
				t.Errorf("GET ran a mutation: %d customers before, %d after", before, after)
			}
		})
	})

	t.Run("ContentType", func(t *testing.T) {
		// A cross-site form can post text/plain or urlencoded without a
		// preflight: such requests must not execute.
		body, _ := json.Marshal(map[string]any{"query": create})
		for name, ct := range map[string]string{"ErrTextPlain": "text/plain", "ErrFormURLEncoded": "application/x-www-form-urlencoded",
			"ErrMultipart": "multipart/form-data; boundary=x"} {
			t.Run(name, func(t *testing.T) {
				before := customerCount(t, admin)
				r := send(t, http.MethodPost, env.URL+"/graphql", bytes.NewReader(body),
					map[string]string{"Content-Type": ct, "Authorization": "Bearer " + admin.Token})
				if r.Status == http.StatusOK {
					t.Errorf("a %s request answered 200: %s", ct, r.Body)
				}
				if after := customerCount(t, admin); after != before {
					t.Errorf("a %s request ran: %d customers before, %d after", ct, before, after)
				}
			})
		}
	})

	t.Run("Batching", func(t *testing.T) {
		t.Run("ErrArray", func(t *testing.T) {
			before := customerCount(t, admin)
			body, _ := json.Marshal([]map[string]any{{"query": create}, {"query": "{ __typename }"}})
			r := send(t, http.MethodPost, env.URL+"/graphql", bytes.NewReader(body), auth)
			res := r.gql(t)
			if len(res.Errors) == 0 {
				t.Errorf("a batch was served: status %d, body %s", r.Status, r.Body)
			}
			if d := strings.TrimSpace(string(res.Data)); d != "" && d != "null" {
				t.Errorf("a batch returned data %s", d)
			}
			if after := customerCount(t, admin); after != before {
				t.Errorf("a batch ran: %d customers before, %d after", before, after)
			}
		})
	})
}

func TestSuggestions(t *testing.T) {
	env := apptest.New(t)
	const q = `{ custmers { totalCount } }`
	t.Run("Anonymous", func(t *testing.T) {
		r := env.As(t, "").Do(t, q, nil)
		if len(r.Errors) == 0 {
			t.Fatalf("no validation error: %s", r.Data)
		}
		for _, e := range r.Errors {
			if strings.Contains(e.Message, "Did you mean") || strings.Contains(e.Message, `"customers"`) {
				t.Errorf("an anonymous caller got a suggestion: %q", e.Message)
			}
		}
	})
	t.Run("SignedIn", func(t *testing.T) {
		r := env.As(t, "ADMIN").Do(t, q, nil)
		if len(r.Errors) == 0 || !strings.Contains(r.Errors[0].Message, "Did you mean") {
			t.Errorf("a signed-in caller got no suggestion: %+v", r.Errors)
		}
	})
	t.Run("GarbageToken", func(t *testing.T) {
		// A bad token is anonymous, suggestions included.
		c := env.As(t, "")
		c.Token = "garbage"
		r := c.Do(t, q, nil)
		for _, e := range r.Errors {
			if strings.Contains(e.Message, "Did you mean") {
				t.Errorf("a caller with a bad token got a suggestion: %q", e.Message)
			}
		}
	})
}

func TestAuthentication(t *testing.T) {
	env := apptest.New(t)
	const q = `{ customers(first: 1) { totalCount } }`
	t.Run("ErrNoToken", func(t *testing.T) {
		refused(t, env.As(t, "").Do(t, q, nil), "UNAUTHENTICATED")
	})
	t.Run("ErrGarbageToken", func(t *testing.T) {
		c := env.As(t, "")
		c.Token = "not.a.jwt"
		refused(t, c.Do(t, q, nil), "UNAUTHENTICATED")
	})
	t.Run("ErrTamperedToken", func(t *testing.T) {
		c := env.As(t, "SALES_REP")
		c.Token = c.Token[:len(c.Token)-2] + map[bool]string{true: "AA", false: "BB"}[!strings.HasSuffix(c.Token, "AA")]
		refused(t, c.Do(t, q, nil), "UNAUTHENTICATED")
	})
	t.Run("ErrNotBearer", func(t *testing.T) {
		rep := env.As(t, "SALES_REP")
		r := post(t, env, "", q, nil, map[string]string{"Authorization": "Basic " + rep.Token})
		refused(t, r.gql(t), "UNAUTHENTICATED")
	})
	t.Run("OK", func(t *testing.T) {
		ok(t, env.As(t, "SALES_REP").Do(t, q, nil))
	})
}

// noDriverText asserts the body says nothing of the database underneath.
func noDriverText(t *testing.T, r raw) {
	t.Helper()
	body := strings.ToLower(strings.ReplaceAll(string(r.Body), r.Header.Get("X-Request-ID"), ""))
	for _, s := range []string{"sql", "database is closed", "driver", "sqlite", "mysql"} {
		if strings.Contains(body, s) {
			t.Errorf("the response leaks %q: %s", s, r.Body)
		}
	}
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	env := apptest.New(t)
	rep := env.As(t, "SALES_REP")
	if err := env.DB.SQL.Close(); err != nil {
		t.Fatal(err)
	}

	t.Run("SignedInQuery", func(t *testing.T) {
		// The token can no longer be checked against the database: the
		// request is anonymous or fails, but never shows the driver's error.
		r := post(t, env, rep.Token, `{ customers(first: 1) { totalCount edges { node { id } } } }`, nil, nil)
		noDriverText(t, r)
		res := r.gql(t)
		if len(res.Errors) == 0 {
			t.Errorf("no error with the database closed: %s", r.Body)
		}
	})
	t.Run("Login", func(t *testing.T) {
		// login reads the database anonymously: a real internal error.
		r := post(t, env, "", `mutation { login(input: {email: "rep@test.local", password: "x"}) { session { accessToken } errors { code } } }`,
			nil, map[string]string{"X-Request-ID": "leak-check-1"})
		noDriverText(t, r)
		res := r.gql(t)
		if !hasCode(res, "INTERNAL_SERVER_ERROR") {
			t.Fatalf("want INTERNAL_SERVER_ERROR, got %s", r.Body)
		}
		id := r.Header.Get("X-Request-ID")
		if id != "leak-check-1" {
			t.Errorf("X-Request-ID %q, want the client's leak-check-1", id)
		}
		for _, e := range res.Errors {
			if e.Code() == "INTERNAL_SERVER_ERROR" && !strings.Contains(e.Message, id) {
				t.Errorf("message %q does not quote the request id %q", e.Message, id)
			}
		}
	})
	t.Run("LoginGeneratedID", func(t *testing.T) {
		r := post(t, env, "", `mutation { login(input: {email: "rep@test.local", password: "x"}) { errors { code } } }`, nil, nil)
		noDriverText(t, r)
		id := r.Header.Get("X-Request-ID")
		if id == "" {
			t.Fatal("no X-Request-ID")
		}
		res := r.gql(t)
		if !hasCode(res, "INTERNAL_SERVER_ERROR") {
			t.Fatalf("want INTERNAL_SERVER_ERROR, got %s", r.Body)
		}
		for _, e := range res.Errors {
			if e.Code() == "INTERNAL_SERVER_ERROR" && !strings.Contains(e.Message, id) {
				t.Errorf("message %q does not quote the request id %q", e.Message, id)
			}
		}
	})
	t.Run("Readyz", func(t *testing.T) {
		r := send(t, http.MethodGet, env.URL+"/readyz", nil, nil)
		if r.Status != http.StatusServiceUnavailable {
			t.Errorf("/readyz %d with the database closed, want 503", r.Status)
		}
		noDriverText(t, r)
	})
}

func TestRequestID(t *testing.T) {
	env := apptest.New(t)
	gqlPost := func(h map[string]string) raw {
		return post(t, env, "", `{ __typename }`, nil, h)
	}
	t.Run("Everywhere", func(t *testing.T) {
		for name, r := range map[string]raw{
			"POST /graphql":   gqlPost(nil),
			"GET /graphql":    send(t, http.MethodGet, env.URL+"/graphql?query=%7B__typename%7D", nil, nil),
			"GET /healthz":    send(t, http.MethodGet, env.URL+"/healthz", nil, nil),
			"GET /readyz":     send(t, http.MethodGet, env.URL+"/readyz", nil, nil),
			"GET /":           send(t, http.MethodGet, env.URL+"/", nil, nil),
			"GET /nowhere":    send(t, http.MethodGet, env.URL+"/nowhere", nil, nil),
			"413":             send(t, http.MethodPost, env.URL+"/graphql", bytes.NewReader(make([]byte, 1<<20+1)), map[string]string{"Content-Type": "application/json"}),
			"unauthenticated": post(t, env, "", `{ customers { totalCount } }`, nil, nil),
		} {
			if r.Header.Get("X-Request-ID") == "" {
				t.Errorf("%s (status %d) has no X-Request-ID", name, r.Status)
			}
		}
	})
	t.Run("Unique", func(t *testing.T) {
		a, b := gqlPost(nil).Header.Get("X-Request-ID"), gqlPost(nil).Header.Get("X-Request-ID")
		if a == b {
			t.Errorf("two requests share the id %q", a)
		}
	})
	t.Run("Echoed", func(t *testing.T) {
		const id = "client-req_0001.abc"
		if got := gqlPost(map[string]string{"X-Request-ID": id}).Header.Get("X-Request-ID"); got != id {
			t.Errorf("X-Request-ID %q, want the client's %q", got, id)
		}
	})
	t.Run("ErrInsaneReplaced", func(t *testing.T) {
		for _, id := range []string{"has space", strings.Repeat("a", 65)} {
			got := gqlPost(map[string]string{"X-Request-ID": id}).Header.Get("X-Request-ID")
			if got == id || got == "" || strings.ContainsAny(got, " \t") || len(got) > 64 {
				t.Errorf("client id %q came back as %q", id, got)
			}
		}
	})
}

func TestHealth(t *testing.T) {
	env := apptest.New(t)
	t.Run("Healthz", func(t *testing.T) {
		r := send(t, http.MethodGet, env.URL+"/healthz", nil, nil)
		if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"status":"ok"}` {
			t.Errorf("/healthz %d %s", r.Status, r.Body)
		}
	})
	t.Run("Readyz", func(t *testing.T) {
		r := send(t, http.MethodGet, env.URL+"/readyz", nil, nil)
		if r.Status != http.StatusOK || strings.TrimSpace(string(r.Body)) != `{"status":"ok"}` {
			t.Errorf("/readyz %d %s", r.Status, r.Body)
		}
	})
	t.Run("GraphiQL", func(t *testing.T) {
		r := send(t, http.MethodGet, env.URL+"/", nil, nil)
		if r.Status != http.StatusOK || !strings.Contains(strings.ToLower(string(r.Body)), "graphiql") {
			t.Errorf("GET / %d %.300s", r.Status, r.Body)
		}
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET / Content-Type %q", ct)
		}
	})
	t.Run("ErrReadyzDatabaseClosed", func(t *testing.T) {
		if err := env.DB.SQL.Close(); err != nil {
			t.Fatal(err)
		}
		r := send(t, http.MethodGet, env.URL+"/readyz", nil, nil)
		if r.Status != http.StatusServiceUnavailable {
			t.Errorf("/readyz %d with the database closed, want 503: %s", r.Status, r.Body)
		}
		if h := send(t, http.MethodGet, env.URL+"/healthz", nil, nil); h.Status != http.StatusOK {
			t.Errorf("/healthz %d with the database closed, want 200 (liveness does not depend on it)", h.Status)
		}
	})
}
