package auth

import (
	"errors"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// DefaultCost is the bcrypt cost for production (≈250 ms a hash here).
const DefaultCost = 12

// Password length bounds: bcrypt reads at most 72 bytes.
const (
	MinPasswordLen = 12
	MaxPasswordLen = 72
)

// Passwords hashes and checks passwords with bcrypt at a fixed cost.
type Passwords struct {
	cost  int
	dummy []byte
}

// NewPasswords uses the given bcrypt cost (tests use bcrypt.MinCost).
func NewPasswords(cost int) *Passwords {
	p := &Passwords{cost: cost}
	// Checking an unknown account costs as much as checking a known one, so
	// timing does not reveal which emails exist.
	p.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password of anyone"), cost)
	return p
}

// CheckStrength says what is wrong with a new password, or nil.
func CheckStrength(pw string) error {
	n := utf8.RuneCountInString(pw)
	if n < MinPasswordLen {
		return fmt.Errorf("must be at least %d characters", MinPasswordLen)
	}
	if len(pw) > MaxPasswordLen {
		return fmt.Errorf("must be at most %d bytes", MaxPasswordLen)
	}
	return nil
}

// Hash returns the bcrypt hash of a password that passed CheckStrength.
func (p *Passwords) Hash(pw string) (string, error) {
	if err := CheckStrength(pw); err != nil {
		return "", err
	}
	h, err := bcrypt.GenerateFromPassword([]byte(pw), p.cost)
	return string(h), err
}

// Match reports whether pw matches hash; an empty hash (unknown account)
// never matches but takes as long.
func (p *Passwords) Match(hash, pw string) bool {
	if hash == "" {
		_ = bcrypt.CompareHashAndPassword(p.dummy, []byte(pw))
		return false
	}
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
	return err == nil && !errors.Is(err, bcrypt.ErrMismatchedHashAndPassword)
}
