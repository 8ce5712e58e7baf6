package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"orderdesk/app/apptest"
)

// TestPostAnswers: the POST transport answers as GraphQL over HTTP asks,
// for each content type a client may accept: results with 200, requests
// that do not parse or validate with 200 under application/json and 400
// under application/graphql-response+json, without a data entry, never
// sniffable as HTML.
func TestPostAnswers(t *testing.T) {
	env := apptest.New(t)
	c := env.As(t, "SALES_MANAGER")
	for _, tc := range []struct {
		name, accept, query, wantType string
		wantStatus                    int
		wantData                      bool
	}{
		{"result", "", `{ orders(first: 1) { totalCount } }`, "application/json", 200, true},
		{"result, any type", "*/*", `{ orders(first: 1) { totalCount } }`, "application/json", 200, true},
		{"result, graphql-response", "application/graphql-response+json", `{ orders(first: 1) { totalCount } }`,
			"application/graphql-response+json", 200, true},
		{"parse error", "application/json", `{ orders(first: 1) { totalCount }`, "application/json", 200, false},
		{"validation error", "", `{ nosuchfield }`, "application/json", 200, false},
		{"parse error, graphql-response", "application/graphql-response+json", `{ orders(first: 1) { totalCount }`,
			"application/graphql-response+json", 400, false},
		{"validation error, graphql-response", "application/graphql-response+json", `{ nosuchfield }`,
			"application/graphql-response+json", 400, false},
	} {
		body, _ := json.Marshal(map[string]any{"query": tc.query})
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+c.Token)
		if tc.accept != "" {
			req.Header.Set("Accept", tc.accept)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var out struct {
			Data   *struct{ Orders struct{ TotalCount *int } }
			Errors []struct{ Message string }
		}
		if err := json.Unmarshal(raw, &out); err != nil {
			t.Fatalf("%s: not JSON: %s", tc.name, raw)
		}
		if res.StatusCode != tc.wantStatus || res.Header.Get("Content-Type") != tc.wantType ||
			res.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: %d %q nosniff=%q, want %d %q", tc.name, res.StatusCode, res.Header.Get("Content-Type"),
				res.Header.Get("X-Content-Type-Options"), tc.wantStatus, tc.wantType)
		}
		if got := out.Data != nil && out.Data.Orders.TotalCount != nil; got != tc.wantData {
			t.Errorf("%s: data %t, want %t: %s", tc.name, got, tc.wantData, raw)
		}
		if !tc.wantData && (len(out.Errors) == 0 || bytes.Contains(raw, []byte(`"data"`))) {
			t.Errorf("%s: want errors and no data entry: %s", tc.name, raw)
		}
	}
}
