package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"orderdesk/app/apptest"
	"orderdesk/ent/stockmovement"
)

// Master data through the API: customers (validation, ownership, rep
// isolation, optimistic concurrency, credit visibility, audit) and stock
// items with their receipts and adjustments.

const mdCustomerFields = `id name version email ownerId owner { id } creditLimit { amount currency }`

type mdCustomer struct {
	ID, Name    string
	Version     int
	Email       *string
	OwnerID     *string
	Owner       *struct{ ID string }
	CreditLimit *struct{ Amount, Currency string }
}

type mdCustomerPayload struct {
	Customer *mdCustomer
	Errors   []apptest.UserError
}

const mdItemFields = `id sku name version onHand reserved available active unitPrice { amount currency }`

type mdItem struct {
	ID, Sku, Name               string
	Version                     int
	OnHand, Reserved, Available int
	Active                      bool
	UnitPrice                   struct{ Amount, Currency string }
}

type mdItemPayload struct {
	StockItem *mdItem
	Errors    []apptest.UserError
}

type mdMovementPayload struct {
	StockItem *mdItem
	Movement  *struct {
		ID, Kind                             string
		Quantity, OnHandDelta, ReservedDelta int
		OnHandAfter, ReservedAfter           int
		Reason, Note                         *string
		Actor                                *struct{ ID string }
	}
	Errors []apptest.UserError
}

// mdRun runs a mutation, fails on top-level errors, decodes the payload of
// field into out and returns its errors.
func mdRun(t *testing.T, c *apptest.Client, field, query string, vars apptest.Vars, out any) []apptest.UserError {
	t.Helper()
	var data map[string]json.RawMessage
	c.MustDo(t, query, vars, &data)
	var p struct{ Errors []apptest.UserError }
	if err := json.Unmarshal(data[field], &p); err != nil {
		t.Fatalf("%s: %v in %s", field, err, data[field])
	}
	if out != nil {
		if err := json.Unmarshal(data[field], out); err != nil {
			t.Fatalf("%s: %v in %s", field, err, data[field])
		}
	}
	return p.Errors
}

func mdOK(t *testing.T, errs []apptest.UserError) {
	t.Helper()
	if len(errs) > 0 {
		t.Fatalf("unexpected payload errors: %s", mdFmt(errs))
	}
}

// mdWant asserts that errs has an error with the code on the field ("" is a
// null field).
func mdWant(t *testing.T, errs []apptest.UserError, field, code string) {
	t.Helper()
	for _, e := range errs {
		f := ""
		if e.Field != nil {
			f = *e.Field
		}
		if f == field && e.Code == code {
			return
		}
	}
	t.Errorf("want %s on %q, got %s", code, field, mdFmt(errs))
}

func mdFmt(errs []apptest.UserError) string {
	var b strings.Builder
	for _, e := range errs {
		f := "<null>"
		if e.Field != nil {
			f = *e.Field
		}
		fmt.Fprintf(&b, "[%s on %s: %s] ", e.Code, f, e.Message)
	}
	return b.String()
}

// mdOnly asserts that every error of errs has the code, and there is one.
func mdOnly(t *testing.T, errs []apptest.UserError, code string) {
	t.Helper()
	if len(errs) == 0 {
		t.Errorf("want %s, got no errors", code)
	}
	for _, e := range errs {
		if e.Code != code {
			t.Errorf("want only %s errors, got %s", code, mdFmt(errs))
			return
		}
	}
}

// mdMissing is an id of the same type as id that names no record.
func mdMissing(t *testing.T, id string) string {
	t.Helper()
	n, err := strconv.Atoi(id)
	if err != nil {
		t.Fatalf("id %q: %v", id, err)
	}
	return strconv.Itoa(n + 1000)
}

// mdBlankID is r with the id the caller sent replaced in error messages.
func mdBlankID(r apptest.Response, id string) apptest.Response {
	errs := make([]apptest.GQLError, len(r.Errors))
	for i, e := range r.Errors {
		e.Message = strings.ReplaceAll(e.Message, id, "<id>")
		errs[i] = e
	}
	r.Errors = errs
	r.Header = nil // dates and request ids differ
	return r
}

func mdCustomerCount(t *testing.T, env *apptest.Env) int {
	t.Helper()
	var out struct{ Customers struct{ TotalCount int } }
	env.As(t, "ADMIN").MustDo(t, `{ customers { totalCount } }`, nil, &out)
	return out.Customers.TotalCount
}

