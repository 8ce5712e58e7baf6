package httpapi

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"net/http"

	"github.com/99designs/gqlgen/graphql/playground"
)

// The GraphiQL page's scripts and styles (GraphiQL 4.1.2, React 18.2.0,
// the files the npm packages ship, byte for byte those of the CDN) are
// served from the binary: the page works on networks that reach nothing
// but this server. GraphiQL's bundle carries its graphql-ws client; the
// Headers pane's values go in each websocket's connection_init, where the
// server reads the access token.
//
//go:embed graphiql/*.js graphiql/*.css
var graphiqlAssets embed.FS

// graphiqlPrefix is where the assets are served.
const graphiqlPrefix = "/graphiql/"

// graphiql returns the page at / and the handler of its assets.
func graphiql(endpoint string) (page, assets http.Handler) {
	sub, err := fs.Sub(graphiqlAssets, "graphiql")
	if err != nil {
		panic(err)
	}
	asset := func(name string) (url, integrity string) {
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			panic(err) // go:embed names the files
		}
		sum := sha256.Sum256(b)
		return graphiqlPrefix + name, "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
	}
	js, jsSRI := asset("graphiql.min.js")
	css, cssSRI := asset("graphiql.min.css")
	react, reactSRI := asset("react.production.min.js")
	reactDOM, reactDOMSRI := asset("react-dom.production.min.js")
	page = playground.Handler("orderdesk", endpoint,
		playground.WithGraphiqlVersion(js, css, jsSRI, cssSRI),
		playground.WithGraphiqlReactVersion(react, reactDOM, reactSRI, reactDOMSRI),
		playground.WithStoragePrefix("orderdesk:"))
	files := http.StripPrefix(graphiqlPrefix, http.FileServerFS(sub))
	assets = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The files change only with the binary; a day's caching spares
		// each reload 1.5 MB.
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
	return page, assets
}
