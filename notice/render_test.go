package notice

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// facts a notice of each kind is queued with.
var kindFacts = map[Kind]map[string]string{
	OrderConfirmed:       {"total": "129.00"},
	CancellationExecuted: {"refunded": "129.00", "total": "0.00", "partial": ""},
	OrderVoided:          {"refunded": ""},
	ReturnReceived:       {"return": "RMA-1", "quantity": "2"},
	ReturnRefunded:       {"return": "RMA-1", "refunded": "13.00"},
	InvoiceIssued:        {"invoice": "INV-2026-000001", "amount": "129.00", "due": "2026-12-31"},
	CorrectionAwaitingCustomer: {"changes": "line 1 unit price: 129.00 → 60.00", "totalBefore": "129.00", "totalAfter": "60.00",
		"link": "https://crm.example/confirm/abc", "expires": "2026-12-09"},
	PaymentOverdue: {"invoice": "INV-2026-000001", "balance": "129.00", "due": "2026-12-31", "level": "1"},
	CancellationAwaitingCustomer: {"lines": "SKU-1 × 2", "totalBefore": "129.00", "totalAfter": "60.00", "refund": "69.00",
		"reason": "OUT_OF_STOCK", "partial": "yes", "link": "https://crm.example/confirm/abc", "expires": "2026-12-09"},
}

// TestEveryKindRendersInEveryLanguage: each kind has a template in each
// language that renders its facts into a one-line subject and a body
// naming the order, in valid UTF-8.
func TestEveryKindRendersInEveryLanguage(t *testing.T) {
	for _, lang := range Languages {
		for _, k := range Kinds() {
			facts, ok := kindFacts[k]
			if !ok {
				t.Fatalf("no facts for %s in the test", k)
			}
			subject, body, err := Render(k, lang, Letter{Customer: "王先生", Order: "SO-2026-000042", Facts: facts})
			if err != nil {
				t.Errorf("%s/%s: %v", lang, k, err)
				continue
			}
			if subject == "" || strings.Contains(subject, "\n") || !utf8.ValidString(subject+body) {
				t.Errorf("%s/%s: subject %q", lang, k, subject)
			}
			if !strings.Contains(subject+body, "SO-2026-000042") || !strings.Contains(body, "王先生") {
				t.Errorf("%s/%s does not name the order and the customer:\n%s\n%s", lang, k, subject, body)
			}
			for key, v := range facts {
				if key == "reason" { // a code, shown in the customer's words
					v = reasons[lang][v]
				}
				if v != "" && v != "0.00" && v != "yes" && !strings.Contains(subject+body, v) {
					t.Errorf("%s/%s leaves out %q:\n%s", lang, k, v, body)
				}
			}
		}
	}
	if _, _, err := Render(OrderConfirmed, "en", Letter{Order: "SO-1"}); err == nil {
		t.Error("a notice without its facts rendered")
	}
}

func TestLanguage(t *testing.T) {
	for tag, want := range map[string]string{"zh-CN": "zh-CN", "zh-cn": "zh-CN", "zh": "zh-CN", "en": "en", "en-GB": "en", " EN ": "en", "de": "", "": ""} {
		got, ok := Language(tag)
		if got != want || ok != (want != "") {
			t.Errorf("Language(%q) = %q, %t; want %q", tag, got, ok, want)
		}
	}
}

func TestParseSMTP(t *testing.T) {
	for _, bad := range []string{"smtp://mail.test", "smtp://mail.test?from=nobody", "ftp://mail.test?from=a@b.test",
		"smtp://?from=a@b.test", "smtp://mail.test?from=a@b.test&tls=maybe", "smtp://mail.test:port?from=a@b.test"} {
		if _, err := ParseSMTP(bad); err == nil {
			t.Errorf("ParseSMTP(%q) accepted", bad)
		}
	}
	for _, good := range []string{"smtp://user:pw@mail.test:587?from=orders@shop.test", "smtps://mail.test?from=Orders%20<orders@shop.test>",
		"smtp://127.0.0.1:2525?from=a@b.test&tls=none"} {
		if _, err := ParseSMTP(good); err != nil {
			t.Errorf("ParseSMTP(%q): %v", good, err)
		}
	}
}
