package generated

import (
	"bytes"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestFieldValuesWriteWhatAFieldSetWrites: a sequential object's JSON is
// graphql.FieldSet's, repeated response names included (the first value
// wins).
func TestFieldValuesWriteWhatAFieldSetWrites(t *testing.T) {
	field := func(alias string) graphql.CollectedField {
		return graphql.CollectedField{Field: &ast.Field{Alias: alias, Name: alias}}
	}
	for name, fields := range map[string][]graphql.CollectedField{
		"none":     nil,
		"one":      {field("id")},
		"several":  {field("id"), field("__typename"), field("total")},
		"repeated": {field("id"), field("total"), field("id")},
	} {
		values := []graphql.Marshaler{graphql.MarshalString("7"), graphql.MarshalInt(12), graphql.MarshalString("ä\"")}
		set, ours := graphql.NewFieldSet(fields), newFieldValues(fields)
		copy(set.Values, values)
		copy(ours.Values, values)
		var want, got bytes.Buffer
		set.MarshalGQL(&want)
		ours.MarshalGQL(&got)
		if got.String() != want.String() {
			t.Errorf("%s: %s, want %s", name, got.String(), want.String())
		}
	}
}
