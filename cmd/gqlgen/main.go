// Command gqlgen is gqlgen's generate (gqlgen.yml, the same output) with one
// change to how the API executes: objects resolve their fields in the
// request's goroutine, and lists of them (and of enum values) marshal
// element by element, unless the schema marks the object @concurrent.
//
// gqlgen starts a goroutine for every list element and for every field
// bound to a resolver or to a method taking a context (ent's edge
// accessors). On a page of 50 orders that is thousands of goroutines whose
// stacks grow and are copied, for fields that read data already loaded:
// the page's edges are eager-loaded by entgql's field collection. Run
// inline, the same fields cost a function call each. A field that does its
// own I/O per element then runs one element after another; types whose
// elements are worth waiting on in parallel say @concurrent.
//
// Field concurrency is gqlgen's own switch (codegen.Object.DisableConcurrency,
// which it sets for Mutation), flipped in a CodeGenerator plugin before the
// exec file is rendered. Three things have no switch and are changed in
// the rendered file: list marshalling always calls
// graphql.MarshalSliceConcurrently, renamed in the marshallers of sequential
// objects to marshalSliceInOrder (graph/generated/inorder.go, the same
// arguments); every object builds a deferred group for concurrent and
// deferred fields, which a sequential object never has; and every object
// collects its values in a graphql.FieldSet, made for concurrent fields,
// whose marshalling allocates per field, where a sequential object uses
// fieldValues (inorder.go), a plain container writing the same JSON.
//
// A third change is for leaf fields read straight from the Go value (a
// struct field, or a method taking neither a context nor returning an
// error, such as Money.amount): gqlgen resolves each through
// graphql.ResolveField, which builds a field context, a context value, two
// closures and a boxed result, to return a value it already holds. A page
// of 50 orders has over a thousand such fields. Their functions are
// rewritten to marshal the value directly, and so are fields holding a
// value object (Money, Address, PageInfo: an object whose every field is
// such a read; see valueObjects). What they give up is nothing
// such a field uses: field middleware (the tracer spans only resolvers),
// panic recovery of their own (a panic is recovered by the object's field)
// and a path of their own in the errors of their marshaller (which can only
// fail on a value the schema does not allow, and then names the object).
//
// Objects collect their selected fields through a cache of the operation
// keyed by the selection set and the type's implementors
// (collectFields in inorder.go), where graphql.CollectFields keys its own
// cache by a hash it builds from the type names on every call: five
// allocations per object of a response, for a key that never changes.
//
// Last, a query's result is written into a recycled buffer
// (responseBuffer in inorder.go; the transport recycles it once the
// response is written), where gqlgen grows a new one by doubling: on a page
// of orders that was a tenth of the bytes allocated.
//
// Each change must find its text exactly once, or the generation fails: an
// upgrade of gqlgen cannot silently undo or misapply them.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/api"
	"github.com/99designs/gqlgen/codegen"
	"github.com/99designs/gqlgen/codegen/config"
	"github.com/vektah/gqlparser/v2/ast"
)

// concurrentDirective marks an object type whose fields keep gqlgen's
// goroutines (schema/common.graphql).
const concurrentDirective = "concurrent"

func main() {
	if err := generate(); err != nil {
		fmt.Fprintln(os.Stderr, "gqlgen:", err)
		os.Exit(1)
	}
}

func generate() error {
	cfg, err := config.LoadConfigFromDefaultLocations()
	if err != nil {
		return err
	}
	// The exec package compiles only once rewritten (inorder.go uses a
	// field the rewrite adds), so gqlgen's check that the generated
	// packages build runs after the rewrite, not before.
	check := !cfg.SkipValidation
	cfg.SkipValidation = true
	p := &inOrder{}
	if err := api.Generate(cfg, api.AddPlugin(p)); err != nil {
		return err
	}
	if err := p.rewrite(cfg.Exec.Filename); err != nil {
		return err
	}
	if !check {
		return nil
	}
	build := exec.Command("go", "build", cfg.Exec.ImportPath(), cfg.Model.ImportPath(), cfg.Resolver.ImportPath())
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("the generated packages do not build: %w", err)
	}
	return nil
}

// inOrder is the plugin: it makes objects sequential and remembers what to
// change in the exec file for them.
type inOrder struct {
	edits []edit
	// leaves are the functions of leaf fields read straight from the value.
	leaves []string
}

// edit replaces, once, old with new in the generated function fn.
type edit struct {
	fn, old, new string
	// absent must not remain in fn afterwards.
	absent string
}

func (*inOrder) Name() string { return "inorder" }

