package app_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"orderdesk/app/apptest"
)

// The order lifecycle through GraphQL: the state table, the review checks,
// rejection and re-order, draft edits, payments and shipping.

const userErrors = `errors { code field message }`

// lcClients caches one signed-in client per test environment and role, so
// that the table test does not sign in for every request.
var lcClients sync.Map // lcKey → *apptest.Client

type lcKey struct {
	env  *apptest.Env
	role string
}

func lcClient(t *testing.T, w *world, role string) *apptest.Client {
	t.Helper()
	k := lcKey{w.env, role}
	if c, ok := lcClients.Load(k); ok {
		return c.(*apptest.Client)
	}
	c := w.env.As(t, role)
	lcClients.Store(k, c)
	t.Cleanup(func() { lcClients.Delete(k) })
	return c
}

// lcOrder enters an order as role with the given CreateOrderInput.
func lcOrder(t *testing.T, w *world, role string, in apptest.Vars) orderView {
	t.Helper()
	var p struct{ Order orderView }
	must(t, mutate(t, lcClient(t, w, role), "createOrder", `mutation($in: CreateOrderInput!) {
		createOrder(input: $in) { order { `+orderFields+` } `+userErrors+` } }`, apptest.Vars{"in": in}, &p))
	return p.Order
}

func lcLine(itemID string, qty int, price ...string) apptest.Vars {
	l := apptest.Vars{"stockItemId": itemID, "quantity": qty}
	if len(price) > 0 {
		l["unitPrice"] = price[0]
	}
	if len(price) > 1 {
		l["discount"] = price[1]
	}
	return l
}

// lcDo runs a mutation on one order ($id) and returns its payload errors.
func lcDo(t *testing.T, w *world, role, field, query string, vars apptest.Vars) []apptest.UserError {
	t.Helper()
	return mutate(t, lcClient(t, w, role), field, query, vars, nil)
}

const (
	qSubmit   = `mutation($id: ID!) { submitOrder(input: {orderId: $id}) { ` + userErrors + ` } }`
	qConfirm  = `mutation($id: ID!) { confirmOrder(input: {orderId: $id}) { ` + userErrors + ` } }`
	qOverride = `mutation($id: ID!, $r: String!) { confirmOrder(input: {orderId: $id, overrideReason: $r}) { ` + userErrors + ` } }`
	qShipAll  = `mutation($id: ID!) { shipOrder(input: {orderId: $id, carrier: "DHL"}) { ` + userErrors + ` } }`
	qDeliver  = `mutation($id: ID!) { markOrderDelivered(input: {orderId: $id}) { ` + userErrors + ` } }`
	qComplete = `mutation($id: ID!) { completeOrder(input: {orderId: $id}) { ` + userErrors + ` } }`
	qPay      = `mutation($id: ID!, $a: Decimal!) { recordPayment(input: {orderId: $id, amount: $a, method: BANK_TRANSFER}) { ` + userErrors + ` } }`
)

// orderMutation is a mutation on order $id that returns the order as it is after.
func orderMutation(field, args string) string {
	return `mutation($id: ID!) { ` + field + `(input: {orderId: $id` + args + `}) { order { ` + orderFields + ` } ` + userErrors + ` } }`
}

// inStatus builds, through GraphQL and as the roles that do it in real
// life, a fresh order of one pair of gloves in the given status.
func inStatus(t *testing.T, w *world, status string) orderView {
	t.Helper()
	o := lcOrder(t, w, "SALES_REP", apptest.Vars{"customerId": w.customerID, "channel": "WEB",
		"lines": []apptest.Vars{lcLine(w.glovesID, 1)}})
	step := func(role, field, args string) {
		t.Helper()
		var p struct{ Order orderView }
		must(t, mutate(t, lcClient(t, w, role), field, orderMutation(field, args), apptest.Vars{"id": o.ID}, &p))
		o = p.Order
	}
	switch status {
	case "DRAFT":
	case "CANCELLED":
		step("SALES_MANAGER", "cancelOrder", `, reasonCode: CUSTOMER_REQUEST`)
	case "VOIDED":
		step("SALES_MANAGER", "voidOrder", `, reasonCode: DUPLICATE_ORDER`)
	default:
		step("SALES_REP", "submitOrder", "")
		switch status {
		case "PENDING_REVIEW":
		case "REJECTED":
			step("SALES_MANAGER", "rejectOrder", `, reasonCode: PRICE_ERROR`)
		default:
			step("SALES_MANAGER", "confirmOrder", "")
			if status == "COMPLETED" {
				step("FINANCE", "recordPayment", `, method: BANK_TRANSFER, amount: "`+o.Total.Amount+`"`)
			}
			if status == "SHIPPED" || status == "DELIVERED" || status == "COMPLETED" {
				step("WAREHOUSE", "shipOrder", `, carrier: "DHL"`)
			}
			if status == "DELIVERED" || status == "COMPLETED" {
				step("WAREHOUSE", "markOrderDelivered", "")
			}
			if status == "COMPLETED" {
				step("SALES_MANAGER", "completeOrder", "")
			}
		}
	}
	if o.Status != status {
		t.Fatalf("inStatus(%s) built an order in status %s", status, o.Status)
	}
	return o
}

// tableMutation is one order mutation of the status × action table, with
// inputs that are valid apart from the order's state.
type tableMutation struct {
	field, role, query string
}

