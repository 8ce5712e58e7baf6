package httpapi

import (
	"errors"
	"html/template"
	"log/slog"
	"net/http"

	"orderdesk/audit"
	"orderdesk/ent"
	"orderdesk/ent/ordercorrection"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notice"
	"orderdesk/order"
)

// confirmPage serves the customer's confirmation page (征得客户同意) at
// /confirm/{token}: GET shows a correction sent to the customer — what
// changes and what it means for money — with Accept and Decline; POST
// records the answer with its time and the client's address. The token is
// the only credential and names that one decision; the page needs no
// sign-in and shows nothing else.
func confirmPage(log *slog.Logger, orders *order.Service, proxies Proxies) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, token := r.Context(), r.PathValue("token")
		status := http.StatusOK
		var decided *ent.OrderCorrection
		if r.Method == http.MethodPost {
			var err error
			switch r.PostFormValue("decision") {
			case "accept", "decline":
				decided, err = orders.CustomerDecision(ctx, token, r.PostFormValue("decision") == "accept", proxies.clientIP(r))
			default:
				err = fault.New(fault.Invalid, "decision", "accept or decline")
			}
			switch code := fault.CodeOf(err); {
			case err == nil:
			case code == fault.NotFound:
				status = http.StatusNotFound
			case code == fault.NotAllowed || code == fault.InvalidTransition || code == fault.Invalid:
				status = http.StatusConflict
			default:
				log.ErrorContext(ctx, "confirmation", "request_id", audit.RequestID(ctx), "err", err)
				http.Error(w, "internal error", http.StatusInternalServerError)
				return
			}
		}
		c, err := orders.ConfirmationOf(ctx, token)
		if errors.Is(err, order.ErrLinkInvalid) {
			status = http.StatusNotFound
		} else if err != nil {
			log.ErrorContext(ctx, "confirmation", "request_id", audit.RequestID(ctx), "err", err)
			http.Error(w, "internal error", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Referrer-Policy", "no-referrer") // the token is in the address
		writePage(w, r, log, status, confirmTemplate, confirmView(c, decided != nil),
			"default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	})
}

// confirmation is what the page shows, in the customer's language.
type confirmation struct {
	T                       map[string]string
	Lang                    string
	Valid, Open, JustNow    bool
	Order, Customer         string
	Changes                 []confirmChange
	TotalBefore, TotalAfter string
	Effect                  string
	Decision                string // ACCEPTED, DECLINED, or the status it ended in
}

type confirmChange struct{ Field, Before, After string }

func confirmView(c *order.Confirmation, justNow bool) confirmation {
	lang := notice.DefaultLanguage
	if c != nil {
		if l, ok := notice.Language(c.Customer.Language); ok {
			lang = l
		}
	}
	v := confirmation{T: confirmTexts[lang], Lang: lang, Valid: c != nil, JustNow: justNow}
	if c == nil {
		return v
	}
	rec, o := c.Correction, c.Order
	v.Open = rec.Status == ordercorrection.StatusAWAITING_CUSTOMER
	v.Order, v.Customer = o.Number, c.Customer.Name
	if c.Customer.ContactName != "" {
		v.Customer = c.Customer.ContactName
	}
	for _, d := range rec.Diff {
		v.Changes = append(v.Changes, confirmChange{d.Field, d.Before, d.After})
	}
	v.TotalBefore, v.TotalAfter = money.Format(rec.TotalBeforeMinor, rec.Currency)+" "+rec.Currency,
		money.Format(rec.TotalAfterMinor, rec.Currency)+" "+rec.Currency
	switch delta := rec.TotalAfterMinor - rec.TotalBeforeMinor; {
	case delta < 0:
		v.Effect = v.T["less"] + " " + money.Format(-delta, rec.Currency) + " " + rec.Currency
	case delta > 0:
		v.Effect = v.T["more"] + " " + money.Format(delta, rec.Currency) + " " + rec.Currency
	}
	v.Decision = string(rec.Status)
	if rec.CustomerDecision != nil {
		v.Decision = string(*rec.CustomerDecision)
	}
	return v
}

var confirmTexts = map[string]map[string]string{
	"en": {"title": "Please confirm a correction", "hello": "Dear", "intro": "we need to correct your order",
		"field": "What", "before": "Before", "after": "After", "total": "Order total", "less": "You pay less by",
		"more": "You pay more by", "accept": "Accept the correction", "decline": "Decline",
		"ACCEPTED": "Thank you: you accepted the correction. We will carry it out and let you know.",
		"DECLINED": "Thank you: you declined the correction. Your order stays as it was; we will be in touch.",
		"closed":   "This correction is no longer open for a decision.", "invalid": "This link is not valid or has expired.",
		"ask": "We only make the change with your consent."},
	"zh-CN": {"title": "请确认订单修改", "hello": "您好，", "intro": "您的订单需要修改：", "field": "项目", "before": "修改前",
		"after": "修改后", "total": "订单金额", "less": "您少付", "more": "您需多付", "accept": "同意修改", "decline": "拒绝",
		"ACCEPTED": "谢谢！您已同意修改，我们将尽快处理并通知您。", "DECLINED": "谢谢！您已拒绝修改，订单保持不变，我们会与您联系。",
		"closed": "此修改已无需您确认。", "invalid": "此链接无效或已过期。", "ask": "征得您的同意后我们才会进行修改。"},
}

var confirmTemplate = template.Must(template.New("confirm").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{index .T "title"}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:.4em;text-align:left}
button{font-size:1em;padding:.6em 1.2em;margin-right:1em}</style></head><body>
<h1>{{index .T "title"}}</h1>
{{if not .Valid}}<p id="result">{{index .T "invalid"}}</p>{{else}}
<p>{{index .T "hello"}} {{.Customer}}, {{index .T "intro"}} <strong id="order">{{.Order}}</strong></p>
<table id="changes"><tr><th>{{index .T "field"}}</th><th>{{index .T "before"}}</th><th>{{index .T "after"}}</th></tr>
{{range .Changes}}<tr><td>{{.Field}}</td><td>{{.Before}}</td><td>{{.After}}</td></tr>{{end}}
<tr><th>{{index .T "total"}}</th><td id="total-before">{{.TotalBefore}}</td><td id="total-after">{{.TotalAfter}}</td></tr></table>
{{if .Effect}}<p id="effect">{{.Effect}}</p>{{end}}
{{if .Open}}<p>{{index .T "ask"}}</p>
<form method="post"><button id="accept" name="decision" value="accept">{{index .T "accept"}}</button>
<button id="decline" name="decision" value="decline">{{index .T "decline"}}</button></form>
{{else if or (eq .Decision "ACCEPTED") (eq .Decision "DECLINED")}}<p id="result">{{index .T .Decision}}</p>
{{else}}<p id="result">{{index .T "closed"}}</p>{{end}}{{end}}
</body></html>
`))
