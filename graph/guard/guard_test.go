package guard

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/introspection"
)

const sdl = `
interface Node { id: ID! }

type Query {
  orders(first: Int, last: Int, after: String): OrderConnection!
  node(id: ID!): Node
  me: User
}

type OrderConnection { edges: [OrderEdge!]!, pageInfo: PageInfo!, totalCount: Int! }
type OrderEdge { cursor: String!, node: Order! }
type PageInfo { hasNextPage: Boolean!, endCursor: String }

type Order implements Node { id: ID!, total: Int!, customer: Customer! }
type Customer implements Node {
  id: ID!
  name: String!
  orders(first: Int, last: Int): OrderConnection!
}
type User implements Node {
  id: ID!
  name: String!
  orders(first: Int, last: Int): OrderConnection!
  "A connection without paging arguments: never gets a default first."
  recent: OrderConnection!
}
`

var schema = gqlparser.MustLoadSchema(&ast.Source{Name: "test.graphql", Input: sdl})

// load parses and validates q, failing the test on any error.
func load(t *testing.T, q string) *ast.QueryDocument {
	t.Helper()
	doc, errs := gqlparser.LoadQuery(schema, q)
	if errs != nil {
		t.Fatalf("invalid test query: %v\n%s", errs, q)
	}
	return doc
}

// Depth 12: orders(1) edges(2) node(3) customer(4) orders(5) edges(6)
// node(7) customer(8) orders(9) edges(10) node(11) id(12).
const depth12 = `{ orders(first: 1) { edges { node { customer {
  orders(first: 1) { edges { node { customer {
  orders(first: 1) { edges { node { id } } } } } } } } } } } }`

// depth13 replaces id(12) by customer(12) { id(13) }.
var depth13 = strings.Replace(depth12, "node { id }", "node { customer { id } }", 1)

// aliases returns a query with n aliased fields.
func aliases(n int) string {
	var b strings.Builder
	b.WriteString("{ me { id: id ") // alias equal to the name: not counted
	for i := range n {
		fmt.Fprintf(&b, "a%d: name ", i)
	}
	b.WriteString("} }")
	return b.String()
}

// eightAliases is a fragment with 8 aliases.
const eightAliases = `fragment F on User { a: id b: id c: id d: id e: name f: name g: name h: name }`

