package app_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"orderdesk/app/apptest"
)

type correctionView struct {
	ID, Status, Severity    string
	CustomerConfirmed       bool
	CustomerDecision        *string
	CustomerDecidedAt       *string
	CustomerDecisionAddress *string
}

const correctionFields = `id status severity customerConfirmed customerDecision customerDecidedAt customerDecisionAddress`

// askCustomer has the rep correct the world's order's first line to a
// price far below the list price: SEVERE, sent to the customer. It returns
// the correction and the link the customer's notice carries.
func (w *world) askCustomer(t *testing.T, o orderView) (correctionView, string) {
	t.Helper()
	var p struct{ Correction correctionView }
	must(t, mutate(t, w.env.As(t, "SALES_REP"), "correctOrder", `mutation($o: ID!, $v: Int!, $l: ID!) {
		correctOrder(input: {orderId: $o, expectedVersion: $v, errorType: PRICE, cause: ENTRY_ERROR,
			lines: [{orderLineId: $l, unitPrice: "60.00"}], askCustomer: true}) { correction { `+correctionFields+` } `+userErrors+` } }`,
		apptest.Vars{"o": o.ID, "v": o.Version, "l": o.Lines[0].ID}, &p))
	var link string
	for _, n := range w.notices(t, "SALES_REP", o.ID) {
		if n.Kind == "CORRECTION_AWAITING_CUSTOMER" {
			link = regexp.MustCompile(`https?://\S+/confirm/\S+`).FindString(n.Message.Body)
		}
	}
	if p.Correction.Status != "AWAITING_CUSTOMER" || p.Correction.Severity != "SEVERE" || link == "" ||
		!strings.HasPrefix(link, w.env.URL+"/confirm/") {
		t.Fatalf("sent to the customer: %+v, link %q", p.Correction, link)
	}
	return p.Correction, link
}