var tableMutations = []tableMutation{
	{"updateDraftOrder", "ADMIN", `mutation($id: ID!, $v: Int!) { updateDraftOrder(input: {orderId: $id, expectedVersion: $v, notes: "edited"}) { ` + userErrors + ` } }`},
	{"submitOrder", "ADMIN", qSubmit},
	{"confirmOrder", "ADMIN", qConfirm},
	{"rejectOrder", "ADMIN", `mutation($id: ID!) { rejectOrder(input: {orderId: $id, reasonCode: PRICE_ERROR}) { ` + userErrors + ` } }`},
	{"recordPayment", "ADMIN", `mutation($id: ID!) { recordPayment(input: {orderId: $id, amount: "0.01", method: CARD}) { ` + userErrors + ` } }`},
	{"refundPayment", "ADMIN", `mutation($id: ID!) { refundPayment(input: {orderId: $id, amount: "0.01", reason: "goodwill"}) { ` + userErrors + ` } }`},
	{"shipOrder", "ADMIN", qShipAll},
	{"markOrderDelivered", "ADMIN", qDeliver},
	{"completeOrder", "ADMIN", qComplete},
	{"cancelOrder", "SALES_MANAGER", `mutation($id: ID!) { cancelOrder(input: {orderId: $id, reasonCode: CUSTOMER_REQUEST}) { ` + userErrors + ` } }`},
	{"voidOrder", "ADMIN", `mutation($id: ID!) { voidOrder(input: {orderId: $id, reasonCode: ENTRY_ERROR}) { ` + userErrors + ` } }`},
	{"reorder", "ADMIN", `mutation($id: ID!) { reorder(input: {orderId: $id}) { ` + userErrors + ` } }`},
}

// allowed is the outcome of a mutation the state table allows: the payload
// error code it ends with ("" for success) and the order's status after.
type allowed struct{ code, status string }

// statusActionTable is the order lifecycle as the API must behave, written
// out by hand: every pair not listed is INVALID_TRANSITION.
var statusActionTable = map[string]map[string]allowed{
	"DRAFT": {
		"updateDraftOrder": {"", "DRAFT"},
		"submitOrder":      {"", "PENDING_REVIEW"},
		"cancelOrder":      {"", "CANCELLED"},
		"voidOrder":        {"", "VOIDED"},
	},
	"PENDING_REVIEW": {
		"confirmOrder": {"", "CONFIRMED"},
		"rejectOrder":  {"", "REJECTED"},
		"cancelOrder":  {"", "CANCELLED"},
		"voidOrder":    {"", "VOIDED"},
	},
	"CONFIRMED": {
		"recordPayment": {"", "CONFIRMED"},
		"refundPayment": {"REFUND_EXCEEDS_CAPTURED", "CONFIRMED"}, // nothing captured yet
		"shipOrder":     {"", "SHIPPED"},
		"cancelOrder":   {"", "CANCELLED"},
		"voidOrder":     {"", "VOIDED"},
	},
	"SHIPPED": {
		"recordPayment":      {"", "SHIPPED"},
		"refundPayment":      {"REFUND_EXCEEDS_CAPTURED", "SHIPPED"},
		"markOrderDelivered": {"", "DELIVERED"},
	},
	"DELIVERED": {
		"recordPayment": {"", "DELIVERED"},
		"refundPayment": {"REFUND_EXCEEDS_CAPTURED", "DELIVERED"},
		"completeOrder": {"NOT_ALLOWED", "DELIVERED"}, // allowed, but unpaid
	},
	"COMPLETED": {},
	"REJECTED":  {"reorder": {"", "REJECTED"}},
	"CANCELLED": {"reorder": {"", "CANCELLED"}},
	"VOIDED":    {"reorder": {"", "VOIDED"}},
}

func codes(errs []apptest.UserError) []string {
	var cs []string
	for _, e := range errs {
		cs = append(cs, e.Code)
	}
	return cs
}

// TestStatusActionTable: a table of every (status, action) pair: allowed or
// INVALID_TRANSITION. Each pair acts on a fresh order in the status.
func TestStatusActionTable(t *testing.T) {
	start := time.Now()
	w := newWorld(t)
	for _, role := range []string{"ADMIN", "SALES_MANAGER", "SALES_REP", "FINANCE", "WAREHOUSE"} {
		lcClient(t, w, role) // signed in once for all pairs
	}
	statuses := []string{"DRAFT", "PENDING_REVIEW", "CONFIRMED", "SHIPPED", "DELIVERED", "COMPLETED", "REJECTED", "CANCELLED", "VOIDED"}
	if len(statusActionTable) != len(statuses) {
		t.Fatalf("the table has %d statuses, want %d", len(statusActionTable), len(statuses))
	}
	for _, status := range statuses {
		for _, m := range tableMutations {
			t.Run(status+"/"+m.field, func(t *testing.T) {
				o := inStatus(t, w, status)
				errs := lcDo(t, w, m.role, m.field, m.query, apptest.Vars{"id": o.ID, "v": o.Version})
				after := w.order(t, o.ID)
				want, ok := statusActionTable[status][m.field]
				switch {
				case !ok:
					if !slices.Contains(codes(errs), "INVALID_TRANSITION") {
						t.Errorf("%s on a %s order: errors %+v, want INVALID_TRANSITION", m.field, status, errs)
					}
					if after.Status != o.Status || after.Version != o.Version {
						t.Errorf("refused %s changed the order: %s v%d → %s v%d", m.field, o.Status, o.Version, after.Status, after.Version)
					}
				case want.code == "":
					if len(errs) > 0 {
						t.Errorf("%s on a %s order: errors %+v, want success", m.field, status, errs)
					}
					if after.Status != want.status {
						t.Errorf("%s on a %s order left it %s, want %s", m.field, status, after.Status, want.status)
					}
				default:
					if slices.Contains(codes(errs), "INVALID_TRANSITION") || !slices.Contains(codes(errs), want.code) {
						t.Errorf("%s on a %s order: errors %+v, want %s and no INVALID_TRANSITION", m.field, status, errs, want.code)
					}
					if after.Status != o.Status || after.Version != o.Version {
						t.Errorf("failed %s changed the order: %s v%d → %s v%d", m.field, o.Status, o.Version, after.Status, after.Version)
					}
				}
			})
		}
	}
	assertInvariants(t, w.env)
	t.Logf("%d pairs in %s", len(statuses)*len(tableMutations), time.Since(start).Round(time.Millisecond))
}