func TestCheck(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		vars   map[string]any
		limits Limits // zero fields take the defaults
		code   string // "" when the operation must pass
		msg    string // substring of the error message
	}{
		{name: "OK", query: `{
			me { id name orders(first: 10) { totalCount pageInfo { hasNextPage endCursor }
				edges { cursor node { id total customer { name } } } } }
			node(id: "1") { id ... on Order { total } }
		}`},
		{name: "OKDepth12", query: depth12},
		{name: "ErrDepth13", query: depth13, code: CodeDepth, msg: "depth 13, which exceeds the limit of 12"},
		{name: "OKDepthTypenameExempt", query: strings.Replace(depth12, "node { id }", "node { customer { __typename } }", 1)},
		{name: "OKDepthCustomLimit", query: depth13, limits: Limits{MaxDepth: 13}},

		{name: "OKAliases15", query: aliases(15)},
		{name: "ErrAliases16", query: aliases(16), code: CodeAliases, msg: "16 aliases, which exceeds the limit of 15"},
		{name: "OKAliasesFragmentOnce", query: eightAliases + `{ me { ...F } }`},
		{
			// 8 aliases reached through two spreads count 16.
			name:  "ErrAliasesFragmentTwice",
			query: eightAliases + `{ me { ...F } node(id: "1") { ...F } }`,
			code:  CodeAliases, msg: "16 aliases",
		},
		{name: "ErrAliasesOnIntrospection", query: aliasedTypenames(16), code: CodeAliases, msg: "16 aliases"},

		{name: "OKFirst100", query: `{ orders(first: 100) { totalCount } }`},
		{name: "OKLast1", query: `{ orders(last: 1) { totalCount } }`},
		{
			name: "ErrFirst101", query: `{ orders(first: 101) { totalCount } }`,
			code: CodeBadUserInput, msg: `argument "first" of field "orders" is 101, which is outside the allowed range 1 to 100`,
		},
		{name: "ErrFirst0", query: `{ orders(first: 0) { totalCount } }`, code: CodeBadUserInput, msg: `"first" of field "orders" is 0`},
		{name: "ErrLastNegative", query: `{ orders(last: -1) { totalCount } }`, code: CodeBadUserInput, msg: `"last" of field "orders" is -1`},
		{
			name: "ErrFirstNestedPath", query: `{ me { mine: orders(first: 500) { totalCount } } }`,
			code: CodeBadUserInput, msg: `field "me.mine" is 500`,
		},
		{
			name:  "ErrFirstInFragment",
			query: `fragment C on Customer { orders(first: 1000) { totalCount } } { orders(first: 1) { edges { node { customer { ...C } } } } }`,
			code:  CodeBadUserInput, msg: `field "orders.edges.node.customer.orders" is 1000`,
		},
		{name: "OKFirstVariable", query: `query($n: Int) { orders(first: $n) { totalCount } }`, vars: map[string]any{"n": json.Number("5")}},
		{
			name: "ErrFirstVariable", query: `query($n: Int) { orders(first: $n) { totalCount } }`, vars: map[string]any{"n": json.Number("101")},
			code: CodeBadUserInput, msg: "is 101",
		},
		{name: "OKFirstVariableNull", query: `query($n: Int) { orders(first: $n) { totalCount } }`, vars: map[string]any{"n": nil}},
		{
			name: "ErrFirstVariableDefault", query: `query($n: Int = 200) { orders(first: $n) { totalCount } }`,
			code: CodeBadUserInput, msg: "is 200",
		},

		// Scalars, enums and value objects (PageInfo) cost 0; entities,
		// lists and connections cost 1, and first/last multiply children.
		// The nested connection below, computed by hand:
		//   inner orders(first: 3) { totalCount }         = 1 + 3*0     = 1
		//   customer                                      = 1 + 1       = 2
		//   node                                          = 1 + 2       = 3
		//   edges                                         = 1 + 3       = 4
		//   outer orders(first: 5) { totalCount edges }   = 1 + 5*(0+4) = 21
		//   me                                            = 1 + 21      = 22
		{name: "OKComplexityAtLimit", query: nested, limits: Limits{MaxComplexity: 22}},
		{
			name: "ErrComplexity", query: nested, limits: Limits{MaxComplexity: 21},
			code: CodeComplexity, msg: "complexity 22, which exceeds the limit of 21",
		},
		// Value objects are free: pageInfo adds nothing, 1 + 20*1 = 21.
		{name: "OKComplexityValueObjectsFree", query: `{ orders { edges { cursor } pageInfo { hasNextPage } } }`, limits: Limits{MaxComplexity: 21}},
		// orders without first/last is a connection: 1 + 20*1 = 21.
		{name: "OKComplexityDefaultPage", query: `{ orders { edges { cursor } } }`, limits: Limits{MaxComplexity: 21}},
		{
			name: "ErrComplexityDefaultPage", query: `{ orders { edges { cursor } } }`, limits: Limits{MaxComplexity: 20},
			code: CodeComplexity, msg: "complexity 21",
		},
		// recent has no paging arguments, still a connection: me = 1 + (1 + 20*1) = 22.
		{
			name: "ErrComplexityConnectionWithoutArgs", query: `{ me { recent { edges { cursor } } } }`, limits: Limits{MaxComplexity: 21},
			code: CodeComplexity, msg: "complexity 22",
		},
		// first and last together: the larger one multiplies, 1 + 7*1 = 8.
		{
			name: "ErrComplexityFirstAndLast", query: `{ orders(first: 2, last: 7) { edges { cursor } } }`, limits: Limits{MaxComplexity: 7},
			code: CodeComplexity, msg: "complexity 8",
		},
		// With default limits: inner orders = 1+100 = 101, customer 102,
		// node 103, edges 104, outer orders = 1 + 100*104 = 10401.
		{
			name:  "ErrComplexityDefaultLimit",
			query: `{ orders(first: 100) { edges { node { customer { orders(first: 100) { edges { cursor } } } } } } }`,
			code:  CodeComplexity, msg: "complexity 10401, which exceeds the limit of 1000",
		},

		{name: "OKIntrospection", query: introspection.Query},
		{name: "OKIntrospectionType", query: `{ __type(name: "Order") { name fields { name type { name kind ofType { name kind ofType { name } } } } } }`},

		// Depth is reported before a page size error, which comes before complexity.
		{name: "ErrOrderDepthFirst", query: strings.Replace(depth13, "first: 1", "first: 1000", 1), code: CodeDepth},
		{
			name:  "ErrOrderPageSizeBeforeComplexity",
			query: `{ orders(first: 1000) { edges { node { id } } } }`,
			code:  CodeBadUserInput,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := load(t, tt.query)
			err := Check(schema, doc.Operations[0], coerce(t, doc, tt.vars), tt.limits)
			assertErr(t, err, tt.code, tt.msg)
		})
	}
}