func (w *world) correction(t *testing.T, id string) correctionView {
	t.Helper()
	var out struct{ Node correctionView }
	w.env.As(t, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on OrderCorrection { `+correctionFields+` } } }`,
		apptest.Vars{"id": id}, &out)
	return out.Node
}

func page(t *testing.T, link string, decision string) (int, string) {
	t.Helper()
	var res *http.Response
	var err error
	if decision == "" {
		res, err = http.Get(link)
	} else {
		res, err = http.PostForm(link, url.Values{"decision": {decision}})
	}
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body)
}

// TestConfirmation_CustomerAcceptsThenAManagerApproves (seed 004,
// 征得客户同意后再进行修改): a severe correction sent to the customer
// waits for them; their page shows the change and its money effect; their
// acceptance is recorded with its time and address and takes the
// correction to a manager, whose approval applies it. The link decides
// once.
func TestConfirmation_CustomerAcceptsThenAManagerApproves(t *testing.T) {
	w := newWorld(t)
	w.reachCustomer(t, "buyer@acme.test", "zh-CN")
	o := w.createConfirmed(t, 1, 0)
	c, link := w.askCustomer(t, o)

	const approve = `mutation($c: ID!) { approveCorrection(input: {correctionId: $c}) { correction { status } ` + userErrors + ` } }`
	wantCode(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "approveCorrection", approve, apptest.Vars{"c": c.ID}, nil), "INVALID_TRANSITION")

	code, body := page(t, link, "")
	for _, want := range []string{o.Number, "129.00 EUR", "60.00 EUR", "您少付 69.00 EUR", "同意修改", "拒绝"} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Fatalf("page %d lacks %q:\n%s", code, want, body)
		}
	}
	if code, body := page(t, link, "accept"); code != http.StatusOK || !strings.Contains(body, "您已同意修改") {
		t.Fatalf("accepting: %d\n%s", code, body)
	}
	got := w.correction(t, c.ID)
	if got.Status != "PENDING_APPROVAL" || !got.CustomerConfirmed || got.CustomerDecision == nil || *got.CustomerDecision != "ACCEPTED" ||
		got.CustomerDecidedAt == nil || got.CustomerDecisionAddress == nil || *got.CustomerDecisionAddress != "127.0.0.1" {
		t.Fatalf("after the customer accepted: %+v", got)
	}
	if code, _ := page(t, link, "decline"); code != http.StatusConflict {
		t.Fatalf("a second decision with the same link: %d", code)
	}
	if !hasEvent(t, w, o.ID, "correction.customer_accepted") {
		t.Error("no correction.customer_accepted on the timeline")
	}
	var p struct{ Correction struct{ Status string } }
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "approveCorrection", approve, apptest.Vars{"c": c.ID}, &p))
	if p.Correction.Status != "APPLIED" || w.order(t, o.ID).Total.Amount != "60.00" {
		t.Fatalf("approved: %+v, order total %s", p, w.order(t, o.ID).Total.Amount)
	}
	if _, body := page(t, link, ""); strings.Contains(body, `id="accept"`) {
		t.Fatal("the page still offers a decision")
	}
}

// TestConfirmation_DeclinedWithdrawnForgedExpired: a refusal rejects the
// correction; staff may withdraw one still with the customer; a forged or
// expired link shows nothing of any order; a minor correction is never
// sent.
func TestConfirmation_DeclinedWithdrawnForgedExpired(t *testing.T) {
	w := newWorld(t)
	w.reachCustomer(t, "buyer@acme.test", "en")
	o := w.createConfirmed(t, 1, 0)
	c, link := w.askCustomer(t, o)
	if code, body := page(t, link, "decline"); code != http.StatusOK || !strings.Contains(body, "you declined the correction") {
		t.Fatalf("declining: %d\n%s", code, body)
	}
	if got := w.correction(t, c.ID); got.Status != "REJECTED" || got.CustomerConfirmed || *got.CustomerDecision != "DECLINED" {
		t.Fatalf("after the customer declined: %+v", got)
	}
	if w.order(t, o.ID).Total.Amount != o.Total.Amount {
		t.Fatal("a declined correction changed the order")
	}

	c2, link2 := w.askCustomer(t, w.order(t, o.ID))
	must(t, mutate(t, w.env.As(t, "SALES_MANAGER"), "rejectCorrection", `mutation($c: ID!) { rejectCorrection(input: {correctionId: $c,
		note: "sent by mistake"}) { `+userErrors+` } }`, apptest.Vars{"c": c2.ID}, nil))
	if code, body := page(t, link2, ""); code != http.StatusOK || !strings.Contains(body, "no longer open") || strings.Contains(body, `id="accept"`) {
		t.Fatalf("a withdrawn correction's page: %d\n%s", code, body)
	}
	if code, _ := page(t, link2, "accept"); code != http.StatusConflict {
		t.Fatalf("accepting a withdrawn correction: %d", code)
	}

	forged := link2[:len(link2)-3] + "abc"
	if code, body := page(t, forged, ""); code != http.StatusNotFound || strings.Contains(body, o.Number) {
		t.Fatalf("a forged link: %d\n%s", code, body)
	}
	_, link3 := w.askCustomer(t, w.order(t, o.ID))
	w.env.Orders.Confirmations.Now = func() time.Time { return time.Now().Add(8 * 24 * time.Hour) }
	if code, body := page(t, link3, "accept"); code != http.StatusNotFound || strings.Contains(body, o.Number) {
		t.Fatalf("an expired link: %d\n%s", code, body)
	}
	w.env.Orders.Confirmations.Now = time.Now

	minor := w.order(t, o.ID)
	wantCode(t, mutate(t, w.env.As(t, "SALES_REP"), "correctOrder", `mutation($o: ID!, $v: Int!) {
		correctOrder(input: {orderId: $o, expectedVersion: $v, errorType: ADDRESS, cause: ENTRY_ERROR,
			shippingAddress: {line1: "2 Main St", city: "Berlin", country: "DE"}, askCustomer: true}) { `+userErrors+` } }`,
		apptest.Vars{"o": minor.ID, "v": minor.Version}, nil), "INVALID")
}
