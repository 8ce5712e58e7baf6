package guard

import (
	"context"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
)

// QueryCache keeps parsed and validated documents, so that a client
// sending the same document again (every client does) is spared parsing
// and validating it. Register it with handler.SetQueryCache.
//
// A cached document is shared by the requests running it, so nothing may
// change it once cached: the default page size that the Extension gives
// connections is given here, as a document enters the cache, and the
// Extension's own pass over it then finds nothing left to do. Documents
// longer than MaxQueryBytes are parsed every time rather than kept, so the
// cache stays small whatever clients send.
type QueryCache struct {
	docs     *lru.LRU[*ast.QueryDocument]
	pageSize int
}

// Query cache bounds: documents kept, and the longest kept (query text).
const (
	QueryCacheEntries = 256
	MaxQueryBytes     = 8 << 10
)

var _ graphql.Cache[*ast.QueryDocument] = (*QueryCache)(nil)

// NewQueryCache is a cache for documents run under limits.
func NewQueryCache(limits Limits) *QueryCache {
	return &QueryCache{docs: lru.New[*ast.QueryDocument](QueryCacheEntries), pageSize: limits.withDefaults().DefaultPageSize}
}

// Get implements graphql.Cache.
func (c *QueryCache) Get(ctx context.Context, query string) (*ast.QueryDocument, bool) {
	return c.docs.Get(ctx, query)
}

// Add implements graphql.Cache. The executor calls it with a document it
// has just parsed and validated, before running it.
func (c *QueryCache) Add(ctx context.Context, query string, doc *ast.QueryDocument) {
	for _, op := range doc.Operations {
		DefaultPageSize(op, c.pageSize)
	}
	if len(query) <= MaxQueryBytes {
		c.docs.Add(ctx, query, doc)
	}
}
