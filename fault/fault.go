// Package fault is the one error type of the domain. An *Error with a
// business code is an expected failure that the API returns as data in the
// mutation payload; Unauthenticated and Forbidden become top-level errors;
// anything else is an internal error whose text never reaches a client.
package fault

import (
	"errors"
	"fmt"
	"net/mail"
	"strings"
)

// Code names a failure so that clients can act on it without parsing text.
type Code string

const (
	Invalid             Code = "INVALID"
	NotFound            Code = "NOT_FOUND"
	Duplicate           Code = "DUPLICATE"
	InvalidTransition   Code = "INVALID_TRANSITION"
	VersionConflict     Code = "VERSION_CONFLICT"
	InsufficientStock   Code = "INSUFFICIENT_STOCK"
	CreditLimitExceeded Code = "CREDIT_LIMIT_EXCEEDED"
	PriceCheckFailed    Code = "PRICE_CHECK_FAILED"
	DeliveryDateInfeas  Code = "DELIVERY_DATE_INFEASIBLE"
	RefundExceeds       Code = "REFUND_EXCEEDS_CAPTURED"
	PaymentExceeds      Code = "PAYMENT_EXCEEDS_OUTSTANDING"
	ApprovalRequired    Code = "APPROVAL_REQUIRED"
	NotAllowed          Code = "NOT_ALLOWED"
	IdempotencyMismatch Code = "IDEMPOTENCY_KEY_REUSED"
	InProgress          Code = "REQUEST_IN_PROGRESS"
	InvalidCredentials  Code = "INVALID_CREDENTIALS"
	TooManyAttempts     Code = "TOO_MANY_ATTEMPTS"
	InvalidToken        Code = "INVALID_TOKEN"

	// Unauthenticated and Forbidden are not business failures: the API
	// reports them as top-level errors, never in a payload.
	Unauthenticated Code = "UNAUTHENTICATED"
	Forbidden       Code = "FORBIDDEN"
)

// Error is one expected failure. Field is the input path it concerns
// ("input.lines.0.quantity"), empty when it concerns the request as a whole.
type Error struct {
	Code    Code
	Path    string
	Message string
}

// Field is the input path, or nil when the failure concerns the whole request.
func (e *Error) Field() *string {
	if e.Path == "" {
		return nil
	}
	return &e.Path
}

func (e *Error) Error() string {
	if e.Path != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Path, e.Message, e.Code)
	}
	return fmt.Sprintf("%s (%s)", e.Message, e.Code)
}

// New returns an *Error with a formatted message.
func New(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Path: field, Message: fmt.Sprintf(format, args...)}
}

// List is several failures reported together, such as every failed check of
// an order review or every invalid field of an input.
type List []*Error

func (l List) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "; ")
}

// Add appends a failure.
func (l *List) Add(code Code, field, format string, args ...any) {
	*l = append(*l, New(code, field, format, args...))
}

// Err returns the list as an error, or nil when it is empty.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Expected extracts the business failures carried by err. ok is false when
// err is something else (an internal error, or an access refusal).
func Expected(err error) (errs []*Error, ok bool) {
	var l List
	if errors.As(err, &l) {
		return l, true
	}
	var e *Error
	if errors.As(err, &e) && e.Code != Unauthenticated && e.Code != Forbidden {
		return []*Error{e}, true
	}
	return nil, false
}

// CodeOf is the code of the first failure in err, or "" when there is none.
func CodeOf(err error) Code {
	var l List
	if errors.As(err, &l) && len(l) > 0 {
		return l[0].Code
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Text trims a text input and records a failure when it is required but
// empty or longer than max characters.
func (l *List) Text(field, v string, max int, required bool) string {
	v = strings.TrimSpace(v)
	switch {
	case required && v == "":
		l.Add(Invalid, field, "is required")
	case len([]rune(v)) > max:
		l.Add(Invalid, field, "is longer than %d characters", max)
	}
	return v
}

// MaxEmail is the longest address, in characters, that mail systems carry.
const MaxEmail = 254

// Email trims and lower-cases an address and records a failure when it is
// longer than MaxEmail characters or not an address; empty is let through
// (the caller decides whether it may be).
func (l *List) Email(field, v string) string {
	v = strings.ToLower(l.Text(field, v, MaxEmail, false))
	if a, err := mail.ParseAddress(v); v != "" && (err != nil || a.Address != v) {
		l.Add(Invalid, field, "is not an email address")
	}
	return v
}

// Quantity records a failure unless min ≤ q ≤ max.
func (l *List) Quantity(field string, q, min, max int) {
	if q < min || q > max {
		l.Add(Invalid, field, "must be between %d and %d, got %d", min, max, q)
	}
}
