package httpapi

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/graph"
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

// logged gives each request an id (the client's X-Request-ID when it is
// sane), logs it as one JSON line, and turns a panic into a 500.
func logged(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if len(id) == 0 || len(id) > 64 || strings.ContainsAny(id, " \t\r\n") {
			id = auth.RandomToken(9)
		}
		w.Header().Set("X-Request-ID", id)
		ctx := audit.WithRequestID(r.Context(), id)
		sw := &statusWriter{ResponseWriter: w}
		start := time.Now()
		defer func() {
			if p := recover(); p != nil {
				log.ErrorContext(ctx, "panic", "request_id", id, "panic", p, "stack", string(debug.Stack()))
				if sw.status == 0 {
					http.Error(sw, `{"errors":[{"message":"internal error"}]}`, http.StatusInternalServerError)
				}
			}
			log.InfoContext(ctx, "request", "request_id", id, "method", r.Method, "path", r.URL.Path,
				"status", sw.status, "bytes", sw.bytes, "duration_ms", time.Since(start).Milliseconds())
		}()
		next.ServeHTTP(sw, r.WithContext(ctx))
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
// UNAUTHENTICATED.
func authenticated(a Authenticator, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := graph.WithRemoteAddr(r.Context(), clientIP(r))
		if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			if v, _, err := a.Viewer(ctx, strings.TrimSpace(token)); err == nil {
				ctx = auth.NewContext(ctx, v)
			}
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// clientIP is the peer address. X-Forwarded-For is not trusted: behind a
// proxy, configure the proxy to connect per client or accept a shared key.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
