// Package clip shortens text to a number of characters, never cutting a
// character in two: stored text stays valid UTF-8 whatever the input, and a
// limit of 500 means 500 Chinese characters as much as 500 Latin ones.
package clip

import "unicode/utf8"

// Runes returns s cut to at most n characters (runes).
func Runes(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n { // n bytes are at most n runes
		return s
	}
	count := 0
	for i := range s {
		if count == n {
			return s[:i]
		}
		count++
	}
	return s
}

// Marked returns s cut to at most n characters, the last of them Ellipsis
// when it was cut: for titles and summaries of a column of n characters.
func Marked(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return Runes(s, n-1) + Ellipsis
}
