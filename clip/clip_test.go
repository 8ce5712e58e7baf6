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

func TestMessage(t *testing.T) {
	long := strings.Repeat("订", 100)
	tests := []struct {
		name, in, want string
	}{
		{"Short", `cannot parse "abc"`, `cannot parse "abc"`},
		{"QuotedCut", `cannot parse "` + long + `" as "2006"`, `cannot parse "` + strings.Repeat("订", 8) + `…" as "2006"`},
		{"QuotedWithSpacesCut", `found "a b c d e f g h i j"`, `found "a b c d …"`},
		{"EscapedQuoteInside", `found "ab\"cdefghij" end`, `found "ab\"cdef…" end`},
		{"Unterminated", `found "abcdefghijkl`, `found "abcdefgh…`},
		{"WordCut", `value: ` + long + ` is not a valid X`, `value: ` + strings.Repeat("订", 8) + `… is not a valid X`},
		{"TotalCut", strings.Repeat("ab ", 30), strings.Repeat("ab ", 13) + "a…"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Message(tt.in, 8, 40)
			if got != tt.want {
				t.Errorf("Message(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if !utf8.ValidString(got) {
				t.Errorf("Message(%q) is not valid UTF-8", tt.in)
			}
		})
	}
}

func TestMarked(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"投诉投诉", 4, "投诉投诉"},
		{"投诉投诉投", 4, "投诉投…"},
		{"abcdef", 3, "ab…"},
	} {
		if got := Marked(c.in, c.n); got != c.want || utf8.RuneCountInString(got) > c.n {
			t.Errorf("Marked(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
