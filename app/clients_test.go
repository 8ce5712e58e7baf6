package app_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"orderdesk/app"
	"orderdesk/app/apptest"
	"orderdesk/httpapi"
	"orderdesk/store/storetest"
)

// rawClient sends requests as written: no gzip asked or undone behind the
// test's back.
var rawClient = &http.Client{Transport: &http.Transport{DisableCompression: true}}

// send makes a request to env with the headers given and returns the
// response with its body read.
func send(t *testing.T, env *apptest.Env, method, path, body string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, env.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

// TestCORS: a SPA on a configured origin gets its preflight answered (and
// cacheable) and may read the API's answers; any other origin gets no
// permission, and no origin is ever allowed credentials.
func TestCORS(t *testing.T) {
	env := apptest.NewWith(t, storetest.New(t), app.Options{Edge: httpapi.Edge{
		Origins: []string{"https://crm.example.com", "https://*.shop.example"}}})
	token := env.As(t, "SALES_REP").Token
	preflight := func(origin string) *http.Response {
		res, _ := send(t, env, http.MethodOptions, "/graphql", "", map[string]string{"Origin": origin,
			"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization, content-type"})
		return res
	}
	for _, origin := range []string{"https://crm.example.com", "https://eu.shop.example"} {
		res := preflight(origin)
		h := res.Header
		if res.StatusCode/100 != 2 || h.Get("Access-Control-Allow-Origin") != origin ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), "POST") ||
			!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") ||
			h.Get("Access-Control-Max-Age") != "3600" || h.Get("Access-Control-Allow-Credentials") != "" {
			t.Fatalf("preflight from %s: %d %v", origin, res.StatusCode, h)
		}
	}
	for _, origin := range []string{"https://evil.example", "http://crm.example.com", "https://shop.example.evil"} {
		if h := preflight(origin).Header; h.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("preflight from %s allowed: %v", origin, h)
		}
	}

	res, body := send(t, env, http.MethodPost, "/graphql", `{"query":"{ me { role } }"}`, map[string]string{
		"Origin": "https://crm.example.com", "Content-Type": "application/json", "Authorization": "Bearer " + token})
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), `"SALES_REP"`) ||
		res.Header.Get("Access-Control-Allow-Origin") != "https://crm.example.com" ||
		!strings.Contains(res.Header.Get("Access-Control-Expose-Headers"), "X-Request-Id") {
		t.Fatalf("request from the SPA: %d %v %s", res.StatusCode, res.Header, body)
	}
	res, _ = send(t, env, http.MethodPost, "/graphql", `{"query":"{ me { role } }"}`, map[string]string{
		"Origin": "https://evil.example", "Content-Type": "application/json", "Authorization": "Bearer " + token})
	if h := res.Header.Get("Access-Control-Allow-Origin"); h != "" {
		t.Fatalf("a stranger's page may read the answer: %q", h)
	}

	closed := apptest.New(t) // no origins configured
	res, _ = send(t, closed, http.MethodOptions, "/graphql", "", map[string]string{"Origin": "https://crm.example.com",
		"Access-Control-Request-Method": "POST"})
	if h := res.Header.Get("Access-Control-Allow-Origin"); h != "" {
		t.Fatalf("no origins configured, yet %q allowed", h)
	}
}

