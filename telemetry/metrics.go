// Package telemetry measures orderdesk for its operators: Prometheus
// metrics of requests, the database pool, transaction retries and committed
// business events, and OpenTelemetry traces of requests, GraphQL
// operations, resolvers and SQL statements when the standard OTEL_*
// variables ask for them.
//
// Each Metrics owns its registry rather than the process-wide default, so
// that two servers in one test binary count apart.
package telemetry

import (
	"context"
	"database/sql"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"orderdesk/store"
)

const namespace = "orderdesk"

// MaxOperations bounds the GraphQL operation names that label request
// metrics. Names are chosen by clients: past the first MaxOperations
// distinct names a server has seen, further names count as Other.
const MaxOperations = 200

// MaxNameLen is the longest operation name kept; longer ones are cut.
const MaxNameLen = 64

// Fixed operation labels.
const (
	// Unknown is a GraphQL request whose document did not parse or did not
	// hold the operation asked for.
	Unknown = "unknown"
	// Anonymous is an operation without a name.
	Anonymous = "anonymous"
	// Other is a named operation past MaxOperations distinct names.
	Other = "other"
)

// Metrics is the Prometheus side of telemetry.
type Metrics struct {
	registry   *prometheus.Registry
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	inFlight   prometheus.Gauge
	txRetries  prometheus.Counter
	business   business
	operations *nameSet
}

// NewMetrics registers every metric of orderdesk, with the Go runtime and
// process collectors, in a registry of its own.
func NewMetrics() *Metrics {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: namespace, Name: "requests_total",
			Help: "HTTP requests answered, by GraphQL operation (or route) and outcome (ok, error code, or HTTP status).",
		}, []string{"operation", "outcome"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: namespace, Name: "request_duration_seconds",
			Help:    "Time to answer an HTTP request, by GraphQL operation (or route).",
			Buckets: prometheus.DefBuckets,
		}, []string{"operation"}),
		inFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: namespace, Name: "requests_in_flight",
			Help: "HTTP requests being answered now (websocket connections excluded).",
		}),
		txRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: namespace, Name: "tx_retries_total",
			Help: "Transactions run again after losing a deadlock, a lock wait or a unique-key race.",
		}),
		business:   newBusiness(),
		operations: &nameSet{names: map[string]struct{}{}, max: MaxOperations},
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.latency, m.inFlight, m.txRetries,
	)
	m.business.register(m.registry)
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{Registry: m.registry})
}

// CollectDB exports the connection pool statistics of db (go_sql_*,
// labelled db_name="orderdesk").
func (m *Metrics) CollectDB(db *sql.DB) {
	m.registry.MustRegister(collectors.NewDBStatsCollector(db, namespace))
}

// WatchTx returns ctx in which store.WithTx counts its retries here. The
// request metrics do it for every request; background work calls it itself.
func (m *Metrics) WatchTx(ctx context.Context) context.Context {
	return store.WithRetryObserver(ctx, m.txRetries.Inc)
}

// Request is an answered HTTP request as the request metrics see it.
type Request struct {
	// Operation is what OperationName says of a GraphQL request; empty for
	// a request that is not GraphQL.
	Operation string
	// Route labels a request that is not GraphQL: the path it was routed by.
	Route string
	// Outcome is "ok", a GraphQL error code, or an HTTP status.
	Outcome string
	Elapsed time.Duration
}

// Started counts a request in flight and returns the context to serve it
// with; Finished must follow once it has been answered.
func (m *Metrics) Started(ctx context.Context) context.Context {
	m.inFlight.Inc()
	return m.WatchTx(ctx)
}

// Finished counts and times an answered request.
func (m *Metrics) Finished(r Request) {
	m.inFlight.Dec()
	op := r.Route
	if r.Operation != "" {
		op = m.operations.label(r.Operation)
	}
	m.requests.WithLabelValues(op, r.Outcome).Inc()
	m.latency.WithLabelValues(op).Observe(r.Elapsed.Seconds())
}

// nameSet admits the first max distinct names and maps the rest to Other,
// so that clients cannot grow the label space without bound.
type nameSet struct {
	mu    sync.Mutex
	names map[string]struct{}
	max   int
}

func (s *nameSet) label(name string) string {
	if name == Unknown || name == Anonymous {
		return name
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.names[name]; ok {
		return name
	}
	if len(s.names) >= s.max {
		return Other
	}
	s.names[name] = struct{}{}
	return name
}
