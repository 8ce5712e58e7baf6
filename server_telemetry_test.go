package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const testMetricsToken = "a-metrics-token-of-the-test"

// TestRunMetrics: with ORDERDESK_METRICS_TOKEN the server serves /metrics
// to its bearer only.
func TestRunMetrics(t *testing.T) {
	s := start(t, nil, testEnv(map[string]string{
		"ORDERDESK_DB_DSN":        filepath.Join(t.TempDir(), "orderdesk.db"),
		"ORDERDESK_METRICS_TOKEN": testMetricsToken,
	}))
	get := func(token string) (int, string) {
		req, _ := http.NewRequest(http.MethodGet, "http://"+s.addr+"/metrics", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(body)
	}
	if status, _ := get(""); status != http.StatusUnauthorized {
		t.Errorf("/metrics without the token: %d, want 401", status)
	}
	if status, body := get(testMetricsToken); status != http.StatusOK ||
		!strings.Contains(body, "orderdesk_requests_in_flight") || !strings.Contains(body, `go_sql_open_connections{db_name="orderdesk"}`) {
		t.Errorf("/metrics with the token: %d\n%.300s", status, body)
	}
	s.stop(t)
}

// TestRunTracing: the OTEL_* variables turn tracing on, the request log
// lines carry trace ids, and the spans reach the collector by the time the
// server has stopped.
func TestRunTracing(t *testing.T) {
	var exports atomic.Int64
	collector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/traces" {
			exports.Add(1)
		}
		w.Header().Set("Content-Type", "application/x-protobuf")
	}))
	defer collector.Close()
	// The exporter reads its endpoint from the process environment.
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", collector.URL)
	s := start(t, nil, testEnv(map[string]string{
		"ORDERDESK_DB_DSN":            filepath.Join(t.TempDir(), "orderdesk.db"),
		"OTEL_EXPORTER_OTLP_ENDPOINT": collector.URL,
	}))
	res, err := http.Get("http://" + s.addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	s.stop(t)
	if exports.Load() == 0 {
		t.Error("no spans reached the collector by shutdown")
	}
	if log := s.stdout.String(); !strings.Contains(log, `"msg":"tracing on"`) || !strings.Contains(log, `"trace_id"`) {
		t.Errorf("log without tracing:\n%s", log)
	}
}

// TestRunTelemetryConfigErrors: telemetry settings that cannot work stop
// the server at start.
func TestRunTelemetryConfigErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want string
	}{
		{"ErrShortMetricsToken", map[string]string{"ORDERDESK_METRICS_TOKEN": "short"}, "ORDERDESK_METRICS_TOKEN"},
		{"ErrTracesExporter", map[string]string{"OTEL_TRACES_EXPORTER": "zipkin"}, "OTEL_TRACES_EXPORTER"},
		{"ErrOTLPProtocol", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "grpc"},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.env["ORDERDESK_DB_DSN"] = filepath.Join(t.TempDir(), "orderdesk.db")
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			ready := make(chan string, 1)
			err := run(ctx, nil, testEnv(c.env), io.Discard, io.Discard, ready)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("run: %v, want an error naming %s", err, c.want)
			}
		})
	}
}
