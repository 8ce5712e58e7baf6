package notice

import (
	"bytes"
	"embed"
	"fmt"
	"strings"
	"text/template"
)

// Languages are the languages notices are written in, as BCP 47 tags.
var Languages = []string{"zh-CN", "en"}

// DefaultLanguage is the language of customers who have none.
const DefaultLanguage = "zh-CN"

// Language returns the supported language tag matches (case aside; a bare
// "zh" or "en-GB" takes its language's template), or false.
func Language(tag string) (string, bool) {
	tag = strings.TrimSpace(tag)
	for _, l := range Languages {
		if strings.EqualFold(tag, l) {
			return l, true
		}
	}
	base, _, _ := strings.Cut(tag, "-")
	for _, l := range Languages {
		if lb, _, _ := strings.Cut(l, "-"); strings.EqualFold(base, lb) {
			return l, true
		}
	}
	return "", false
}

// Letter is what a notice's template is given.
type Letter struct {
	Customer string            // how the customer is addressed
	Order    string            // the order's number
	Facts    map[string]string // the change's own facts (Notice.Facts)
}

//go:embed templates
var files embed.FS

// templates holds one template per language and kind, parsed at start so
// that a broken one stops the server rather than a delivery.
var templates = func() map[string]*template.Template {
	out := map[string]*template.Template{}
	for _, lang := range Languages {
		for _, k := range Kinds() {
			name := "templates/" + lang + "/" + string(k) + ".txt"
			t := template.Must(template.New(name).Option("missingkey=error").
				Funcs(template.FuncMap{"reason": reasonIn(lang)}).ParseFS(files, name))
			out[lang+"/"+string(k)] = t.Lookup(name[len("templates/"+lang+"/"):])
		}
	}
	return out
}()

// Kinds lists every kind of notice.
func Kinds() []Kind {
	return []Kind{OrderConfirmed, CancellationExecuted, OrderVoided, ReturnReceived, ReturnRefunded,
		CorrectionAwaitingCustomer, InvoiceIssued, PaymentOverdue, CancellationAwaitingCustomer}
}

// Render writes the notice of kind k in language lang: its subject (the
// template's first line, after "Subject:") and body (the rest).
func Render(k Kind, lang string, l Letter) (subject, body string, err error) {
	t := templates[lang+"/"+string(k)]
	if t == nil {
		return "", "", fmt.Errorf("no %s notice in %q", k, lang)
	}
	if l.Facts == nil {
		l.Facts = map[string]string{}
	}
	var b bytes.Buffer
	if err := t.Execute(&b, l); err != nil {
		return "", "", fmt.Errorf("%s notice in %s: %w", k, lang, err)
	}
	first, rest, _ := strings.Cut(b.String(), "\n")
	subject, ok := strings.CutPrefix(first, "Subject:")
	if !ok {
		return "", "", fmt.Errorf("%s notice in %s: the first line is not a Subject: line", k, lang)
	}
	return strings.TrimSpace(subject), strings.TrimLeft(rest, "\n"), nil
}

// reasons are the reason codes of cancellations (DESIGN.md) as a customer
// reads them, per language.
var reasons = map[string]map[string]string{
	"en": {"CUSTOMER_REQUEST": "at your request", "PAYMENT_FAILED": "the payment failed",
		"PAYMENT_TIMEOUT": "the payment did not arrive in time", "OUT_OF_STOCK": "goods are out of stock",
		"PRICE_ERROR": "a price was wrong", "ENTRY_ERROR": "the order was entered wrongly",
		"DUPLICATE_ORDER": "the order was entered twice", "FRAUD_SUSPECTED": "for security reasons",
		"SYSTEM_FAILURE": "a system failure", "DELIVERY_PROBLEM": "we cannot deliver it", "OTHER": "see our note"},
	"zh-CN": {"CUSTOMER_REQUEST": "应您的要求", "PAYMENT_FAILED": "付款失败", "PAYMENT_TIMEOUT": "付款超时",
		"OUT_OF_STOCK": "商品缺货", "PRICE_ERROR": "价格有误", "ENTRY_ERROR": "订单录入有误", "DUPLICATE_ORDER": "订单重复",
		"FRAUD_SUSPECTED": "出于安全原因", "SYSTEM_FAILURE": "系统故障", "DELIVERY_PROBLEM": "无法配送", "OTHER": "详见说明"},
}

// reasonIn is the template function that words a reason code in lang; a
// code it does not know is shown as it is.
func reasonIn(lang string) func(code string) string {
	return func(code string) string {
		if r, ok := reasons[lang][code]; ok {
			return r
		}
		return code
	}
}
