package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"orderdesk/audit"
)

// TestPresenter_InternalErrorLog: the log line of an internal error
// repeats at most a short prefix of any input the error quotes, and the
// client sees none of it.
func TestPresenter_InternalErrorLog(t *testing.T) {
	var buf bytes.Buffer
	present := presenter(slog.New(slog.NewJSONHandler(&buf, nil)))
	input := strings.Repeat("退款说明", 1000)
	ctx := audit.WithRequestID(context.Background(), "req-1")
	gerr := present(ctx, fmt.Errorf("store: insert: Error 1062: Duplicate entry '%s' for key 'sku'", input))
	if gerr.Extensions["code"] != codeInternal || strings.Contains(gerr.Message, "退款") {
		t.Errorf("presented %q (%v)", gerr.Message, gerr.Extensions)
	}
	line := buf.String()
	if !strings.Contains(line, `"msg":"internal error"`) || !strings.Contains(line, "req-1") {
		t.Fatalf("log line %.300s", line)
	}
	if strings.Contains(line, strings.Repeat("退款说明", 17)) { // 68 characters
		t.Errorf("the log line repeats more than 64 characters of the input: %.300s…", line)
	}
	if !strings.Contains(line, strings.Repeat("退款说明", 15)) || !strings.Contains(line, "…") || !strings.Contains(line, "for key") {
		t.Errorf("the log line lost what it should keep: %.400s", line)
	}
}
