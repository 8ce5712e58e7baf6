package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"orderdesk/clip"
)

// post is gqlgen's POST transport behind a check that the body decodes as
// a GraphQL request. gqlgen answers a body it cannot decode with the whole
// body in its error message (900 KB in, 900 KB out); here such a body gets
// a short message saying what is wrong, never the body.
type post struct{ transport.POST }

func (p post) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			refuseBody(w, r, exec, http.StatusRequestEntityTooLarge, "request body too large")
		} else {
			refuseBody(w, r, exec, http.StatusBadRequest, "could not read the request body")
		}
		return
	}
	if msg := undecodable(body); msg != "" {
		refuseBody(w, r, exec, http.StatusBadRequest, msg)
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	p.POST.Do(w, r, exec)
}

// request has the fields and JSON names of graphql.RawParams, so it decodes
// exactly when gqlgen's decoding will; the variables and extensions are
// only checked for being objects, not built.
type request struct {
	Query         string          `json:"query"`
	OperationName string          `json:"operationName"`
	Variables     json.RawMessage `json:"variables"`
	Extensions    json.RawMessage `json:"extensions"`
}

// undecodable says why body is not a GraphQL request gqlgen can decode,
// or "".
func undecodable(body []byte) string {
	var req request
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	err := dec.Decode(&req)
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		return "request body is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "request body ends inside its JSON"
	case errors.As(err, &syntax):
		return fmt.Sprintf("request body is not valid JSON at byte %d: %s", syntax.Offset,
			clip.Message(syntax.Error(), clipValue, clipMessage))
	case errors.As(err, &typ) && typ.Field == "":
		return "request body must be a JSON object"
	case errors.As(err, &typ):
		return fmt.Sprintf("request body: %s must be %s", clip.Runes(typ.Field, clipValue), jsonKind(typ.Type))
	default:
		return "request body is not a GraphQL request"
	}
	for name, raw := range map[string]json.RawMessage{"variables": req.Variables, "extensions": req.Extensions} {
		if v := bytes.TrimSpace(raw); len(v) > 0 && v[0] != '{' && !bytes.Equal(v, []byte("null")) {
			return "request body: " + name + " must be an object"
		}
	}
	return ""
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	default:
		return "an object"
	}
}

// refuseBody answers a request that never reached the executor with one
// BAD_USER_INPUT error (through the error presenter).
func refuseBody(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, status int, msg string) {
	resp := exec.DispatchError(r.Context(), gqlerror.List{{Message: msg, Extensions: map[string]any{"code": codeBadInput}}})
	b, err := json.Marshal(resp)
	if err != nil {
		b = []byte(`{"errors":[{"message":"bad request","extensions":{"code":"BAD_USER_INPUT"}}]}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