// TestCompression: a client that accepts gzip gets a page of orders, the
// GraphiQL assets and errors gzipped, and the same JSON when unpacked; one
// that does not gets it plain.
func TestCompression(t *testing.T) {
	w := newWorld(t)
	env := w.env
	for range 8 {
		w.createConfirmed(t, 1, 1)
	}
	token := env.As(t, "SALES_MANAGER").Token
	query, _ := json.Marshal(map[string]string{"query": `{ orders(first: 20) { edges { node { id number status
		customer { name } lines { quantity unitPrice { amount currency } } } } } }`})
	ask := func(encoding string) (*http.Response, []byte) {
		return send(t, env, http.MethodPost, "/graphql", string(query), map[string]string{
			"Content-Type": "application/json", "Authorization": "Bearer " + token, "Accept-Encoding": encoding})
	}
	plainRes, plain := ask("identity")
	if plainRes.Header.Get("Content-Encoding") != "" || !json.Valid(plain) || len(plain) < 1500 {
		t.Fatalf("uncompressed: %v, %d bytes", plainRes.Header, len(plain))
	}
	res, packed := ask("gzip, deflate, br")
	if res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(res.Header.Get("Vary"), "Accept-Encoding") {
		t.Fatalf("asked for gzip: %v", res.Header)
	}
	if got := gunzip(t, packed); !bytes.Equal(got, plain) {
		t.Fatalf("unpacked answer differs:\n%s\n%s", got, plain)
	}
	if len(packed)*2 > len(plain) {
		t.Fatalf("gzip made %d bytes of %d", len(packed), len(plain))
	}
	t.Logf("a page of %d orders: %d bytes, %d gzipped", 8, len(plain), len(packed))

	res, js := send(t, env, http.MethodGet, "/graphiql/graphiql.min.js", "", map[string]string{"Accept-Encoding": "gzip"})
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Encoding") != "gzip" ||
		!strings.Contains(res.Header.Get("Content-Type"), "javascript") || len(gunzip(t, js)) < 1<<20 {
		t.Fatalf("GraphiQL's script: %d %v", res.StatusCode, res.Header)
	}
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// gql is one GraphQL request made by hand: by POST with a JSON body, or by
// GET with the same fields as URL parameters.
type gql struct {
	method, query string
	hash          string // extensions.persistedQuery.sha256Hash; "" = none
	header        map[string]string
}

// do sends r to env and decodes the answer.
func (r gql) do(t *testing.T, env *apptest.Env) (int, apptest.Response) {
	t.Helper()
	fields := map[string]any{}
	if r.query != "" {
		fields["query"] = r.query
	}
	if r.hash != "" {
		fields["extensions"] = map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": r.hash}}
	}
	header := map[string]string{"Content-Type": "application/json"}
	for k, v := range r.header {
		header[k] = v
	}
	var res *http.Response
	var body []byte
	if r.method == http.MethodGet {
		q := url.Values{}
		for k, v := range fields {
			if s, ok := v.(string); ok {
				q.Set(k, s)
			} else {
				b, _ := json.Marshal(v)
				q.Set(k, string(b))
			}
		}
		res, body = send(t, env, http.MethodGet, "/graphql?"+q.Encode(), "", header)
	} else {
		b, _ := json.Marshal(fields)
		res, body = send(t, env, http.MethodPost, "/graphql", string(b), header)
	}
	var out apptest.Response
	if err := json.Unmarshal(body, &out); err != nil {
		t.Fatalf("%s %s: %d %s", r.method, r.query, res.StatusCode, body)
	}
	return res.StatusCode, out
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// TestPersistedQueries: Apollo's automatic persisted queries, by POST and
// by GET — a hash the server does not know is answered
// PersistedQueryNotFound (so the client sends the document with it), then
// the hash alone runs it; a hash that is not the document's is refused; a
// mutation by GET never runs.
func TestPersistedQueries(t *testing.T) {
	env := apptest.New(t)
	bearer := map[string]string{"Authorization": "Bearer " + env.As(t, "SALES_REP").Token}
	for _, method := range []string{http.MethodPost, http.MethodGet} {
		query := `query Me` + method + ` { me { role } }`
		hash := sha256Hex(query)
		status, r := gql{method: method, hash: hash, header: bearer}.do(t, env)
		if status != http.StatusOK || len(r.Errors) != 1 || r.Errors[0].Message != "PersistedQueryNotFound" ||
			r.Errors[0].Code() != "PERSISTED_QUERY_NOT_FOUND" {
			t.Fatalf("%s: unknown hash: %d %+v", method, status, r.Errors)
		}
		for _, req := range []gql{{method: method, query: query, hash: hash, header: bearer}, {method: method, hash: hash, header: bearer}} {
			if status, r := req.do(t, env); status != http.StatusOK || len(r.Errors) > 0 || !strings.Contains(string(r.Data), `"SALES_REP"`) {
				t.Fatalf("%s (query sent: %t): %d %+v %s", method, req.query != "", status, r.Errors, r.Data)
			}
		}
		if _, r := (gql{method: method, query: `{ me { role } }`, hash: hash, header: bearer}).do(t, env); len(r.Errors) != 1 || r.Errors[0].Code() != "BAD_REQUEST" {
			t.Fatalf("%s: a hash of another document: %+v", method, r.Errors)
		}
	}
	customers := func() int {
		var out struct{ Customers struct{ TotalCount int } }
		env.As(t, "ADMIN").MustDo(t, `{ customers { totalCount } }`, nil, &out)
		return out.Customers.TotalCount
	}
	before := customers()
	create := `mutation { createCustomer(input: {name: "By link", creditLimit: "1.00",
		shippingAddress: {line1: "1 Main St", city: "Berlin", country: "DE"}}) { customer { id } } }`
	admin := map[string]string{"Authorization": "Bearer " + env.As(t, "ADMIN").Token}
	gql{method: http.MethodPost, query: create, hash: sha256Hex(create), header: admin}.do(t, env) // learnt
	for _, req := range []gql{{method: http.MethodGet, query: create, header: admin}, {method: http.MethodGet, hash: sha256Hex(create), header: admin}} {
		if status, _ := req.do(t, env); status == http.StatusOK {
			t.Fatalf("a mutation by GET answered 200")
		}
	}
	if after := customers(); after != before+1 {
		t.Fatalf("%d customers after one mutation by POST and two by GET, want %d", after, before+1)
	}
}

// TestTrustedDocuments: with a manifest (graphql-codegen's format, or
// Apollo's), trusted documents run by hash for anyone; under no-api-keys a
// machine account's own documents are refused while people's run; under
// none only trusted documents run, sign-in included. A manifest whose
// hash is not its document's is refused at start.
func TestTrustedDocuments(t *testing.T) {
	login := `mutation Login($e: String!, $p: String!) { login(input: {email: $e, password: $p}) { session { accessToken } } }`
	me := `query Me { me { role } }`
	dir := t.TempDir()
	codegen := filepath.Join(dir, "persisted-documents.json")
	writeJSON(t, codegen, map[string]string{sha256Hex(me): me})
	apollo := filepath.Join(dir, "apollo.json")
	writeJSON(t, apollo, map[string]any{"format": "apollo-persisted-query-manifest", "version": 1,
		"operations": []map[string]string{{"id": sha256Hex(me), "name": "Me", "type": "query", "body": me},
			{"id": sha256Hex(login), "name": "Login", "type": "mutation", "body": login}}})
	bad := filepath.Join(dir, "bad.json")
	writeJSON(t, bad, map[string]string{sha256Hex(login): me})
	if _, err := httpapi.LoadTrustedDocuments(bad, httpapi.RawFromAll); err == nil {
		t.Fatal("a manifest with a wrong hash loaded")
	}
	if _, err := httpapi.LoadTrustedDocuments(codegen, "some"); err == nil {
		t.Fatal("an unknown raw-documents setting loaded")
	}
	start := func(path string, raw httpapi.RawDocuments) *apptest.Env {
		docs, err := httpapi.LoadTrustedDocuments(path, raw)
		if err != nil {
			t.Fatal(err)
		}
		return apptest.NewWith(t, storetest.New(t), app.Options{Edge: httpapi.Edge{Documents: docs}})
	}
	role := func(r apptest.Response) string {
		var out struct{ Me struct{ Role string } }
		_ = json.Unmarshal(r.Data, &out)
		return out.Me.Role
	}
	refused := func(r apptest.Response) bool {
		return len(r.Errors) == 1 && r.Errors[0].Code() == "TRUSTED_DOCUMENT_REQUIRED"
	}

	env := start(codegen, httpapi.RawNotFromKeys)
	key := integratorKey(t, env)
	person := map[string]string{"Authorization": "Bearer " + env.As(t, "SALES_REP").Token}
	machine := map[string]string{"Authorization": "Bearer " + key}
	if _, r := (gql{method: http.MethodPost, hash: sha256Hex(me), header: machine}).do(t, env); role(r) != "INTEGRATOR" {
		t.Fatalf("the machine's trusted document: %+v", r.Errors)
	}
	if _, r := (gql{method: http.MethodGet, query: me, header: machine}).do(t, env); role(r) != "INTEGRATOR" {
		t.Fatalf("a trusted document sent whole: %+v", r.Errors)
	}
	for _, req := range []gql{{method: http.MethodPost, query: `{ me { role } }`, header: machine},
		{method: http.MethodPost, query: `{ me { role } }`, hash: sha256Hex(`{ me { role } }`), header: machine}} {
		if _, r := req.do(t, env); !refused(r) {
			t.Fatalf("the machine's own document: %+v %s", r.Errors, r.Data)
		}
	}
	if _, r := (gql{method: http.MethodPost, query: `{ me { role } }`, header: person}).do(t, env); role(r) != "SALES_REP" {
		t.Fatalf("a person's own document: %+v", r.Errors)
	}

	env = start(apollo, httpapi.RawFromNone)
	if r := env.As(t, "").Do(t, `{ __typename }`, nil); !refused(r) {
		t.Fatalf("a raw document under none: %+v", r.Errors)
	}
	body, _ := json.Marshal(map[string]any{"variables": map[string]string{"e": env.Users["SALES_REP"].Email, "p": apptest.Password},
		"extensions": map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha256Hex(login)}}})
	_, raw := send(t, env, http.MethodPost, "/graphql", string(body), map[string]string{"Content-Type": "application/json"})
	var signedIn struct {
		Data struct {
			Login struct{ Session struct{ AccessToken string } }
		}
	}
	if err := json.Unmarshal(raw, &signedIn); err != nil || signedIn.Data.Login.Session.AccessToken == "" {
		t.Fatalf("signing in by a trusted hash: %s", raw)
	}
	bearer := map[string]string{"Authorization": "Bearer " + signedIn.Data.Login.Session.AccessToken}
	if _, r := (gql{method: http.MethodGet, hash: sha256Hex(me), header: bearer}).do(t, env); role(r) != "SALES_REP" {
		t.Fatalf("a trusted query by GET: %+v", r.Errors)
	}
	if _, r := (gql{method: http.MethodPost, query: `{ me { role } }`, header: bearer}).do(t, env); !refused(r) {
		t.Fatalf("a person's own document under none: %+v", r.Errors)
	}
}

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// integratorKey makes an API key for env's integrator account.
func integratorKey(t *testing.T, env *apptest.Env) string {
	t.Helper()
	var p struct{ Secret string }
	must(t, mutate(t, env.As(t, "ADMIN"), "createApiKey", `mutation($u: ID!) { createApiKey(input: {userId: $u, name: "ERP"}) {
		secret `+userErrors+` } }`, apptest.Vars{"u": apptest.ID(env.Users["INTEGRATOR"].ID)}, &p))
	return p.Secret
}

