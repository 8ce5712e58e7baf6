package httpapi

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// TestWriteResponseIsJSONMarshal: a response written as it stands is what
// gqlgen's json.Marshal writes, byte for byte, except that <, > and & in
// the data are not escaped (which changes no value), and that errors
// without data (a request that failed before it ran) have no data entry.
func TestWriteResponseIsJSONMarshal(t *testing.T) {
	yes := true
	errs := gqlerror.List{{Message: "no such order", Path: ast.Path{ast.PathName("order")},
		Extensions: map[string]any{"code": "NOT_FOUND"}}}
	for name, resp := range map[string]*graphql.Response{
		"data":                {Data: json.RawMessage(`{"orders":{"edges":[{"node":{"id":"1","notes":"ä \"x\""}}]}}`)},
		"errors and data":     {Errors: errs, Data: json.RawMessage(`{"order":null}`)},
		"no data at all":      {},
		"extensions":          {Data: json.RawMessage(`{}`), Extensions: map[string]any{"cost": 12}},
		"an incremental part": {Data: json.RawMessage(`{"a":1}`), Label: "l", Path: ast.Path{ast.PathName("a")}, HasNext: &yes},
	} {
		var got bytes.Buffer
		writeResponse(&got, resp)
		want, err := json.Marshal(resp)
		if err != nil {
			t.Fatal(err)
		}
		if got.String() != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got.String(), want)
		}
	}

	var refused bytes.Buffer
	writeResponse(&refused, &graphql.Response{Errors: errs})
	if want := `{"errors":[{"message":"no such order","path":["order"],"extensions":{"code":"NOT_FOUND"}}]}`; refused.String() != want {
		t.Errorf("errors, no data:\n got %s\nwant %s", refused.String(), want)
	}

	resp := &graphql.Response{Data: json.RawMessage(`{"note":"<b>&</b>"}`)}
	var got bytes.Buffer
	writeResponse(&got, resp)
	want, _ := json.Marshal(resp)
	var a, b any
	if err := json.Unmarshal(got.Bytes(), &a); err != nil {
		t.Fatalf("not JSON: %s", got.String())
	}
	_ = json.Unmarshal(want, &b)
	if !jsonEqual(a, b) {
		t.Errorf("HTML characters: %s reads differently from %s", got.String(), want)
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
