package scalar

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"
)

func refused(t *testing.T, name string, v any, err error) {
	t.Helper()
	var se *Error
	if !errors.As(err, &se) {
		t.Errorf("%s(%#v): err %v, want a refusal", name, v, err)
	}
}

func TestUnmarshalInt(t *testing.T) {
	for _, v := range []any{int64(5), 5, int32(5), json.Number("5"), int64(math.MaxInt32), json.Number("-2147483648")} {
		if _, err := UnmarshalInt(v); err != nil {
			t.Errorf("UnmarshalInt(%#v): %v", v, err)
		}
	}
	for _, v := range []any{"5", json.Number("5.0"), json.Number("5e0"), json.Number("5.5"), 5.0, true,
		int64(math.MaxInt32 + 1), int64(math.MinInt32 - 1), json.Number("99999999999999999999")} {
		_, err := UnmarshalInt(v)
		refused(t, "UnmarshalInt", v, err)
		_, err = UnmarshalInt64(v)
		refused(t, "UnmarshalInt64", v, err)
	}
}

func TestUnmarshalString(t *testing.T) {
	for _, v := range []string{"", "订单 😀", "a\tb\nc"} {
		if got, err := UnmarshalString(v); err != nil || got != v {
			t.Errorf("UnmarshalString(%q) = %q, %v", v, got, err)
		}
	}
	for _, v := range []any{"a\x00b", "a\xffb", "a\ufffdb", json.Number("5"), int64(5), true} {
		_, err := UnmarshalString(v)
		refused(t, "UnmarshalString", v, err)
	}
}

func TestUnmarshalIntID(t *testing.T) {
	for v, want := range map[any]int{"42": 42, json.Number("7"): 7, int64(9): 9, "007": 7} {
		if got, err := UnmarshalIntID(v); err != nil || got != want {
			t.Errorf("UnmarshalIntID(%#v) = %d, %v", v, got, err)
		}
	}
	for _, v := range []any{"", "abc", "-1", "+1", " 1", "1.0", "4.000000", "1234567890123456789", json.Number("4.5"), int64(-1), 4.0, true} {
		_, err := UnmarshalIntID(v)
		refused(t, "UnmarshalIntID", v, err)
	}
}

func TestUnmarshalTime(t *testing.T) {
	for _, v := range []string{"2026-05-01T09:30:00Z", "2026-05-01T09:30:00.123456789+02:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"} {
		want, _ := time.Parse(time.RFC3339Nano, v)
		if got, err := UnmarshalTime(v); err != nil || !got.Equal(want) {
			t.Errorf("UnmarshalTime(%q) = %v, %v", v, got, err)
		}
	}
	for _, v := range []any{"", "yesterday", "2026-05-01", "2026-05-01 09:30:00", "2026-13-01T00:00:00Z",
		"9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+01:00", int64(1767225600), json.Number("1767225600")} {
		_, err := UnmarshalTime(v)
		refused(t, "UnmarshalTime", v, err)
	}
}

func TestUnmarshalDecimal(t *testing.T) {
	for _, v := range []string{"0", "12", "12.50", "-0.001", "1234567890123456789.12"} {
		if got, err := UnmarshalDecimal(v); err != nil || got != v {
			t.Errorf("UnmarshalDecimal(%q) = %q, %v", v, got, err)
		}
	}
	for _, v := range []any{"", "abc", "1,50", "1e3", ".5", "5.", "+1", " 1", "1.2.3", "--1",
		"12345678901234567890123456789012345678901", json.Number("12.5"), int64(12), 12.5} {
		_, err := UnmarshalDecimal(v)
		refused(t, "UnmarshalDecimal", v, err)
	}
}
