package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"orderdesk/clip"
	"orderdesk/graph/generated"
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
	body, ok := readRequest(w, r, exec)
	if !ok {
		return
	}
	contentType := responseType(r)
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
	serve(w, r, exec, params, contentType, false)
}

// readRequest reads a POST's body and checks that it decodes as a GraphQL
// request; when it does not, it answers the refusal and ok is false.
func readRequest(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) (body []byte, ok bool) {
	body, err := io.ReadAll(r.Body)
	switch {
	case errors.As(err, new(*http.MaxBytesError)):
		refuseBody(w, r, exec, http.StatusRequestEntityTooLarge, "request body too large")
	case err != nil:
		refuseBody(w, r, exec, http.StatusBadRequest, "could not read the request body")
	default:
		if msg := undecodable(body); msg != "" {
			refuseBody(w, r, exec, http.StatusBadRequest, msg)
			return nil, false
		}
		return body, true
	}
	return nil, false
}

// get serves queries sent as URL parameters (query, operationName, and
// variables and extensions as JSON), as gqlgen's GET transport does, with
// the statuses and bodies of post; a mutation is refused with 405 before
// it runs.
type get struct{ transport.GET }

func (get) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	query, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		refuseBody(w, r, exec, http.StatusBadRequest, "the URL's parameters do not parse")
		return
	}
	params := &graphql.RawParams{Query: query.Get("query"), OperationName: query.Get("operationName"), Headers: r.Header}
	params.ReadTime.Start = graphql.Now()
	for name, into := range map[string]*map[string]any{"variables": &params.Variables, "extensions": &params.Extensions} {
		v := query.Get(name)
		if v == "" {
			continue
		}
		dec := json.NewDecoder(strings.NewReader(v))
		dec.UseNumber()
		if err := dec.Decode(into); err != nil {
			refuseBody(w, r, exec, http.StatusBadRequest, "the "+name+" parameter must be a JSON object")
			return
		}
	}
	params.ReadTime.End = graphql.Now()
	serve(w, r, exec, params, responseType(r), true)
}

// serve runs one decoded request and writes its answer. A request that
// fails before it runs (it does not parse or validate, its variables do
// not fit, or it is refused) is answered without data: 200 under
// application/json, 400 under application/graphql-response+json, as
// GraphQL over HTTP asks. onlyQueries (GET) refuses anything else with 405.
func serve(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, params *graphql.RawParams, contentType string, onlyQueries bool) {
	if params.Query == "" && params.Extensions["persistedQuery"] == nil {
		refuseBody(w, r, exec, http.StatusBadRequest, "the request has no query (nor extensions.persistedQuery)")
		return
	}
	ctx := r.Context()
	w.Header().Set("Content-Type", contentType)
	// Data is written as the executor made it, with <, > and & as they
	// are (json.Marshal would escape them): no browser may read it as HTML.
	w.Header().Set("X-Content-Type-Options", "nosniff")
	rc, errs := exec.CreateOperationContext(ctx, params)
	if errs != nil {
		w.WriteHeader(requestErrorStatus(contentType))
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), errs))
		return
	}
	if onlyQueries && rc.Operation.Operation != ast.Query {
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		writeResponse(w, exec.DispatchError(graphql.WithOperationContext(ctx, rc), gqlerror.List{
			requestError(codeBadRequest, "only queries may be sent by GET: send "+string(rc.Operation.Operation)+"s by POST")}))
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	resp := responses(ctx)
	writeResponse(w, resp)
	if rc.Operation.Operation == ast.Query && resp != nil {
		// Written and referred to by nothing else (the response
		// interceptors read only its errors): the next query writes into it.
		generated.RecycleResponse(resp.Data)
	}
}

// unsupported answers, in JSON, what no transport takes: another method
// (405) or a POST whose body is not application/json (415).
type unsupported struct{}

func (unsupported) Supports(*http.Request) bool { return true }

func (unsupported) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	if r.Method == http.MethodPost {
		refuseBody(w, r, exec, http.StatusUnsupportedMediaType, "send the request as application/json")
		return
	}
	w.Header().Set("Allow", "GET, POST, OPTIONS")
	refuseBody(w, r, exec, http.StatusMethodNotAllowed, "GraphQL is served by POST, and queries by GET")
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

// requestErrorStatus is the status of a request that fails before it
// runs: GraphQL over HTTP wants 200 under application/json (the error is
// in the body) and a 4xx under application/graphql-response+json.
func requestErrorStatus(contentType string) int {
	if contentType == contentGraphQLResponse {
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// writeResponse writes resp as json.Marshal would, with its data as the
// executor wrote it: compact JSON, which json.Marshal would scan again and
// copy, written as it is rather than copied into one body. Incremental
// (deferred) parts, which this API does not serve, go through
// json.Marshal.
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
	b.WriteByte('{')
	sep := func() {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
	}
	if len(resp.Errors) > 0 {
		b.WriteString(`"errors":`)
		appendJSON(&b, resp.Errors)
	}
	// A request that failed before it ran has no data at all (the
	// GraphQL spec); one whose execution nulled the root has data null.
	if resp.Data != nil {
		sep()
		b.WriteString(`"data":`)
		_, _ = w.Write(b.Bytes())
		_, _ = w.Write(resp.Data)
		b.Reset()
	} else if len(resp.Errors) == 0 {
		b.WriteString(`"data":null`)
	}
	if len(resp.Extensions) > 0 {
		b.WriteByte(',')
		b.WriteString(`"extensions":`)
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
