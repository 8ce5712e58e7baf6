package clip

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestRunes(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"", 3, ""},
		{"abc", 3, "abc"},
		{"abcd", 3, "abc"},
		{"订单取消", 2, "订单"},
		{"订单取消", 4, "订单取消"},
		{"a订b", 2, "a订"},
		{"abc", 0, ""},
	}
	for _, tt := range tests {
		if got := Runes(tt.in, tt.n); got != tt.want {
			t.Errorf("Runes(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
	long := strings.Repeat("退款说明", 200) // 800 characters, 2,400 bytes
	got := Runes(long, 500)
	if !utf8.ValidString(got) || utf8.RuneCountInString(got) != 500 {
		t.Errorf("clipping Chinese text: %d runes, valid %t", utf8.RuneCountInString(got), utf8.ValidString(got))
	}
}
