package money

import (
	"math"
	"testing"
)

func TestFormat(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{0, "EUR", "0.00"},
		{5, "EUR", "0.05"},
		{1234, "EUR", "12.34"},
		{-1234, "USD", "-12.34"},
		{-5, "USD", "-0.05"},
		{1234, "JPY", "1234"},
		{1234, "KWD", "1.234"},
		{math.MaxInt64, "EUR", "92233720368547758.07"},
		{math.MinInt64, "EUR", "-92233720368547758.08"},
	}
	for _, tt := range tests {
		if got := Format(tt.minor, tt.currency); got != tt.want {
			t.Errorf("Format(%d, %s) = %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
}

func TestParse(t *testing.T) {
	ok := []struct {
		in       string
		currency string
		want     int64
	}{
		{"12.34", "EUR", 1234},
		{"12.5", "EUR", 1250},
		{"12", "EUR", 1200},
		{"0.01", "EUR", 1},
		{"-3.10", "EUR", -310},
		{" 7.00 ", "EUR", 700},
		{"1234", "JPY", 1234},
		{"1.234", "KWD", 1234},
		{"92233720368547758.07", "EUR", math.MaxInt64},
	}
	for _, tt := range ok {
		got, err := Parse(tt.in, tt.currency)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q, %s) = %d, %v; want %d", tt.in, tt.currency, got, err, tt.want)
		}
	}
	bad := []struct{ in, currency string }{
		{"", "EUR"}, {"abc", "EUR"}, {"1.234", "EUR"}, {"1.5", "JPY"}, {"1e3", "EUR"},
		{"1,50", "EUR"}, {".5", "EUR"}, {"5.", "EUR"}, {"--1", "EUR"}, {"+1", "EUR"},
		{"92233720368547758.08", "EUR"}, {"1.2.3", "EUR"},
	}
	for _, tt := range bad {
		if got, err := Parse(tt.in, tt.currency); err == nil {
			t.Errorf("Parse(%q, %s) = %d, want an error", tt.in, tt.currency, got)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, c := range []string{"EUR", "JPY", "KWD"} {
		for _, v := range []int64{0, 1, -1, 99, 100, 101, 123456789, -987654321} {
			got, err := Parse(Format(v, c), c)
			if err != nil || got != v {
				t.Errorf("%s %d: round trip gave %d, %v", c, v, got, err)
			}
		}
	}
}

func TestCheckedArithmetic(t *testing.T) {
	if got, err := Mul(1999, 3); err != nil || got != 5997 {
		t.Errorf("Mul(1999, 3) = %d, %v", got, err)
	}
	if _, err := Mul(math.MaxInt64/2, 3); err != ErrOverflow {
		t.Errorf("Mul overflow: %v, want ErrOverflow", err)
	}
	if _, err := Mul(math.MinInt64/2, 3); err != ErrOverflow {
		t.Errorf("Mul negative overflow: %v, want ErrOverflow", err)
	}
	if got, err := Add(-5, 7); err != nil || got != 2 {
		t.Errorf("Add(-5, 7) = %d, %v", got, err)
	}
	if _, err := Add(math.MaxInt64, 1); err != ErrOverflow {
		t.Errorf("Add overflow: %v, want ErrOverflow", err)
	}
	if _, err := Add(math.MinInt64, -1); err != ErrOverflow {
		t.Errorf("Add underflow: %v, want ErrOverflow", err)
	}
	// 50,000,000,000,000,000.00 twice: the sum that once went negative.
	const line = 5_000_000_000_000_000_000
	if _, err := Add(line, line); err != ErrOverflow {
		t.Errorf("Add of two huge lines: %v, want ErrOverflow", err)
	}
}

func FuzzParseFormat(f *testing.F) {
	f.Add("12.34")
	f.Add("-0.01")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := Parse(s, "EUR")
		if err != nil {
			return
		}
		back, err := Parse(Format(v, "EUR"), "EUR")
		if err != nil || back != v {
			t.Fatalf("%q → %d → %q → %d, %v", s, v, Format(v, "EUR"), back, err)
		}
	})
}

// TestValidCurrency: ISO 4217 codes in capitals pass; codes of the right
// shape that no currency has, lower case and other shapes do not.
func TestValidCurrency(t *testing.T) {
	for code, want := range map[string]bool{"EUR": true, "CNY": true, "JPY": true, "KWD": true, "USD": true,
		"QQQ": false, "ABC": false, "eur": false, "Eur": false, "EU": false, "EURO": false, "": false, "€UR": false} {
		if got := ValidCurrency(code); got != want {
			t.Errorf("ValidCurrency(%q) = %t, want %t", code, got, want)
		}
	}
}
