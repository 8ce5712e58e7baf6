// Package guard enforces protection limits on GraphQL operations served by
// gqlgen: maximum selection depth, maximum number of aliases, allowed page
// sizes for `first`/`last` arguments and a maximum estimated complexity. It
// also injects a default page size into connection fields that request none.
//
// Check is the pure core; Extension plugs it into a gqlgen handler.
package guard

import (
	"encoding/json"
	"math"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/99designs/gqlgen/graphql/errcode"
)

// Error codes set in Extensions["code"] of the errors returned by Check.
const (
	CodeDepth        = "DEPTH_LIMIT_EXCEEDED"
	CodeAliases      = "ALIAS_LIMIT_EXCEEDED"
	CodeComplexity   = "COMPLEXITY_LIMIT_EXCEEDED"
	CodeMutations    = "MUTATION_LIMIT_EXCEEDED"
	CodeBadUserInput = "BAD_USER_INPUT"
)

// SoleMutation is the schema directive of mutations that move money or
// stock: each must be the only field of its operation, so that one request
// cannot fire a burst of them past the rate of requests, and a client
// cannot half-succeed at several at once.
const SoleMutation = "soleMutation"

// Limits configures Check. A zero field means "use the default" (see
// DefaultLimits), so Limits{} behaves like DefaultLimits().
type Limits struct {
	MaxDepth        int // default 12
	MaxAliases      int // default 15
	MaxComplexity   int // default 1000
	MaxPageSize     int // default 100
	DefaultPageSize int // default 20
	MaxListItems    int // items of a list argument (ids, lines), default 100
	MaxMutations    int // mutation fields of an operation, default 5
}

// DefaultLimits returns the limits used for every zero field of Limits.
func DefaultLimits() Limits {
	return Limits{
		MaxDepth:        12,
		MaxAliases:      15,
		MaxComplexity:   1000,
		MaxPageSize:     100,
		DefaultPageSize: 20,
		MaxListItems:    100,
		MaxMutations:    5,
	}
}

// withDefaults replaces zero (or negative) fields by their defaults.
func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	pick := func(v, def int) int {
		if v <= 0 {
			return def
		}
		return v
	}
	return Limits{
		MaxDepth:        pick(l.MaxDepth, d.MaxDepth),
		MaxAliases:      pick(l.MaxAliases, d.MaxAliases),
		MaxComplexity:   pick(l.MaxComplexity, d.MaxComplexity),
		MaxPageSize:     pick(l.MaxPageSize, d.MaxPageSize),
		DefaultPageSize: pick(l.DefaultPageSize, d.DefaultPageSize),
		MaxListItems:    pick(l.MaxListItems, d.MaxListItems),
		MaxMutations:    pick(l.MaxMutations, d.MaxMutations),
	}
}

// Check validates op, an operation of a document already validated against
// schema, with variables vars (as coerced by gqlgen), and returns the first
// violated limit, or nil. Limits are reported in this order: depth, aliases,
// page size, complexity (page size before complexity because an oversized
// `first` is the more useful explanation of a huge complexity).
//
// Fields named `__…` (introspection) and everything below them are exempt
// from depth and complexity but their aliases still count.
//
// Fragments are expanded wherever they are spread. Each fragment is walked
// only once and its cost reused, so the walk is linear in the document size
// even when fragments spread each other exponentially many times, and a
// (normally rejected by validation) fragment cycle cannot loop forever.
func Check(schema *ast.Schema, op *ast.OperationDefinition, vars map[string]any, l Limits) *gqlerror.Error {
	if op == nil {
		return nil
	}
	l = l.withDefaults()
	if op.Operation == ast.Mutation {
		if err := checkMutations(op, l.MaxMutations); err != nil {
			return err
		}
	}
	w := walker{schema: schema, vars: vars, limits: l, fragments: map[fragmentKey]cost{}}
	c := w.selectionSet(op.SelectionSet, "", false)

	switch {
	case c.depth > l.MaxDepth:
		return codedf(CodeDepth, "operation has depth %d, which exceeds the limit of %d", c.depth, l.MaxDepth)
	case c.aliases > l.MaxAliases:
		return codedf(CodeAliases, "operation has %d aliases, which exceeds the limit of %d", c.aliases, l.MaxAliases)
	case w.pageErr != nil:
		return w.pageErr
	case c.complexity > l.MaxComplexity:
		return codedf(CodeComplexity, "operation has complexity %d, which exceeds the limit of %d", c.complexity, l.MaxComplexity)
	}
	return nil
}