// TestConnectionNodes: a connection's nodes are its edges' nodes, in
// order, loaded with the same statements — at the top and nested — and
// edges and nodes are never null.
func TestConnectionNodes(t *testing.T) {
	w := newWorld(t)
	env := w.env
	for range 3 {
		w.createConfirmed(t, 1, 1)
	}
	manager := env.As(t, "SALES_MANAGER")
	const fields = `number customer { name orders(first: 2) { SHAPE } } lines { quantity stockItem { sku } }`
	nested := func(shape string) string {
		return strings.ReplaceAll(fields, "SHAPE", shape)
	}
	run := func(q string) (json.RawMessage, int64) {
		before := env.Statements.Load()
		r := manager.Do(t, q, nil)
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %+v", q, r.Errors)
		}
		return r.Data, env.Statements.Load() - before
	}
	viaEdges, edgeStatements := run(`{ orders(first: 3) { edges { node { ` + nested(`edges { node { number } }`) + ` } } } }`)
	viaNodes, nodeStatements := run(`{ orders(first: 3) { nodes { ` + nested(`nodes { number }`) + ` } } }`)
	var e struct {
		Orders struct {
			Edges []struct{ Node json.RawMessage }
		}
	}
	var n struct {
		Orders struct{ Nodes []json.RawMessage }
	}
	if err := json.Unmarshal(viaEdges, &e); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(viaNodes, &n); err != nil {
		t.Fatal(err)
	}
	if len(n.Orders.Nodes) != 3 || len(e.Orders.Edges) != 3 {
		t.Fatalf("%d nodes, %d edges, want 3", len(n.Orders.Nodes), len(e.Orders.Edges))
	}
	for i := range n.Orders.Nodes {
		var edgeShape, nodeShape any
		_ = json.Unmarshal(e.Orders.Edges[i].Node, &edgeShape)
		_ = json.Unmarshal(n.Orders.Nodes[i], &nodeShape)
		a, _ := json.Marshal(asNodes(edgeShape))
		b, _ := json.Marshal(nodeShape)
		if !bytes.Equal(a, b) {
			t.Fatalf("node %d:\n%s\nwant\n%s", i, b, a)
		}
	}
	if nodeStatements != edgeStatements {
		t.Fatalf("nodes took %d statements, edges %d", nodeStatements, edgeStatements)
	}
	schema, err := os.ReadFile("../schema.graphql")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"edges: [OrderEdge!]!", "nodes: [Order!]!", "  node: Order!\n"} {
		if !strings.Contains(string(schema), want) {
			t.Errorf("schema.graphql lacks %q", want)
		}
	}
}

