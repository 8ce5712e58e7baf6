package fault

import (
	"errors"
	"fmt"
	"strings"
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

// TestEmail: an address is trimmed and lower-cased, and refused when it is
// not one or longer than MaxEmail characters; empty passes.
func TestEmail(t *testing.T) {
	at := "@example.test"
	for _, c := range []struct {
		in, want string
		ok       bool
	}{
		{" Buyer@Acme.Test ", "buyer@acme.test", true},
		{"", "", true},
		{strings.Repeat("a", MaxEmail-len(at)) + at, strings.Repeat("a", MaxEmail-len(at)) + at, true},
		{strings.Repeat("a", MaxEmail-len(at)+1) + at, "", false},
		{"买家@例子.test", "买家@例子.test", true},
		{"not an address", "", false},
	} {
		var l List
		got := l.Email("input.email", c.in)
		if ok := l.Err() == nil; ok != c.ok || (ok && got != c.want) {
			t.Errorf("Email(%q) = %q, errors %v; want %q, ok %t", c.in, got, l.Err(), c.want, c.ok)
		}
	}
}
