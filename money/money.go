// Package money converts between integer minor units, which is how amounts
// are stored and computed, and exact decimal strings, which is how the API
// shows and accepts them. There is no floating point anywhere on the way.
package money

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"golang.org/x/text/currency"
)

// Money is an amount in minor units of a currency, as the API shows it.
type Money struct {
	Minor        int64
	CurrencyCode string
}

// Of pairs minor units with their currency.
func Of(minor int64, currency string) Money { return Money{Minor: minor, CurrencyCode: currency} }

// Amount is the exact decimal string in the currency's major unit.
func (m Money) Amount() string { return Format(m.Minor, m.CurrencyCode) }

// Currency is the ISO 4217 code.
func (m Money) Currency() string { return m.CurrencyCode }

func (m Money) String() string { return m.Amount() + " " + m.CurrencyCode }

// exponents lists the ISO 4217 currencies whose minor unit is not 1/100.
var exponents = map[string]int{
	"BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0,
	"PYG": 0, "RWF": 0, "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
	"BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
}

// Exponent is the number of decimal places of the currency's minor unit.
func Exponent(currency string) int {
	if e, ok := exponents[currency]; ok {
		return e
	}
	return 2
}

// ValidCurrency reports whether code is an ISO 4217 currency code, in
// capitals ("EUR", "CNY"; not "eur", not "QQQ"), as golang.org/x/text
// knows them from CLDR.
func ValidCurrency(code string) bool {
	if len(code) != 3 || strings.ToUpper(code) != code {
		return false
	}
	_, err := currency.ParseISO(code)
	return err == nil
}

// Format writes minor units as a decimal string: Format(-1234, "EUR") is "-12.34".
func Format(minor int64, currency string) string {
	exp := Exponent(currency)
	neg := minor < 0
	// Work on the unsigned magnitude so that math.MinInt64 formats too.
	u := uint64(minor)
	if neg {
		u = -u
	}
	digits := fmt.Sprintf("%0*d", exp+1, u)
	s := digits
	if exp > 0 {
		s = digits[:len(digits)-exp] + "." + digits[len(digits)-exp:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// Parse reads a decimal string into minor units of currency. It accepts an
// optional leading minus and at most the currency's number of decimals
// ("12.5" and "12.50" are both 1250 cents); anything else is an error that
// says what is wrong.
func Parse(s, currency string) (int64, error) {
	exp := Exponent(currency)
	str := strings.TrimSpace(s)
	neg := strings.HasPrefix(str, "-")
	if neg {
		str = str[1:]
	}
	whole, frac, hasPoint := strings.Cut(str, ".")
	if whole == "" || (hasPoint && frac == "") || !digitsOnly(whole) || !digitsOnly(frac) {
		return 0, fmt.Errorf("%q is not a decimal number such as 12.50", s)
	}
	if len(frac) > exp {
		return 0, fmt.Errorf("%q has more than %d decimal places for %s", s, exp, currency)
	}
	frac += strings.Repeat("0", exp-len(frac))
	var v uint64
	for _, r := range whole + frac {
		d := uint64(r - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, fmt.Errorf("%q is too large", s)
		}
		v = v*10 + d
	}
	if neg {
		return -int64(v), nil
	}
	return int64(v), nil
}

func digitsOnly(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// MaxPrice bounds any unit price or discount the API accepts, in minor
// units: 100,000,000.00 in a two-decimal currency. With quantities bounded
// by the stock ledger, a line, and an order of a few hundred lines, stay far
// inside int64; the checked operations below are the second fence.
const MaxPrice = 10_000_000_000

// ErrOverflow is what a checked operation returns instead of a wrong sum.
var ErrOverflow = errors.New("amount out of range")

// Mul is unit × qty, refusing overflow.
func Mul(unit int64, qty int) (int64, error) {
	if qty == 0 || unit == 0 {
		return 0, nil
	}
	p := unit * int64(qty)
	if p/int64(qty) != unit {
		return 0, ErrOverflow
	}
	return p, nil
}

// Add is a + b, refusing overflow.
func Add(a, b int64) (int64, error) {
	s := a + b
	if (b > 0 && s < a) || (b < 0 && s > a) {
		return 0, ErrOverflow
	}
	return s, nil
}
