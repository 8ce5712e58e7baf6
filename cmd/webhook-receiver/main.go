// Command webhook-receiver is a webhook endpoint for trying orderdesk's
// webhooks out: it prints every message it receives and whether its
// signature verifies with -secret (Standard Webhooks), and answers 204.
//
//	go run ./cmd/webhook-receiver -addr 127.0.0.1:9000 -secret whsec_…
package main

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:9000", "address to listen on")
	secret := flag.String("secret", "", "the endpoint's signing secret (whsec_…); empty: signatures are not checked")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ok, check := true, "not checked (no -secret)"
		if *secret != "" {
			ok = verify(*secret, r.Header, body)
			check = map[bool]string{true: "signature verifies", false: "SIGNATURE DOES NOT VERIFY"}[ok]
		}
		fmt.Printf("%s %s — %s\n%s\n\n", r.Header.Get("webhook-id"), r.Header.Get("webhook-timestamp"), check, body)
		if !ok {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	log.Printf("receiving webhooks on http://%s/", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// verify checks a message as the README shows it.
func verify(secret string, h http.Header, body []byte) bool {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return false
	}
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || math.Abs(float64(time.Now().Unix()-ts)) > 300 {
		return false // too old or too new: a replay
	}
	mac := hmac.New(sha256.New, key)
	fmt.Fprintf(mac, "%s.%d.", h.Get("webhook-id"), ts)
	mac.Write(body)
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, sig := range strings.Fields(h.Get("webhook-signature")) {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}
