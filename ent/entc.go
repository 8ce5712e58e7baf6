//go:build ignore

// entc generates the ent client and the GraphQL schema of the ent types.
// It runs from the module root through generate.go.
package main

import (
	"log"
	"slices"
	"strings"
	"text/template"

	"entgo.io/contrib/entgql"
	"entgo.io/ent/entc"
	"entgo.io/ent/entc/gen"
)

func main() {
	ex, err := entgql.NewExtension(
		// entgql's templates, then ours: a template defined again later
		// replaces entgql's of the same name.
		entgql.WithTemplates(append(slices.Clone(entgql.AllTemplates),
			gen.MustParse(gen.NewTemplate("orderdesk").Funcs(entgql.TemplateFuncs).
				Funcs(template.FuncMap{"trimSuffix": strings.TrimSuffix}).
				ParseFiles("./ent/template/pagination.tmpl", "./ent/template/money.tmpl",
					"./ent/template/collection.tmpl")))...),
		entgql.WithConfigPath("./gqlgen.yml"),
		entgql.WithSchemaGenerator(),
		entgql.WithSchemaPath("./schema/ent.graphql"),
		entgql.WithWhereInputs(true),
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