// GenerateCode runs after gqlgen has built its data and before it renders
// the exec file from it.
func (p *inOrder) GenerateCode(data *codegen.Data) error {
	sequential := map[string]bool{}
	// The operation's cache of collected fields (inorder.go).
	p.edits = append(p.edits, edit{fn: "type executionContext", old: executionState, new: executionStateAndCache})
	for _, o := range data.Objects {
		if o.Root {
			continue
		}
		p.edits = append(p.edits, edit{fn: "_" + o.Name, old: collectFields, new: cachedFields})
		if o.Definition.Directives.ForName(concurrentDirective) != nil {
			continue
		}
		o.DisableConcurrency = true
		sequential[o.Name] = true
		// The deferred group collects fields resolved concurrently or
		// deferred; a sequential object has neither, yet building the group
		// costs its path, a field set and a map per object marshalled.
		p.edits = append(p.edits, edit{fn: "_" + o.Name, old: newDeferredGroup, new: noDeferredGroup, absent: "&deferred"},
			// Nothing runs concurrently or deferred: the field set is a
			// plain container (a method it lacks fails the build).
			edit{fn: "_" + o.Name, old: newFieldSet, new: newFieldValues})
	}
	for _, t := range data.ReferencedTypes {
		if !t.IsSlice() || t.Definition == nil {
			continue
		}
		// Enum values marshal to a constant; nothing to wait on.
		if t.Definition.Kind != ast.Enum && !(t.Definition.Kind == ast.Object && sequential[t.Definition.Name]) {
			continue
		}
		p.edits = append(p.edits, edit{fn: t.MarshalFunc(), old: concurrentSlice, new: sequentialSlice})
	}
	if len(p.edits) == 0 {
		return errors.New("inorder: no sequential object found")
	}
	// A query's result is written into a recycled buffer (inorder.go):
	// the transport hands it back once the response is sent, so a page of
	// orders does not grow a new one from nothing.
	p.edits = append(p.edits, edit{fn: "(e *executableSchema) Exec", old: queryBuffer, new: recycledBuffer})
	values := valueObjects(data.Objects, sequential)
	for _, o := range data.Objects {
		for _, f := range o.Fields {
			if plainRead(f) && (f.TypeReference.Definition.IsLeafType() || values[f.TypeReference.Definition.Name]) {
				p.leaves = append(p.leaves, "_"+o.Name+"_"+f.Name)
			}
		}
	}
	return nil
}

// plainRead reports whether f is read from the Go value without a context,
// an error, arguments or directives.
func plainRead(f *codegen.Field) bool {
	if f.Object.Root || f.IsResolver || f.MethodHasContext || len(f.Args) > 0 || len(f.Directives) > 0 ||
		f.Stream || f.Batch || f.VOkFunc || f.TypeReference == nil || f.TypeReference.Definition == nil {
		return false
	}
	if f.IsMethod() && !f.NoErr {
		return false
	}
	return f.IsMethod() || f.IsVariable()
}

// valueObjects are the sequential object types whose every field is a
// plain read of a leaf or of another such object: values such as Money
// and Address rather than records. A field of one is marshalled like a
// plain leaf (the object's own fields need no field context above them:
// none resolves, none can fail), which on a page of orders spares the
// field context, closures and boxing of every amount.
func valueObjects(objects codegen.Objects, sequential map[string]bool) map[string]bool {
	values := map[string]bool{}
	for changed := true; changed; {
		changed = false
		for _, o := range objects {
			if values[o.Name] || !sequential[o.Name] || len(o.Fields) == 0 {
				continue
			}
			plain := true
			for _, f := range o.Fields {
				if !plainRead(f) || !(f.TypeReference.Definition.IsLeafType() || values[f.TypeReference.Definition.Name]) {
					plain = false
					break
				}
			}
			if plain {
				values[o.Name], changed = true, true
			}
		}
	}
	return values
}

// resolvedLeaf is gqlgen's body of a plain leaf's function; its groups are
// the value and the marshaller.
var resolvedLeaf = regexp.MustCompile(`(?s)^\treturn graphql\.ResolveField\(
\t\tctx,
\t\tec\.OperationContext,
\t\tfield,
\t\tfunc\(ctx context\.Context, field graphql\.CollectedField\) \(\*graphql\.FieldContext, error\) \{
\t\t\treturn ec\.fieldContext_\w+\(ctx, field\)
\t\t\},
\t\tfunc\(ctx context\.Context\) \(any, error\) \{
\t\t\treturn (obj\.\w+(?:\(\))?), nil
\t\t\},
\t\tnil,
\t\tfunc\(ctx context\.Context, selections ast\.SelectionSet, v [^\n]+\) graphql\.Marshaler \{
\t\t\treturn (ec\.marshal[^(\s]+)\(ctx, selections, v\)
\t\t\},
\t\ttrue,
\t\t(?:true|false),
\t\)$`)