// coerce turns request variables (as decoded from JSON with UseNumber) into
// what gqlgen hands to extensions: coerced, with defaults filled in.
func coerce(t *testing.T, doc *ast.QueryDocument, raw map[string]any) map[string]any {
	t.Helper()
	vars, err := validator.VariableValues(schema, doc.Operations[0], raw)
	if err != nil {
		t.Fatalf("variables: %v", err)
	}
	return vars
}

// nested is the query whose complexity (22) is computed in TestCheck.
const nested = `{ me { orders(first: 5) { totalCount edges { node { customer {
  orders(first: 3) { totalCount } } } } } } }`

func aliasedTypenames(n int) string {
	var b strings.Builder
	b.WriteString("{ ")
	for i := range n {
		fmt.Fprintf(&b, "t%d: __typename ", i)
	}
	b.WriteString("}")
	return b.String()
}

func assertErr(t *testing.T, err *gqlerror.Error, code, msg string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error: %v (code %v)", err, err.Extensions["code"])
		}
		return
	}
	if err == nil {
		t.Fatalf("expected %s error, got nil", code)
	}
	if got := err.Extensions["code"]; got != code {
		t.Errorf("code = %v, want %s (message %q)", got, code, err.Message)
	}
	if !strings.Contains(err.Message, msg) {
		t.Errorf("message = %q, want it to contain %q", err.Message, msg)
	}
}

