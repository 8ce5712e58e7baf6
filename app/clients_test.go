package app_test

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"net/http"
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
