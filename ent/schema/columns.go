package schema

// ReadsColumns names, for GraphQL fields that ent does not generate (those
// bound to resolvers or to hand-written methods), the columns they read.
// The generated field collection (ent/template/collection.tmpl) selects just
// those columns when such a field is asked for. A field named nowhere, and
// not a Money field of the entity's own amounts (which need their column and
// the currency, and are known by name), makes the query select every column:
// naming is an optimisation, never needed for correctness, so name a field
// only with every column its resolver reads.
type ReadsColumns map[string][]string

// Name implements schema.Annotation.
func (ReadsColumns) Name() string { return "ReadsColumns" }