// lcCustomer creates a customer of the SALES_REP user with the credit limit.
func lcCustomer(t *testing.T, w *world, name, credit string) string {
	t.Helper()
	var out struct {
		CreateCustomer struct{ Customer struct{ ID string } }
	}
	lcClient(t, w, "ADMIN").MustDo(t, `mutation($n: String!, $c: Decimal!, $rep: ID!) {
		createCustomer(input: {name: $n, creditLimit: $c, ownerId: $rep,
			shippingAddress: {line1: "2 Side St", city: "Hamburg", country: "DE"}}) { customer { id } } }`,
		apptest.Vars{"n": name, "c": credit, "rep": apptest.ID(w.env.Users["SALES_REP"].ID)}, &out)
	return out.CreateCustomer.Customer.ID
}

// pendingReview enters and submits an order of the lines for the customer.
func pendingReview(t *testing.T, w *world, customerID string, extra apptest.Vars, lines ...apptest.Vars) orderView {
	t.Helper()
	in := apptest.Vars{"customerId": customerID, "channel": "PHONE", "lines": lines}
	for k, v := range extra {
		in[k] = v
	}
	o := lcOrder(t, w, "SALES_REP", in)
	must(t, lcDo(t, w, "SALES_REP", "submitOrder", qSubmit, apptest.Vars{"id": o.ID}))
	return w.order(t, o.ID)
}

func findError(errs []apptest.UserError, code string) *apptest.UserError {
	for i := range errs {
		if errs[i].Code == code {
			return &errs[i]
		}
	}
	return nil
}

func field(e *apptest.UserError) string {
	if e == nil || e.Field == nil {
		return ""
	}
	return *e.Field
}

