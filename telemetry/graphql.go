package telemetry

import (
	"context"
	"slices"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

// OperationName labels the GraphQL request of ctx: the name of the
// operation it runs, cut to MaxNameLen bytes; Anonymous for an operation
// without one; Unknown when the document did not parse or does not hold
// the operation asked for. Only a parsed document's name is used, and
// GraphQL names are ASCII letters, digits and underscores, so a label
// never carries anything else a client sent.
func OperationName(ctx context.Context) string {
	if !graphql.HasOperationContext(ctx) {
		return Unknown
	}
	op := graphql.GetOperationContext(ctx).Operation
	switch {
	case op == nil:
		return Unknown
	case op.Name == "":
		return Anonymous
	case len(op.Name) > MaxNameLen:
		return op.Name[:MaxNameLen]
	default:
		return op.Name
	}
}

// ErrorCode is extensions.code of a GraphQL error, or "ERROR" without one.
func ErrorCode(e *gqlerror.Error) string {
	if c, ok := e.Extensions["code"].(string); ok && c != "" {
		return c
	}
	return "ERROR"
}

// graphQLTracer is a gqlgen extension that spans each GraphQL operation
// and each field that has a resolver of its own; plain fields read off a
// loaded object would only add noise.
type graphQLTracer struct{ tracer trace.Tracer }

var (
	_ graphql.ResponseInterceptor = graphQLTracer{}
	_ graphql.FieldInterceptor    = graphQLTracer{}
)

func (graphQLTracer) ExtensionName() string                   { return "OpenTelemetry" }
func (graphQLTracer) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse spans a response: the one of a query or mutation, each
// event of a subscription, and the error response of a request refused
// before it ran (parse or validation errors). The fields run inside it.
func (t graphQLTracer) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	kind := "graphql"
	if graphql.HasOperationContext(ctx) {
		if op := graphql.GetOperationContext(ctx).Operation; op != nil {
			kind = string(op.Operation)
		}
	}
	name := OperationName(ctx)
	ctx, span := t.tracer.Start(ctx, kind+" "+name, trace.WithAttributes(
		attribute.String("graphql.operation.type", kind),
		attribute.String("graphql.operation.name", name),
	))
	defer span.End()
	resp := next(ctx)
	if resp != nil && len(resp.Errors) > 0 {
		span.SetAttributes(attribute.StringSlice("graphql.error.codes", errorCodes(resp.Errors)))
		span.SetStatus(codes.Error, resp.Errors[0].Message)
	}
	return resp
}

// InterceptField spans a field with a resolver.
func (t graphQLTracer) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || !fc.IsResolver {
		return next(ctx)
	}
	ctx, span := t.tracer.Start(ctx, fc.Object+"."+fc.Field.Name, trace.WithAttributes(
		attribute.String("graphql.field.path", fc.Path().String()),
	))
	defer span.End()
	res, err := next(ctx)
	if err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, "resolver failed")
	}
	return res, err
}

// errorCodes lists the distinct codes of errs in order.
func errorCodes(errs gqlerror.List) []string {
	var out []string
	for _, e := range errs {
		c := ErrorCode(e)
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
