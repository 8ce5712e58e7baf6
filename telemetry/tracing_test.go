package telemetry_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"orderdesk/telemetry"
)

// TestTracingFromEnv: tracing is on only when the standard variables ask
// for OTLP, OTEL_SDK_DISABLED always wins, and what is not built in is an
// error rather than silence.
func TestTracingFromEnv(t *testing.T) {
	const endpoint = "http://127.0.0.1:4318"
	for _, tc := range []struct {
		name    string
		env     map[string]string
		on      bool
		wantErr bool
	}{
		{"OffByDefault", nil, false, false},
		{"OnWithEndpoint", map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}, true, false},
		{"OnWithTracesEndpoint", map[string]string{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": endpoint + "/v1/traces"}, true, false},
		{"OnWithExporterOTLP", map[string]string{"OTEL_TRACES_EXPORTER": "otlp"}, true, false},
		{"OffWithExporterNone", map[string]string{"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint}, false, false},
		{"OffWhenSDKDisabled", map[string]string{"OTEL_SDK_DISABLED": "TRUE", "OTEL_TRACES_EXPORTER": "otlp"}, false, false},
		{"ExplicitHTTPProtobuf", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf"}, true, false},
		{"ErrGRPC", map[string]string{"OTEL_TRACES_EXPORTER": "otlp", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"}, false, true},
		{"ErrConsoleExporter", map[string]string{"OTEL_TRACES_EXPORTER": "console"}, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, err := telemetry.TracingFromEnv(context.Background(), func(k string) string { return tc.env[k] })
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %t", err, tc.wantErr)
			}
			if (tr != nil) != tc.on {
				t.Fatalf("tracing on = %t, want %t", tr != nil, tc.on)
			}
			// Nothing was traced, so flushing sends nothing.
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if err := tr.Shutdown(ctx); err != nil {
				t.Errorf("Shutdown: %v", err)
			}
		})
	}
}

// TestTracing_NilIsOff: without tracing, the SQL opener is the plain one.
func TestTracing_NilIsOff(t *testing.T) {
	var tr *telemetry.Tracing
	db, err := tr.OpenSQL("sqlite", "file:"+t.TempDir()+"/off.db")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	if driver := fmt.Sprintf("%T", db.Driver()); strings.Contains(driver, "otelsql") {
		t.Errorf("the driver is wrapped for tracing (%s) with tracing off", driver)
	}
}
