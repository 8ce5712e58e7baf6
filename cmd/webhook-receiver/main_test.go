package main

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"orderdesk/webhook"
)

// TestVerify: the receiver's check — the one the README shows — accepts
// what orderdesk signs, with the current or the previous secret, and
// refuses a changed body, a wrong secret and an old timestamp.
func TestVerify(t *testing.T) {
	secret, other := webhook.NewSecret(), webhook.NewSecret()
	body := []byte(`{"id":"evt_7","type":"order.cancelled","data":{}}`)
	sign := func(at time.Time, secrets ...string) http.Header {
		h := http.Header{"Webhook-Id": {"evt_7"}}
		h.Set("webhook-timestamp", strconv.FormatInt(at.Unix(), 10))
		sig := ""
		for _, s := range secrets {
			v, err := webhook.Sign(s, "evt_7", at, body)
			if err != nil {
				t.Fatal(err)
			}
			sig += v + " "
		}
		h.Set("webhook-signature", sig)
		return h
	}
	now := time.Now()
	if !verify(secret, sign(now, secret), body) || !verify(secret, sign(now, other, secret), body) {
		t.Fatal("a signed message does not verify")
	}
	if verify(secret, sign(now, secret), append(body, '!')) || verify(other, sign(now, secret), body) ||
		verify(secret, sign(now.Add(-10*time.Minute), secret), body) {
		t.Fatal("a bad message verifies")
	}
}
