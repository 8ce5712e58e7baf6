package httpapi

import (
	"context"
	"errors"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/privacy"
	"orderdesk/fault"
)

// Top-level error codes (extensions.code).
const (
	codeUnauthenticated = "UNAUTHENTICATED"
	codeForbidden       = "FORBIDDEN"
	codeNotFound        = "NOT_FOUND"
	codeBadInput        = "BAD_USER_INPUT"
	codeInternal        = "INTERNAL_SERVER_ERROR"
)

// presenter turns resolver errors into GraphQL errors. Only errors whose
// text was written for clients get through; any other error — a driver's,
// SQL, a bug — is logged with the request id and replaced by a generic
// message that quotes the id.
func presenter(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		gerr := graphql.DefaultErrorPresenter(ctx, err)
		var inner *gqlerror.Error
		if errors.As(err, &inner) && inner.Unwrap() == nil {
			// Raised by gqlgen or entgql: parse, validation, input coercion,
			// or node(id) finding nothing — said without echoing the id, so
			// another rep's record reads exactly like a missing one.
			if gerr.Extensions == nil || gerr.Extensions["code"] == nil {
				setCode(gerr, codeBadInput)
			}
			if gerr.Extensions["code"] == codeNotFound {
				gerr.Message = "not found"
			}
			return gerr
		}
		var fe *fault.Error
		switch {
		case errors.As(err, &fe) && (fe.Code == fault.Unauthenticated || fe.Code == fault.Forbidden):
			gerr.Message = fe.Message
			setCode(gerr, string(fe.Code))
		case errors.Is(err, privacy.Deny):
			if auth.FromContext(ctx) == nil {
				gerr.Message = "sign in first"
				setCode(gerr, codeUnauthenticated)
			} else {
				gerr.Message = "your role may not access this"
				setCode(gerr, codeForbidden)
			}
		case isExpected(err, gerr):
			// A business failure outside a mutation payload (a query's
			// arguments): its text was written for the client.
		case ent.IsNotFound(err):
			// Records of another rep's customers are filtered out, so they
			// land here exactly like records that do not exist.
			gerr.Message = "not found"
			setCode(gerr, codeNotFound)
		default:
			id := audit.RequestID(ctx)
			log.ErrorContext(ctx, "internal error", "request_id", id, "path", gerr.Path.String(), "err", err)
			gerr.Message = "internal error; quote request id " + id + " to support"
			setCode(gerr, codeInternal)
		}
		return gerr
	}
}

// isExpected presents a domain fault raised by a query resolver: its
// message, its field, and its code (INVALID as BAD_USER_INPUT).
func isExpected(err error, gerr *gqlerror.Error) bool {
	errs, ok := fault.Expected(err)
	if !ok || len(errs) == 0 {
		return false
	}
	e := errs[0]
	gerr.Message = e.Message
	code := string(e.Code)
	if e.Code == fault.Invalid {
		code = codeBadInput
	}
	setCode(gerr, code)
	if e.Path != "" {
		gerr.Message = e.Path + ": " + e.Message
		gerr.Extensions["field"] = e.Path
	}
	return true
}

func setCode(e *gqlerror.Error, code string) {
	if e.Extensions == nil {
		e.Extensions = map[string]any{}
	}
	e.Extensions["code"] = code
}
