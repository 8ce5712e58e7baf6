package httpapi

import (
	"errors"
	"html/template"
	"log/slog"
	"maps"
	"net/http"
	"strconv"

	"orderdesk/audit"
	"orderdesk/ent"
	"orderdesk/ent/cancellationrecord"
	"orderdesk/ent/ordercorrection"
	"orderdesk/fault"
	"orderdesk/money"
	"orderdesk/notice"
	"orderdesk/order"
)

// confirmPage serves the customer's confirmation page (征得客户同意) at
// /confirm/{token}: GET shows a correction or cancellation sent to the
// customer — what changes and what it means for money — with Accept and
// Decline; POST
// records the answer with its time and the client's address. The token is
// the only credential and names that one decision; the page needs no
// sign-in and shows nothing else.
func confirmPage(log *slog.Logger, orders *order.Service, proxies Proxies) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, token := r.Context(), r.PathValue("token")
		status := http.StatusOK
		decided := false
		if r.Method == http.MethodPost {
			var err error
			switch r.PostFormValue("decision") {
			case "accept", "decline":
				err = orders.CustomerDecision(ctx, token, r.PostFormValue("decision") == "accept", proxies.clientIP(r))
				decided = err == nil
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
		writePage(w, r, log, status, confirmTemplate, confirmView(c, decided),
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
	Effects                 []string
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
	v.Order, v.Customer = c.Order.Number, c.Customer.Name
	if c.Customer.ContactName != "" {
		v.Customer = c.Customer.ContactName
	}
	if c.Cancellation != nil {
		v.T = cancelTexts[lang]
		cancellationView(&v, c)
	} else {
		correctionView(&v, c.Correction)
	}
	return v
}

func amount(minor int64, currency string) string {
	return money.Format(minor, currency) + " " + currency
}

func correctionView(v *confirmation, rec *ent.OrderCorrection) {
	v.Open = rec.Status == ordercorrection.StatusAWAITING_CUSTOMER
	for _, d := range rec.Diff {
		v.Changes = append(v.Changes, confirmChange{d.Field, d.Before, d.After})
	}
	v.TotalBefore, v.TotalAfter = amount(rec.TotalBeforeMinor, rec.Currency), amount(rec.TotalAfterMinor, rec.Currency)
	switch delta := rec.TotalAfterMinor - rec.TotalBeforeMinor; {
	case delta < 0:
		v.Effects = append(v.Effects, v.T["less"]+" "+amount(-delta, rec.Currency))
	case delta > 0:
		v.Effects = append(v.Effects, v.T["more"]+" "+amount(delta, rec.Currency))
	}
	v.Decision = string(rec.Status)
	if rec.CustomerDecision != nil {
		v.Decision = string(*rec.CustomerDecision)
	}
}

// cancellationView shows, while the request awaits the customer, each
// line's open quantity before and after, the totals, the refund and the
// pending payments it cancels.
func cancellationView(v *confirmation, c *order.Confirmation) {
	rec, o, e := c.Cancellation, c.Order, c.Effect
	v.Open = rec.Status == cancellationrecord.StatusAWAITING_CUSTOMER && e != nil
	v.Decision = string(rec.Status)
	if rec.CustomerDecision != nil {
		v.Decision = string(*rec.CustomerDecision)
	}
	if e == nil {
		return
	}
	for _, x := range e.Lines {
		for _, line := range o.Edges.Lines {
			if line.ID == x.OrderLineID {
				open := line.Quantity - line.QuantityCancelled - line.QuantityShipped
				v.Changes = append(v.Changes, confirmChange{line.Sku + " " + line.Name, strconv.Itoa(open), strconv.Itoa(open - x.Quantity)})
			}
		}
	}
	v.TotalBefore, v.TotalAfter = amount(o.TotalMinor, o.Currency), amount(e.TotalAfter, o.Currency)
	if e.AmountRefunded > 0 {
		v.Effects = append(v.Effects, v.T["refund"]+" "+amount(e.AmountRefunded, o.Currency))
	}
	if e.AmountCancelled > 0 {
		v.Effects = append(v.Effects, v.T["lapsed"]+" "+amount(e.AmountCancelled, o.Currency))
	}
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

// cancelTexts are the page's words for a cancellation: those of a
// correction, with its own title, question and answers.
var cancelTexts = func() map[string]map[string]string {
	own := map[string]map[string]string{
		"en": {"title": "Please confirm a cancellation", "intro": "we would like to cancel (part of) your order",
			"field": "Item", "before": "Quantity now", "after": "Quantity after", "refund": "We refund you",
			"lapsed": "Your pending payment is cancelled:", "accept": "Accept the cancellation", "decline": "Keep my order",
			"ACCEPTED": "Thank you: you accepted the cancellation. We will carry it out and let you know.",
			"DECLINED": "Thank you: you declined the cancellation. Your order stays as it is; we will be in touch.",
			"closed":   "This cancellation is no longer open for a decision.", "ask": "We only cancel with your consent."},
		"zh-CN": {"title": "请确认取消订单", "intro": "我们需要取消（部分）您的订单", "field": "商品", "before": "当前数量",
			"after": "取消后数量", "refund": "我们将向您退款", "lapsed": "您待支付的款项将取消：", "accept": "同意取消", "decline": "保留订单",
			"ACCEPTED": "谢谢！您已同意取消，我们将尽快处理并通知您。", "DECLINED": "谢谢！您已拒绝取消，订单保持不变，我们会与您联系。",
			"closed": "此取消已无需您确认。", "ask": "征得您的同意后我们才会取消。"},
	}
	out := map[string]map[string]string{}
	for lang, base := range confirmTexts {
		out[lang] = maps.Clone(base)
		maps.Copy(out[lang], own[lang])
	}
	return out
}()

var confirmTemplate = template.Must(template.New("confirm").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{index .T "title"}}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ccc;padding:.4em;text-align:left}
button{font-size:1em;padding:.6em 1.2em;margin-right:1em}</style></head><body>
<h1>{{index .T "title"}}</h1>
{{if not .Valid}}<p id="result">{{index .T "invalid"}}</p>{{else}}
<p>{{index .T "hello"}} {{.Customer}}, {{index .T "intro"}} <strong id="order">{{.Order}}</strong></p>
{{if .Changes}}<table id="changes"><tr><th>{{index .T "field"}}</th><th>{{index .T "before"}}</th><th>{{index .T "after"}}</th></tr>
{{range .Changes}}<tr><td>{{.Field}}</td><td>{{.Before}}</td><td>{{.After}}</td></tr>{{end}}
<tr><th>{{index .T "total"}}</th><td id="total-before">{{.TotalBefore}}</td><td id="total-after">{{.TotalAfter}}</td></tr></table>{{end}}
{{range $i, $e := .Effects}}<p id="effect{{if $i}}-{{$i}}{{end}}">{{$e}}</p>{{end}}
{{if .Open}}<p>{{index .T "ask"}}</p>
<form method="post"><button id="accept" name="decision" value="accept">{{index .T "accept"}}</button>
<button id="decline" name="decision" value="decline">{{index .T "decline"}}</button></form>
{{else if or (eq .Decision "ACCEPTED") (eq .Decision "DECLINED")}}<p id="result">{{index .T .Decision}}</p>
{{else}}<p id="result">{{index .T "closed"}}</p>{{end}}{{end}}
</body></html>
`))
