package guard

import (
	"context"
	"errors"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/99designs/gqlgen/graphql"
)

// Extension runs Check on every operation and, if it passes, DefaultPageSize.
// Register it with handler.Use(&guard.Extension{Limits: guard.DefaultLimits()}).
// It must be a pointer: Validate stores the schema in it.
//
// Because DefaultPageSize rewrites the parsed query, a query cache shared by
// requests must be a QueryCache, which rewrites documents as they enter it
// (so that this pass changes nothing in a cached document); never gqlgen's
// plain LRU, as in handler.NewDefaultServer.
type Extension struct {
	Limits Limits

	schema *ast.Schema
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &Extension{}

// ExtensionName implements graphql.HandlerExtension.
func (e *Extension) ExtensionName() string {
	return "Guard"
}

// Validate implements graphql.HandlerExtension; it keeps the schema for Check.
func (e *Extension) Validate(es graphql.ExecutableSchema) error {
	if es == nil || es.Schema() == nil {
		return errors.New("guard: executable schema has no schema")
	}
	e.schema = es.Schema()
	return nil
}

// MutateOperationContext implements graphql.OperationContextMutator.
func (e *Extension) MutateOperationContext(_ context.Context, rc *graphql.OperationContext) *gqlerror.Error {
	if err := Check(e.schema, rc.Operation, rc.Variables, e.Limits); err != nil {
		return err
	}
	DefaultPageSize(rc.Operation, e.Limits.withDefaults().DefaultPageSize)
	return nil
}