func TestReviewChecks(t *testing.T) {
	w := newWorld(t)
	manager := "SALES_MANAGER"
	unchanged := func(t *testing.T, before orderView) {
		t.Helper()
		if after := w.order(t, before.ID); after.Status != "PENDING_REVIEW" || after.Version != before.Version {
			t.Errorf("failed review changed the order: %s v%d → %s v%d", before.Status, before.Version, after.Status, after.Version)
		}
	}
	small := lcCustomer(t, w, "Small Co", "100.00")

	t.Run("InsufficientStock", func(t *testing.T) {
		o := pendingReview(t, w, w.customerID, nil, lcLine(w.drillID, 11), lcLine(w.glovesID, 1))
		errs := lcDo(t, w, manager, "confirmOrder", qConfirm, apptest.Vars{"id": o.ID})
		e := findError(errs, "INSUFFICIENT_STOCK")
		if e == nil || !strings.Contains(e.Message, "DRL-100") || len(errs) != 1 {
			t.Fatalf("errors %+v, want one INSUFFICIENT_STOCK naming DRL-100", errs)
		}
		for _, item := range []string{w.drillID, w.glovesID} {
			if _, reserved := w.available(t, item); reserved != 0 {
				t.Errorf("item %s: %d reserved after a failed review", item, reserved)
			}
		}
		for _, l := range w.order(t, o.ID).Lines {
			if l.QuantityReserved != 0 {
				t.Errorf("line %s: quantityReserved %d", l.Sku, l.QuantityReserved)
			}
		}
		unchanged(t, o)
	})
	t.Run("PriceCheck", func(t *testing.T) {
		o := pendingReview(t, w, w.customerID, nil, lcLine(w.drillID, 1, "50.00"))
		errs := lcDo(t, w, manager, "confirmOrder", qConfirm, apptest.Vars{"id": o.ID})
		e := findError(errs, "PRICE_CHECK_FAILED")
		if e == nil || len(errs) != 1 || !strings.Contains(e.Message, "DRL-100") || field(e) != "lines.0" {
			t.Fatalf("errors %+v, want one PRICE_CHECK_FAILED on lines.0 naming DRL-100", errs)
		}
		unchanged(t, o)
		if _, reserved := w.available(t, w.drillID); reserved != 0 {
			t.Errorf("%d drills reserved after a failed review", reserved)
		}
	})
	t.Run("CreditLimit", func(t *testing.T) {
		o := pendingReview(t, w, small, nil, lcLine(w.drillID, 1))
		errs := lcDo(t, w, manager, "confirmOrder", qConfirm, apptest.Vars{"id": o.ID})
		e := findError(errs, "CREDIT_LIMIT_EXCEEDED")
		if e == nil || len(errs) != 1 || !strings.Contains(e.Message, "129.00") || !strings.Contains(e.Message, "100.00") {
			t.Fatalf("errors %+v, want one CREDIT_LIMIT_EXCEEDED naming 129.00 and the limit 100.00", errs)
		}
		unchanged(t, o)
	})
	t.Run("DeliveryDate", func(t *testing.T) {
		soon := time.Now().UTC().Add(24*time.Hour - time.Hour).Format(time.RFC3339)
		o := pendingReview(t, w, w.customerID, apptest.Vars{"requestedDeliveryDate": soon}, lcLine(w.glovesID, 1))
		errs := lcDo(t, w, manager, "confirmOrder", qConfirm, apptest.Vars{"id": o.ID})
		if e := findError(errs, "DELIVERY_DATE_INFEASIBLE"); e == nil || len(errs) != 1 || field(e) != "requestedDeliveryDate" {
			t.Fatalf("errors %+v, want one DELIVERY_DATE_INFEASIBLE on requestedDeliveryDate", errs)
		}
		unchanged(t, o)
		// Two days ahead is fine.
		later := time.Now().UTC().Add(48 * time.Hour).Format(time.RFC3339)
		ok := pendingReview(t, w, w.customerID, apptest.Vars{"requestedDeliveryDate": later}, lcLine(w.glovesID, 1))
		must(t, lcDo(t, w, manager, "confirmOrder", qConfirm, apptest.Vars{"id": ok.ID}))
	})
	t.Run("AllFailuresTogether", func(t *testing.T) {
		soon := time.Now().UTC().Add(23 * time.Hour).Format(time.RFC3339)
		o := pendingReview(t, w, small, apptest.Vars{"requestedDeliveryDate": soon}, lcLine(w.drillID, 11, "50.00"))
		errs := lcDo(t, w, manager, "confirmOrder", qConfirm, apptest.Vars{"id": o.ID})
		for _, c := range []string{"INSUFFICIENT_STOCK", "PRICE_CHECK_FAILED", "CREDIT_LIMIT_EXCEEDED", "DELIVERY_DATE_INFEASIBLE"} {
			if findError(errs, c) == nil {
				t.Errorf("errors %v lack %s", codes(errs), c)
			}
		}
		unchanged(t, o)
	})
	t.Run("ManagerOverride", func(t *testing.T) {
		// 2 × 60.00 = 120.00: below the price floor and above the limit.
		o := pendingReview(t, w, small, nil, lcLine(w.drillID, 2, "60.00"))
		errs := lcDo(t, w, manager, "confirmOrder", qConfirm, apptest.Vars{"id": o.ID})
		if findError(errs, "PRICE_CHECK_FAILED") == nil || findError(errs, "CREDIT_LIMIT_EXCEEDED") == nil || len(errs) != 2 {
			t.Fatalf("without override: %+v, want PRICE_CHECK_FAILED and CREDIT_LIMIT_EXCEEDED", errs)
		}
		const why = "long-standing customer, agreed with the director"
		must(t, lcDo(t, w, manager, "confirmOrder", qOverride, apptest.Vars{"id": o.ID, "r": why}))
		if got := w.order(t, o.ID); got.Status != "CONFIRMED" {
			t.Fatalf("overridden order is %s", got.Status)
		}
		if _, reserved := w.available(t, w.drillID); reserved != 2 {
			t.Errorf("drills reserved = %d, want 2", reserved)
		}
		var tl struct {
			Node struct {
				Events []struct{ Action, Reason string }
			}
		}
		lcClient(t, w, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { events { action reason } } } }`,
			apptest.Vars{"id": o.ID}, &tl)
		found := false
		for _, e := range tl.Node.Events {
			if e.Action == "order.confirmed" {
				found = true
				if !strings.Contains(e.Reason, "override") || !strings.Contains(e.Reason, why) {
					t.Errorf("order.confirmed reason %q, want the override and its reason", e.Reason)
				}
			}
		}
		if !found {
			t.Errorf("no order.confirmed event: %+v", tl.Node.Events)
		}
	})
	t.Run("OverrideDoesNotBypassStock", func(t *testing.T) {
		// 8 drills are left; 9 at a low price.
		o := pendingReview(t, w, w.customerID, nil, lcLine(w.drillID, 9, "50.00"))
		errs := lcDo(t, w, manager, "confirmOrder", qOverride, apptest.Vars{"id": o.ID, "r": "special deal"})
		if e := findError(errs, "INSUFFICIENT_STOCK"); e == nil || !strings.Contains(e.Message, "DRL-100") {
			t.Fatalf("errors %+v, want INSUFFICIENT_STOCK despite the override", errs)
		}
		unchanged(t, o)
		if _, reserved := w.available(t, w.drillID); reserved != 2 {
			t.Errorf("drills reserved = %d, want still 2", reserved)
		}
	})
	t.Run("RepCannotConfirmOrOverride", func(t *testing.T) {
		o := pendingReview(t, w, small, nil, lcLine(w.drillID, 1, "50.00"))
		rep := lcClient(t, w, "SALES_REP")
		for _, q := range []struct {
			query string
			vars  apptest.Vars
		}{
			{qOverride, apptest.Vars{"id": o.ID, "r": "my customer"}},
			{qConfirm, apptest.Vars{"id": o.ID}},
		} {
			r := rep.Do(t, q.query, q.vars)
			if !slices.Contains(r.Codes(), "FORBIDDEN") {
				t.Errorf("rep confirming: %+v, want top-level FORBIDDEN", r.Errors)
			}
		}
		unchanged(t, o)
	})
	assertInvariants(t, w.env)
}

func TestRejectAndReorder(t *testing.T) {
	w := newWorld(t)
	o := pendingReview(t, w, w.customerID, nil, lcLine(w.drillID, 2, "120.00", "5.00"), lcLine(w.glovesID, 4))
	reject := `mutation($id: ID!, $n: String) { rejectOrder(input: {orderId: $id, reasonCode: OTHER, note: $n}) {
		order { id status } ` + userErrors + ` } }`
	for _, note := range []any{nil, "   "} {
		errs := lcDo(t, w, "SALES_MANAGER", "rejectOrder", reject, apptest.Vars{"id": o.ID, "n": note})
		if e := findError(errs, "INVALID"); e == nil || field(e) != "input.note" {
			t.Errorf("reject with OTHER and note %v: %+v, want INVALID on input.note", note, errs)
		}
	}
	if got := w.order(t, o.ID); got.Status != "PENDING_REVIEW" || got.Version != o.Version {
		t.Fatalf("refused rejection changed the order: %+v", got)
	}
	must(t, lcDo(t, w, "SALES_MANAGER", "rejectOrder", reject, apptest.Vars{"id": o.ID, "n": "customer went elsewhere"}))
	var st struct {
		Node struct{ Status, StatusReason, StatusNote string }
	}
	lcClient(t, w, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { status statusReason statusNote } } }`,
		apptest.Vars{"id": o.ID}, &st)
	if st.Node.Status != "REJECTED" || st.Node.StatusReason != "OTHER" || st.Node.StatusNote != "customer went elsewhere" {
		t.Fatalf("rejected order: %+v", st.Node)
	}
	rejected := w.order(t, o.ID)

	var p struct {
		Order    struct{ ID, Status string }
		NewOrder struct {
			orderView
			ReorderedFrom *struct{ ID string }
		}
	}
	// Notes are held to createOrder's limit, in characters: 4,001 are
	// refused.
	long := strings.Repeat("订", 4001)
	errs := mutate(t, lcClient(t, w, "SALES_REP"), "reorder", `mutation($id: ID!, $n: String) { reorder(input: {orderId: $id, notes: $n}) {
		newOrder { id } `+userErrors+` } }`, apptest.Vars{"id": o.ID, "n": long}, nil)
	if len(errs) != 1 || errs[0].Code != "INVALID" || errs[0].Field == nil || *errs[0].Field != "input.notes" {
		t.Fatalf("reorder with 4,001 characters of notes: %+v, want INVALID on input.notes", errs)
	}
	must(t, mutate(t, lcClient(t, w, "SALES_REP"), "reorder", `mutation($id: ID!) { reorder(input: {orderId: $id}) {
		order { id status } newOrder { `+orderFields+` reorderedFrom { id } } `+userErrors+` } }`, apptest.Vars{"id": o.ID}, &p))
	n := p.NewOrder
	if n.Status != "DRAFT" || n.ID == o.ID || n.ReorderedFrom == nil || n.ReorderedFrom.ID != o.ID {
		t.Fatalf("re-created order: %+v (from %+v)", n, n.ReorderedFrom)
	}
	if n.Total.Amount != o.Total.Amount || len(n.Lines) != 2 { // 2 × 115.00 + 4 × 6.50 = 256.00
		t.Errorf("re-created order total %s with %d lines, want %s with 2", n.Total.Amount, len(n.Lines), o.Total.Amount)
	}
	if o.Total.Amount != "256.00" {
		t.Errorf("original total %s, want 256.00", o.Total.Amount)
	}
	if after := w.order(t, o.ID); after.Status != "REJECTED" || after.Version != rejected.Version {
		t.Errorf("re-order changed the old order: %+v", after)
	}
	// The new draft goes its own way.
	must(t, lcDo(t, w, "SALES_REP", "submitOrder", qSubmit, apptest.Vars{"id": n.ID}))
	assertInvariants(t, w.env)
}

