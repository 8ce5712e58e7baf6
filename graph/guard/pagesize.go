package guard

import (
	"strconv"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// DefaultPageSize gives every connection field of op that has neither a
// `first` nor a `last` argument the argument `first: n`, so resolvers never
// see an unbounded page request. A connection field is one whose return type
// name (unwrapped of list and non-null) ends with "Connection" and whose
// definition declares a `first` argument; fields without such an argument are
// left alone. Fragments spread by op are rewritten too (each once). Nothing
// happens if n < 1.
//
// DefaultPageSize MUTATES the request's AST (op and the fragment definitions
// it spreads). This is safe only because the server parses every request
// afresh: with a gqlgen query cache the rewritten document would be shared
// with later requests. The rewrite is idempotent: a second call finds `first`
// present and changes nothing.
func DefaultPageSize(op *ast.OperationDefinition, n int) {
	if op == nil || n < 1 {
		return
	}
	injectPageSize(op.SelectionSet, strconv.Itoa(n), map[*ast.FragmentDefinition]bool{})
}

func injectPageSize(set ast.SelectionSet, raw string, seen map[*ast.FragmentDefinition]bool) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			if lacksPageSize(sel) {
				sel.Arguments = append(sel.Arguments, &ast.Argument{
					Name: "first",
					Value: &ast.Value{
						Kind:         ast.IntValue,
						Raw:          raw,
						Position:     sel.Position,
						ExpectedType: sel.Definition.Arguments.ForName("first").Type,
					},
					Position: sel.Position,
				})
			}
			injectPageSize(sel.SelectionSet, raw, seen)
		case *ast.InlineFragment:
			injectPageSize(sel.SelectionSet, raw, seen)
		case *ast.FragmentSpread:
			if sel.Definition != nil && !seen[sel.Definition] {
				seen[sel.Definition] = true
				injectPageSize(sel.Definition.SelectionSet, raw, seen)
			}
		}
	}
}

// lacksPageSize reports whether f is a connection field that accepts `first`
// but was given neither `first` nor `last`. There is no schema here, so the
// connection is recognised by its type name and its `first` argument.
func lacksPageSize(f *ast.Field) bool {
	def := f.Definition
	return def != nil &&
		strings.HasSuffix(def.Type.Name(), "Connection") &&
		def.Arguments.ForName("first") != nil &&
		f.Arguments.ForName("first") == nil &&
		f.Arguments.ForName("last") == nil
}
