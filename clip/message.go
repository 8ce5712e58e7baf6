package clip

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Ellipsis marks where Message cut.
const Ellipsis = "…"

// Message shortens what a message may repeat of a client's input, for
// error texts and log lines: each double-quoted part (escapes kept) and
// each run of characters without a space is cut to n characters, and the
// whole message to total characters, each cut marked with Ellipsis.
// Characters are runes, never bytes.
func Message(s string, n, total int) string {
	if len(s) <= n && len(s) <= total { // n bytes are at most n runes
		return s
	}
	var b strings.Builder
	b.Grow(min(len(s), 4*total))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsSpace(r):
			b.WriteString(s[i : i+size])
			i += size
		case r == '"':
			end := quoteEnd(s, i+1)
			b.WriteByte('"')
			writeCut(&b, s[i+1:end], n)
			if end < len(s) {
				b.WriteByte('"')
				end++
			}
			i = end
		default:
			end := i
			for end < len(s) {
				r, size := utf8.DecodeRuneInString(s[end:])
				if unicode.IsSpace(r) || r == '"' {
					break
				}
				end += size
			}
			writeCut(&b, s[i:end], n)
			i = end
		}
		if b.Len() > 4*total { // far enough: the whole is cut below anyway
			break
		}
	}
	out := b.String()
	if utf8.RuneCountInString(out) > total {
		out = Runes(out, total) + Ellipsis
	}
	return out
}

// quoteEnd is the index of the double quote that closes the quoted part
// starting at i, or len(s) when it is not closed.
func quoteEnd(s string, i int) int {
	for i < len(s) {
		switch s[i] {
		case '\\':
			i += 2
			continue
		case '"':
			return i
		}
		i++
	}
	return len(s)
}

func writeCut(b *strings.Builder, s string, n int) {
	cut := Runes(s, n)
	b.WriteString(cut)
	if len(cut) < len(s) {
		b.WriteString(Ellipsis)
	}
}
