package httpapi

import (
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/klauspost/compress/gzhttp"
	"github.com/rs/cors"
)

// corsMaxAge is how long a browser may keep a preflight's answer, in
// seconds: a SPA on another origin pays one OPTIONS per hour and request
// shape, not one per request. (Chromium caps it at two hours.)
const corsMaxAge = 3600

// crossOrigin answers the CORS preflights of the origins configured (the
// same list that may open websockets) and marks their responses readable.
// Credentials stay off: the API is called with a bearer token, never a
// cookie, so no browser sends one on a stranger's behalf. With no origins
// configured nothing is added, and browsers keep other origins out.
func crossOrigin(origins []string, next http.Handler) http.Handler {
	if len(origins) == 0 {
		return next
	}
	return cors.New(cors.Options{
		AllowOriginFunc: func(origin string) bool { return originAllowed(origin, origins) },
		AllowedMethods:  []string{http.MethodGet, http.MethodPost},
		AllowedHeaders: []string{"Authorization", "Content-Type", "Accept", "X-Api-Key", "X-Request-ID",
			"Apollographql-Client-Name", "Apollographql-Client-Version", "Graphql-Client-Name", "Graphql-Client-Version"},
		ExposedHeaders: []string{"X-Request-ID", "Retry-After"},
		MaxAge:         corsMaxAge,
	}).Handler(next)
}

// originAllowed matches an Origin header with the patterns as websockets
// do (github.com/coder/websocket): a pattern with a scheme
// (https://*.example.com) against scheme://host, one without against the
// host; both as path.Match.
func originAllowed(origin string, patterns []string) bool {
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	for _, p := range patterns {
		target := u.Host
		if strings.Contains(p, "://") {
			target = u.Scheme + "://" + u.Host
		}
		if ok, _ := path.Match(strings.ToLower(p), strings.ToLower(target)); ok {
			return true
		}
	}
	return false
}

// compressed gzips responses for clients that ask (Accept-Encoding) once
// they pass 1 KB: a page of 20 orders goes from 7.4 KB to about 1 KB,
// which is what a phone on a slow network waits for. Websockets and event
// streams are left alone: each event must reach the client as it is sent.
func compressed(next http.Handler) http.Handler {
	gz := gzhttp.GzipHandler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isLive(r) {
			next.ServeHTTP(w, r)
			return
		}
		gz.ServeHTTP(w, r)
	})
}