func mdCustomerByID(t *testing.T, env *apptest.Env, id string) mdCustomer {
	t.Helper()
	var out struct{ Node *mdCustomer }
	env.As(t, "ADMIN").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer { `+mdCustomerFields+` } } }`,
		apptest.Vars{"id": id}, &out)
	if out.Node == nil {
		t.Fatalf("customer %s not found", id)
	}
	return *out.Node
}

const mdCreateCustomer = `mutation($in: CreateCustomerInput!) { createCustomer(input: $in) {
	customer { ` + mdCustomerFields + ` } errors { code field message } } }`

const mdUpdateCustomer = `mutation($in: UpdateCustomerInput!) { updateCustomer(input: $in) {
	customer { ` + mdCustomerFields + ` } errors { code field message } } }`

// mdNewCustomer creates a customer as the sales manager.
func mdNewCustomer(t *testing.T, env *apptest.Env, name, ownerRole, creditLimit string) mdCustomer {
	t.Helper()
	in := apptest.Vars{"name": name, "creditLimit": creditLimit}
	if ownerRole != "" {
		in["ownerId"] = apptest.ID(env.Users[ownerRole].ID)
	}
	var p mdCustomerPayload
	mdOK(t, mdRun(t, env.As(t, "SALES_MANAGER"), "createCustomer", mdCreateCustomer, apptest.Vars{"in": in}, &p))
	return *p.Customer
}

func TestCreateCustomer(t *testing.T) {
	env := apptest.New(t)
	manager, rep := env.As(t, "SALES_MANAGER"), env.As(t, "SALES_REP")
	repID, rep2ID := apptest.ID(env.Users["SALES_REP"].ID), apptest.ID(env.Users["REP2"].ID)

	t.Run("OKAsManagerForRep", func(t *testing.T) {
		var p mdCustomerPayload
		mdOK(t, mdRun(t, manager, "createCustomer", mdCreateCustomer, apptest.Vars{"in": apptest.Vars{
			"name": "Globex", "email": "buyer@globex.example", "creditLimit": "15000.50", "ownerId": repID,
			"billingAddress": apptest.Vars{"line1": "1 Main St", "city": "Berlin", "country": "DE"}}}, &p))
		c := p.Customer
		if c == nil {
			t.Fatal("no customer in the payload")
		}
		if c.CreditLimit == nil || *c.CreditLimit != (struct{ Amount, Currency string }{"15000.50", "EUR"}) {
			t.Errorf("creditLimit = %+v, want 15000.50 EUR", c.CreditLimit)
		}
		if c.Owner == nil || c.Owner.ID != repID || c.OwnerID == nil || *c.OwnerID != repID {
			t.Errorf("owner = %+v (ownerId %v), want the rep %s", c.Owner, c.OwnerID, repID)
		}
		if c.Version != 1 || c.Name != "Globex" {
			t.Errorf("customer = %+v, want Globex at version 1", c)
		}
		if got := mdCustomerByID(t, env, c.ID); got.Name != "Globex" || got.CreditLimit.Amount != "15000.50" {
			t.Errorf("stored customer = %+v", got)
		}
	})

	t.Run("ErrInvalidInput", func(t *testing.T) {
		for _, limit := range []string{"-5", "1.234"} {
			t.Run(limit, func(t *testing.T) {
				before := mdCustomerCount(t, env)
				var p mdCustomerPayload
				errs := mdRun(t, manager, "createCustomer", mdCreateCustomer, apptest.Vars{"in": apptest.Vars{
					"name": "", "email": "not-an-email", "creditLimit": limit, "ownerId": repID,
					"billingAddress": apptest.Vars{"line1": "", "city": "Berlin", "country": "Germany"}}}, &p)
				for _, f := range []string{"input.name", "input.email", "input.billingAddress.line1",
					"input.billingAddress.country", "input.creditLimit"} {
					mdWant(t, errs, f, "INVALID")
				}
				mdOnly(t, errs, "INVALID")
				if p.Customer != nil {
					t.Errorf("customer = %+v, want null", p.Customer)
				}
				if after := mdCustomerCount(t, env); after != before {
					t.Errorf("customers %d → %d: an invalid customer was created", before, after)
				}
			})
		}
	})

	t.Run("ErrNoSuchCurrency", func(t *testing.T) {
		for _, cur := range []string{"QQQ", "XYZ", "EURO"} {
			var p mdCustomerPayload
			errs := mdRun(t, manager, "createCustomer", mdCreateCustomer, apptest.Vars{"in": apptest.Vars{
				"name": "Initech " + cur, "currency": cur}}, &p)
			mdWant(t, errs, "input.currency", "INVALID")
			if p.Customer != nil {
				t.Errorf("currency %s: customer %+v, want none", cur, p.Customer)
			}
		}
	})

	t.Run("OKRepOwnsOwnCustomer", func(t *testing.T) {
		var p mdCustomerPayload
		mdOK(t, mdRun(t, rep, "createCustomer", mdCreateCustomer,
			apptest.Vars{"in": apptest.Vars{"name": "Rep's own"}}, &p))
		if p.Customer == nil || p.Customer.Owner == nil || p.Customer.Owner.ID != repID {
			t.Fatalf("customer = %+v, want owned by the rep %s", p.Customer, repID)
		}
		if p.Customer.CreditLimit == nil || p.Customer.CreditLimit.Amount != "0.00" {
			t.Errorf("creditLimit = %+v, want 0.00", p.Customer.CreditLimit)
		}
	})

	t.Run("ErrRepSetsCreditLimit", func(t *testing.T) {
		before := mdCustomerCount(t, env)
		var p mdCustomerPayload
		errs := mdRun(t, rep, "createCustomer", mdCreateCustomer,
			apptest.Vars{"in": apptest.Vars{"name": "Generous", "creditLimit": "100.00"}}, &p)
		mdWant(t, errs, "input.creditLimit", "NOT_ALLOWED")
		if p.Customer != nil || mdCustomerCount(t, env) != before {
			t.Errorf("customer %+v created despite NOT_ALLOWED", p.Customer)
		}
	})

	t.Run("ErrRepSetsOtherOwner", func(t *testing.T) {
		before := mdCustomerCount(t, env)
		var p mdCustomerPayload
		errs := mdRun(t, rep, "createCustomer", mdCreateCustomer,
			apptest.Vars{"in": apptest.Vars{"name": "For my colleague", "ownerId": rep2ID}}, &p)
		mdWant(t, errs, "input.ownerId", "NOT_ALLOWED")
		if p.Customer != nil || mdCustomerCount(t, env) != before {
			t.Errorf("customer %+v created despite NOT_ALLOWED", p.Customer)
		}
	})
}

func TestCustomerRepIsolation(t *testing.T) {
	env := apptest.New(t)
	rep := env.As(t, "SALES_REP")
	repID := apptest.ID(env.Users["SALES_REP"].ID)
	mine := mdNewCustomer(t, env, "Mine", "SALES_REP", "100.00")
	theirs := mdNewCustomer(t, env, "Theirs", "REP2", "200.00")
	missing := mdMissing(t, theirs.ID)

	t.Run("OKListsOnlyOwn", func(t *testing.T) {
		var out struct {
			Customers struct {
				TotalCount int
				Edges      []struct{ Node mdCustomer }
			}
		}
		rep.MustDo(t, `{ customers(first: 100) { totalCount edges { node { `+mdCustomerFields+` } } } }`, nil, &out)
		if out.Customers.TotalCount != 1 || len(out.Customers.Edges) != 1 || out.Customers.Edges[0].Node.ID != mine.ID {
			t.Fatalf("rep lists %+v, want only %s", out.Customers, mine.ID)
		}
		for _, e := range out.Customers.Edges {
			if e.Node.Owner == nil || e.Node.Owner.ID != repID {
				t.Errorf("rep sees customer %+v of another owner", e.Node)
			}
		}
		if n := mdCustomerCount(t, env); n != 2 {
			t.Errorf("admin sees %d customers, want 2", n)
		}
	})

	// node and nodes of another rep's customer answer exactly as for an id
	// that names nothing. The *Exact subtests compare the raw responses;
	// the others first blank out the id the caller sent, which an error
	// message may echo without revealing anything.
	for _, tc := range []struct{ name, query string }{
		{"Node", `query($id: ID!) { node(id: $id) { id ... on Customer { name } } }`},
		{"Nodes", `query($id: ID!) { nodes(ids: [$id]) { id ... on Customer { name } } }`},
	} {
		other := rep.Do(t, tc.query, apptest.Vars{"id": theirs.ID})
		none := rep.Do(t, tc.query, apptest.Vars{"id": missing})
		t.Run("Err"+tc.name+"OfOtherRepLooksMissing", func(t *testing.T) {
			if len(other.Errors) == 0 || other.Errors[0].Code() != "NOT_FOUND" {
				t.Errorf("errors %+v, want NOT_FOUND", other.Errors)
			}
			a, b := mdBlankID(other, theirs.ID), mdBlankID(none, missing)
			if !reflect.DeepEqual(a, b) {
				t.Errorf("other rep's customer: %+v\nnonexistent id: %+v", a, b)
			}
		})
		t.Run("Err"+tc.name+"OfOtherRepLooksMissingExact", func(t *testing.T) {
			if !reflect.DeepEqual(other.Errors, none.Errors) || !bytes.Equal(other.Data, none.Data) || other.Status != none.Status {
				t.Errorf("other rep's customer: %d %s %+v\nnonexistent id: %d %s %+v",
					other.Status, other.Data, other.Errors, none.Status, none.Data, none.Errors)
			}
		})
	}

	t.Run("OKManagerReadsOtherRepsCustomer", func(t *testing.T) {
		var out struct{ Node *struct{ Name string } }
		env.As(t, "SALES_MANAGER").MustDo(t, `query($id: ID!) { node(id: $id) { ... on Customer { name } } }`,
			apptest.Vars{"id": theirs.ID}, &out)
		if out.Node == nil || out.Node.Name != "Theirs" {
			t.Errorf("manager reads %+v", out.Node)
		}
	})

	t.Run("ErrUpdateOtherRepsCustomerLooksMissing", func(t *testing.T) {
		var other, none mdCustomerPayload
		mdRun(t, rep, "updateCustomer", mdUpdateCustomer, apptest.Vars{"in": apptest.Vars{
			"id": theirs.ID, "expectedVersion": 1, "name": "Hijacked"}}, &other)
		mdRun(t, rep, "updateCustomer", mdUpdateCustomer, apptest.Vars{"in": apptest.Vars{
			"id": missing, "expectedVersion": 1, "name": "Hijacked"}}, &none)
		mdWant(t, other.Errors, "input.id", "NOT_FOUND")
		if !reflect.DeepEqual(other, none) {
			t.Errorf("other rep's customer: %+v\nnonexistent id: %+v", other, none)
		}
		if got := mdCustomerByID(t, env, theirs.ID); got.Name != "Theirs" || got.Version != 1 {
			t.Errorf("other rep's customer changed: %+v", got)
		}
	})
}

func TestUpdateCustomer(t *testing.T) {
	env := apptest.New(t)
	manager, finance := env.As(t, "SALES_MANAGER"), env.As(t, "FINANCE")
	c := mdNewCustomer(t, env, "Initech", "SALES_REP", "1000.00")

	t.Run("OKRename", func(t *testing.T) {
		var p mdCustomerPayload
		mdOK(t, mdRun(t, manager, "updateCustomer", mdUpdateCustomer, apptest.Vars{"in": apptest.Vars{
			"id": c.ID, "expectedVersion": 1, "name": "Initech GmbH"}}, &p))
		if p.Customer == nil || p.Customer.Name != "Initech GmbH" || p.Customer.Version != 2 {
			t.Fatalf("customer = %+v, want Initech GmbH at version 2", p.Customer)
		}
	})

	t.Run("ErrStaleVersion", func(t *testing.T) {
		var p mdCustomerPayload
		errs := mdRun(t, manager, "updateCustomer", mdUpdateCustomer, apptest.Vars{"in": apptest.Vars{
			"id": c.ID, "expectedVersion": 1, "name": "Stale write"}}, &p)
		mdWant(t, errs, "input.expectedVersion", "VERSION_CONFLICT")
		if p.Customer != nil {
			t.Errorf("customer = %+v, want null", p.Customer)
		}
		if got := mdCustomerByID(t, env, c.ID); got.Name != "Initech GmbH" || got.Version != 2 {
			t.Errorf("after a conflict: %+v, want Initech GmbH at version 2", got)
		}
	})

	t.Run("OKFinanceChangesCreditLimit", func(t *testing.T) {
		var p mdCustomerPayload
		mdOK(t, mdRun(t, finance, "updateCustomer", mdUpdateCustomer, apptest.Vars{"in": apptest.Vars{
			"id": c.ID, "expectedVersion": 2, "creditLimit": "2500"}}, &p))
		if p.Customer == nil || p.Customer.CreditLimit == nil || p.Customer.CreditLimit.Amount != "2500.00" || p.Customer.Version != 3 {
			t.Fatalf("customer = %+v, want credit 2500.00 at version 3", p.Customer)
		}
	})

	t.Run("ErrFinanceRenames", func(t *testing.T) {
		for _, in := range []apptest.Vars{
			{"id": c.ID, "expectedVersion": 3, "name": "Finance was here"},
			{"id": c.ID, "expectedVersion": 3, "name": "Finance was here", "creditLimit": "1.00"},
		} {
			r := finance.Do(t, mdUpdateCustomer, apptest.Vars{"in": in})
			if len(r.Errors) != 1 || r.Errors[0].Code() != "FORBIDDEN" {
				t.Errorf("finance renaming with %v: errors %+v, want FORBIDDEN", in, r.Errors)
			}
		}
		if got := mdCustomerByID(t, env, c.ID); got.Name != "Initech GmbH" || got.Version != 3 || got.CreditLimit.Amount != "2500.00" {
			t.Errorf("after refused renames: %+v", got)
		}
	})
}

func TestCustomerCreditLimitHidden(t *testing.T) {
	env := apptest.New(t)
	mdNewCustomer(t, env, "Alpha", "SALES_REP", "10.00")
	mdNewCustomer(t, env, "Beta", "REP2", "20.00")
	const q = `{ customers(first: 10, orderBy: {field: NAME}) { edges { node { name creditLimit { amount } } } } }`
	type page struct {
		Customers struct {
			Edges []struct {
				Node struct {
					Name        string
					CreditLimit *struct{ Amount string }
				}
			}
		}
	}

	t.Run("ErrWarehouse", func(t *testing.T) {
		r := env.As(t, "WAREHOUSE").Do(t, q, nil)
		if len(r.Errors) != 2 {
			t.Errorf("errors %+v, want one FORBIDDEN per customer", r.Errors)
		}
		paths := map[string]bool{}
		for _, e := range r.Errors {
			if e.Code() != "FORBIDDEN" || len(e.Path) == 0 || e.Path[len(e.Path)-1] != "creditLimit" {
				t.Errorf("error %+v, want FORBIDDEN at …creditLimit", e)
			}
			paths[fmt.Sprint(e.Path...)] = true
		}
		// Each error names its list element.
		for i := range 2 {
			if want := fmt.Sprint("customers", "edges", i, "node", "creditLimit"); !paths[want] {
				t.Errorf("no error at %s: %v", want, paths)
			}
		}
		var out page
		if err := json.Unmarshal(r.Data, &out); err != nil {
			t.Fatalf("data %s: %v", r.Data, err)
		}
		var names []string
		for _, e := range out.Customers.Edges {
			names = append(names, e.Node.Name)
			if e.Node.CreditLimit != nil {
				t.Errorf("warehouse sees the credit limit of %s: %+v", e.Node.Name, e.Node.CreditLimit)
			}
		}
		if !reflect.DeepEqual(names, []string{"Alpha", "Beta"}) {
			t.Errorf("warehouse sees names %v, want [Alpha Beta]", names)
		}
	})

	t.Run("OKFinance", func(t *testing.T) {
		var out page
		env.As(t, "FINANCE").MustDo(t, q, nil, &out)
		if len(out.Customers.Edges) != 2 || out.Customers.Edges[1].Node.CreditLimit == nil ||
			out.Customers.Edges[1].Node.CreditLimit.Amount != "20.00" {
			t.Errorf("finance sees %+v", out)
		}
	})
}

func TestCustomerAudit(t *testing.T) {
	env := apptest.New(t)
	manager := env.As(t, "SALES_MANAGER")
	actor := env.Users["SALES_MANAGER"].Name
	c := mdNewCustomer(t, env, "Audit Co", "SALES_REP", "50.00")
	mdOK(t, mdRun(t, manager, "updateCustomer", mdUpdateCustomer, apptest.Vars{"in": apptest.Vars{
		"id": c.ID, "expectedVersion": 1, "name": "Audit Co Renamed"}}, nil))

	const q = `{ auditEvents(first: 100, where: {subjectType: "Customer"}) { totalCount edges { node {
		action actorName actorKind subjectType subjectId before after } } } }`
	type events struct {
		AuditEvents struct {
			TotalCount int
			Edges      []struct {
				Node struct {
					Action, ActorName, ActorKind, SubjectType string
					SubjectID                                 string
					Before, After                             map[string]any
				}
			}
		}
	}

	t.Run("OKAuditorSeesCreateAndUpdate", func(t *testing.T) {
		var out events
		env.As(t, "AUDITOR").MustDo(t, q, nil, &out)
		seen := map[string]bool{}
		for _, e := range out.AuditEvents.Edges {
			n := e.Node
			if n.SubjectID != c.ID {
				continue
			}
			seen[n.Action] = true
			if n.ActorName != actor || n.ActorKind != "USER" || n.SubjectType != "Customer" {
				t.Errorf("%s by %s (%s) on %s, want by %s", n.Action, n.ActorName, n.ActorKind, n.SubjectType, actor)
			}
			switch n.Action {
			case "customer.created":
				if n.After["name"] != "Audit Co" {
					t.Errorf("customer.created after = %v, want name Audit Co", n.After)
				}
			case "customer.updated":
				if n.Before["name"] != "Audit Co" || n.After["name"] != "Audit Co Renamed" {
					t.Errorf("customer.updated before %v after %v, want the name change", n.Before, n.After)
				}
			}
		}
		if !seen["customer.created"] || !seen["customer.updated"] {
			t.Errorf("events of customer %s: %v, want customer.created and customer.updated (all: %+v)", c.ID, seen, out)
		}
	})

	t.Run("OKRepSeesNoCustomerEvents", func(t *testing.T) {
		// The customer is the rep's own, but its events belong to no order,
		// and a rep reads only the timelines of their orders.
		var out events
		env.As(t, "SALES_REP").MustDo(t, q, nil, &out)
		if out.AuditEvents.TotalCount != 0 || len(out.AuditEvents.Edges) != 0 {
			t.Errorf("rep sees %+v, want no events", out.AuditEvents)
		}
	})
}

const (
	mdCreateItem = `mutation($in: CreateStockItemInput!) { createStockItem(input: $in) {
		stockItem { ` + mdItemFields + ` } errors { code field message } } }`
	mdUpdateItem = `mutation($in: UpdateStockItemInput!) { updateStockItem(input: $in) {
		stockItem { ` + mdItemFields + ` } errors { code field message } } }`
	mdMovementFields = `stockItem { ` + mdItemFields + ` } movement { id kind quantity onHandDelta reservedDelta
		onHandAfter reservedAfter reason note actor { id } } errors { code field message }`
	mdReceive = `mutation($in: ReceiveStockInput!) { receiveStock(input: $in) { ` + mdMovementFields + ` } }`
	mdAdjust  = `mutation($in: AdjustStockInput!) { adjustStock(input: $in) { ` + mdMovementFields + ` } }`
)

func mdItemCount(t *testing.T, env *apptest.Env) int {
	t.Helper()
	var out struct{ StockItems struct{ TotalCount int } }
	env.As(t, "ADMIN").MustDo(t, `{ stockItems { totalCount } }`, nil, &out)
	return out.StockItems.TotalCount
}

// mdItemState is an item as stored, with the number of its movements.
func mdItemState(t *testing.T, env *apptest.Env, id string) (mdItem, int) {
	t.Helper()
	var out struct {
		Node           *mdItem
		StockMovements struct{ TotalCount int }
	}
	env.As(t, "WAREHOUSE").MustDo(t, `query($id: ID!) { node(id: $id) { ... on StockItem { `+mdItemFields+` } }
		stockMovements(where: {hasStockItemWith: [{id: $id}]}) { totalCount } }`, apptest.Vars{"id": id}, &out)
	if out.Node == nil {
		t.Fatalf("stock item %s not found", id)
	}
	return *out.Node, out.StockMovements.TotalCount
}

func TestStock(t *testing.T) {
	env := apptest.New(t)
	wh := env.As(t, "WAREHOUSE")
	var item mdItem

	t.Run("OKCreateItem", func(t *testing.T) {
		var p mdItemPayload
		mdOK(t, mdRun(t, wh, "createStockItem", mdCreateItem, apptest.Vars{"in": apptest.Vars{
			"sku": "ABC-1", "name": "Angle bracket", "unitPrice": "12.5"}}, &p))
		if p.StockItem == nil {
			t.Fatal("no stock item in the payload")
		}
		item = *p.StockItem
		if item.Sku != "ABC-1" || item.UnitPrice.Amount != "12.50" || item.UnitPrice.Currency != "EUR" ||
			item.OnHand != 0 || item.Reserved != 0 || item.Available != 0 || item.Version != 1 || !item.Active {
			t.Errorf("created %+v, want ABC-1 at 12.50 EUR with no stock, version 1", item)
		}
	})
	if item.ID == "" {
		t.FailNow()
	}

	t.Run("ErrDuplicateSKU", func(t *testing.T) {
		before := mdItemCount(t, env)
		for _, sku := range []string{"ABC-1", " ABC-1 "} {
			var p mdItemPayload
			errs := mdRun(t, wh, "createStockItem", mdCreateItem, apptest.Vars{"in": apptest.Vars{
				"sku": sku, "name": "Another bracket", "unitPrice": "1.00"}}, &p)
			mdWant(t, errs, "input.sku", "DUPLICATE")
			if p.StockItem != nil {
				t.Errorf("stockItem = %+v, want null", p.StockItem)
			}
		}
		if after := mdItemCount(t, env); after != before {
			t.Errorf("stock items %d → %d after duplicates", before, after)
		}
	})

	t.Run("ErrInvalidInput", func(t *testing.T) {
		// Well-formed decimals the domain refuses; "abc" is no Decimal at
		// all, a top-level BAD_USER_INPUT (httpapi TestHygiene_MalformedScalars).
		for _, price := range []string{"1.001", "-1"} {
			t.Run(price, func(t *testing.T) {
				before := mdItemCount(t, env)
				var p mdItemPayload
				errs := mdRun(t, wh, "createStockItem", mdCreateItem, apptest.Vars{"in": apptest.Vars{
					"sku": " ", "name": "", "unitPrice": price}}, &p)
				for _, f := range []string{"input.sku", "input.name", "input.unitPrice"} {
					mdWant(t, errs, f, "INVALID")
				}
				mdOnly(t, errs, "INVALID")
				if p.StockItem != nil {
					t.Errorf("stockItem = %+v, want null", p.StockItem)
				}
				if after := mdItemCount(t, env); after != before {
					t.Errorf("stock items %d → %d after invalid input", before, after)
				}
			})
		}
	})

	t.Run("OKUpdateItem", func(t *testing.T) {
		var p mdItemPayload
		mdOK(t, mdRun(t, wh, "updateStockItem", mdUpdateItem, apptest.Vars{"in": apptest.Vars{
			"id": item.ID, "expectedVersion": 1, "name": "Angle bracket, zinc", "unitPrice": "13"}}, &p))
		if p.StockItem == nil || p.StockItem.Name != "Angle bracket, zinc" || p.StockItem.UnitPrice.Amount != "13.00" || p.StockItem.Version != 2 {
			t.Fatalf("updated %+v", p.StockItem)
		}
	})

	t.Run("ErrUpdateStaleVersion", func(t *testing.T) {
		var p mdItemPayload
		errs := mdRun(t, wh, "updateStockItem", mdUpdateItem, apptest.Vars{"in": apptest.Vars{
			"id": item.ID, "expectedVersion": 1, "name": "Stale"}}, &p)
		mdWant(t, errs, "input.expectedVersion", "VERSION_CONFLICT")
		if got, _ := mdItemState(t, env, item.ID); got.Name != "Angle bracket, zinc" || got.Version != 2 || p.StockItem != nil {
			t.Errorf("after a conflict: %+v (payload %+v)", got, p.StockItem)
		}
	})

	t.Run("ErrUpdateUnknownItem", func(t *testing.T) {
		// The failure names the input field the id came in: input.id.
		errs := mdRun(t, wh, "updateStockItem", mdUpdateItem, apptest.Vars{"in": apptest.Vars{
			"id": mdMissing(t, item.ID), "expectedVersion": 1, "name": "Ghost"}}, nil)
		mdWant(t, errs, "input.id", "NOT_FOUND")
	})

	// unchanged asserts that a refused movement left the item alone.
	unchanged := func(t *testing.T, want mdItem, wantMoves int) {
		t.Helper()
		got, moves := mdItemState(t, env, item.ID)
		if got != want || moves != wantMoves {
			t.Errorf("item %+v with %d movements, want %+v with %d", got, moves, want, wantMoves)
		}
	}

	t.Run("OKReceive", func(t *testing.T) {
		var p mdMovementPayload
		mdOK(t, mdRun(t, wh, "receiveStock", mdReceive, apptest.Vars{"in": apptest.Vars{
			"stockItemId": item.ID, "quantity": 10, "note": "delivery 4711"}}, &p))
		m := p.Movement
		if p.StockItem == nil || p.StockItem.OnHand != 10 || p.StockItem.Available != 10 || m == nil {
			t.Fatalf("payload %+v", p)
		}
		if m.Kind != "RECEIPT" || m.Quantity != 10 || m.OnHandDelta != 10 || m.ReservedDelta != 0 || m.OnHandAfter != 10 ||
			m.Actor == nil || m.Actor.ID != apptest.ID(env.Users["WAREHOUSE"].ID) {
			t.Errorf("movement %+v, want a RECEIPT of 10 by the warehouse user", m)
		}
	})

	t.Run("ErrReceiveQuantity", func(t *testing.T) {
		want, moves := mdItemState(t, env, item.ID)
		for _, q := range []int{0, -1, 1000001} {
			var p mdMovementPayload
			errs := mdRun(t, wh, "receiveStock", mdReceive, apptest.Vars{"in": apptest.Vars{
				"stockItemId": item.ID, "quantity": q}}, &p)
			mdWant(t, errs, "input.quantity", "INVALID")
			if p.Movement != nil || p.StockItem != nil {
				t.Errorf("quantity %d: payload %+v", q, p)
			}
		}
		unchanged(t, want, moves)
	})

	t.Run("ErrReceiveUnknownItem", func(t *testing.T) {
		want, moves := mdItemState(t, env, item.ID)
		var p mdMovementPayload
		errs := mdRun(t, wh, "receiveStock", mdReceive, apptest.Vars{"in": apptest.Vars{
			"stockItemId": mdMissing(t, item.ID), "quantity": 5}}, &p)
		mdWant(t, errs, "input.stockItemId", "NOT_FOUND")
		if p.Movement != nil || p.StockItem != nil {
			t.Errorf("payload %+v", p)
		}
		unchanged(t, want, moves)
	})

	adjust := func(t *testing.T, delta int, reason string, note *string) mdMovementPayload {
		t.Helper()
		in := apptest.Vars{"stockItemId": item.ID, "delta": delta, "reason": reason}
		if note != nil {
			in["note"] = *note
		}
		var p mdMovementPayload
		mdRun(t, wh, "adjustStock", mdAdjust, apptest.Vars{"in": in}, &p)
		return p
	}

	t.Run("OKCountCorrection", func(t *testing.T) {
		p := adjust(t, -3, "COUNT_CORRECTION", nil)
		mdOK(t, p.Errors)
		if p.StockItem.OnHand != 7 || p.Movement.Kind != "ADJUSTMENT" || p.Movement.Quantity != 3 ||
			p.Movement.OnHandDelta != -3 || p.Movement.OnHandAfter != 7 {
			t.Errorf("payload item %+v movement %+v, want an ADJUSTMENT of -3 to 7", p.StockItem, p.Movement)
		}
	})

	t.Run("OKDamagedIsWriteOff", func(t *testing.T) {
		p := adjust(t, -2, "DAMAGED", nil)
		mdOK(t, p.Errors)
		if p.StockItem.OnHand != 5 || p.Movement.Kind != "WRITE_OFF" || p.Movement.Quantity != 2 || p.Movement.OnHandDelta != -2 {
			t.Errorf("payload item %+v movement %+v, want a WRITE_OFF of 2 to 5", p.StockItem, p.Movement)
		}
	})

	t.Run("ErrDamagedPositive", func(t *testing.T) {
		want, moves := mdItemState(t, env, item.ID)
		p := adjust(t, 2, "DAMAGED", nil)
		mdWant(t, p.Errors, "input.delta", "INVALID")
		mdOnly(t, p.Errors, "INVALID")
		unchanged(t, want, moves)
	})

	t.Run("ErrOtherWithoutNote", func(t *testing.T) {
		want, moves := mdItemState(t, env, item.ID)
		blank := "   "
		for _, note := range []*string{nil, &blank} {
			p := adjust(t, 1, "OTHER", note)
			mdWant(t, p.Errors, "input.note", "INVALID")
			mdOnly(t, p.Errors, "INVALID")
		}
		unchanged(t, want, moves)
	})

	t.Run("OKOtherWithNote", func(t *testing.T) {
		note := "found behind the shelf"
		p := adjust(t, 1, "OTHER", &note)
		mdOK(t, p.Errors)
		if p.StockItem.OnHand != 6 || p.Movement.Kind != "ADJUSTMENT" || p.Movement.Note == nil || *p.Movement.Note != note {
			t.Errorf("payload item %+v movement %+v", p.StockItem, p.Movement)
		}
	})

	t.Run("ErrBelowZero", func(t *testing.T) {
		want, moves := mdItemState(t, env, item.ID)
		p := adjust(t, -(want.OnHand + 1), "COUNT_CORRECTION", nil)
		mdOnly(t, p.Errors, "INSUFFICIENT_STOCK")
		if p.StockItem != nil || p.Movement != nil {
			t.Errorf("payload %+v", p)
		}
		unchanged(t, want, moves)
	})

	t.Run("ErrBelowReserved", func(t *testing.T) {
		id, err := strconv.Atoi(item.ID)
		if err != nil {
			t.Fatal(err)
		}
		env.DB.Client.StockItem.UpdateOneID(id).SetReserved(4).ExecX(env.Sys)
		want, moves := mdItemState(t, env, item.ID) // 6 on hand, 4 reserved
		if want.OnHand != 6 || want.Reserved != 4 || want.Available != 2 {
			t.Fatalf("arranged %+v, want 6 on hand, 4 reserved", want)
		}
		for _, tc := range []struct {
			delta  int
			reason string
		}{{-3, "COUNT_CORRECTION"}, {-3, "LOST"}, {-6, "DAMAGED"}} {
			p := adjust(t, tc.delta, tc.reason, nil)
			mdOnly(t, p.Errors, "INSUFFICIENT_STOCK")
		}
		unchanged(t, want, moves)
		// Down to exactly the reserved quantity is fine.
		p := adjust(t, -2, "COUNT_CORRECTION", nil)
		mdOK(t, p.Errors)
		if p.StockItem.OnHand != 4 || p.StockItem.Reserved != 4 || p.StockItem.Available != 0 {
			t.Errorf("after -2: %+v, want 4 on hand, all reserved", p.StockItem)
		}
	})

	t.Run("ErrUnknownItemAdjust", func(t *testing.T) {
		p := adjust(t, 1, "FOUND", nil)
		mdOK(t, p.Errors) // the real item, as a control
		in := apptest.Vars{"stockItemId": mdMissing(t, item.ID), "delta": 1, "reason": "FOUND"}
		errs := mdRun(t, wh, "adjustStock", mdAdjust, apptest.Vars{"in": in}, nil)
		mdWant(t, errs, "input.stockItemId", "NOT_FOUND")
	})

	t.Run("OKLedger", func(t *testing.T) {
		// Through the API: the item's movements add up to its onHand.
		var out struct {
			Node           mdItem
			StockMovements struct {
				TotalCount int
				Edges      []struct {
					Node struct{ OnHandDelta, ReservedDelta int }
				}
			}
		}
		wh.MustDo(t, `query($id: ID!) { node(id: $id) { ... on StockItem { `+mdItemFields+` } }
			stockMovements(first: 100, where: {hasStockItemWith: [{id: $id}]}) { totalCount edges { node { onHandDelta reservedDelta } } } }`,
			apptest.Vars{"id": item.ID}, &out)
		sum := 0
		for _, e := range out.StockMovements.Edges {
			sum += e.Node.OnHandDelta
		}
		if out.StockMovements.TotalCount != len(out.StockMovements.Edges) || out.Node.OnHand != sum || out.Node.OnHand != 5 {
			t.Errorf("%s: onHand %d, Σ onHandDelta %d over %d of %d movements, want 5",
				out.Node.Sku, out.Node.OnHand, sum, len(out.StockMovements.Edges), out.StockMovements.TotalCount)
		}

		// In the database: every item. The reserved quantity of ABC-1 was
		// set directly, without a movement, so only the others must match
		// their movements' reservedDelta.
		for _, it := range env.DB.Client.StockItem.Query().WithMovements().AllX(env.Sys) {
			var on, res int
			for _, m := range it.Edges.Movements {
				on += m.OnHandDelta
				res += m.ReservedDelta
				if m.Kind == stockmovement.KindRESERVATION {
					t.Errorf("%s: unexpected reservation %d", it.Sku, m.ID)
				}
			}
			if it.OnHand != on || it.Reserved < 0 || it.Reserved > it.OnHand {
				t.Errorf("%s: onHand %d (Σ movements %d), reserved %d", it.Sku, it.OnHand, on, it.Reserved)
			}
			if it.Sku != "ABC-1" && it.Reserved != res {
				t.Errorf("%s: reserved %d, Σ movements %d", it.Sku, it.Reserved, res)
			}
		}
	})
}
