// Package scalar is the input coercion of the API's scalars, stricter than
// gqlgen's own; gqlgen.yml binds each scalar to the functions here, and
// their output is gqlgen's unchanged.
//
//   - Int: a GraphQL integer literal or a JSON integer (no fraction, no
//     exponent) within 32 bits, as the GraphQL spec says; never a numeric
//     string. No field uses a wider integer scalar.
//   - String: text, never a number or a boolean; no NUL, no invalid UTF-8 and
//     no U+FFFD. encoding/json and gqlparser's lexer turn invalid UTF-8 and
//     lone surrogates (JSON "\ud800", GraphQL "\uD800") into U+FFFD, so a
//     replacement character can only be told apart from one typed on purpose
//     by refusing both: it always marks text already lost to a broken
//     encoding. One rule for POST and websockets, literals and variables.
//   - ID: the decimal digits of an ent id (or an integer), nothing else.
//   - Time: an RFC 3339 date-time whose UTC year is 1 to 9999 (what the
//     databases and RFC 3339 can hold).
//   - Decimal: a string of digits with an optional minus and fraction, such
//     as "-12.50"; never a number. How many decimals the currency allows and
//     the range are the domain's checks (payload errors).
//
// A refusal is an *Error. The error presenter shows it as BAD_USER_INPUT
// naming the argument path; its message never quotes the value.
package scalar

import (
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/99designs/gqlgen/graphql"
)

// Error is an input value a scalar refused. Message says what the value
// must be, without quoting it.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

func refuse(msg string) error { return &Error{Message: msg} }

// MarshalInt writes an Int.
func MarshalInt(i int) graphql.Marshaler { return graphql.MarshalInt(i) }

// UnmarshalInt reads an Int (see the package comment).
func UnmarshalInt(v any) (int, error) {
	n, err := integer(v)
	return int(n), err
}

// MarshalInt32 writes an Int.
func MarshalInt32(i int32) graphql.Marshaler { return graphql.MarshalInt32(i) }

// UnmarshalInt32 reads an Int.
func UnmarshalInt32(v any) (int32, error) {
	n, err := integer(v)
	return int32(n), err
}

// MarshalInt64 writes an Int.
func MarshalInt64(i int64) graphql.Marshaler { return graphql.MarshalInt64(i) }

// UnmarshalInt64 reads an Int: still 32 bits, whatever the Go field holds.
func UnmarshalInt64(v any) (int64, error) { return integer(v) }

const errInt32 = "must be an integer between -2147483648 and 2147483647"

// integer is an Int input. Literals reach it as int64, JSON numbers as
// json.Number (gqlgen decodes with UseNumber; gqlparser turns a top-level
// variable's into int64), JSON strings as string.
func integer(v any) (int64, error) {
	var n int64
	switch v := v.(type) {
	case nil:
		return 0, nil // null where the Go type has no nil; gqlgen's behaviour
	case int64:
		n = v
	case int:
		n = int64(v)
	case int32:
		n = int64(v)
	case json.Number:
		i, err := strconv.ParseInt(string(v), 10, 64)
		if errors.Is(err, strconv.ErrRange) {
			return 0, refuse(errInt32)
		}
		if err != nil {
			return 0, refuse("must be an integer, without fraction or exponent")
		}
		n = i
	case string:
		return 0, refuse("must be an integer, not a string")
	default:
		return 0, refuse("must be an integer")
	}
	if n < math.MinInt32 || n > math.MaxInt32 {
		return 0, refuse(errInt32)
	}
	return n, nil
}

// MarshalString writes a String.
func MarshalString(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// UnmarshalString reads a String (see the package comment).
func UnmarshalString(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil // null where the Go type has no nil; gqlgen's behaviour
	case string:
		if msg := badText(v); msg != "" {
			return "", refuse(msg)
		}
		return v, nil
	default:
		return "", refuse("must be a string")
	}
}

// badText says what is wrong with s as text, or "".
func badText(s string) string {
	switch {
	case strings.IndexByte(s, 0) >= 0:
		return "must not contain NUL characters"
	case !utf8.ValidString(s):
		return "must be valid UTF-8"
	case strings.ContainsRune(s, utf8.RuneError):
		return "must not contain U+FFFD: it stands for text lost to invalid UTF-8 or an unpaired surrogate"
	}
	return ""
}

// MarshalIntID writes an ID.
func MarshalIntID(id int) graphql.Marshaler { return graphql.MarshalIntID(id) }

const errID = `must be an ID such as "42"`

// UnmarshalIntID reads an ID: decimal digits (at most 18, so any ent id and
// no overflow) as a string or an integer.
func UnmarshalIntID(v any) (int, error) {
	var s string
	switch v := v.(type) {
	case string:
		s = v
	case json.Number:
		s = string(v)
	case int64:
		if v < 0 {
			return 0, refuse(errID)
		}
		return int(v), nil
	case int:
		if v < 0 {
			return 0, refuse(errID)
		}
		return v, nil
	default:
		return 0, refuse(errID)
	}
	if s == "" || len(s) > 18 || strings.Trim(s, "0123456789") != "" {
		return 0, refuse(errID)
	}
	id, err := strconv.Atoi(s)
	if err != nil {
		return 0, refuse(errID)
	}
	return id, nil
}

// MarshalTime writes a Time.
func MarshalTime(t time.Time) graphql.Marshaler { return graphql.MarshalTime(t) }

const errTime = `must be an RFC 3339 date-time such as "2026-05-01T09:30:00Z", years 1 to 9999`

// UnmarshalTime reads a Time (see the package comment).
func UnmarshalTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case nil:
		return time.Time{}, nil // null where the Go type has no nil; gqlgen's behaviour
	case string:
		if len(v) > 40 {
			return time.Time{}, refuse(errTime)
		}
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			return time.Time{}, refuse(errTime)
		}
		if y := t.UTC().Year(); y < 1 || y > 9999 {
			return time.Time{}, refuse(errTime)
		}
		return t, nil
	default:
		return time.Time{}, refuse(errTime)
	}
}

// MarshalDecimal writes a Decimal.
func MarshalDecimal(s string) graphql.Marshaler { return graphql.MarshalString(s) }

// MaxDecimalLen bounds a Decimal's length: int64 minor units have 19 digits.
const MaxDecimalLen = 40

const errDecimal = `must be a decimal number written as a string, such as "12.50"`

// UnmarshalDecimal reads a Decimal (see the package comment).
func UnmarshalDecimal(v any) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil // null where the Go type has no nil; gqlgen's behaviour
	case string:
		if !isDecimal(v) {
			return "", refuse(errDecimal)
		}
		return v, nil
	default:
		return "", refuse(errDecimal)
	}
}

// isDecimal reports whether s is -?[0-9]+(\.[0-9]+)? of at most MaxDecimalLen bytes.
func isDecimal(s string) bool {
	if len(s) > MaxDecimalLen {
		return false
	}
	s = strings.TrimPrefix(s, "-")
	whole, frac, point := strings.Cut(s, ".")
	return digits(whole) && (!point || digits(frac))
}

func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