func TestUpdateDraft(t *testing.T) {
	w := newWorld(t)
	o := lcOrder(t, w, "SALES_REP", apptest.Vars{"customerId": w.customerID, "channel": "EMAIL",
		"lines": []apptest.Vars{lcLine(w.drillID, 1), lcLine(w.glovesID, 1)}})
	if o.Total.Amount != "135.50" {
		t.Fatalf("draft total %s, want 135.50", o.Total.Amount)
	}
	update := `mutation($id: ID!, $v: Int!, $notes: String, $lines: [OrderLineInput!]) {
		updateDraftOrder(input: {orderId: $id, expectedVersion: $v, notes: $notes, lines: $lines}) {
		order { ` + orderFields + ` subtotal { amount } discountTotal { amount } notes } ` + userErrors + ` } }`
	type draft struct {
		Order struct {
			orderView
			Subtotal, DiscountTotal struct{ Amount string }
			Notes                   string
		}
	}
	var p draft
	rep := lcClient(t, w, "SALES_REP")
	must(t, mutate(t, rep, "updateDraftOrder", update, apptest.Vars{"id": o.ID, "v": o.Version, "notes": "call before delivery"}, &p))
	if p.Order.Version != o.Version+1 || p.Order.Notes != "call before delivery" || p.Order.Total.Amount != "135.50" {
		t.Fatalf("after editing notes: %+v", p.Order)
	}

	// A client still holding the first version is turned away.
	errs := mutate(t, rep, "updateDraftOrder", update, apptest.Vars{"id": o.ID, "v": o.Version, "notes": "stale"}, nil)
	if e := findError(errs, "VERSION_CONFLICT"); e == nil || field(e) != "input.expectedVersion" {
		t.Fatalf("stale update: %+v, want VERSION_CONFLICT on input.expectedVersion", errs)
	}
	cur := w.order(t, o.ID)
	if cur.Version != o.Version+1 {
		t.Fatalf("stale update changed the version to %d", cur.Version)
	}

	// Replacing the lines recomputes the totals: 3 × (120.00 − 5.00) + 10 × 6.50.
	lines := []apptest.Vars{lcLine(w.drillID, 3, "120.00", "5.00"), lcLine(w.glovesID, 10)}
	p = draft{}
	must(t, mutate(t, rep, "updateDraftOrder", update, apptest.Vars{"id": o.ID, "v": cur.Version, "lines": lines}, &p))
	got := p.Order
	if got.Total.Amount != "410.00" || got.Subtotal.Amount != "425.00" || got.DiscountTotal.Amount != "15.00" {
		t.Errorf("totals after replacing lines: total %s subtotal %s discount %s, want 410.00 425.00 15.00",
			got.Total.Amount, got.Subtotal.Amount, got.DiscountTotal.Amount)
	}
	if len(got.Lines) != 2 || got.Version != cur.Version+1 || got.Notes != "call before delivery" {
		t.Errorf("after replacing lines: %+v", got)
	}
	if reread := w.order(t, o.ID); reread.Total.Amount != "410.00" || len(reread.Lines) != 2 {
		t.Errorf("re-read: %+v", reread)
	}
	assertInvariants(t, w.env)
}

