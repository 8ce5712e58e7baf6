package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	lru "github.com/hashicorp/golang-lru/v2"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Persisted documents: a client sends the SHA-256 of a document instead of
// the document (Apollo's protocol: extensions.persistedQuery = {version: 1,
// sha256Hash}). Automatic persisted queries learn a document the first time
// a client sends it with its hash; trusted documents are a manifest the
// server is started with, and may be the only documents some callers can
// run.

// RawDocuments says who may send a document itself rather than the hash
// of a trusted one.
type RawDocuments string

const (
	RawFromAll     RawDocuments = "all"         // everyone (the default)
	RawNotFromKeys RawDocuments = "no-api-keys" // people; machine accounts (API keys) send trusted hashes
	RawFromNone    RawDocuments = "none"        // nobody: only trusted documents run
)

// TrustedDocuments are the documents of a manifest, by hash.
type TrustedDocuments struct {
	byHash map[string]string
	Raw    RawDocuments
}

// Len is the number of documents.
func (d *TrustedDocuments) Len() int { return len(d.byHash) }

// LoadTrustedDocuments reads a manifest: the JSON object of hashes to
// documents that graphql-codegen's client preset writes
// (persisted-documents.json), or an Apollo persisted query manifest
// ({"format": "apollo-persisted-query-manifest", "operations": [{"id",
// "body"}]}). Every hash must be the SHA-256 of its document.
func LoadTrustedDocuments(path string, raw RawDocuments) (*TrustedDocuments, error) {
	switch raw {
	case RawFromAll, RawNotFromKeys, RawFromNone:
	default:
		return nil, fmt.Errorf("raw documents %q: want all, no-api-keys or none", raw)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var apollo struct {
		Format     string `json:"format"`
		Operations []struct {
			ID   string `json:"id"`
			Body string `json:"body"`
		} `json:"operations"`
	}
	docs := map[string]string{}
	if err := json.Unmarshal(b, &apollo); err == nil && apollo.Format != "" {
		if apollo.Format != "apollo-persisted-query-manifest" {
			return nil, fmt.Errorf("%s: unknown manifest format %q", path, apollo.Format)
		}
		for _, op := range apollo.Operations {
			docs[op.ID] = op.Body
		}
	} else if err := json.Unmarshal(b, &docs); err != nil {
		return nil, fmt.Errorf("%s: not a manifest (a JSON object of sha256 hashes to documents): %w", path, err)
	}
	if len(docs) == 0 {
		return nil, fmt.Errorf("%s: the manifest holds no documents", path)
	}
	for hash, doc := range docs {
		if documentHash(doc) != strings.ToLower(hash) {
			return nil, fmt.Errorf("%s: %.16s… is not the SHA-256 of its document", path, hash)
		}
	}
	return &TrustedDocuments{byHash: docs, Raw: raw}, nil
}

// documentHash is the hash a client sends for doc: lower-case hex SHA-256.
func documentHash(doc string) string {
	sum := sha256.Sum256([]byte(doc))
	return hex.EncodeToString(sum[:])
}

// apqLimits bound what automatic persisted queries remember: at most
// apqEntries documents of up to apqMaxDocument bytes (32 MiB in all);
// longer documents run but are not remembered.
const (
	apqEntries     = 1000
	apqMaxDocument = 32 << 10
)

// persisted resolves the hash of a request to its document: a trusted one,
// else one learnt from a client before (automatic persisted queries); and
// refuses documents sent whole by callers that must send trusted hashes.
type persisted struct {
	trusted *TrustedDocuments // nil: none
	learnt  *lru.Cache[string, string]
}

func newPersisted(trusted *TrustedDocuments) *persisted {
	learnt, err := lru.New[string, string](apqEntries)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &persisted{trusted: trusted, learnt: learnt}
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
} = (*persisted)(nil)

func (*persisted) ExtensionName() string                   { return "PersistedDocuments" }
func (*persisted) Validate(graphql.ExecutableSchema) error { return nil }

func (p *persisted) MutateOperationParameters(ctx context.Context, raw *graphql.RawParams) *gqlerror.Error {
	hash, err := persistedHash(raw.Extensions)
	if err != nil {
		return err
	}
	if raw.Query == "" {
		if hash == "" {
			return nil // gqlgen answers that no document was sent
		}
		if doc, ok := p.trustedDocument(hash); ok {
			raw.Query = doc
			return nil
		}
		if doc, ok := p.learnt.Get(hash); ok && p.mayRunRaw(ctx) {
			raw.Query = doc
			return nil
		}
		// The message is the protocol's: Apollo's link sends the
		// document itself on seeing it.
		return requestError(codePersistedNotFound, "PersistedQueryNotFound")
	}
	if hash != "" && documentHash(raw.Query) != hash {
		return requestError(codeBadRequest, "extensions.persistedQuery.sha256Hash is not the SHA-256 of the query")
	}
	if _, ok := p.trustedDocument(documentHash(raw.Query)); ok {
		return nil
	}
	if !p.mayRunRaw(ctx) {
		return requestError(codeTrustedOnly, "this server runs only trusted documents for you: send extensions.persistedQuery.sha256Hash of a document in its manifest")
	}
	if hash != "" && len(raw.Query) <= apqMaxDocument {
		p.learnt.Add(hash, raw.Query)
	}
	return nil
}

func (p *persisted) trustedDocument(hash string) (string, bool) {
	if p.trusted == nil {
		return "", false
	}
	doc, ok := p.trusted.byHash[hash]
	return doc, ok
}

// mayRunRaw says whether the caller may run a document that is not
// trusted.
func (p *persisted) mayRunRaw(ctx context.Context) bool {
	if p.trusted == nil {
		return true
	}
	switch p.trusted.Raw {
	case RawFromNone:
		return false
	case RawNotFromKeys:
		return !byAPIKey(ctx)
	default:
		return true
	}
}

// persistedHash is extensions.persistedQuery.sha256Hash, lower-cased, or
// "" when there is none.
func persistedHash(ext map[string]any) (string, *gqlerror.Error) {
	v, ok := ext["persistedQuery"]
	if !ok || v == nil {
		return "", nil
	}
	pq, ok := v.(map[string]any)
	if !ok {
		return "", requestError(codeBadRequest, "extensions.persistedQuery must be an object {version: 1, sha256Hash}")
	}
	if fmt.Sprint(pq["version"]) != "1" { // a json.Number from POST, a float64 from GET
		return "", requestError(codeBadRequest, "extensions.persistedQuery.version must be 1")
	}
	hash, _ := pq["sha256Hash"].(string)
	if len(hash) != sha256.Size*2 {
		return "", requestError(codeBadRequest, "extensions.persistedQuery.sha256Hash must be 64 hex digits")
	}
	return strings.ToLower(hash), nil
}

// Codes of persisted-document refusals.
const (
	codePersistedNotFound = "PERSISTED_QUERY_NOT_FOUND"
	codeTrustedOnly       = "TRUSTED_DOCUMENT_REQUIRED"
	codeBadRequest        = "BAD_REQUEST"
)

// requestError is an error of the request itself, before it runs.
func requestError(code, msg string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

type apiKeyKey struct{}

// withAPIKey marks ctx as a request authenticated by an API key.
func withAPIKey(ctx context.Context) context.Context {
	return context.WithValue(ctx, apiKeyKey{}, true)
}

// byAPIKey says whether the request was authenticated by an API key.
func byAPIKey(ctx context.Context) bool { v, _ := ctx.Value(apiKeyKey{}).(bool); return v }
