package generated

// Not generated: cmd/gqlgen points the list marshallers of sequential
// objects here instead of at graphql.MarshalSliceConcurrently.

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSliceInOrder is graphql.MarshalSliceConcurrently (same arguments,
// same field contexts, same recovery from a panicking element) marshalling
// the elements one after another in the caller's goroutine. The worker
// limit has nothing to bound here.
func marshalSliceInOrder(ctx context.Context, length int, _ int64, omitPanicHandler bool,
	marshalElement func(ctx context.Context, i int) graphql.Marshaler,
) graphql.Array {
	ret := make(graphql.Array, length)
	for i := range length {
		childCtx := graphql.WithFieldContext(ctx, &graphql.FieldContext{Index: &i})
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}