// asNodes rewrites every connection's edges [{node: x}] in v as nodes [x].
func asNodes(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, x := range v {
			if edges, ok := x.([]any); ok && k == "edges" {
				nodes := make([]any, len(edges))
				for i, e := range edges {
					nodes[i] = asNodes(e.(map[string]any)["node"])
				}
				out["nodes"] = nodes
				continue
			}
			out[k] = asNodes(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = asNodes(x)
		}
		return out
	default:
		return v
	}
}

// TestScalarsDescribed: a client reading the schema learns what Time and
// Cursor hold, and where Time is specified.
func TestScalarsDescribed(t *testing.T) {
	env := apptest.New(t)
	var out struct {
		Time, Cursor struct {
			Description    string
			SpecifiedByURL *string
		}
	}
	env.As(t, "AUDITOR").MustDo(t, `{ time: __type(name: "Time") { description specifiedByURL }
		cursor: __type(name: "Cursor") { description specifiedByURL } }`, nil, &out)
	if out.Time.SpecifiedByURL == nil || *out.Time.SpecifiedByURL != "https://scalars.graphql.org/andimarek/date-time" ||
		!strings.Contains(out.Time.Description, "RFC 3339") || !strings.Contains(out.Cursor.Description, "endCursor") {
		t.Fatalf("Time %+v, Cursor %+v", out.Time, out.Cursor)
	}
}

