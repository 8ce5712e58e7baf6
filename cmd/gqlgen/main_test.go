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

// leafFile is gqlgen's rendering of a plain leaf (Order.createdAt) and of a
// leaf with a resolver (Order.refundDue).
const leafFile = `package generated

func (ec *executionContext) _Order_createdAt(ctx context.Context, field graphql.CollectedField, obj *ent.Order) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_Order_createdAt(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return obj.CreatedAt, nil
		},
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v time.Time) graphql.Marshaler {
			return ec.marshalNTime2timeᚐTime(ctx, selections, v)
		},
		true,
		true,
	)
}

func (ec *executionContext) _Order_refundDue(ctx context.Context, field graphql.CollectedField, obj *ent.Order) (ret graphql.Marshaler) {
	return graphql.ResolveField(
		ctx,
		ec.OperationContext,
		field,
		func(ctx context.Context, field graphql.CollectedField) (*graphql.FieldContext, error) {
			return ec.fieldContext_Order_refundDue(ctx, field)
		},
		func(ctx context.Context) (any, error) {
			return ec.resolvers.Order().RefundDue(ctx, obj)
		},
		nil,
		func(ctx context.Context, selections ast.SelectionSet, v *money.Money) graphql.Marshaler {
			return ec.marshalNMoney2ᚖorderdeskᚋmoneyᚐMoney(ctx, selections, v)
		},
		true,
		true,
	)
}
`

func TestRewriteMarshalsPlainLeavesDirectly(t *testing.T) {
	path := write(t, leafFile)
	if err := (&inOrder{leaves: []string{"_Order_createdAt"}}).rewrite(path); err != nil {
		t.Fatal(err)
	}
	got, _ := os.ReadFile(path)
	want := `func (ec *executionContext) _Order_createdAt(ctx context.Context, field graphql.CollectedField, obj *ent.Order) (ret graphql.Marshaler) {
	return ec.marshalNTime2timeᚐTime(ctx, field.Selections, obj.CreatedAt)
}
`
	if !strings.Contains(string(got), want) {
		t.Errorf("rewritten:\n%s\nwant it to hold:\n%s", got, want)
	}
	if !strings.Contains(string(got), "return ec.resolvers.Order().RefundDue(ctx, obj)") {
		t.Error("the resolver field was changed")
	}
}

// TestRewriteRefusesAResolverAsALeaf: a field named a plain leaf whose
// function calls anything but the value fails the generation.
func TestRewriteRefusesAResolverAsALeaf(t *testing.T) {
	path := write(t, leafFile)
	if err := (&inOrder{leaves: []string{"_Order_refundDue"}}).rewrite(path); err == nil {
		t.Error("rewrite succeeded")
	}
	if got, _ := os.ReadFile(path); string(got) != leafFile {
		t.Error("the file was changed")
	}
}

// TestGeneratedValuesAreMarshalledDirectly: in the committed exec file, a
// field holding a value object (Money, Address, PageInfo) is marshalled
// straight from the Go value, while an object read through a context (an
// ent edge) still resolves with its field context.
func TestGeneratedValuesAreMarshalledDirectly(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("..", "..", "graph", "generated", "generated.go"))
	if err != nil {
		t.Fatal(err)
	}
	for fn, want := range map[string]string{
		"_Order_total":              "\treturn ec.marshalNMoney2orderdeskᚋmoneyᚐMoney(ctx, field.Selections, obj.Total())",
		"_OrderConnection_pageInfo": "\treturn ec.marshalNPageInfo2entgoᚗioᚋcontribᚋentgqlᚐPageInfo(ctx, field.Selections, obj.PageInfo)",
		"_Order_customer":           "return graphql.ResolveField(",
		// Objects collect their fields through the operation's cache; the
		// roots, once per operation, as gqlgen does.
		"_Order": "fields := ec.collectFields(sel, orderImplementors)",
		"_Query": "fields := graphql.CollectFields(ec.OperationContext, sel, queryImplementors)",
	} {
		body, _, err := function(src, fn)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(body), want) {
			t.Errorf("%s:\n%s\nwant it to hold %q", fn, body, want)
		}
	}
}
