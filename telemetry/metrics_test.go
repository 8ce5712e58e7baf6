package telemetry_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	_ "orderdesk/ent/runtime" // registers privacy policies and hooks
	"orderdesk/store"
	"orderdesk/store/storetest"
	"orderdesk/telemetry"
)

// scrape reads the metrics as Prometheus would: series → value.
func scrape(t *testing.T, m *telemetry.Metrics) map[string]float64 {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: status %d", rec.Code)
	}
	return parseSeries(t, rec.Body.String())
}

func parseSeries(t *testing.T, text string) map[string]float64 {
	t.Helper()
	series := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("series %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

func TestOperationName(t *testing.T) {
	long := strings.Repeat("a", 100)
	withOp := func(op *ast.OperationDefinition) context.Context {
		return graphql.WithOperationContext(context.Background(), &graphql.OperationContext{Operation: op})
	}
	for _, tc := range []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"Named", withOp(&ast.OperationDefinition{Name: "OrderList"}), "OrderList"},
		{"Anonymous", withOp(&ast.OperationDefinition{}), telemetry.Anonymous},
		{"NotParsed", withOp(nil), telemetry.Unknown},
		{"NoOperationContext", context.Background(), telemetry.Unknown},
		{"LongNameCut", withOp(&ast.OperationDefinition{Name: long}), long[:telemetry.MaxNameLen]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := telemetry.OperationName(tc.ctx); got != tc.want {
				t.Errorf("OperationName = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestMetrics_OperationsCapped: past MaxOperations distinct names, new
// names count as "other"; names already seen and the fixed labels keep
// their own series.
func TestMetrics_OperationsCapped(t *testing.T) {
	m := telemetry.NewMetrics()
	for i := range telemetry.MaxOperations + 5 {
		m.Started(context.Background())
		m.Finished(telemetry.Request{Operation: fmt.Sprintf("Op%d", i), Outcome: "ok", Elapsed: time.Millisecond})
	}
	for _, op := range []string{"Op0", telemetry.Unknown, telemetry.Anonymous} {
		m.Started(context.Background())
		m.Finished(telemetry.Request{Operation: op, Outcome: "ok"})
	}
	m.Started(context.Background())
	m.Finished(telemetry.Request{Route: "/healthz", Outcome: "200"})
	s := scrape(t, m)
	names := 0
	for k := range s {
		if strings.HasPrefix(k, `orderdesk_requests_total{operation="Op`) {
			names++
		}
	}
	if names != telemetry.MaxOperations {
		t.Errorf("%d operation names have series, want %d", names, telemetry.MaxOperations)
	}
	for series, want := range map[string]float64{
		`orderdesk_requests_total{operation="other",outcome="ok"}`:     5,
		`orderdesk_requests_total{operation="Op0",outcome="ok"}`:       2,
		`orderdesk_requests_total{operation="unknown",outcome="ok"}`:   1,
		`orderdesk_requests_total{operation="anonymous",outcome="ok"}`: 1,
		`orderdesk_requests_total{operation="/healthz",outcome="200"}`: 1,
		`orderdesk_request_duration_seconds_count{operation="Op1"}`:    1,
		`orderdesk_requests_in_flight`:                                 0,
	} {
		if s[series] != want {
			t.Errorf("%s = %v, want %v", series, s[series], want)
		}
	}
}

// TestMetrics_TxRetries: a transaction run again under a watched context
// is counted once per rerun.
func TestMetrics_TxRetries(t *testing.T) {
	db := storetest.New(t)
	m := telemetry.NewMetrics()
	runs := 0
	err := store.WithTx(m.WatchTx(context.Background()), db.Client, func(*ent.Tx) error {
		runs++
		if runs < 3 {
			return store.ErrRetry
		}
		return nil
	})
	if err != nil || runs != 3 {
		t.Fatalf("WithTx: %v after %d runs", err, runs)
	}
	if got := scrape(t, m)["orderdesk_tx_retries_total"]; got != 2 {
		t.Errorf("orderdesk_tx_retries_total = %v, want 2", got)
	}
}

// TestMetrics_AuditHook: audit events count once their transaction
// commits; those of a transaction rolled back do not count at all.
func TestMetrics_AuditHook(t *testing.T) {
	db := storetest.New(t)
	m := telemetry.NewMetrics()
	db.Client.AuditEvent.Use(m.AuditHook())
	ctx := auth.NewContext(context.Background(), auth.System("test"))
	amount := int64(-250) // refunds are recorded as money going out
	refund := audit.Event{Action: "payment.refunded", SubjectType: "Payment", SubjectID: 1, Amount: &amount, Currency: "EUR"}
	rollback := errors.New("roll back")
	err := store.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
		if err := audit.Record(ctx, tx, refund); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatalf("rolled-back tx: %v", err)
	}
	if got := scrape(t, m)[`orderdesk_refunds_total{currency="EUR"}`]; got != 0 {
		t.Fatalf("a rolled-back refund counted: %v", got)
	}
	err = store.WithTx(ctx, db.Client, func(tx *ent.Tx) error {
		batch := audit.Batch(ctx)
		captured := int64(500)
		for _, e := range []audit.Event{refund, {Action: "order.cancelled", SubjectType: "Order", SubjectID: 2},
			{Action: "order.completed", SubjectType: "Order", SubjectID: 3},
			{Action: "payment.captured", SubjectType: "Payment", SubjectID: 4, Amount: &captured, Currency: "EUR"}} {
			if err := audit.Record(batch, tx, e); err != nil {
				return err
			}
		}
		return audit.Flush(batch, tx)
	})
	if err != nil {
		t.Fatal(err)
	}
	s := scrape(t, m)
	for series, want := range map[string]float64{
		`orderdesk_refunds_total{currency="EUR"}`:                 1,
		`orderdesk_refunded_minor_total{currency="EUR"}`:          250,
		`orderdesk_orders_closed_total{status="cancelled"}`:       1,
		`orderdesk_audit_events_total{action="order.cancelled"}`:  1,
		`orderdesk_audit_events_total{action="payment.refunded"}`: 1,
		`orderdesk_orders_closed_total{status="completed"}`:       1,
		`orderdesk_payments_captured_total{currency="EUR"}`:       1,
		`orderdesk_captured_minor_total{currency="EUR"}`:          500,
	} {
		if s[series] != want {
			t.Errorf("%s = %v, want %v", series, s[series], want)
		}
	}
}

// TestMetrics_Collectors: the runtime, process and pool collectors are
// registered.
func TestMetrics_Collectors(t *testing.T) {
	db := storetest.New(t)
	m := telemetry.NewMetrics()
	m.CollectDB(db.SQL)
	s := scrape(t, m)
	for _, series := range []string{
		"go_goroutines",
		"process_resident_memory_bytes",
		`go_sql_open_connections{db_name="orderdesk"}`,
		`go_sql_wait_count_total{db_name="orderdesk"}`,
		"orderdesk_requests_in_flight",
		"orderdesk_tx_retries_total",
	} {
		if _, ok := s[series]; !ok {
			t.Errorf("no series %s", series)
		}
	}
}
