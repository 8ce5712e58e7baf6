package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/bcrypt"
)

var secret = []byte(strings.Repeat("s", MinSecretLen))

func TestTokens(t *testing.T) {
	if _, err := NewTokens([]byte("short"), time.Minute); err == nil {
		t.Fatal("a short secret was accepted")
	}
	tok, _ := NewTokens(secret, 10*time.Minute)
	s, exp, err := tok.Issue(Subject{UserID: 42, Session: "family-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		got, gotExp, err := tok.Verify(s)
		if err != nil || got != (Subject{UserID: 42, Session: "family-1"}) || !gotExp.Equal(exp.Truncate(time.Second)) {
			t.Fatalf("Verify = %+v, %v, %v", got, gotExp, err)
		}
	})
	t.Run("ErrNoSession", func(t *testing.T) {
		s, _, err := tok.Issue(Subject{UserID: 42})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := tok.Verify(s); err == nil {
			t.Fatal("a token of no session was accepted")
		}
	})
	t.Run("ErrExpired", func(t *testing.T) {
		later := *tok
		later.now = func() time.Time { return time.Now().Add(11 * time.Minute) }
		if _, _, err := later.Verify(s); err == nil {
			t.Fatal("expired token accepted")
		}
	})
	t.Run("ErrOtherSecret", func(t *testing.T) {
		other, _ := NewTokens([]byte(strings.Repeat("x", MinSecretLen)), time.Minute)
		if _, _, err := other.Verify(s); err == nil {
			t.Fatal("token of another secret accepted")
		}
	})
	t.Run("ErrAlgNone", func(t *testing.T) {
		claims := jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{audience}, Subject: "1",
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Minute))}
		none, _ := jwt.NewWithClaims(jwt.SigningMethodNone, claims).SignedString(jwt.UnsafeAllowNoneSignatureType)
		if _, _, err := tok.Verify(none); err == nil {
			t.Fatal("alg none accepted")
		}
	})
	t.Run("ErrWrongAudience", func(t *testing.T) {
		claims := jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{"other"}, Subject: "1",
			ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Minute))}
		s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
		if _, _, err := tok.Verify(s); err == nil {
			t.Fatal("wrong audience accepted")
		}
	})
	t.Run("ErrNoExpiry", func(t *testing.T) {
		claims := jwt.RegisteredClaims{Issuer: issuer, Audience: jwt.ClaimStrings{audience}, Subject: "1"}
		s, _ := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(secret)
		if _, _, err := tok.Verify(s); err == nil {
			t.Fatal("token without exp accepted")
		}
	})
}

func TestPasswords(t *testing.T) {
	p := NewPasswords(bcrypt.MinCost)
	if _, err := p.Hash("short"); err == nil {
		t.Error("short password accepted")
	}
	if _, err := p.Hash(strings.Repeat("é", 40)); err == nil {
		t.Error("password over 72 bytes accepted")
	}
	h, err := p.Hash("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Match(h, "correct horse battery") || p.Match(h, "correct horse batterY") || p.Match("", "x") {
		t.Error("Match is wrong")
	}
}

func TestPermissions(t *testing.T) {
	if !NewUser(1, "a", Admin, nil).Can(UserManage) {
		t.Error("admin cannot manage users")
	}
	w := NewUser(2, "w", Warehouse, nil)
	if w.Can(CustomerCreditRead) || w.Can(PaymentRead) {
		t.Error("warehouse sees credit or payment data")
	}
	i := NewUser(3, "i", Integrator, []string{"order:create", "user:manage", "bogus"})
	if !i.Can(OrderCreate) || i.Can(UserManage) || i.Can("bogus") {
		t.Errorf("integrator scopes wrong: %v", i.Permissions())
	}
	if !NewUser(4, "r", SalesRep, nil).OwnCustomersOnly() || NewUser(5, "m", SalesManager, nil).OwnCustomersOnly() {
		t.Error("own-customer scope wrong")
	}
	for _, r := range Roles {
		for _, p := range rolePermissions[r] {
			if !Grantable(p) && p != UserManage {
				t.Errorf("role %s has unknown permission %q", r, p)
			}
		}
	}
}
