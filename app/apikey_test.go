package app_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"orderdesk/app/apptest"
)

type apiKeyView struct {
	ID, Name, Prefix string
	LastUsedAt       *string
	RevokedAt        *string
	User             struct{ ID string }
}

const apiKeyFields = `id name prefix lastUsedAt revokedAt user { id }`

// whoAmI asks for the viewer's role with the given headers; "" when the
// request is not signed in.
func whoAmI(t *testing.T, env *apptest.Env, headers map[string]string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, env.URL+"/graphql", strings.NewReader(`{"query":"{ me { role } }"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct {
		Data struct{ Me *struct{ Role string } }
	}
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	if out.Data.Me == nil {
		return ""
	}
	return out.Data.Me.Role
}

// TestAPIKey_CreateUseRevokeExpire: an administrator makes a key for the
// integrator's machine account; the key (shown once) acts as that account
// as a bearer or X-Api-Key, and its last use is kept; a wrong key, a
// revoked one (from the next request on) and an expired one are refused.
// Only user managers make and revoke keys.
func TestAPIKey_CreateUseRevokeExpire(t *testing.T) {
	env := apptest.New(t)
	admin := env.As(t, "ADMIN")
	integrator := apptest.ID(env.Users["INTEGRATOR"].ID)
	const create = `mutation($u: ID!, $n: String!, $e: Time) { createApiKey(input: {userId: $u, name: $n, expiresAt: $e}) {
		apiKey { ` + apiKeyFields + ` } secret ` + userErrors + ` } }`
	var p struct {
		APIKey apiKeyView `json:"apiKey"`
		Secret string
	}
	must(t, mutate(t, admin, "createApiKey", create, apptest.Vars{"u": integrator, "n": "ERP sync"}, &p))
	if !strings.HasPrefix(p.Secret, "od_") || !strings.HasPrefix(p.Secret, p.APIKey.Prefix) || p.APIKey.User.ID != integrator {
		t.Fatalf("created %+v with secret %q", p.APIKey, p.Secret)
	}
	if role := whoAmI(t, env, map[string]string{"Authorization": "Bearer " + p.Secret}); role != "INTEGRATOR" {
		t.Fatalf("as a bearer the key acts as %q", role)
	}
	if role := whoAmI(t, env, map[string]string{"X-Api-Key": p.Secret}); role != "INTEGRATOR" {
		t.Fatalf("as X-Api-Key the key acts as %q", role)
	}
	if role := whoAmI(t, env, map[string]string{"X-Api-Key": p.Secret + "x"}); role != "" {
		t.Fatalf("a wrong key acts as %q", role)
	}
	var keys struct {
		APIKeys struct{ Edges []struct{ Node apiKeyView } } `json:"apiKeys"`
	}
	admin.MustDo(t, `{ apiKeys(first: 10) { edges { node { `+apiKeyFields+` } } } }`, nil, &keys)
	if len(keys.APIKeys.Edges) != 1 || keys.APIKeys.Edges[0].Node.LastUsedAt == nil {
		t.Fatalf("keys: %+v", keys)
	}

	if r := env.As(t, "SALES_MANAGER").Do(t, create, apptest.Vars{"u": integrator, "n": "mine"}); len(r.Errors) == 0 {
		t.Fatal("a sales manager created an API key")
	}
	must(t, mutate(t, admin, "revokeApiKey", `mutation($id: ID!) { revokeApiKey(input: {id: $id}) { apiKey { revokedAt } `+userErrors+` } }`,
		apptest.Vars{"id": p.APIKey.ID}, nil))
	if role := whoAmI(t, env, map[string]string{"Authorization": "Bearer " + p.Secret}); role != "" {
		t.Fatalf("a revoked key acts as %q", role)
	}

	soon := time.Now().Add(time.Second).UTC().Format(time.RFC3339Nano)
	must(t, mutate(t, admin, "createApiKey", create, apptest.Vars{"u": integrator, "n": "short", "e": soon}, &p))
	if role := whoAmI(t, env, map[string]string{"X-Api-Key": p.Secret}); role != "INTEGRATOR" {
		t.Fatalf("before it expires the key acts as %q", role)
	}
	time.Sleep(1100 * time.Millisecond)
	if role := whoAmI(t, env, map[string]string{"X-Api-Key": p.Secret}); role != "" {
		t.Fatalf("an expired key acts as %q", role)
	}
}
