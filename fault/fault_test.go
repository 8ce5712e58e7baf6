package fault

import (
	"errors"
	"fmt"
	"testing"
)

func TestExpected(t *testing.T) {
	var l List
	l.Add(Invalid, "input.name", "is required")
	l.Add(Invalid, "input.email", "is not an email address")
	errs, ok := Expected(fmt.Errorf("wrapped: %w", l.Err()))
	if !ok || len(errs) != 2 || errs[1].Path != "input.email" {
		t.Fatalf("Expected(list) = %v, %v", errs, ok)
	}
	if _, ok := Expected(New(Forbidden, "", "no")); ok {
		t.Error("Forbidden must not be a payload error")
	}
	if _, ok := Expected(errors.New("driver: bad connection")); ok {
		t.Error("an internal error must not be a payload error")
	}
	if (List{}).Err() != nil {
		t.Error("empty list must be no error")
	}
	if got := CodeOf(fmt.Errorf("x: %w", New(VersionConflict, "", "stale"))); got != VersionConflict {
		t.Errorf("CodeOf = %q", got)
	}
}
