package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"orderdesk/account"
	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/graph"
	"orderdesk/telemetry"
)

// Authenticator turns a bearer token into a viewer.
type Authenticator interface {
	Viewer(ctx context.Context, accessToken string) (*auth.Viewer, time.Time, error)
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer (flush,
// hijack for websockets).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Flush sends what is written so far: gqlgen's event streams need an
// http.Flusher, and do not look behind Unwrap.
func (w *statusWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

// logged gives each request an id (the client's X-Request-ID when it is
// sane), logs it as one JSON line, and turns a panic into a 500. The line
// also names what inner layers noted in the request's facts (GraphQL
// operation, viewer, error codes) and the trace, if any; obs, when not
// nil, counts and times the request.
func logged(log *slog.Logger, obs RequestObserver, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if len(id) == 0 || len(id) > 64 || strings.ContainsAny(id, " \t\r\n") {
			id = auth.RandomToken(9)
		}
		w.Header().Set("X-Request-ID", id)
		facts := &requestFacts{}
		ctx := withFacts(audit.WithRequestID(r.Context(), id), facts)
		observed := obs != nil && !isWebsocket(r)
		if observed {
			ctx = obs.Started(ctx)
		}
		sw := &statusWriter{ResponseWriter: w}
		req := r.WithContext(ctx)
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(ctx, "panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					http.Error(sw, `{"errors":[{"message":"internal error"}]}`, http.StatusInternalServerError)
				}
			}
			elapsed, route := time.Since(start), routeOf(req)
			if trace.SpanContextFromContext(ctx).IsValid() {
				telemetry.NameRequestSpan(ctx, r.Method, route)
			}
			log.InfoContext(ctx, "request", append([]any{"request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "bytes", sw.bytes, "duration_ms", elapsed.Milliseconds()}, facts.logFields(ctx)...)...)
			if observed {
				obs.Finished(facts.metric(route, sw.status, elapsed))
			}
		}()
		next.ServeHTTP(sw, req)
	})
}

// limited caps the request body.
func limited(maxBytes int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > maxBytes {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusRequestEntityTooLarge)
			_, _ = w.Write([]byte(`{"errors":[{"message":"request body too large","extensions":{"code":"BAD_USER_INPUT"}}]}`))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
		next.ServeHTTP(w, r)
	})
}

// authenticated puts the viewer of the bearer token in the context. A
// missing or bad token leaves the request anonymous: sign-in and refresh
// must work with a stale token, and anything protected then answers
// UNAUTHENTICATED. When the token cannot be checked because the database
// does not answer, the request is refused as unavailable: a client told
// "sign in first" would drop a session that is still good.
func authenticated(log *slog.Logger, a Authenticator, proxies Proxies, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := graph.WithRemoteAddr(r.Context(), proxies.clientIP(r))
		token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if key := r.Header.Get("X-Api-Key"); !ok && key != "" {
			token, ok = key, true // a machine account's API key (od_…)
		}
		if ok {
			v, expires, err := a.Viewer(ctx, strings.TrimSpace(token))
			switch {
			case err == nil:
				ctx = withTokenExpiry(auth.NewContext(ctx, v), expires)
				if account.IsAPIKey(token) {
					ctx = withAPIKey(ctx)
				}
			case !errors.Is(err, auth.ErrNotSignedIn):
				log.WarnContext(ctx, "authentication failed", "request_id", audit.RequestID(ctx), "err", err)
				unavailable(w, "the server cannot check your sign-in right now; try again shortly")
				return
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}
