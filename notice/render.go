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
			t := template.Must(template.New(name).Option("missingkey=error").ParseFS(files, name))
			out[lang+"/"+string(k)] = t.Lookup(name[len("templates/"+lang+"/"):])
		}
	}
	return out
}()

// Kinds lists every kind of notice.
func Kinds() []Kind {
	return []Kind{OrderConfirmed, CancellationExecuted, OrderVoided, ReturnReceived, ReturnRefunded,
		CorrectionAwaitingCustomer, InvoiceIssued, PaymentOverdue}
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
