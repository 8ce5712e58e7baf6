package app_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// graphiqlEditor sets or reads the GraphiQL editors through their
// CodeMirror instances: which is the query editor, the headers editor
// (shown once its tab is open) or the result pane.
const graphiqlEditor = `(() => {
	const cm = sel => { const e = document.querySelector(sel); return e && e.CodeMirror; };
	window.orderdesk = {
		query: () => cm('.graphiql-query-editor .CodeMirror'),
		headers: () => [...document.querySelectorAll('.graphiql-editor-tool .graphiql-editor')]
			.filter(e => !e.classList.contains('hidden')).map(e => e.querySelector('.CodeMirror'))
			.filter(Boolean).map(e => e.CodeMirror)[0],
		result: () => cm('.result-window .CodeMirror'),
	};
	return true;
})()`

// TestGraphiQL_OfflineInChromium: on a network that reaches nothing but
// this server, the GraphiQL page renders from the binary's own files, runs
// a query with the access token typed in its Headers pane, and a
// subscription started from it receives one event after another over the
// websocket.
func TestGraphiQL_OfflineInChromium(t *testing.T) {
	w := newWorld(t)
	env := w.env
	endLive(t, env)
	token := env.As(t, "SALES_REP").Token
	b := browser(t)
	ctx, cancel := context.WithTimeout(b, 2*time.Minute)
	defer cancel()
	var mu sync.Mutex
	var elsewhere []string // requests for anything not on this server
	go func() {
		for ev, err := range chromedp.Events(ctx, network.RequestWillBeSent) {
			if err != nil {
				return
			}
			if u := ev.Request.URL; !strings.HasPrefix(u, env.URL) && !strings.HasPrefix(u, "data:") {
				mu.Lock()
				elsewhere = append(elsewhere, u)
				mu.Unlock()
			}
		}
	}()
	fail := func(what string, err error) {
		t.Helper()
		shown, _ := chromedp.Run(b, chromedp.Evaluate[string](`[...document.querySelectorAll('.CodeMirror')].map(e => e.CodeMirror.getValue()).join('\n---\n')`))
		t.Fatalf("%s: %v\nthe editors hold:\n%s", what, err, shown)
	}
	do := func(what string, actions ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		if err := chromedp.Do(ctx, actions...); err != nil {
			fail(what, err)
		}
	}
	eval := func(what, js string) {
		t.Helper()
		if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js)); err != nil {
			fail(what, err)
		}
	}
	do("opening GraphiQL", chromedp.Navigate(env.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS(".graphiql-query-editor .CodeMirror")))
	eval("finding the editors", graphiqlEditor)
	do("opening the Headers pane", chromedp.Click(chromedp.Search(`//button[normalize-space()="Headers"]`)))
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`!!orderdesk.headers()`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
		fail("waiting for the headers editor", err)
	}
	eval("typing the token", fmt.Sprintf(`orderdesk.headers().setValue(%q), true`,
		fmt.Sprintf(`{"Authorization": "Bearer %s"}`, token)))
	// Signed in, the schema may be read: the documentation explorer fills.
	do("re-fetching the schema", chromedp.Click(chromedp.CSS(`button[aria-label="Re-fetch GraphQL schema"]`)),
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)),
		chromedp.WaitVisible(chromedp.Search(`//a[normalize-space()="Query"]`)))

	execute := func(query string) {
		t.Helper()
		eval("typing "+query, fmt.Sprintf(`orderdesk.query().setValue(%q), true`, query))
		// GraphiQL parses the editor's text a moment after it changes and
		// sends what it parsed: a subscription goes to the websocket.
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](`(() => { const e = orderdesk.query(), d = e.documentAST;
			return !!d && !!d.loc && d.loc.source.body === e.getValue(); })()`, chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			fail("waiting for GraphiQL to parse "+query, err)
		}
		do("running "+query, chromedp.Click(chromedp.CSS(".graphiql-execute-button")))
	}
	waitResult := func(what, js string) string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Poll[string](`(() => { const r = orderdesk.result(); const v = r ? r.getValue() : '';
			return (`+js+`) ? v : null; })()`, chromedp.WithPollingTimeout(20*time.Second)))
		if err != nil {
			fail(what, err)
		}
		return got
	}

	execute(`query { me { role user { email } } }`)
	got := waitResult("the query's result", `v.includes('"email"')`)
	if !strings.Contains(got, `"sales_rep@test.local"`) || !strings.Contains(got, `"SALES_REP"`) {
		t.Fatalf("GraphiQL shows %s", got)
	}

	execute(`subscription { notificationAdded { kind order { number } } }`)
	for deadline := time.Now().Add(10 * time.Second); env.Broker.Subscribers() != 1; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) { // the websocket is up, with the token from the pane
			fail("subscribing", fmt.Errorf("%d live subscriptions, want 1", env.Broker.Subscribers()))
		}
	}
	first := w.createConfirmed(t, 1, 0)
	got = waitResult("the first event", `v.includes('`+first.Number+`')`)
	if !strings.Contains(got, `"order.confirmed"`) {
		t.Fatalf("first event: %s", got)
	}
	second := w.createConfirmed(t, 1, 0)
	got = waitResult("the second event", `v.includes('`+second.Number+`')`)
	if !strings.Contains(got, `"order.confirmed"`) {
		t.Fatalf("second event: %s", got)
	}
	if n := env.Broker.Subscribers(); n != 1 {
		t.Fatalf("%d subscriptions after two events, want the one still open", n)
	}

	mu.Lock()
	defer mu.Unlock()
	if len(elsewhere) > 0 {
		t.Fatalf("the page asked for what is not on this server: %v", elsewhere)
	}
	_ = chromedp.Do(b, chromedp.Navigate("about:blank")) // closes the websocket
}
