package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"orderdesk/clip"
)

// post is gqlgen's POST transport (transport.POST: the same requests,
// content types and status codes) with two differences. A body that does
// not decode as a GraphQL request gets a short message saying what is
// wrong, never the body: gqlgen's quotes the whole body (900 KB in, 900 KB
// out). And the response is written as it stands (writeResponse), where
// gqlgen's json.Marshal re-scans and copies the whole result to check JSON
// that the executor has just written.
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
	ctx := r.Context()
	contentType := responseType(r)
	w.Header().Set("Content-Type", contentType)
	// Data is written as the executor made it, with <, > and & as they
	// are (json.Marshal would escape them): no browser may read it as HTML.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	params := &graphql.RawParams{}
	start := graphql.Now()
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		// undecodable accepted what the same decoding refuses: a bug.
		refuseBody(w, r, exec, http.StatusBadRequest, "request body is not a GraphQL request")
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	rc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		w.WriteHeader(requestErrorStatus(contentType, errs))
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	writeResponse(w, responses(ctx))
}

// The response content types of GraphQL over HTTP.
const (
	contentJSON            = "application/json"
	contentGraphQLResponse = "application/graphql-response+json"
)

// responseType is the content type gqlgen's POST transport answers r with:
// application/json when the client accepts it, or anything, or says
// nothing; else application/graphql-response+json.
func responseType(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return contentJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", contentJSON:
			return contentJSON
		case contentGraphQLResponse:
			return contentGraphQLResponse
		}
	}
	return contentGraphQLResponse
}

// requestErrorStatus is gqlgen's status for a request that fails before it
// runs: a protocol error (one that does not parse or validate) is 422
// under application/json and 400 under application/graphql-response+json.
func requestErrorStatus(contentType string, errs gqlerror.List) int {
	if errcode.GetErrorKind(errs) != errcode.KindProtocol {
		return http.StatusOK
	}
	if contentType == contentGraphQLResponse {
		return http.StatusBadRequest
	}
	return http.StatusUnprocessableEntity
}

// writeResponse writes resp as json.Marshal would, with its data as the
// executor wrote it: compact JSON, which json.Marshal would scan again and
// copy. Incremental (deferred) parts, which this API does not serve, go
// through json.Marshal.
func writeResponse(w io.Writer, resp *graphql.Response) {
	if resp.Label != "" || resp.Path != nil || resp.HasNext != nil {
		b, err := json.Marshal(resp)
		if err != nil {
			panic(fmt.Errorf("marshalling a response: %w", err))
		}
		_, _ = w.Write(b)
		return
	}
	var b bytes.Buffer
	b.Grow(len(resp.Data) + 64)
	b.WriteByte('{')
	if len(resp.Errors) > 0 {
		b.WriteString(`"errors":`)
		appendJSON(&b, resp.Errors)
		b.WriteByte(',')
	}
	b.WriteString(`"data":`)
	if resp.Data == nil {
		b.WriteString("null")
	} else {
		b.Write(resp.Data)
	}
	if len(resp.Extensions) > 0 {
		b.WriteString(`,"extensions":`)
		appendJSON(&b, resp.Extensions)
	}
	b.WriteByte('}')
	_, _ = w.Write(b.Bytes())
}

func appendJSON(b *bytes.Buffer, v any) {
	j, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Errorf("marshalling a response: %w", err))
	}
	b.Write(j)
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
