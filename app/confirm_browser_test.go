package app_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// chromium is the browser the page tests drive: ORDERDESK_CHROMIUM, else
// one on the PATH. Without one the tests are skipped, unless
// ORDERDESK_REQUIRE_CHROMIUM=1 (CI installs it and sets that).
func chromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("ORDERDESK_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("ORDERDESK_REQUIRE_CHROMIUM") == "1" {
		t.Fatal("no Chromium found (install Debian's chromium, or set ORDERDESK_CHROMIUM)")
	}
	t.Skip("no Chromium found; set ORDERDESK_CHROMIUM or install chromium")
	return ""
}

// browser starts a headless Chromium that reaches only this machine.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// decideInChromium opens a confirmation link in a new tab of b, reads the
// elements named by ids, presses button and returns what it read and the
// page's #result after.
func decideInChromium(t *testing.T, b context.Context, link, button string, ids ...string) (map[string]string, string) {
	t.Helper()
	tab, cancel := chromedp.NewContext(b)
	defer cancel()
	ctx, stop := context.WithTimeout(tab, time.Minute)
	defer stop()
	text := func(id string) string {
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID(id)))
		if err != nil {
			t.Fatalf("#%s in Chromium: %v", id, err)
		}
		return v
	}
	if err := chromedp.Do(ctx, chromedp.Navigate(link)); err != nil {
		t.Fatalf("opening the link in Chromium: %v", err)
	}
	read := map[string]string{}
	for _, id := range ids {
		read[id] = text(id)
	}
	if err := chromedp.Do(ctx, chromedp.Click(chromedp.ID(button)), chromedp.WaitVisible(chromedp.ID("result"))); err != nil {
		t.Fatalf("%s in Chromium: %v", button, err)
	}
	return read, text("result")
}

// TestConfirmation_InChromium: the customer opens the link from their
// notice in a browser, reads the change, and accepts — or, for a second
// correction, declines; each answer is what the correction records.
func TestConfirmation_InChromium(t *testing.T) {
	w := newWorld(t)
	w.reachCustomer(t, "buyer@acme.test", "en")
	b := browser(t)
	for _, c := range []struct{ button, result, status, decision string }{
		{"accept", "you accepted the correction", "PENDING_APPROVAL", "ACCEPTED"},
		{"decline", "you declined the correction", "REJECTED", "DECLINED"},
	} {
		o := w.createConfirmed(t, 1, 0)
		corr, link := w.askCustomer(t, o)
		read, result := decideInChromium(t, b, link, c.button, "order", "total-before", "total-after", "effect")
		if read["order"] != o.Number || read["total-before"] != "129.00 EUR" || read["total-after"] != "60.00 EUR" ||
			read["effect"] != "You pay less by 69.00 EUR" {
			t.Fatalf("the page showed %v", read)
		}
		if !strings.Contains(result, c.result) {
			t.Fatalf("after %s the page says %q", c.button, result)
		}
		if got := w.correction(t, corr.ID); got.Status != c.status || got.CustomerDecision == nil || *got.CustomerDecision != c.decision ||
			got.CustomerDecisionAddress == nil || *got.CustomerDecisionAddress != "127.0.0.1" {
			t.Fatalf("after %s in Chromium: %+v", c.button, got)
		}
	}
}

// TestConsent_InChromium: the customer opens the link to a cancellation
// of part of their paid order, reads what it does to the quantities and
// the refund, and keeps the order — or, asked again, accepts; each answer
// is what the request records.
func TestConsent_InChromium(t *testing.T) {
	w := consentWorld(t)
	b := browser(t)
	o := w.createConfirmed(t, 2, 0)
	w.pay(t, o.ID, "258.00")
	for _, c := range []struct{ button, result, status, decision string }{
		{"decline", "you declined the cancellation", "REJECTED", "DECLINED"},
		{"accept", "you accepted the cancellation", "REQUESTED", "ACCEPTED"},
	} {
		rec, errs := w.requestCancel(t, "SALES_REP", o, 1, "OUT_OF_STOCK", nil)
		must(t, errs)
		link, _ := w.consentLink(t, o.ID)
		read, result := decideInChromium(t, b, link, c.button, "order", "total-before", "total-after", "effect")
		if read["order"] != o.Number || read["total-before"] != "258.00 EUR" || read["total-after"] != "129.00 EUR" ||
			read["effect"] != "We refund you 129.00 EUR" {
			t.Fatalf("the page showed %v", read)
		}
		if !strings.Contains(result, c.result) {
			t.Fatalf("after %s the page says %q", c.button, result)
		}
		if got := w.consent(t, rec.ID); got.Status != c.status || got.CustomerDecision == nil || *got.CustomerDecision != c.decision {
			t.Fatalf("after %s in Chromium: %+v", c.button, got)
		}
	}
}
