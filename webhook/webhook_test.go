package webhook

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// TestSign_AgreesWithTheSpecsLibrary: our signature is the one the
// Standard Webhooks project's library computes and verifies, also as one
// of two during a rotation.
func TestSign_AgreesWithTheSpecsLibrary(t *testing.T) {
	secret, other := NewSecret(), NewSecret()
	body := []byte(`{"type":"order.cancelled","data":{"订单":"SO-1"}}`)
	at := time.Now()
	ours, err := Sign(secret, "evt_1", at, body)
	if err != nil {
		t.Fatal(err)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := wh.Sign("evt_1", at, body)
	if err != nil || theirs != ours {
		t.Fatalf("ours %q, theirs %q (%v)", ours, theirs, err)
	}
	h := http.Header{}
	if err := signHeaders(h, "evt_1", at, body, other, secret); err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(body, h); err != nil {
		t.Fatalf("two signatures: %v", err)
	}
	if err := wh.Verify(append(body, ' '), h); err == nil {
		t.Fatal("a changed body verified")
	}
	if _, err := Sign("nope", "evt_1", at, body); err == nil {
		t.Fatal("a secret without whsec_ signed")
	}
}

func TestAddresses(t *testing.T) {
	none := Addresses{}
	local, err := ParseAddresses("127.0.0.0/8, ::1, 10.20.0.0/16")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		addr          string
		byDefault, lo bool
	}{
		{"8.8.8.8", true, true}, {"2606:4700::1111", true, true},
		{"127.0.0.1", false, true}, {"::1", false, true}, {"::ffff:127.0.0.1", false, true},
		{"10.20.1.1", false, true}, {"10.1.1.1", false, false}, {"192.168.1.1", false, false},
		{"169.254.169.254", false, false}, {"100.64.0.1", false, false}, {"0.0.0.0", false, false},
		{"fc00::1", false, false}, {"fe80::1", false, false}, {"224.0.0.1", false, false},
	} {
		a := netip.MustParseAddr(c.addr)
		if got := none.Permits(a); got != c.byDefault {
			t.Errorf("%s by default: %t", c.addr, got)
		}
		if got := local.Permits(a); got != c.lo {
			t.Errorf("%s with the list: %t", c.addr, got)
		}
	}
	if _, err := ParseAddresses("10.0.0.0/33"); err == nil {
		t.Error("a bad range parsed")
	}
	for url, want := range map[string]string{"https://erp.example.com/hooks": "", "http://8.8.8.8:8080/x": "",
		"ftp://example.com": "http", "https:///x": "no host", "http://127.0.0.1/x": "may not reach",
		"https://u:p@example.com": "credentials", "not a url\x00": "not a URL"} {
		if got := none.CheckURL(url); (want == "") != (got == "") || !strings.Contains(got, want) {
			t.Errorf("CheckURL(%q) = %q, want %q", url, got, want)
		}
	}
}

func TestTakes(t *testing.T) {
	for _, c := range []struct {
		types []string
		t     string
		want  bool
	}{
		{nil, "order.cancelled", true}, {[]string{"order.*"}, "order.cancelled", true},
		{[]string{"order.cancelled"}, "order.cancelled", true}, {[]string{"order.cancelled"}, "order.voided", false},
		{[]string{"payment.*"}, "order.cancelled", false}, {[]string{"order.*"}, "orders.x", false},
	} {
		if got := Takes(c.types, c.t); got != c.want {
			t.Errorf("Takes(%v, %s) = %t", c.types, c.t, got)
		}
	}
}

// TestClient_ChecksEveryConnection: a name that resolves to a refused
// address is refused when connecting, whatever the URL said; redirects
// are not followed.
func TestClient_ChecksEveryConnection(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/away" {
			http.Redirect(w, r, "http://8.8.8.8/", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	byName := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	if _, err := (Addresses{}).client(time.Second).Get(byName); err == nil || !errors.Is(err, errAddress) {
		t.Fatalf("localhost by default: %v", err)
	}
	local, _ := ParseAddresses("127.0.0.0/8,::1")
	res, err := local.client(time.Second).Get(byName)
	if err != nil || res.StatusCode != http.StatusNoContent {
		t.Fatalf("localhost when listed: %v %v", res, err)
	}
	res.Body.Close()
	res, err = local.client(time.Second).Get(srv.URL + "/away")
	if err != nil || res.StatusCode != http.StatusFound {
		t.Fatalf("a redirect: %v %v", res, err)
	}
	res.Body.Close()
}
