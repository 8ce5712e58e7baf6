package guard

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// TestQueryCache: a document has its default page sizes from the moment it
// is cached, so the requests sharing it only read it; a long document gets
// them too but is not kept.
func TestQueryCache(t *testing.T) {
	ctx := context.Background()
	limits := Limits{DefaultPageSize: 7}
	c := NewQueryCache(limits)
	q := `{ orders { totalCount } me { orders { totalCount } } }`
	c.Add(ctx, q, load(t, q))
	doc, ok := c.Get(ctx, q)
	if !ok {
		t.Fatal("the document was not kept")
	}
	for _, path := range [][]string{{"orders"}, {"me", "orders"}} {
		if got := field(doc.Operations[0].SelectionSet, path...).ArgumentMap(nil)["first"]; got != int64(7) {
			t.Errorf("%v: first = %v, want 7", path, got)
		}
	}

	// Requests running the cached document at once: the extension's own
	// pass must not write to it (the race detector sees a write).
	ext := &Extension{Limits: limits}
	if err := ext.Validate(execSchema{}); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			rc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
			if err := ext.MutateOperationContext(ctx, rc); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(field(doc.Operations[0].SelectionSet, "orders").Arguments); n != 1 {
		t.Errorf("orders has %d arguments after the requests, want 1", n)
	}

	long := q + strings.Repeat(" ", MaxQueryBytes)
	longDoc := load(t, long)
	c.Add(ctx, long, longDoc)
	if _, ok := c.Get(ctx, long); ok {
		t.Error("a document longer than MaxQueryBytes was kept")
	}
	if got := field(longDoc.Operations[0].SelectionSet, "orders").ArgumentMap(nil)["first"]; got != int64(7) {
		t.Errorf("long document: first = %v, want 7", got)
	}
}