// checkMutations bounds the mutation fields of an operation, and keeps
// each @soleMutation field alone.
func checkMutations(op *ast.OperationDefinition, most int) *gqlerror.Error {
	fields := topFields(op.SelectionSet, map[*ast.FragmentDefinition]bool{})
	if len(fields) > most {
		return codedf(CodeMutations, "operation has %d mutation fields, which exceeds the limit of %d", len(fields), most)
	}
	if len(fields) < 2 {
		return nil
	}
	for _, f := range fields {
		if f.Definition != nil && f.Definition.Directives.ForName(SoleMutation) != nil {
			return codedf(CodeMutations, "%s moves money or stock and must be the only mutation of its operation; send the others separately", f.Name)
		}
	}
	return nil
}

// topFields are the fields an operation runs at its top level, through
// fragments.
func topFields(set ast.SelectionSet, seen map[*ast.FragmentDefinition]bool) []*ast.Field {
	var fields []*ast.Field
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if !strings.HasPrefix(sel.Name, "__") {
				fields = append(fields, sel)
			}
		case *ast.InlineFragment:
			fields = append(fields, topFields(sel.SelectionSet, seen)...)
		case *ast.FragmentSpread:
			if sel.Definition != nil && !seen[sel.Definition] {
				seen[sel.Definition] = true
				fields = append(fields, topFields(sel.Definition.SelectionSet, seen)...)
			}
		}
	}
	return fields
}

func codedf(code, format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	errcode.Set(err, code)
	return err
}

// cost is what a selection set contributes. It does not depend on where the
// selection set sits in the operation, which is what makes fragment results
// reusable.
type cost struct {
	depth      int // deepest field nesting inside the set (its own fields are 1)
	aliases    int
	complexity int
}

// fragmentKey distinguishes a fragment walked inside an introspection field
// (exempt) from the same fragment walked elsewhere.
type fragmentKey struct {
	def    *ast.FragmentDefinition
	exempt bool
}

type walker struct {
	schema    *ast.Schema
	vars      map[string]any
	limits    Limits
	fragments map[fragmentKey]cost // done or in progress (cycle guard)
	pageErr   *gqlerror.Error      // first page-size violation found
}

func (w *walker) selectionSet(set ast.SelectionSet, path string, exempt bool) cost {
	var total cost
	for _, sel := range set {
		var c cost
		switch sel := sel.(type) {
		case *ast.Field:
			c = w.field(sel, path, exempt)
		case *ast.InlineFragment:
			c = w.selectionSet(sel.SelectionSet, path, exempt)
		case *ast.FragmentSpread:
			c = w.spread(sel, path, exempt)
		}
		total.depth = max(total.depth, c.depth)
		total.aliases = addSat(total.aliases, c.aliases)
		total.complexity = addSat(total.complexity, c.complexity)
	}
	return total
}

func (w *walker) spread(s *ast.FragmentSpread, path string, exempt bool) cost {
	if s.Definition == nil {
		return cost{}
	}
	key := fragmentKey{s.Definition, exempt}
	if c, seen := w.fragments[key]; seen {
		return c // finished: reuse; in progress (a cycle): zero
	}
	w.fragments[key] = cost{}
	// path is the one of the first spread; only used to name a page-size
	// error, and only the first such error is reported.
	c := w.selectionSet(s.Definition.SelectionSet, path, exempt)
	w.fragments[key] = c
	return c
}

func (w *walker) field(f *ast.Field, parent string, exempt bool) cost {
	exempt = exempt || strings.HasPrefix(f.Name, "__")
	path := responseName(f)
	if parent != "" {
		path = parent + "." + path
	}
	children := w.selectionSet(f.SelectionSet, path, exempt)
	multiplier := w.pageSize(f, path)
	own := w.ownCost(f.Definition)
	if items := w.listItems(f, path); items > 0 && f.Definition != nil && f.Definition.Type.Elem != nil {
		// A list of what the list argument names: each item is loaded.
		multiplier = max(multiplier, items)
		own = mulSat(max(own, 1), items)
	}

	c := cost{aliases: children.aliases}
	if f.Alias != "" && f.Alias != f.Name {
		c.aliases = addSat(c.aliases, 1)
	}
	if !exempt {
		c.depth = children.depth + 1
		c.complexity = addSat(own, mulSat(multiplier, children.complexity))
	}
	return c
}

// listItems is the length of the longest list argument of f (nodes' ids, an
// order's lines), and checks each against MaxListItems.
func (w *walker) listItems(f *ast.Field, path string) int {
	if f.Definition == nil {
		return 0
	}
	longest := 0
	var args map[string]any
	for _, def := range f.Definition.Arguments {
		if def.Type.Elem == nil {
			continue
		}
		if args == nil {
			var ok bool
			if args, ok = argumentMap(f, w.vars); !ok {
				w.badArgs(f, path)
				return 0
			}
		}
		list, _ := args[def.Name].([]any)
		if len(list) > w.limits.MaxListItems && w.pageErr == nil {
			w.pageErr = gqlerror.ErrorPosf(f.Position,
				"argument %q of field %q has %d items, which exceeds the limit of %d",
				def.Name, path, len(list), w.limits.MaxListItems)
			errcode.Set(w.pageErr, CodeBadUserInput)
		}
		longest = max(longest, len(list))
	}
	return longest
}

