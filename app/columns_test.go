package app_test

import (
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"orderdesk/app/apptest"
	"orderdesk/demo"
)

// TestEveryFieldReadsTheSameAlone: a query selects only the columns its
// fields read (ent/template/collection.tmpl, schema.ReadsColumns). Every
// field of every type a page of orders reaches reads the same when asked
// for alone (with the id) as when asked for with all the others, a query
// that selects every column. The demo data has orders in every state, with
// refunds, returns, corrections, complaints and invoices.
func TestEveryFieldReadsTheSameAlone(t *testing.T) {
	env := apptest.New(t)
	if err := demo.Seed(env.Sys, env.App, io.Discard); err != nil {
		t.Fatal(err)
	}
	c := env.As(t, "ADMIN")
	orders := func(inner string) string {
		return `{ orders(first: 20) { edges { node { id ` + inner + ` } } } }`
	}
	for _, tc := range []struct{ typ, query string }{
		{"Order", orders("__typename %s")},
		{"OrderLine", orders("lines { id __typename %s }")},
		{"Payment", orders("payments { id __typename %s }")},
		{"Customer", orders("customer { id __typename %s }")},
		{"User", orders("owner { id __typename %s }")},
		{"StockItem", orders("lines { id stockItem { id __typename %s } }")},
		{"Shipment", orders("shipments { id __typename %s }")},
		{"LedgerEntry", orders("ledgerEntries { id __typename %s }")},
		{"CancellationRecord", orders("cancellations { id __typename %s }")},
		{"ReturnOrder", orders("returns { id __typename %s }")},
		{"OrderCorrection", orders("corrections { id __typename %s }")},
		{"Complaint", orders("complaints { id __typename %s }")},
		{"Invoice", orders("invoices { id __typename %s }")},
		{"Contact", orders("contacts(first: 2) { edges { node { id __typename %s } } }")},
		{"CustomerNotice", orders("notices { id __typename %s }")},
	} {
		t.Run(tc.typ, func(t *testing.T) {
			fields := selectableFields(t, c, tc.typ)
			var all map[string]any
			c.MustDo(t, fmt.Sprintf(tc.query, strings.Join(fields, " ")), nil, &all)
			if !reaches(all, tc.typ) {
				t.Fatalf("the demo data has no %s on its orders' pages", tc.typ)
			}
			for _, f := range fields {
				var alone map[string]any
				c.MustDo(t, fmt.Sprintf(tc.query, f), nil, &alone)
				if diff := subsetDiff(alone, all, ""); diff != "" {
					t.Errorf("%s asked alone reads differently: %s", f, diff)
				}
			}
		})
	}
}

// selectableFields is a selection of each field of typ that takes no
// required argument: leaves as they are, objects with their leaves.
func selectableFields(t *testing.T, c *apptest.Client, typ string) []string {
	t.Helper()
	const q = `query($t: String!) { __type(name: $t) { fields { name args { type { kind } }
		type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`
	type typeRef struct {
		Kind, Name string
		OfType     *typeRef
	}
	type field struct {
		Name string
		Args []struct{ Type struct{ Kind string } }
		Type typeRef
	}
	introspect := func(name string) []field {
		var out struct {
			Type struct{ Fields []field } `json:"__type"`
		}
		c.MustDo(t, q, apptest.Vars{"t": name}, &out)
		return out.Type.Fields
	}
	named := func(r typeRef) typeRef {
		for r.OfType != nil {
			r = *r.OfType
		}
		return r
	}
	required := func(f field) bool {
		for _, a := range f.Args {
			if a.Type.Kind == "NON_NULL" {
				return true
			}
		}
		return false
	}
	leaf := func(r typeRef) bool { return r.Kind == "SCALAR" || r.Kind == "ENUM" }
	var sel []string
	for _, f := range introspect(typ) {
		if required(f) {
			continue
		}
		switch inner := named(f.Type); {
		case leaf(inner):
			sel = append(sel, f.Name)
		case inner.Kind == "OBJECT":
			var leaves []string
			for _, g := range introspect(inner.Name) {
				if !required(g) && leaf(named(g.Type)) {
					leaves = append(leaves, g.Name)
				}
			}
			sel = append(sel, f.Name+" { __typename "+strings.Join(leaves, " ")+" }")
		default:
			sel = append(sel, f.Name+" { __typename }")
		}
	}
	return sel
}

// reaches reports whether v holds an object of GraphQL type typ.
func reaches(v any, typ string) bool {
	switch v := v.(type) {
	case map[string]any:
		if v["__typename"] == typ {
			return true
		}
		for _, e := range v {
			if reaches(e, typ) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if reaches(e, typ) {
				return true
			}
		}
	}
	return false
}

// subsetDiff describes where sub differs from the part of full it selects:
// every key of sub's objects must hold the same in full's; list elements
// with an id are matched by id, others by position.
func subsetDiff(sub, full any, path string) string {
	switch s := sub.(type) {
	case map[string]any:
		f, ok := full.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: %v, want %v", path, sub, full)
		}
		for k, v := range s {
			if d := subsetDiff(v, f[k], path+"."+k); d != "" {
				return d
			}
		}
	case []any:
		f, ok := full.([]any)
		if !ok || len(f) != len(s) {
			return fmt.Sprintf("%s: %v, want %v", path, sub, full)
		}
		byID := map[any]any{}
		for _, e := range f {
			if m, ok := e.(map[string]any); ok && m["id"] != nil {
				byID[m["id"]] = e
			}
		}
		for i, e := range s {
			want := f[i]
			if m, ok := e.(map[string]any); ok && m["id"] != nil {
				want = byID[m["id"]]
			}
			if d := subsetDiff(e, want, fmt.Sprintf("%s[%d]", path, i)); d != "" {
				return d
			}
		}
	default:
		if !reflect.DeepEqual(sub, full) {
			return fmt.Sprintf("%s: %v, want %v", path, sub, full)
		}
	}
	return ""
}
