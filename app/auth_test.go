package app_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"orderdesk/app"
	"orderdesk/app/apptest"
	"orderdesk/store/storetest"
)

const loginMutation = `mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {
	session { accessToken refreshToken user { email } } errors { code field message } } }`

type sessionPayload struct {
	Session *struct {
		AccessToken, RefreshToken string
		User                      struct{ Email string }
	}
	Errors []apptest.UserError
}

func login(t *testing.T, c *apptest.Client, email, password string) sessionPayload {
	t.Helper()
	var out struct{ Login sessionPayload }
	c.MustDo(t, loginMutation, apptest.Vars{"e": email, "p": password}, &out)
	return out.Login
}

func refresh(t *testing.T, c *apptest.Client, token string) sessionPayload {
	t.Helper()
	var out struct{ RefreshToken sessionPayload }
	c.MustDo(t, `mutation($t: String!) { refreshToken(input: {refreshToken: $t}) {
		session { accessToken refreshToken user { email } } errors { code field message } } }`,
		apptest.Vars{"t": token}, &out)
	return out.RefreshToken
}

func TestLogin(t *testing.T) {
	env := apptest.New(t)
	anon := env.As(t, "")
	email := env.Users["SALES_REP"].Email

	t.Run("OK", func(t *testing.T) {
		s := login(t, anon, "  "+email+" ", apptest.Password)
		if len(s.Errors) > 0 || s.Session == nil || s.Session.User.Email != email {
			t.Fatalf("login = %+v", s)
		}
		c := &apptest.Client{Token: s.Session.AccessToken}
		*c = *env.As(t, "")
		c.Token = s.Session.AccessToken
		var me struct{ Me struct{ Role string } }
		c.MustDo(t, `{ me { role } }`, nil, &me)
		if me.Me.Role != "SALES_REP" {
			t.Fatalf("me.role = %q", me.Me.Role)
		}
	})
	t.Run("ErrSameAnswerForWrongEmailAndPassword", func(t *testing.T) {
		a := login(t, anon, email, "wrong-password-x")
		b := login(t, anon, "nobody@test.local", apptest.Password)
		if len(a.Errors) != 1 || len(b.Errors) != 1 || a.Errors[0] != b.Errors[0] || a.Errors[0].Code != "INVALID_CREDENTIALS" {
			t.Fatalf("wrong password %+v, unknown email %+v: want the same INVALID_CREDENTIALS", a.Errors, b.Errors)
		}
	})
	t.Run("ErrThrottled", func(t *testing.T) {
		victim := env.Users["SUPPORT"].Email
		var last sessionPayload
		for range 7 {
			last = login(t, anon, victim, "wrong-password-x")
		}
		if len(last.Errors) != 1 || last.Errors[0].Code != "TOO_MANY_ATTEMPTS" {
			t.Fatalf("after 7 failures: %+v, want TOO_MANY_ATTEMPTS", last.Errors)
		}
		// Even the right password waits out the back-off.
		if s := login(t, anon, victim, apptest.Password); len(s.Errors) == 0 {
			t.Fatal("throttled account signed in")
		}
	})
	t.Run("ErrDeactivated", func(t *testing.T) {
		admin := env.As(t, "ADMIN")
		finance := env.As(t, "FINANCE")
		var out struct {
			UpdateUser struct{ Errors []apptest.UserError }
		}
		admin.MustDo(t, `mutation($id: ID!) { updateUser(input: {id: $id, active: false}) { errors { code } } }`,
			apptest.Vars{"id": apptest.ID(env.Users["FINANCE"].ID)}, &out)
		if len(out.UpdateUser.Errors) > 0 {
			t.Fatal(out.UpdateUser.Errors)
		}
		if r := finance.Do(t, `{ me { role } }`, nil); fmt.Sprint(r.Codes()) != "[UNAUTHENTICATED]" {
			t.Fatalf("deactivated user's token still works: %+v", r.Errors)
		}
		if s := login(t, anon, env.Users["FINANCE"].Email, apptest.Password); len(s.Errors) == 0 {
			t.Fatal("deactivated user signed in")
		}
	})
}

