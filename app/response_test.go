package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"orderdesk/app/apptest"
)

// TestConcurrentPagesEachGetTheirOwnAnswer: queries answered at once each
// get their own result, whole, although the buffers results are written
// into are reused from one query to the next.
func TestConcurrentPagesEachGetTheirOwnAnswer(t *testing.T) {
	env := apptest.New(t)
	seedOrders(t, env, 30)
	c := env.As(t, "SALES_MANAGER")
	type page struct {
		Orders struct {
			Edges []struct{ Node struct{ ID, Number string } }
		}
	}
	// What each page size answers when asked alone.
	want := map[int][]string{}
	for n := 1; n <= 30; n += 4 {
		var p page
		c.MustDo(t, listPage, apptest.Vars{"n": n}, &p)
		for _, e := range p.Orders.Edges {
			want[n] = append(want[n], e.Node.ID+" "+e.Node.Number)
		}
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 12 {
				n := 1 + 4*((g+i)%8)
				r := c.Do(t, listPage, apptest.Vars{"n": n})
				var p page
				if err := json.Unmarshal(r.Data, &p); err != nil || len(r.Errors) > 0 {
					t.Errorf("page of %d: %v %v", n, err, r.Errors)
					return
				}
				var got []string
				for _, e := range p.Orders.Edges {
					got = append(got, e.Node.ID+" "+e.Node.Number)
				}
				if !slices.Equal(got, want[n]) {
					t.Errorf("page of %d answered at once with others:\n%v\nwant\n%v", n, got, want[n])
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestSelectionsFollowEachOperationsVariables: objects collect their
// selected fields once per operation (graph/generated collectFields): the
// same query text selects what each operation's variables include, also
// while operations run at once, and one selection set collected for two
// types selects each type's own fields.
func TestSelectionsFollowEachOperationsVariables(t *testing.T) {
	env := apptest.New(t)
	seedOrders(t, env, 3)
	c := env.As(t, "SALES_MANAGER")
	const q = `query($number: Boolean!, $sku: Boolean!) { orders(first: 3) { edges { node {
		id number @include(if: $number) lines { sku @include(if: $sku) quantity } } } } }`
	check := func(number, sku bool) error {
		r := c.Do(t, q, apptest.Vars{"number": number, "sku": sku})
		if len(r.Errors) > 0 {
			return fmt.Errorf("%v", r.Errors)
		}
		var p struct {
			Orders struct {
				Edges []struct{ Node map[string]json.RawMessage }
			}
		}
		if err := json.Unmarshal(r.Data, &p); err != nil {
			return err
		}
		if len(p.Orders.Edges) != 3 {
			return fmt.Errorf("%d orders, want 3", len(p.Orders.Edges))
		}
		for _, e := range p.Orders.Edges {
			_, hasNumber := e.Node["number"]
			var lines []map[string]json.RawMessage
			if err := json.Unmarshal(e.Node["lines"], &lines); err != nil || len(lines) == 0 {
				return fmt.Errorf("lines %s: %v", e.Node["lines"], err)
			}
			_, hasSku := lines[0]["sku"]
			if hasNumber != number || hasSku != sku {
				return fmt.Errorf("number %t, sku %t included; asked %t, %t", hasNumber, hasSku, number, sku)
			}
		}
		return nil
	}
	// One selection set, collected for an order and for a customer.
	var first struct {
		Orders struct {
			Edges []struct {
				Node struct {
					ID       string
					Customer struct{ ID string }
				}
			}
		}
	}
	c.MustDo(t, `{ orders(first: 1) { edges { node { id customer { id } } } } }`, nil, &first)
	order := first.Orders.Edges[0].Node
	var both struct {
		Nodes []map[string]string
	}
	c.MustDo(t, `query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Order { number } ... on Customer { name } } }`,
		apptest.Vars{"ids": []string{order.ID, order.Customer.ID}}, &both)
	if len(both.Nodes) != 2 || both.Nodes[0]["number"] == "" || both.Nodes[0]["name"] != "" ||
		both.Nodes[1]["name"] == "" || both.Nodes[1]["number"] != "" {
		t.Errorf("an order and a customer under one selection: %v, want the order's number and the customer's name", both.Nodes)
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 8 {
				number, sku := (g+i)%2 == 0, (g+i)%4 < 2
				if err := check(number, sku); err != nil {
					t.Errorf("number %t, sku %t: %v", number, sku, err)
					return
				}
			}
		})
	}
	wg.Wait()
}
