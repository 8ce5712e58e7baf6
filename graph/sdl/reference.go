package sdl

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"orderdesk/graph/generated"
)

// Reference returns the schema as a Markdown reference: the operations,
// then every type with its fields, arguments and enum values, each with
// its description (docs/schema.md, written by go generate). Filters
// (…WhereInput) are summed up: their predicates follow one pattern.
func Reference() []byte {
	s := public(generated.NewExecutableSchema(generated.Config{}).Schema())
	var b bytes.Buffer
	b.WriteString("# The orderdesk GraphQL API: reference\n\n" +
		"Generated from the schema by `go generate ./...` (cmd/schema), as is\n" +
		"[`schema.graphql`](../schema.graphql): do not edit. What changed is in\n" +
		"[`CHANGELOG.md`](../CHANGELOG.md).\n")
	for _, root := range []struct {
		title string
		def   *ast.Definition
	}{{"Queries", s.Query}, {"Mutations", s.Mutation}, {"Subscriptions", s.Subscription}} {
		if root.def == nil {
			continue
		}
		fmt.Fprintf(&b, "\n## %s\n", root.title)
		for _, f := range sorted(root.def.Fields) {
			if strings.HasPrefix(f.Name, "__") {
				continue // introspection
			}
			fmt.Fprintf(&b, "\n### `%s`: %s\n\n", f.Name, typeLink(f.Type))
			paragraph(&b, f.Description)
			arguments(&b, f.Arguments)
		}
	}
	kinds := []struct {
		title string
		kind  ast.DefinitionKind
	}{{"Objects", ast.Object}, {"Interfaces", ast.Interface}, {"Unions", ast.Union}, {"Inputs", ast.InputObject},
		{"Enums", ast.Enum}, {"Scalars", ast.Scalar}}
	for _, k := range kinds {
		fmt.Fprintf(&b, "\n## %s\n", k.title)
		for _, def := range types(s, k.kind) {
			fmt.Fprintf(&b, "\n### %s\n\n", def.Name)
			paragraph(&b, def.Description)
			switch {
			case strings.HasSuffix(def.Name, "WhereInput"):
				b.WriteString("Each filterable field `f` comes with predicates `f`, `fNEQ`, `fIn`, `fNotIn` and, as its type allows, " +
					"`fGT`, `fGTE`, `fLT`, `fLTE`, `fContains`, `fHasPrefix`, `fHasSuffix`, `fEqualFold`, `fContainsFold`, " +
					"`fIsNil`, `fNotNil`; each edge `e` with `hasE` and `hasEWith`; `and`, `or`, `not` combine filters. The fields: " +
					strings.Join(filtered(def.Fields), ", ") + ".\n")
			case def.Kind == ast.Enum:
				for _, v := range def.EnumValues {
					fmt.Fprintf(&b, "- `%s`%s\n", v.Name, dash(v.Description))
				}
			case def.Kind == ast.Union:
				fmt.Fprintf(&b, "One of: %s.\n", strings.Join(def.Types, ", "))
			case def.Kind == ast.Scalar:
			default:
				if len(def.Interfaces) > 0 {
					fmt.Fprintf(&b, "Implements %s.\n\n", strings.Join(def.Interfaces, ", "))
				}
				b.WriteString("| field | type | description |\n|---|---|---|\n")
				for _, f := range def.Fields {
					desc := oneLine(f.Description)
					if len(f.Arguments) > 0 {
						var args []string
						for _, a := range f.Arguments {
							args = append(args, "`"+a.Name+": "+a.Type.String()+"`")
						}
						desc = strings.TrimSpace(desc + " Arguments: " + strings.Join(args, ", ") + ".")
					}
					fmt.Fprintf(&b, "| `%s` | `%s` | %s |\n", f.Name, f.Type.String(), desc)
				}
			}
		}
	}
	return b.Bytes()
}

func sorted(fields ast.FieldList) ast.FieldList {
	out := slices.Clone(fields)
	slices.SortFunc(out, func(a, b *ast.FieldDefinition) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// types are the schema's own definitions of kind, by name, without the
// introspection types and the built-in scalars.
func types(s *ast.Schema, kind ast.DefinitionKind) []*ast.Definition {
	var out []*ast.Definition
	for name, def := range s.Types {
		if def.Kind == kind && !def.BuiltIn && !strings.HasPrefix(name, "__") {
			out = append(out, def)
		}
	}
	slices.SortFunc(out, func(a, b *ast.Definition) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// filtered are the fields a filter filters on: those without a predicate
// suffix of another field.
func filtered(fields ast.FieldList) []string {
	var out []string
	for _, f := range fields {
		if f.Name == "and" || f.Name == "or" || f.Name == "not" || strings.HasPrefix(f.Name, "has") {
			continue
		}
		base := true
		for _, o := range fields {
			if o != f && strings.HasPrefix(f.Name, o.Name) && o.Name != "" {
				base = false
				break
			}
		}
		if base {
			out = append(out, "`"+f.Name+"`")
		}
	}
	return out
}

func arguments(b *bytes.Buffer, args ast.ArgumentDefinitionList) {
	if len(args) == 0 {
		return
	}
	b.WriteString("| argument | type | description |\n|---|---|---|\n")
	for _, a := range args {
		fmt.Fprintf(b, "| `%s` | `%s` | %s |\n", a.Name, a.Type.String(), oneLine(a.Description))
	}
}

func typeLink(t *ast.Type) string { return "`" + t.String() + "`" }

func paragraph(b *bytes.Buffer, text string) {
	if text = strings.TrimSpace(text); text != "" {
		b.WriteString(text + "\n\n")
	}
}

func dash(text string) string {
	if text = oneLine(text); text != "" {
		return ": " + text
	}
	return ""
}

// oneLine is text for a table cell: one line, pipes escaped.
func oneLine(text string) string {
	return strings.ReplaceAll(strings.Join(strings.Fields(text), " "), "|", `\|`)
}
