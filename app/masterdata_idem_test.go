package app_test

import (
	"encoding/json"
	"sync"
	"testing"

	"orderdesk/app/apptest"
)

// TestMasterDataRetries: a warehouse clerk on a flaky network sends the same
// receipt many times, some at once; stock is booked once. A rep retrying a
// new customer creates one customer.
func TestMasterDataRetries(t *testing.T) {
	w := newWorld(t)
	wh := w.env.As(t, "WAREHOUSE")
	before, _ := w.available(t, w.drillID)
	const receive = `mutation($id: ID!) { receiveStock(input: {stockItemId: $id, quantity: 7, note: "truck 12", idempotencyKey: "rcpt-12"}) {
		movement { id } errors { code } } }`
	var (
		wg  sync.WaitGroup
		mu  sync.Mutex
		ids = map[string]int{}
	)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var out struct {
				ReceiveStock struct {
					Movement *struct{ ID string }
					Errors   []apptest.UserError
				}
			}
			r := wh.Do(t, receive, apptest.Vars{"id": w.drillID})
			if len(r.Errors) == 0 && jsonInto(r, &out) == nil && out.ReceiveStock.Movement != nil {
				mu.Lock()
				ids[out.ReceiveStock.Movement.ID]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if after, _ := w.available(t, w.drillID); after != before+7 || len(ids) != 1 || ids[firstKey(ids)] != 10 {
		t.Fatalf("onHand %d → %d, movements named %v: want one receipt of 7 named by all 10 answers", before, after, ids)
	}
	// The same key for another quantity is refused.
	wantCode(t, mutate(t, wh, "receiveStock", `mutation($id: ID!) { receiveStock(input: {stockItemId: $id, quantity: 8, idempotencyKey: "rcpt-12"}) {
		errors { code } } }`, apptest.Vars{"id": w.drillID}, nil), "IDEMPOTENCY_KEY_REUSED")

	rep := w.env.As(t, "SALES_REP")
	const create = `mutation { createCustomer(input: {name: "Retry GmbH", idempotencyKey: "new-cust-1"}) { customer { id } errors { code } } }`
	var a, b struct{ Customer struct{ ID string } }
	must(t, mutate(t, rep, "createCustomer", create, nil, &a))
	must(t, mutate(t, rep, "createCustomer", create, nil, &b))
	if a.Customer.ID != b.Customer.ID {
		t.Fatalf("retry created a second customer: %s, %s", a.Customer.ID, b.Customer.ID)
	}
	assertInvariants(t, w.env)
}

func jsonInto(r apptest.Response, out any) error { return json.Unmarshal(r.Data, out) }

func firstKey(m map[string]int) string {
	for k := range m {
		return k
	}
	return ""
}
