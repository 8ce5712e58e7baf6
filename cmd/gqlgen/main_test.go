package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const execFile = `package generated

func (ec *executionContext) marshalNOrder2ᚕ(ctx context.Context, sel ast.SelectionSet, v []*ent.Order) graphql.Marshaler {
	ret := graphql.MarshalSliceConcurrently(ctx, len(v), 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		return ec.marshalNOrder2ᚖ(ctx, sel, v[i])
	})
	return ret
}

func (ec *executionContext) _Order(ctx context.Context, sel ast.SelectionSet, obj *ent.Order) graphql.Marshaler {
	deferred := graphql.NewDeferredGroup(ctx)
	return out
}

func (ec *executionContext) _Item(ctx context.Context, sel ast.SelectionSet, obj *ent.Item) graphql.Marshaler {
	deferred := graphql.NewDeferredGroup(ctx)
	out.ResolveConcurrently(ec.OperationContext, &deferred, i)
	return out
}
`

func write(t *testing.T, src string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "generated.go")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRewriteMakesListsAndObjectsSequential(t *testing.T) {
	path := write(t, execFile)
	p := &inOrder{edits: []edit{
		{fn: "_Order", old: newDeferredGroup, new: noDeferredGroup, absent: "&deferred"},
		{fn: "marshalNOrder2ᚕ", old: concurrentSlice, new: sequentialSlice},
	}}
	if err := p.rewrite(path); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := strings.Replace(strings.Replace(execFile, concurrentSlice, sequentialSlice, 1), newDeferredGroup, noDeferredGroup, 1)
	if string(got) != want {
		t.Errorf("rewritten:\n%s\nwant:\n%s", got, want)
	}
	// _Item, not named, keeps its deferred group.
	if !strings.Contains(string(got), "deferred := graphql.NewDeferredGroup(ctx)\n\tout.ResolveConcurrently") {
		t.Error("an object not edited was changed")
	}
}

// TestRewriteRefusesAnUnexpectedShape: what gqlgen renders differently
// (after an upgrade) fails the generation instead of being half applied.
func TestRewriteRefusesAnUnexpectedShape(t *testing.T) {
	for name, e := range map[string]edit{
		"missing function":   {fn: "_Missing", old: newDeferredGroup, new: noDeferredGroup},
		"missing text":       {fn: "_Order", old: concurrentSlice, new: sequentialSlice},
		"still used after":   {fn: "_Item", old: newDeferredGroup, new: noDeferredGroup, absent: "&deferred"},
		"function is prefix": {fn: "marshalNOrder2", old: concurrentSlice, new: sequentialSlice},
	} {
		path := write(t, execFile)
		if err := (&inOrder{edits: []edit{e}}).rewrite(path); err == nil {
			t.Errorf("%s: rewrite succeeded", name)
		}
		if got, _ := os.ReadFile(path); string(got) != execFile {
			t.Errorf("%s: the file was changed", name)
		}
	}
}
