package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/clip"
	"orderdesk/ent"
	"orderdesk/ent/privacy"
	"orderdesk/fault"
	"orderdesk/graph/scalar"
	"orderdesk/store"
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
			badVariable(gerr)
			// Parse and validation errors quote the query and variables.
			gerr.Message = clip.Message(gerr.Message, clipValue, clipMessage)
			return gerr
		}
		var fe *fault.Error
		switch {
		case isBadArgument(ctx, err, gerr):
			// A value refused while gqlgen coerced a field's arguments:
			// the client's error, not ours, and not logged.
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
		case store.Unavailable(err):
			// Not the client's fault nor a bug: the same request may
			// succeed in a moment.
			log.WarnContext(ctx, "database unavailable", "request_id", audit.RequestID(ctx), "path", gerr.Path.String(), "err", clip.Message(err.Error(), clipValue, clipLog))
			gerr.Message = "the database is unavailable right now; try again shortly"
			setCode(gerr, codeUnavailable)
		default:
			id := audit.RequestID(ctx)
			log.ErrorContext(ctx, "internal error", "request_id", id, "path", gerr.Path.String(),
				"err", clip.Message(err.Error(), clipValue, clipLog))
			gerr.Message = "internal error; quote request id " + id + " to support"
			setCode(gerr, codeInternal)
		}
		return gerr
	}
}

// What an error message or a log line may repeat of a client's input: a
// quoted value or an unbroken word of at most clipValue characters, a
// message of at most clipMessage, a logged error of at most clipLog.
const (
	clipValue   = 64
	clipMessage = 256
	clipLog     = 1024
)

// isBadArgument presents a value refused while gqlgen coerced a field's
// arguments — by a scalar of graph/scalar, whose message says what the
// value must be, or by any other unmarshaler (an entgql cursor, an enum),
// whose text may quote the value and is not shown — as BAD_USER_INPUT:
// "input.lines.0.quantity: must be …", the argument path also in
// extensions.field, and the field's response path as the error's path.
func isBadArgument(ctx context.Context, err error, gerr *gqlerror.Error) bool {
	var se *scalar.Error
	isScalar := errors.As(err, &se)
	fc := graphql.GetFieldContext(ctx)
	// gqlgen reports a failed coercion before it sets the field's Args.
	coercing := fc != nil && fc.Args == nil && len(fc.Field.Arguments) > 0 && !errors.As(err, new(panicError))
	if !isScalar && !coercing {
		return false
	}
	msg := "is not a valid value"
	if isScalar {
		msg = se.Message
	}
	arg := gerr.Path
	if fc != nil {
		if fp := fc.Path(); len(arg) >= len(fp) {
			arg, gerr.Path = arg[len(fp):], fp
			if len(gerr.Locations) == 0 && fc.Field.Position != nil {
				gerr.Locations = []gqlerror.Location{{Line: fc.Field.Position.Line, Column: fc.Field.Position.Column}}
			}
		}
	}
	setCode(gerr, codeBadInput)
	gerr.Message = msg
	if field := dotted(arg); field != "" {
		gerr.Message = field + ": " + msg
		gerr.Extensions["field"] = field
	}
	return true
}

// badVariable makes a variable refused by gqlparser's coercion (its path
// starts with "variable") BAD_USER_INPUT like a refused argument, naming
// it: "$in.quantity: cannot use string as Int". The HTTP status stays
// gqlgen's.
func badVariable(gerr *gqlerror.Error) {
	if gerr.Extensions["code"] != errcode.ValidationFailed || len(gerr.Path) < 2 || gerr.Path[0] != ast.PathName("variable") {
		return
	}
	setCode(gerr, codeBadInput)
	gerr.Message = "$" + dotted(gerr.Path[1:]) + ": " + gerr.Message
}

// dotted writes a path as the domain names input fields: input.lines.0.quantity.
func dotted(p ast.Path) string {
	parts := make([]string, len(p))
	for i, e := range p {
		switch e := e.(type) {
		case ast.PathName:
			parts[i] = string(e)
		case ast.PathIndex:
			parts[i] = strconv.Itoa(int(e))
		}
	}
	return strings.Join(parts, ".")
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