func TestRefreshTokenRotation(t *testing.T) {
	env := apptest.New(t)
	anon := env.As(t, "")
	first := login(t, anon, env.Users["AUDITOR"].Email, apptest.Password)

	second := refresh(t, anon, first.Session.RefreshToken)
	if len(second.Errors) > 0 || second.Session.RefreshToken == first.Session.RefreshToken {
		t.Fatalf("refresh = %+v", second)
	}
	// A client that lost the answer retries with the spent token: within
	// the grace window it gets the same session, not a sign-out.
	retried := refresh(t, anon, first.Session.RefreshToken)
	if len(retried.Errors) > 0 || retried.Session.RefreshToken != second.Session.RefreshToken {
		t.Fatalf("retried refresh = %+v, want the refresh token %s again", retried, second.Session.RefreshToken)
	}
	me := &apptest.Client{}
	*me = *anon
	me.Token = retried.Session.AccessToken
	if r := me.Do(t, `{ me { role } }`, nil); len(r.Errors) > 0 {
		t.Fatalf("the retry's access token: %+v", r.Errors)
	}
	third := refresh(t, anon, second.Session.RefreshToken)
	if len(third.Errors) > 0 {
		t.Fatalf("refreshing the retried session: %+v", third.Errors)
	}
	// Once the session has moved on, the first token again is theft: it
	// fails and revokes the family, so the newest token stops working too.
	if reuse := refresh(t, anon, first.Session.RefreshToken); len(reuse.Errors) != 1 || reuse.Errors[0].Code != "INVALID_TOKEN" {
		t.Fatalf("reuse = %+v, want INVALID_TOKEN", reuse)
	}
	if after := refresh(t, anon, third.Session.RefreshToken); len(after.Errors) != 1 {
		t.Fatalf("family not revoked after reuse: %+v", after)
	}

	t.Run("Logout", func(t *testing.T) {
		s := login(t, anon, env.Users["AUDITOR"].Email, apptest.Password)
		var out struct{ Logout struct{ Ok bool } }
		anon.MustDo(t, `mutation($t: String!) { logout(input: {refreshToken: $t}) { ok } }`,
			apptest.Vars{"t": s.Session.RefreshToken}, &out)
		if !out.Logout.Ok {
			t.Fatal("logout not ok")
		}
		if r := refresh(t, anon, s.Session.RefreshToken); len(r.Errors) != 1 {
			t.Fatal("refresh after logout worked")
		}
	})
	// Concurrent refreshes of one token (two tabs, a retry racing its
	// original) spend it once: within the window every one that succeeds
	// gets that one successor; with no window at most one succeeds.
	concurrent := func(t *testing.T, env *apptest.Env) (ok int, successors map[string]bool) {
		anon := env.As(t, "")
		s := login(t, anon, env.Users["AUDITOR"].Email, apptest.Password)
		var (
			wg sync.WaitGroup
			mu sync.Mutex
		)
		successors = map[string]bool{}
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if r := refresh(t, anon, s.Session.RefreshToken); len(r.Errors) == 0 {
					mu.Lock()
					ok++
					successors[r.Session.RefreshToken] = true
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return ok, successors
	}
	t.Run("ConcurrentRefreshSpendsOnce", func(t *testing.T) {
		if ok, successors := concurrent(t, env); ok == 0 || len(successors) != 1 {
			t.Fatalf("%d concurrent refreshes of one token succeeded with %d successors, want one successor", ok, len(successors))
		}
		strict := apptest.NewWith(t, storetest.New(t), app.Options{RefreshGrace: -1})
		if ok, _ := concurrent(t, strict); ok > 1 {
			t.Fatalf("no grace window: %d concurrent refreshes of one token succeeded, want at most 1", ok)
		}
	})
}

func TestChangePassword(t *testing.T) {
	env := apptest.New(t)
	anon := env.As(t, "")
	email := env.Users["WAREHOUSE"].Email
	s := login(t, anon, email, apptest.Password)
	c := env.As(t, "WAREHOUSE")
	var out struct {
		ChangePassword struct {
			Ok     bool
			Errors []apptest.UserError
		}
	}
	c.MustDo(t, `mutation { changePassword(input: {currentPassword: "wrong-password-x", newPassword: "another-password-1"}) { ok errors { code field } } }`, nil, &out)
	if out.ChangePassword.Ok || out.ChangePassword.Errors[0].Code != "INVALID_CREDENTIALS" {
		t.Fatalf("wrong current password: %+v", out.ChangePassword)
	}
	c.MustDo(t, `mutation { changePassword(input: {currentPassword: "`+apptest.Password+`", newPassword: "short"}) { ok errors { code field } } }`, nil, &out)
	if out.ChangePassword.Ok || *out.ChangePassword.Errors[0].Field != "input.newPassword" {
		t.Fatalf("weak password: %+v", out.ChangePassword)
	}
	c.MustDo(t, `mutation { changePassword(input: {currentPassword: "`+apptest.Password+`", newPassword: "another-password-1"}) { ok errors { code field } } }`, nil, &out)
	if !out.ChangePassword.Ok {
		t.Fatalf("change: %+v", out.ChangePassword)
	}
	if r := refresh(t, anon, s.Session.RefreshToken); len(r.Errors) != 1 {
		t.Fatal("sessions survived a password change")
	}
	if r := login(t, anon, email, "another-password-1"); len(r.Errors) > 0 {
		t.Fatalf("new password refused: %+v", r.Errors)
	}
}

func TestUserManagement(t *testing.T) {
	env := apptest.New(t)
	admin := env.As(t, "ADMIN")
	var out struct {
		CreateUser struct {
			User   *struct{ ID, Email, Role string }
			Errors []apptest.UserError
		}
	}
	admin.MustDo(t, `mutation { createUser(input: {email: "Bad", name: " ", password: "short", role: SUPPORT, scopes: ["order:create"]}) {
		user { id } errors { code field } } }`, nil, &out)
	fields := map[string]bool{}
	for _, e := range out.CreateUser.Errors {
		fields[*e.Field] = true
	}
	for _, f := range []string{"input.email", "input.name", "input.password", "input.scopes"} {
		if !fields[f] {
			t.Errorf("no error for %s in %+v", f, out.CreateUser.Errors)
		}
	}
	admin.MustDo(t, `mutation { createUser(input: {email: "ERP@Test.local", name: "ERP", password: "integrator-pass-1", role: INTEGRATOR, scopes: ["order:create"]}) {
		user { id email role } errors { code field } } }`, nil, &out)
	if u := out.CreateUser.User; u == nil || u.Email != "erp@test.local" || u.Role != "INTEGRATOR" {
		t.Fatalf("create: %+v", out.CreateUser)
	}
	// An address is as long as its characters: 120 Chinese ones are 360
	// bytes and well within 254 characters; 255 characters are not.
	const create = `mutation($e: String!) { createUser(input: {email: $e, name: "仓库", password: "warehouse-pass-1", role: WAREHOUSE}) {
		user { id email } errors { code field } } }`
	chinese := strings.Repeat("仓", 120) + "@例子.test"
	admin.MustDo(t, create, apptest.Vars{"e": chinese}, &out)
	if u := out.CreateUser.User; u == nil || u.Email != chinese {
		t.Errorf("an address of %d characters: %+v", utf8.RuneCountInString(chinese), out.CreateUser)
	}
	admin.MustDo(t, create, apptest.Vars{"e": strings.Repeat("a", 243) + "@example.test"}, &out)
	if u := out.CreateUser.User; u != nil || len(out.CreateUser.Errors) != 1 || *out.CreateUser.Errors[0].Field != "input.email" {
		t.Errorf("an address of 256 characters: %+v", out.CreateUser)
	}
	admin.MustDo(t, `mutation { createUser(input: {email: "erp@test.local", name: "Again", password: "integrator-pass-1", role: SUPPORT}) {
		user { id } errors { code field } } }`, nil, &out)
	if len(out.CreateUser.Errors) != 1 || out.CreateUser.Errors[0].Code != "DUPLICATE" {
		t.Fatalf("duplicate email: %+v", out.CreateUser.Errors)
	}
	erp := login(t, env.As(t, ""), "erp@test.local", "integrator-pass-1")
	c := env.As(t, "")
	c.Token = erp.Session.AccessToken
	var me struct {
		Me struct{ Permissions []string }
	}
	c.MustDo(t, `{ me { permissions } }`, nil, &me)
	if !contains(me.Me.Permissions, "order:create") || contains(me.Me.Permissions, "user:manage") {
		t.Fatalf("integrator permissions = %v", me.Me.Permissions)
	}
	var upd struct {
		UpdateUser struct{ Errors []apptest.UserError }
	}
	admin.MustDo(t, `mutation($id: ID!) { updateUser(input: {id: $id, active: false}) { errors { code field } } }`,
		apptest.Vars{"id": apptest.ID(env.Users["ADMIN"].ID)}, &upd)
	if len(upd.UpdateUser.Errors) != 1 || upd.UpdateUser.Errors[0].Code != "NOT_ALLOWED" {
		t.Fatalf("admin deactivating themselves: %+v", upd.UpdateUser.Errors)
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
