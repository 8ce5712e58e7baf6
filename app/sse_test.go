package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"orderdesk/app"
	"orderdesk/app/apptest"
	"orderdesk/httpapi"
	"orderdesk/store/storetest"
)

// sseEvent is one server-sent event.
type sseEvent struct{ name, data string }

// openEventStream posts a GraphQL request accepting text/event-stream
// (graphql-sse, distinct connections) and returns its events as they come.
func openEventStream(t *testing.T, ctx context.Context, env *apptest.Env, token, query string) (*http.Response, <-chan sseEvent) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"query": query})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, env.URL+"/graphql", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Accept-Encoding", "gzip") // a stream is never held back to be compressed
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := rawClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	events := make(chan sseEvent, 16)
	go func() {
		defer close(events)
		defer res.Body.Close()
		scan := bufio.NewScanner(res.Body)
		var ev sseEvent
		for scan.Scan() {
			line := scan.Text()
			switch {
			case line == "":
				if ev != (sseEvent{}) {
					events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event:"):
				ev.name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
			case strings.HasPrefix(line, "data:"):
				ev.data += strings.TrimSpace(strings.TrimPrefix(line, "data:"))
			}
		}
	}()
	return res, events
}

func nextEvent(t *testing.T, events <-chan sseEvent) sseEvent {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("the event stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10 s")
	}
	return sseEvent{}
}

// TestSSE: a graphql-sse client (distinct connections mode) subscribes
// with its access token in the Authorization header and receives each
// notification as an event "next", as it is committed, on a stream that
// outlives the request timeout and is not compressed; a query gets its
// result and "complete"; leaving ends the subscription.
func TestSSE(t *testing.T) {
	const budget = time.Second // each request's time budget; a stream outlives it
	env := apptest.NewWith(t, storetest.New(t), app.Options{Edge: httpapi.Edge{RequestTimeout: budget}})
	w := newWorldOn(t, env)
	endLive(t, env)
	token := env.As(t, "SALES_REP").Token

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, events := openEventStream(t, ctx, env, token, `subscription { notificationAdded { kind order { number } } }`)
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "text/event-stream" || res.Header.Get("Content-Encoding") != "" {
		t.Fatalf("stream: %d %v", res.StatusCode, res.Header)
	}
	subscribers(t, env, 1)
	for i := range 2 {
		if i == 1 {
			time.Sleep(budget + 200*time.Millisecond)
		}
		o := w.createConfirmed(t, 1, 0)
		ev := nextEvent(t, events)
		var got struct {
			Data struct {
				NotificationAdded struct {
					Kind  string
					Order struct{ Number string }
				}
			}
		}
		if err := json.Unmarshal([]byte(ev.data), &got); err != nil || ev.name != "next" ||
			got.Data.NotificationAdded.Kind != "order.confirmed" || got.Data.NotificationAdded.Order.Number != o.Number {
			t.Fatalf("event %+v, want order.confirmed of %s", ev, o.Number)
		}
	}
	cancel()
	subscribers(t, env, 0)

	_, events = openEventStream(t, context.Background(), env, token, `{ me { role } }`)
	if ev := nextEvent(t, events); ev.name != "next" || !strings.Contains(ev.data, `"SALES_REP"`) {
		t.Fatalf("query over SSE: %+v", ev)
	}
	if ev := nextEvent(t, events); ev.name != "complete" {
		t.Fatalf("after the result: %+v, want complete", ev)
	}

	_, events = openEventStream(t, context.Background(), env, "", `subscription { notificationAdded { kind } }`)
	if ev := nextEvent(t, events); ev.name != "next" || !strings.Contains(ev.data, "UNAUTHENTICATED") {
		t.Fatalf("anonymous subscription over SSE: %+v", ev)
	}
}