type moneyView struct{ Amount string }

type paymentOrder struct {
	orderView
	Captured, Refunded moneyView
	LedgerEntries      []struct {
		Kind   string
		Amount moneyView
	}
}

func paymentState(t *testing.T, w *world, id string) paymentOrder {
	t.Helper()
	var out struct{ Node paymentOrder }
	lcClient(t, w, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { `+orderFields+`
		captured { amount } refunded { amount } ledgerEntries { kind amount { amount } } } } }`, apptest.Vars{"id": id}, &out)
	return out.Node
}

func TestPayments(t *testing.T) {
	w := newWorld(t)
	// 2 drills at 129.00 less 10.00, 10 gloves at 6.50: 238.00 + 65.00.
	o := pendingReview(t, w, w.customerID, nil, lcLine(w.drillID, 2, "129.00", "10.00"), lcLine(w.glovesID, 10))
	must(t, lcDo(t, w, "SALES_MANAGER", "confirmOrder", qConfirm, apptest.Vars{"id": o.ID}))
	fin := lcClient(t, w, "FINANCE")
	state := func(wantStatus, captured, refunded, outstanding string) paymentOrder {
		t.Helper()
		s := paymentState(t, w, o.ID)
		if s.PaymentStatus != wantStatus || s.Captured.Amount != captured || s.Refunded.Amount != refunded || s.Outstanding.Amount != outstanding {
			t.Fatalf("payment state %s captured %s refunded %s outstanding %s, want %s %s %s %s",
				s.PaymentStatus, s.Captured.Amount, s.Refunded.Amount, s.Outstanding.Amount, wantStatus, captured, refunded, outstanding)
		}
		return s
	}
	s := state("UNPAID", "0.00", "0.00", "303.00")
	if s.Total.Amount != "303.00" {
		t.Fatalf("total %s, want 303.00", s.Total.Amount)
	}

	record := `mutation($id: ID!, $a: Decimal!, $p: Boolean) { recordPayment(input: {orderId: $id, amount: $a, method: CARD, pending: $p}) {
		payment { id status } ` + userErrors + ` } }`
	type payRes struct{ Payment struct{ ID, Status string } }

	// Above what is outstanding.
	errs := mutate(t, fin, "recordPayment", record, apptest.Vars{"id": o.ID, "a": "303.01"}, nil)
	if e := findError(errs, "PAYMENT_EXCEEDS_OUTSTANDING"); e == nil || field(e) != "input.amount" {
		t.Fatalf("overpayment: %+v, want PAYMENT_EXCEEDS_OUTSTANDING on input.amount", errs)
	}
	if got := w.order(t, o.ID); got.Version != s.Version {
		t.Fatalf("refused payment changed the order version %d → %d", s.Version, got.Version)
	}

	// A captured charge, cancelled: it is reversed.
	var first payRes
	must(t, mutate(t, fin, "recordPayment", record, apptest.Vars{"id": o.ID, "a": "100.00"}, &first))
	state("PARTIALLY_PAID", "100.00", "0.00", "203.00")
	var cancelled payRes
	must(t, mutate(t, fin, "cancelPayment", `mutation($p: ID!) { cancelPayment(input: {paymentId: $p, reason: "charged the wrong card"}) {
		payment { id status } `+userErrors+` } }`, apptest.Vars{"p": first.Payment.ID}, &cancelled))
	if cancelled.Payment.Status != "CANCELLED" {
		t.Fatalf("cancelled payment is %s", cancelled.Payment.Status)
	}
	s = state("UNPAID", "0.00", "0.00", "303.00")
	var kinds []string
	for _, l := range s.LedgerEntries {
		kinds = append(kinds, l.Kind+" "+l.Amount.Amount)
	}
	if !slices.Contains(kinds, "CHARGE_CAPTURED 100.00") || !slices.Contains(kinds, "PAYMENT_CANCELLED -100.00") {
		t.Fatalf("ledger %v, want the capture and its reversal", kinds)
	}

	// Paid in two parts, the second pending and then captured.
	must(t, mutate(t, fin, "recordPayment", record, apptest.Vars{"id": o.ID, "a": "100.00"}, nil))
	state("PARTIALLY_PAID", "100.00", "0.00", "203.00")
	var pending payRes
	must(t, mutate(t, fin, "recordPayment", record, apptest.Vars{"id": o.ID, "a": "203.00", "p": true}, &pending))
	if pending.Payment.Status != "PENDING" {
		t.Fatalf("pending payment is %s", pending.Payment.Status)
	}
	state("PARTIALLY_PAID", "100.00", "0.00", "203.00")
	// The pending charge already covers the rest.
	errs = mutate(t, fin, "recordPayment", record, apptest.Vars{"id": o.ID, "a": "0.01"}, nil)
	wantCode(t, errs, "PAYMENT_EXCEEDS_OUTSTANDING")
	must(t, mutate(t, fin, "capturePayment", `mutation($p: ID!) { capturePayment(input: {paymentId: $p}) { payment { id status } `+userErrors+` } }`,
		apptest.Vars{"p": pending.Payment.ID}, &pending))
	if pending.Payment.Status != "CAPTURED" {
		t.Fatalf("captured payment is %s", pending.Payment.Status)
	}
	s = state("PAID", "303.00", "0.00", "0.00")

	// A refund by lines is quantity × net unit price: 1 × 119.00.
	var drillLine string
	for _, l := range s.Lines {
		if l.Sku == "DRL-100" {
			drillLine = l.ID
		}
	}
	var ref struct {
		Refunds []struct{ Amount moneyView }
	}
	must(t, mutate(t, fin, "refundPayment", `mutation($id: ID!, $l: ID!) { refundPayment(input: {orderId: $id, lines: [{orderLineId: $l, quantity: 1}], reason: "damaged"}) {
		refunds { amount { amount } } `+userErrors+` } }`, apptest.Vars{"id": o.ID, "l": drillLine}, &ref))
	if len(ref.Refunds) != 1 || ref.Refunds[0].Amount.Amount != "119.00" {
		t.Fatalf("refund by lines: %+v, want one refund of 119.00", ref.Refunds)
	}
	// The order was paid in full: a refund beyond what is due is a
	// concession, credited to the customer, who owes nothing again.
	s = state("PARTIALLY_REFUNDED", "303.00", "119.00", "0.00")
	if s.Refundable.Amount != "184.00" {
		t.Fatalf("refundable %s, want 184.00", s.Refundable.Amount)
	}

	refund := `mutation($id: ID!, $a: Decimal!) { refundPayment(input: {orderId: $id, amount: $a, reason: "goodwill"}) {
		refunds { amount { amount } } ` + userErrors + ` } }`
	errs = mutate(t, fin, "refundPayment", refund, apptest.Vars{"id": o.ID, "a": "184.01"}, nil)
	if e := findError(errs, "REFUND_EXCEEDS_CAPTURED"); e == nil || field(e) != "input.amount" {
		t.Fatalf("over-refund: %+v, want REFUND_EXCEEDS_CAPTURED on input.amount", errs)
	}
	state("PARTIALLY_REFUNDED", "303.00", "119.00", "0.00")
	must(t, mutate(t, fin, "refundPayment", refund, apptest.Vars{"id": o.ID, "a": "184.00"}, nil))
	s = state("REFUNDED", "303.00", "303.00", "0.00")
	if s.Refundable.Amount != "0.00" {
		t.Errorf("refundable %s after a full refund", s.Refundable.Amount)
	}
	var sum int
	for _, l := range s.LedgerEntries {
		if l.Kind == "REFUND" {
			sum++
			if !strings.HasPrefix(l.Amount.Amount, "-") {
				t.Errorf("refund ledger entry %s is not negative", l.Amount.Amount)
			}
		}
	}
	if sum < 2 {
		t.Errorf("ledger has %d refund entries, want at least 2", sum)
	}
	assertInvariants(t, w.env)
}

func TestShipping(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 4, 10)
	var drillLine, glovesLine string
	for _, l := range o.Lines {
		switch l.Sku {
		case "DRL-100":
			drillLine = l.ID
		case "GLV-M":
			glovesLine = l.ID
		}
	}
	stockIs := func(item string, onHand, reserved int) {
		t.Helper()
		if on, res := w.available(t, item); on != onHand || res != reserved {
			t.Errorf("item %s: onHand %d reserved %d, want %d %d", item, on, res, onHand, reserved)
		}
	}
	stockIs(w.drillID, 10, 4)
	stockIs(w.glovesID, 100, 10)

	ship := `mutation($id: ID!, $lines: [LineQuantityInput!]) { shipOrder(input: {orderId: $id, carrier: "DHL", lines: $lines}) {
		order { ` + orderFields + ` } shipment { id } ` + userErrors + ` } }`
	wh := lcClient(t, w, "WAREHOUSE")
	var p struct{ Order orderView }
	must(t, mutate(t, wh, "shipOrder", ship, apptest.Vars{"id": o.ID, "lines": []apptest.Vars{{"orderLineId": drillLine, "quantity": 1}}}, &p))
	if p.Order.Status != "CONFIRMED" {
		t.Fatalf("after a partial shipment the order is %s", p.Order.Status)
	}
	for _, l := range p.Order.Lines {
		want := map[string][2]int{"DRL-100": {1, 3}, "GLV-M": {0, 10}}[l.Sku]
		if l.QuantityShipped != want[0] || l.QuantityReserved != want[1] {
			t.Errorf("line %s: shipped %d reserved %d, want %d %d", l.Sku, l.QuantityShipped, l.QuantityReserved, want[0], want[1])
		}
	}
	stockIs(w.drillID, 9, 3)
	stockIs(w.glovesID, 100, 10)

	// More than is open on the line.
	partial := w.order(t, o.ID)
	errs := mutate(t, wh, "shipOrder", ship, apptest.Vars{"id": o.ID, "lines": []apptest.Vars{
		{"orderLineId": glovesLine, "quantity": 10}, {"orderLineId": drillLine, "quantity": 4}}}, nil)
	if e := findError(errs, "INVALID"); e == nil || field(e) != "input.lines.1.quantity" || len(errs) != 1 {
		t.Fatalf("shipping 4 of 3 open drills: %+v, want INVALID on input.lines.1.quantity", errs)
	}
	if got := w.order(t, o.ID); got.Version != partial.Version {
		t.Fatalf("refused shipment changed the order")
	}
	stockIs(w.drillID, 9, 3)

	// The rest.
	must(t, mutate(t, wh, "shipOrder", ship, apptest.Vars{"id": o.ID}, &p))
	if p.Order.Status != "SHIPPED" {
		t.Fatalf("after shipping everything the order is %s", p.Order.Status)
	}
	for _, l := range p.Order.Lines {
		if l.QuantityShipped != l.Quantity || l.QuantityReserved != 0 {
			t.Errorf("line %s: shipped %d of %d, reserved %d", l.Sku, l.QuantityShipped, l.Quantity, l.QuantityReserved)
		}
	}
	stockIs(w.drillID, 6, 0)
	stockIs(w.glovesID, 90, 0)
	wantCode(t, mutate(t, wh, "shipOrder", ship, apptest.Vars{"id": o.ID}, nil), "INVALID_TRANSITION")

	must(t, lcDo(t, w, "WAREHOUSE", "markOrderDelivered", qDeliver, apptest.Vars{"id": o.ID}))
	if got := w.order(t, o.ID); got.Status != "DELIVERED" {
		t.Fatalf("after delivery the order is %s", got.Status)
	}
	// Not paid yet.
	wantCode(t, lcDo(t, w, "SALES_MANAGER", "completeOrder", qComplete, apptest.Vars{"id": o.ID}), "NOT_ALLOWED")
	if got := w.order(t, o.ID); got.Status != "DELIVERED" {
		t.Fatalf("unpaid completion left the order %s", got.Status)
	}
	must(t, lcDo(t, w, "FINANCE", "recordPayment", qPay, apptest.Vars{"id": o.ID, "a": o.Total.Amount}))
	must(t, lcDo(t, w, "SALES_MANAGER", "completeOrder", qComplete, apptest.Vars{"id": o.ID}))
	if got := w.order(t, o.ID); got.Status != "COMPLETED" || got.PaymentStatus != "PAID" {
		t.Fatalf("completed order: %s %s", got.Status, got.PaymentStatus)
	}
	assertInvariants(t, w.env)
}

// TestAvailableActions: what the state table and its guards allow in
// CONFIRMED (unpaid: PAY SHIP CANCEL VOID CORRECT; REFUND once money is
// captured), less what each role may not do, in the order of the
// OrderAction enum.
func TestAvailableActions(t *testing.T) {
	w := newWorld(t)
	o := w.createConfirmed(t, 1, 1)
	draft := lcOrder(t, w, "SALES_REP", apptest.Vars{"customerId": w.customerID, "channel": "WEB",
		"lines": []apptest.Vars{lcLine(w.glovesID, 1)}})
	paid := w.createConfirmed(t, 0, 2)
	must(t, lcDo(t, w, "FINANCE", "recordPayment", qPay, apptest.Vars{"id": paid.ID, "a": paid.Total.Amount}))
	for _, c := range []struct {
		role, id string
		want     []string
	}{
		{"ADMIN", o.ID, []string{"PAY", "SHIP", "CANCEL", "VOID", "CORRECT", "ISSUE_INVOICE"}},
		{"SALES_REP", o.ID, []string{"CANCEL", "CORRECT"}},                  // order:cancel:request, order:correct
		{"SALES_MANAGER", o.ID, []string{"CANCEL", "VOID", "CORRECT"}},      // no payments, no shipping
		{"FINANCE", o.ID, []string{"PAY", "ISSUE_INVOICE"}},                 // payment:record, invoice:issue; nothing to refund yet
		{"FINANCE", paid.ID, []string{"REFUND", "ISSUE_INVOICE"}},           // paid in full: refund:execute
		{"WAREHOUSE", o.ID, []string{"SHIP"}},                               // order:fulfil
		{"SUPPORT", o.ID, []string{"CANCEL"}},                               // order:cancel:request
		{"AUDITOR", o.ID, []string{}},                                       // reads only
		{"SALES_REP", draft.ID, []string{"UPDATE", "SUBMIT", "CANCEL"}},     // a draft
		{"ADMIN", draft.ID, []string{"UPDATE", "SUBMIT", "CANCEL", "VOID"}}, // a draft
	} {
		var out struct {
			Node *struct{ AvailableActions []string }
		}
		lcClient(t, w, c.role).MustDo(t, `query($id: ID!) { node(id: $id) { ... on Order { availableActions } } }`,
			apptest.Vars{"id": c.id}, &out)
		if out.Node == nil {
			t.Errorf("%s cannot see order %s", c.role, c.id)
			continue
		}
		if got := out.Node.AvailableActions; !slices.Equal(got, c.want) || got == nil {
			t.Errorf("availableActions as %s on %s = %v, want %v", c.role, c.id, got, c.want)
		}
	}
	assertInvariants(t, w.env)
}