// leafEdit is the edit of the plain leaf function fn in src: its body
// marshals the value.
func leafEdit(src []byte, fn string) (edit, error) {
	body, _, err := function(src, fn)
	if err != nil {
		return edit{}, err
	}
	open := bytes.Index(body, []byte(") {\n"))
	if open < 0 {
		return edit{}, fmt.Errorf("inorder: %s has no body", fn)
	}
	inner := body[open+len(") {\n"):]
	m := resolvedLeaf.FindSubmatch(inner)
	if m == nil {
		return edit{}, fmt.Errorf("inorder: %s is not gqlgen's plain leaf; has gqlgen's template changed?", fn)
	}
	return edit{fn: fn, old: string(inner), new: fmt.Sprintf("\treturn %s(ctx, field.Selections, %s)", m[2], m[1])}, nil
}

// function is the text of the generated function fn in src, from the line
// break before it to its closing brace, and where it starts. fn is a
// method of the executionContext, or receiver and name ("(e
// *executableSchema) Exec"), or a struct type ("type executionContext").
func function(src []byte, fn string) ([]byte, int, error) {
	head := []byte("\nfunc (ec *executionContext) " + fn + "(")
	switch {
	case strings.HasPrefix(fn, "("):
		head = []byte("\nfunc " + fn + "(")
	case strings.HasPrefix(fn, "type "):
		head = []byte("\n" + fn + " struct {")
	}
	if bytes.Count(src, head) != 1 {
		return nil, 0, fmt.Errorf("inorder: want one function %s", fn)
	}
	start := bytes.Index(src, head)
	end := bytes.Index(src[start:], []byte("\n}\n"))
	if end < 0 {
		return nil, 0, fmt.Errorf("inorder: function %s has no end", fn)
	}
	return src[start : start+end], start, nil
}

const (
	concurrentSlice        = "graphql.MarshalSliceConcurrently("
	sequentialSlice        = "marshalSliceInOrder("
	newDeferredGroup       = "deferred := graphql.NewDeferredGroup(ctx)"
	noDeferredGroup        = "var deferred graphql.DeferredGroup"
	newFieldSet            = "out := graphql.NewFieldSet(fields)"
	newFieldValues         = "out := newFieldValues(fields)"
	collectFields          = "graphql.CollectFields(ec.OperationContext, sel, "
	cachedFields           = "ec.collectFields(sel, "
	executionState         = "\t*graphql.ExecutionContextState[ResolverRoot, DirectiveRoot, ComplexityRoot]"
	executionStateAndCache = executionState + "\n\t// collected is the operation's collected fields (inorder.go).\n\tcollected collectedFields"
	queryBuffer            = "var buf bytes.Buffer\n\t\t\tdata.MarshalGQL(&buf)\n\t\t\tresponse.Data = buf.Bytes()"
	recycledBuffer         = "buf := responseBuffer()\n\t\t\tdata.MarshalGQL(buf)\n\t\t\tresponse.Data = buf.Bytes()"
)

// rewrite applies the edits to the exec file. Each must find its function
// and its text exactly once, or gqlgen's output has changed shape and the
// generation fails.
func (p *inOrder) rewrite(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	type at struct {
		pos int
		e   edit
	}
	edits := slices.Clone(p.edits)
	for _, fn := range p.leaves {
		e, err := leafEdit(src, fn)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		edits = append(edits, e)
	}
	var places []at
	for _, e := range edits {
		body, start, err := function(src, e.fn)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if bytes.Count(body, []byte(e.old)) != 1 {
			return fmt.Errorf("inorder: %s: %s does not have %q once; has gqlgen's template changed?", path, e.fn, e.old)
		}
		if e.absent != "" && bytes.Contains(body, []byte(e.absent)) {
			return fmt.Errorf("inorder: %s: %s uses %q; has gqlgen's template changed?", path, e.fn, e.absent)
		}
		places = append(places, at{start + bytes.Index(body, []byte(e.old)), e})
	}
	slices.SortFunc(places, func(a, b at) int { return a.pos - b.pos })
	var out bytes.Buffer
	last := 0
	for _, pl := range places {
		out.Write(src[last:pl.pos])
		out.WriteString(pl.e.new)
		last = pl.pos + len(pl.e.old)
	}
	out.Write(src[last:])
	return os.WriteFile(path, out.Bytes(), 0o644)
}
