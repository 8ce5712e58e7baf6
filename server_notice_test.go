package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestParseConfig_Notices: notices go by mail only with a valid
// ORDERDESK_SMTP_URL; a bad one, or a language the templates do not cover,
// stops the server with a message naming the variable.
func TestParseConfig_Notices(t *testing.T) {
	parse := func(env map[string]string, args ...string) (config, error) {
		return parseConfig(args, func(k string) string { return env[k] }, io.Discard)
	}
	c, err := parse(nil)
	if err != nil || c.mailer != nil || c.noticeLang != "zh-CN" || c.noticeEvery != 10*time.Second || c.noticeHold != 0 {
		t.Fatalf("defaults: mailer %v, language %q, every %s, hold %s, %v", c.mailer, c.noticeLang, c.noticeEvery, c.noticeHold, err)
	}
	if c.policy.InvoiceAtShipment {
		t.Error("invoices at shipment by default")
	}
	if c, _ := parse(map[string]string{"ORDERDESK_INVOICE_AT_SHIPMENT": "1"}); !c.policy.InvoiceAtShipment {
		t.Error("ORDERDESK_INVOICE_AT_SHIPMENT=1 ignored")
	}
	c, err = parse(map[string]string{"ORDERDESK_SMTP_URL": "smtp://mail.test:2525?from=orders@shop.test",
		"ORDERDESK_NOTICE_LANGUAGE": "EN", "ORDERDESK_NOTICE_HOLD": "15m"})
	if err != nil || c.mailer == nil || c.noticeLang != "en" || c.noticeHold != 15*time.Minute {
		t.Fatalf("configured: mailer %v, language %q, hold %s, %v", c.mailer, c.noticeLang, c.noticeHold, err)
	}
	if c.publicURL != "http://localhost:8080" || c.confirmTTL != 7*24*time.Hour {
		t.Errorf("default public URL %q, confirmation links for %s", c.publicURL, c.confirmTTL)
	}
	if c, err := parse(map[string]string{"ORDERDESK_PUBLIC_URL": "https://crm.example.com/", "ORDERDESK_ADDR": ":9000"}); err != nil ||
		c.publicURL != "https://crm.example.com" {
		t.Errorf("ORDERDESK_PUBLIC_URL: %q, %v", c.publicURL, err)
	}
	if c, _ := parse(map[string]string{"ORDERDESK_ADDR": "127.0.0.1:9000"}); c.publicURL != "http://localhost:9000" {
		t.Errorf("public URL %q from the listen address", c.publicURL)
	}
	if c.dunning != nil {
		t.Errorf("default dunning %v, want the order service's own", c.dunning)
	}
	for v, want := range map[string][]time.Duration{"off": {}, "24h, 72h": {24 * time.Hour, 72 * time.Hour}} {
		c, err := parse(map[string]string{"ORDERDESK_DUNNING": v})
		if err != nil || !slices.Equal(c.dunning, want) || c.dunning == nil {
			t.Errorf("ORDERDESK_DUNNING=%q: %v, %v; want %v", v, c.dunning, err, want)
		}
	}
	for name, env := range map[string]map[string]string{
		"ORDERDESK_DUNNING":         {"ORDERDESK_DUNNING": "72h,24h"},
		"ORDERDESK_PUBLIC_URL":      {"ORDERDESK_PUBLIC_URL": "crm.example.com"},
		"ORDERDESK_SMTP_URL":        {"ORDERDESK_SMTP_URL": "smtp://mail.test"},
		"ORDERDESK_NOTICE_LANGUAGE": {"ORDERDESK_NOTICE_LANGUAGE": "fr"},
	} {
		if _, err := parse(env); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: %v, want an error naming %s", env, err, name)
		}
	}
}
