//go:build ignore

// entc generates the ent client and the GraphQL schema of the ent types.
// It runs from the module root through generate.go.
package main

import (
	"log"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
	"github.com/vektah/gqlparser/v2/ast"
)

func main() {
	ex, err := entgql.NewExtension(
		// entgql's templates, then ours: a template defined again later
		// replaces entgql's of the same name.
		entgql.WithTemplates(append(slices.Clone(entgql.AllTemplates),
			gen.MustParse(gen.NewTemplate("orderdesk").Funcs(entgql.TemplateFuncs).
				Funcs(template.FuncMap{"trimSuffix": strings.TrimSuffix}).
				ParseFiles("./ent/template/pagination.tmpl", "./ent/template/money.tmpl",
					"./ent/template/collection.tmpl", "./ent/template/nodes.tmpl")))...),
		entgql.WithConfigPath("./gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("./schema/ent.graphql"),
		entgql.WithWhereInputs(true),
		entgql.WithSchemaHook(nonNullConnections, oneSpellingOfId, describeScalars),
	)
	if err != nil {
		log.Fatalf("creating entgql extension: %v", err)
	}
	err = entc.Generate("./ent/schema", &gen.Config{
		Features: []gen.Feature{
			gen.FeaturePrivacy,
			gen.FeatureEntQL,
			gen.FeatureLock,
			gen.FeatureModifier,
			gen.FeatureUpsert,
			gen.FeatureExecQuery,
			gen.FeatureGlobalID,
		},
	}, entc.Extensions(ex))
	if err != nil {
		log.Fatalf("running ent codegen: %v", err)
	}
}

// nonNullConnections gives every connection non-null edges, each with a
// non-null node, and a nodes field (ent/template/nodes.tmpl): ent never
// puts a null in either, and strict clients should not have to check.
func nonNullConnections(_ *gen.Graph, s *ast.Schema) error {
	for name, conn := range s.Types {
		edges := conn.Fields.ForName("edges")
		if !strings.HasSuffix(name, "Connection") || edges == nil || edges.Type.Elem == nil {
			continue
		}
		edge := s.Types[edges.Type.Elem.NamedType]
		node := edge.Fields.ForName("node")
		if node == nil {
			continue
		}
		edges.Type = ast.NonNullListType(ast.NonNullNamedType(edge.Name, nil), nil)
		node.Type = ast.NonNullNamedType(node.Type.NamedType, nil)
		nodes := &ast.FieldDefinition{Name: "nodes",
			Description: "The nodes of the edges, in order: for clients that need no cursors.",
			Type:        ast.NonNullListType(ast.NonNullNamedType(node.Type.NamedType, nil), nil)}
		at := slices.Index(conn.Fields, edges) + 1
		conn.Fields = slices.Insert(conn.Fields, at, nodes)
	}
	return nil
}

// idSuffix finds the ID that ends a field's name or comes before a filter's
// operator (customerID, customerIDIn, subjectIDGT).
var idSuffix = regexp.MustCompile(`^([a-z][A-Za-z0-9]*)ID(s|In|NotIn|GT|GTE|LT|LTE|NEQ|IsNil|NotNil)?$`)

// oneSpellingOfId names ent's id fields as the hand-written inputs do:
// customerId, not customerID, in outputs and filters alike. gqlgen binds
// them to ent's CustomerID fields all the same.
func oneSpellingOfId(_ *gen.Graph, s *ast.Schema) error {
	for _, def := range s.Types {
		for _, f := range def.Fields {
			f.Name = idSuffix.ReplaceAllString(f.Name, "${1}Id${2}")
		}
	}
	return nil
}

// describeScalars says what entgql's scalars hold, where it says only "The
// builtin Time type", and points Time at its specification.
func describeScalars(_ *gen.Graph, s *ast.Schema) error {
	if t := s.Types["Time"]; t != nil {
		t.Description = "A point in time: RFC 3339 with a UTC offset and up to nanoseconds, e.g. 2026-12-03T10:15:00Z or 2026-12-03T18:15:00.5+08:00; answers are in UTC."
		t.Directives = append(t.Directives, &ast.Directive{Name: "specifiedBy", Arguments: ast.ArgumentList{
			{Name: "url", Value: &ast.Value{Kind: ast.StringValue, Raw: "https://scalars.graphql.org/andimarek/date-time"}}}})
	}
	if c := s.Types["Cursor"]; c != nil {
		c.Description = "An opaque position in a connection (Relay's cursor): pass pageInfo.endCursor back as after, or a startCursor as before; its content may change."
	}
	return nil
}
