package app_test

import (
	"encoding/json"
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