// ownCost is what a field costs by itself: 1 for what may load records — an
// entity (a Node), a list, a connection, anything abstract or unknown — and
// 0 for scalars, enums and value objects such as Money or PageInfo, which
// are computed from their parent without touching the database.
func (w *walker) ownCost(def *ast.FieldDefinition) int {
	if def == nil || w.schema == nil || def.Type.Elem != nil {
		return 1
	}
	t := w.schema.Types[def.Type.Name()]
	switch {
	case t == nil:
		return 1
	case t.Kind == ast.Scalar || t.Kind == ast.Enum:
		return 0
	case t.Kind != ast.Object:
		return 1
	case strings.HasSuffix(t.Name, "Connection") || slices.Contains(t.Interfaces, "Node"):
		return 1
	default:
		return 0
	}
}

// pageSize checks the `first` and `last` arguments of f and returns the
// factor its children's complexity is multiplied by.
func (w *walker) pageSize(f *ast.Field, path string) int {
	factor := 0
	if declaresPaging(f.Definition) {
		args, ok := argumentMap(f, w.vars)
		for _, name := range []string{"first", "last"} {
			n, isInt := toInt(args[name])
			if !isInt {
				continue
			}
			if n < 1 || n > w.limits.MaxPageSize {
				w.badPageSize(f, path, name, n)
			}
			factor = max(factor, n)
		}
		if !ok {
			w.badArgs(f, path)
		}
	}
	switch {
	case factor > 0:
		return factor
	case w.isConnection(f.Definition):
		return w.limits.DefaultPageSize
	default:
		return 1
	}
}

func (w *walker) badPageSize(f *ast.Field, path, arg string, n int) {
	if w.pageErr != nil {
		return
	}
	w.pageErr = gqlerror.ErrorPosf(f.Position,
		"argument %q of field %q is %d, which is outside the allowed range 1 to %d",
		arg, path, n, w.limits.MaxPageSize)
	errcode.Set(w.pageErr, CodeBadUserInput)
}

func (w *walker) badArgs(f *ast.Field, path string) {
	if w.pageErr != nil {
		return
	}
	w.pageErr = gqlerror.ErrorPosf(f.Position, "invalid arguments of field %q", path)
	errcode.Set(w.pageErr, CodeBadUserInput)
}

// isConnection reports whether def returns (a list or non-null of) an object
// type whose name ends with "Connection".
func (w *walker) isConnection(def *ast.FieldDefinition) bool {
	if def == nil || !strings.HasSuffix(def.Type.Name(), "Connection") {
		return false
	}
	if w.schema == nil {
		return true
	}
	t := w.schema.Types[def.Type.Name()]
	return t != nil && t.Kind == ast.Object
}

func declaresPaging(def *ast.FieldDefinition) bool {
	return def != nil && (def.Arguments.ForName("first") != nil || def.Arguments.ForName("last") != nil)
}

// argumentMap is field.ArgumentMap, which panics on a literal it cannot
// decode (e.g. an Int literal beyond int64); ok is false in that case.
func argumentMap(f *ast.Field, vars map[string]any) (args map[string]any, ok bool) {
	defer func() {
		if recover() != nil {
			args, ok = nil, false
		}
	}()
	return f.ArgumentMap(vars), true
}

func responseName(f *ast.Field) string {
	if f.Alias != "" {
		return f.Alias
	}
	return f.Name
}

// toInt accepts the integer representations an argument value can have:
// int64 from AST literals, and whatever variable coercion or a test left in
// vars.
func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int32:
		return int(n), true
	case int64:
		return clampInt64(n), true
	case float64:
		if n == math.Trunc(n) && !math.IsInf(n, 0) {
			if n >= math.MaxInt64 {
				return math.MaxInt, true
			}
			if n <= math.MinInt64 {
				return math.MinInt, true
			}
			return int(n), true
		}
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return clampInt64(i), true
		}
	}
	return 0, false
}

func clampInt64(n int64) int {
	return int(max(min(n, math.MaxInt), math.MinInt))
}

// addSat and mulSat add and multiply non-negative ints, saturating at
// math.MaxInt: nested page sizes overflow quickly (100^10 > 2^63).
func addSat(a, b int) int {
	if a > math.MaxInt-b {
		return math.MaxInt
	}
	return a + b
}

func mulSat(a, b int) int {
	if a <= 0 || b <= 0 {
		return 0
	}
	if a > math.MaxInt/b {
		return math.MaxInt
	}
	return a * b
}
