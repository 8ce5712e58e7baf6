package telemetry

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/XSAM/otelsql"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// instrumentation names the tracer of orderdesk's own spans.
const instrumentation = "orderdesk/telemetry"

// Tracing is OpenTelemetry tracing of requests, GraphQL operations,
// resolvers and SQL. A nil *Tracing is tracing off: its methods then add
// nothing (OpenSQL opens the plain driver, Shutdown does nothing), and the
// HTTP layer installs none of its middleware, so an untraced server pays
// nothing per request.
type Tracing struct {
	provider   *sdktrace.TracerProvider
	propagator propagation.TextMapPropagator
}

// NewTracing traces into provider; tests give it one with an in-memory
// exporter.
func NewTracing(provider *sdktrace.TracerProvider) *Tracing {
	return &Tracing{provider: provider, propagator: propagation.TraceContext{}}
}

// TracingFromEnv sets tracing up as the standard OpenTelemetry variables
// say, read through getenv. It is off — nil, nil — unless
// OTEL_TRACES_EXPORTER=otlp or an OTLP endpoint is set
// (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), and
// always off with OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
// Spans go over OTLP/HTTP in protobuf, the one protocol built in; another
// exporter or protocol is an error rather than silence. The exporter,
// sampler, batcher and resource then read their own variables (endpoint,
// headers, OTEL_TRACES_SAMPLER, OTEL_BSP_*, OTEL_SERVICE_NAME,
// OTEL_RESOURCE_ATTRIBUTES) from the process environment, as every SDK does.
func TracingFromEnv(ctx context.Context, getenv func(string) string) (*Tracing, error) {
	on, err := tracingWanted(getenv)
	if err != nil || !on {
		return nil, err
	}
	exporter, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, fmt.Errorf("OTLP trace exporter: %w", err)
	}
	// Later detectors win: OTEL_SERVICE_NAME overrides the default name.
	res, err := resource.New(ctx,
		resource.WithAttributes(attribute.String("service.name", "orderdesk")),
		resource.WithFromEnv(), resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("OpenTelemetry resource: %w", err)
	}
	return NewTracing(sdktrace.NewTracerProvider(sdktrace.WithBatcher(exporter), sdktrace.WithResource(res))), nil
}

// tracingWanted decides from the OTEL_* variables whether to trace.
func tracingWanted(getenv func(string) string) (bool, error) {
	if strings.EqualFold(strings.TrimSpace(getenv("OTEL_SDK_DISABLED")), "true") {
		return false, nil
	}
	switch exporter := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_EXPORTER"))); exporter {
	case "none":
		return false, nil
	case "otlp":
	case "":
		if getenv("OTEL_EXPORTER_OTLP_ENDPOINT") == "" && getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") == "" {
			return false, nil
		}
	default:
		return false, fmt.Errorf("OTEL_TRACES_EXPORTER %q: only otlp (or none) is built in", exporter)
	}
	protocol := getenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL")
	if protocol == "" {
		protocol = getenv("OTEL_EXPORTER_OTLP_PROTOCOL")
	}
	if protocol != "" && protocol != "http/protobuf" {
		return false, fmt.Errorf("OTLP protocol %q: only http/protobuf is built in", protocol)
	}
	return true, nil
}

// Shutdown flushes the spans not yet exported and stops tracing.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if t == nil {
		return nil
	}
	return t.provider.Shutdown(ctx)
}

// Handler spans each HTTP request, continuing a trace whose W3C
// traceparent header came with it. The span is named by method; the layer
// that routes the request renames it by route (see NameRequestSpan).
func (t *Tracing) Handler(next http.Handler) http.Handler {
	return otelhttp.NewHandler(next, "http.server",
		otelhttp.WithTracerProvider(t.provider),
		otelhttp.WithPropagators(t.propagator),
		// Request metrics are Prometheus': no second set through OTel.
		otelhttp.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method }),
	)
}

// NameRequestSpan names the HTTP span of ctx after the route that served
// it ("POST /graphql"), as OpenTelemetry's conventions ask; the span
// starts before routing, so it cannot be named then.
func NameRequestSpan(ctx context.Context, method, route string) {
	span := trace.SpanFromContext(ctx)
	span.SetName(method + " " + route)
	span.SetAttributes(attribute.String("http.route", route))
}

// GraphQL is the gqlgen extension spanning operations and resolvers.
func (t *Tracing) GraphQL() graphql.HandlerExtension {
	return graphQLTracer{tracer: t.provider.Tracer(instrumentation)}
}

// OpenSQL opens a database/sql handle whose driver spans each statement
// and transaction (store.WithSQLOpener). Statement text is recorded, with
// its placeholders: arguments are not. Without tracing it is sql.Open.
func (t *Tracing) OpenSQL(driverName, dsn string) (*sql.DB, error) {
	if t == nil {
		return sql.Open(driverName, dsn)
	}
	return otelsql.Open(driverName, dsn,
		otelsql.WithTracerProvider(t.provider),
		otelsql.WithMeterProvider(metricnoop.NewMeterProvider()),
		otelsql.WithAttributes(attribute.String("db.system.name", driverName)),
		otelsql.WithSpanOptions(otelsql.SpanOptions{
			DisableErrSkip:       true, // ErrSkip only asks database/sql to take another path
			OmitConnResetSession: true,
			OmitRows:             true,
		}))
}