// TestEverythingDescribed: a client introspecting the schema finds a
// description on every type, field, argument, input field and enum value
// (the built-in scalars and introspection types aside).
func TestEverythingDescribed(t *testing.T) {
	env := apptest.New(t)
	type named struct{ Name, Description string }
	var out struct {
		Schema struct {
			Types []struct {
				named
				Fields []struct {
					named
					Args []named
				}
				InputFields []named
				EnumValues  []named
			}
		} `json:"__schema"`
	}
	env.As(t, "AUDITOR").MustDo(t, `{ __schema { types { name description
		fields(includeDeprecated: true) { name description args { name description } }
		inputFields { name description } enumValues(includeDeprecated: true) { name description } } } }`, nil, &out)
	var missing []string
	for _, ty := range out.Schema.Types {
		if strings.HasPrefix(ty.Name, "__") || slices.Contains([]string{"String", "Int", "Float", "Boolean", "ID"}, ty.Name) {
			continue
		}
		check := func(what string, n named) {
			if strings.TrimSpace(n.Description) == "" {
				missing = append(missing, what)
			}
		}
		check(ty.Name, ty.named)
		for _, f := range ty.Fields {
			check(ty.Name+"."+f.Name, f.named)
			for _, a := range f.Args {
				check(ty.Name+"."+f.Name+"("+a.Name+")", a)
			}
		}
		for _, f := range ty.InputFields {
			check(ty.Name+"."+f.Name, f)
		}
		for _, v := range ty.EnumValues {
			check(ty.Name+"."+v.Name, v)
		}
	}
	if len(out.Schema.Types) < 100 || len(missing) > 0 {
		t.Errorf("%d types; %d without a description: %v", len(out.Schema.Types), len(missing), missing)
	}
}

// TestRefusalsAreJSON: what no transport takes — another method, a body
// that is not JSON, a request with no query — is refused in JSON with a
// code, never as text.
func TestRefusalsAreJSON(t *testing.T) {
	env := apptest.New(t)
	for _, c := range []struct {
		method, contentType, body string
		status                    int
	}{
		{http.MethodPut, "application/json", `{"query":"{ __typename }"}`, http.StatusMethodNotAllowed},
		{http.MethodDelete, "", "", http.StatusMethodNotAllowed},
		{http.MethodPost, "text/plain", `{"query":"{ __typename }"}`, http.StatusUnsupportedMediaType},
		{http.MethodPost, "application/json", `{"qeury":"{ __typename }"}`, http.StatusBadRequest},
		{http.MethodGet, "", "", http.StatusBadRequest},
	} {
		header := map[string]string{}
		if c.contentType != "" {
			header["Content-Type"] = c.contentType
		}
		res, body := send(t, env, c.method, "/graphql", c.body, header)
		var out apptest.Response
		if res.StatusCode != c.status || !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") ||
			json.Unmarshal(body, &out) != nil || len(out.Errors) != 1 || out.Errors[0].Code() == "" {
			t.Errorf("%s %s: %d %q %s, want %d with one coded JSON error", c.method, c.contentType, res.StatusCode,
				res.Header.Get("Content-Type"), body, c.status)
		}
	}
}