// TestCheckFragmentFanOut: 40 fragments each spreading the next twice reach
// the innermost alias 2^40 times; the walk must still be fast.
func TestCheckFragmentFanOut(t *testing.T) {
	const levels = 40
	var b strings.Builder
	b.WriteString("fragment F0 on User { a: id }\n")
	for i := 1; i <= levels; i++ {
		fmt.Fprintf(&b, "fragment F%d on User { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	fmt.Fprintf(&b, "{ me { ...F%d } }", levels)
	doc := load(t, b.String())

	start := time.Now()
	err := Check(schema, doc.Operations[0], nil, Limits{})
	if d := time.Since(start); d > time.Second {
		t.Errorf("Check took %v", d)
	}
	assertErr(t, err, CodeAliases, fmt.Sprintf("%d aliases", 1<<levels))
}

// TestCheckFragmentCycle builds by hand what validation would reject: a
// fragment spreading itself. Check and DefaultPageSize must terminate.
func TestCheckFragmentCycle(t *testing.T) {
	frag := &ast.FragmentDefinition{Name: "F"}
	frag.SelectionSet = ast.SelectionSet{
		&ast.Field{Name: "name"},
		&ast.FragmentSpread{Name: "F", Definition: frag},
	}
	op := &ast.OperationDefinition{SelectionSet: ast.SelectionSet{
		&ast.Field{Name: "me", SelectionSet: ast.SelectionSet{&ast.FragmentSpread{Name: "F", Definition: frag}}},
	}}
	assertErr(t, Check(schema, op, nil, Limits{}), "", "")
	DefaultPageSize(op, 20)
}

// TestCheckUndecodableArgument: ArgumentMap panics on a literal it cannot
// decode (validation rejects it, so the AST is built by hand); Check must
// report it instead of crashing.
func TestCheckUndecodableArgument(t *testing.T) {
	op := &ast.OperationDefinition{SelectionSet: ast.SelectionSet{&ast.Field{
		Name:       "orders",
		Definition: schema.Query.Fields.ForName("orders"),
		Arguments:  ast.ArgumentList{{Name: "first", Value: &ast.Value{Kind: ast.IntValue, Raw: "99999999999999999999"}}},
	}}}
	assertErr(t, Check(schema, op, nil, Limits{}), CodeBadUserInput, `invalid arguments of field "orders"`)
}

func TestCheckNilOperation(t *testing.T) {
	assertErr(t, Check(schema, nil, nil, Limits{}), "", "")
}

// field follows response names from set, entering fragments and spreads.
func field(set ast.SelectionSet, names ...string) *ast.Field {
	for _, sel := range set {
		var f *ast.Field
		switch sel := sel.(type) {
		case *ast.Field:
			if responseName(sel) != names[0] {
				continue
			}
			if len(names) == 1 {
				return sel
			}
			f = field(sel.SelectionSet, names[1:]...)
		case *ast.InlineFragment:
			f = field(sel.SelectionSet, names...)
		case *ast.FragmentSpread:
			f = field(sel.Definition.SelectionSet, names...)
		}
		if f != nil {
			return f
		}
	}
	return nil
}

func TestDefaultPageSize(t *testing.T) {
	doc := load(t, `
		fragment C on Customer { orders { totalCount } }
		{
			orders { totalCount }
			explicit: orders(first: 3) { edges { node { customer { ...C } } } }
			me {
				orders(last: 2) { totalCount }
				recent { totalCount }
			}
			node(id: "1") { ... on Customer { inline: orders { totalCount } } }
		}`)
	op := doc.Operations[0]

	tests := []struct {
		name string
		path []string
		want map[string]any // ArgumentMap(nil) after injection
	}{
		{"InjectedTopLevel", []string{"orders"}, map[string]any{"first": int64(20)}},
		{"ExplicitFirstKept", []string{"explicit"}, map[string]any{"first": int64(3)}},
		{"InjectedInFragment", []string{"explicit", "edges", "node", "customer", "orders"}, map[string]any{"first": int64(20)}},
		{"InjectedInInlineFragment", []string{"node", "inline"}, map[string]any{"first": int64(20)}},
		{"ExplicitLastKept", []string{"me", "orders"}, map[string]any{"last": int64(2)}},
		{"NoFirstDeclared", []string{"me", "recent"}, map[string]any{}},
	}

	for range 2 { // the second call must change nothing
		DefaultPageSize(op, 20)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := field(op.SelectionSet, tt.path...)
			if f == nil {
				t.Fatalf("field %v not found", tt.path)
			}
			got := f.ArgumentMap(nil)
			if fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Errorf("ArgumentMap = %v, want %v", got, tt.want)
			}
			if len(f.Arguments) != len(tt.want) {
				t.Errorf("%d AST arguments, want %d (not idempotent?)", len(f.Arguments), len(tt.want))
			}
		})
	}

	t.Run("StillPassesCheck", func(t *testing.T) {
		assertErr(t, Check(schema, op, nil, Limits{}), "", "")
	})
	t.Run("CustomSize", func(t *testing.T) {
		op := load(t, `{ orders { totalCount } }`).Operations[0]
		DefaultPageSize(op, 7)
		if got := field(op.SelectionSet, "orders").ArgumentMap(nil)["first"]; got != int64(7) {
			t.Errorf("first = %v, want 7", got)
		}
	})
	t.Run("NonPositiveIgnored", func(t *testing.T) {
		op := load(t, `{ orders { totalCount } }`).Operations[0]
		DefaultPageSize(op, 0)
		if args := field(op.SelectionSet, "orders").Arguments; len(args) != 0 {
			t.Errorf("arguments = %v, want none", args)
		}
	})
}

// execSchema is the part of graphql.ExecutableSchema the extension uses.
type execSchema struct{ graphql.ExecutableSchema }

func (execSchema) Schema() *ast.Schema { return schema }

func TestExtension(t *testing.T) {
	ext := &Extension{Limits: DefaultLimits()}
	if err := ext.Validate(execSchema{}); err != nil {
		t.Fatal(err)
	}
	if ext.ExtensionName() == "" {
		t.Error("empty extension name")
	}

	tests := []struct {
		name  string
		query string
		vars  map[string]any
		code  string
	}{
		{name: "OK", query: `{ orders { totalCount } }`},
		{name: "ErrPageSize", query: `query($n: Int) { orders(first: $n) { totalCount } }`, vars: map[string]any{"n": int64(101)}, code: CodeBadUserInput},
		{name: "ErrDepth", query: depth13, code: CodeDepth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := load(t, tt.query)
			rc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0], Variables: tt.vars}
			err := ext.MutateOperationContext(context.Background(), rc)
			assertErr(t, err, tt.code, "")
			if tt.code == "" {
				if got := field(rc.Operation.SelectionSet, "orders").ArgumentMap(nil)["first"]; got != int64(20) {
					t.Errorf("default first = %v, want 20", got)
				}
			}
		})
	}
}
