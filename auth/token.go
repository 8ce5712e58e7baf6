package auth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// MinSecretLen is the shortest HMAC secret accepted, in bytes.
const MinSecretLen = 32

const (
	issuer   = "orderdesk"
	audience = "orderdesk-api"
	leeway   = 30 * time.Second
)

// Tokens issues and verifies access tokens: HS256 JWTs naming the user, with
// issuer, audience and expiry all required on the way back in.
type Tokens struct {
	secret []byte
	ttl    time.Duration
	now    func() time.Time
}

// NewTokens refuses a secret shorter than MinSecretLen bytes.
func NewTokens(secret []byte, ttl time.Duration) (*Tokens, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("the JWT secret must be at least %d bytes, got %d", MinSecretLen, len(secret))
	}
	if ttl <= 0 {
		return nil, errors.New("the access token lifetime must be positive")
	}
	return &Tokens{secret: secret, ttl: ttl, now: time.Now}, nil
}

// claims are the registered claims and the session: the refresh-token
// family the access token was issued in, so that signing out (which
// revokes the family) ends the access token too.
type claims struct {
	jwt.RegisteredClaims
	Session string `json:"sid"`
}

// Subject is who an access token speaks for: a user, in one session.
type Subject struct {
	UserID  int
	Session string
}

// Issue signs an access token for the user's session.
func (t *Tokens) Issue(s Subject) (token string, expires time.Time, err error) {
	now := t.now()
	expires = now.Add(t.ttl)
	c := claims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    issuer,
		Audience:  jwt.ClaimStrings{audience},
		Subject:   strconv.Itoa(s.UserID),
		IssuedAt:  jwt.NewNumericDate(now),
		NotBefore: jwt.NewNumericDate(now),
		ExpiresAt: jwt.NewNumericDate(expires),
		ID:        RandomToken(12),
	}, Session: s.Session}
	token, err = jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
	return token, expires, err
}

// Verify checks the token's signature, algorithm, issuer, audience and
// expiry, and returns whom it names and when it expires.
func (t *Tokens) Verify(token string) (s Subject, expires time.Time, err error) {
	var claims claims
	_, err = jwt.ParseWithClaims(token, &claims,
		func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithAudience(audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil {
		return Subject{}, time.Time{}, err
	}
	id, err := strconv.Atoi(claims.Subject)
	if err != nil || id <= 0 {
		return Subject{}, time.Time{}, errors.New("token subject is not a user")
	}
	if claims.Session == "" {
		return Subject{}, time.Time{}, errors.New("token names no session")
	}
	return Subject{UserID: id, Session: claims.Session}, claims.ExpiresAt.Time, nil
}

// Key derives a signing key for another kind of token from the secret, so
// that one purpose's tokens are never valid for another (an access token
// is not a confirmation link, nor the reverse).
func (t *Tokens) Key(purpose string) []byte {
	m := hmac.New(sha256.New, t.secret)
	m.Write([]byte("orderdesk/" + purpose))
	return m.Sum(nil)
}

// ErrNotSignedIn is why a presented access token does not sign its caller
// in: invalid, expired, of a session that ended, or of an account that is
// gone or deactivated. Any other failure to authenticate (the database
// not answering) is the server's, not the caller's.
var ErrNotSignedIn = errors.New("the access token does not sign in")

// RandomToken returns n random bytes, base64url encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// HashToken is the SHA-256 of an opaque token, as stored. A fast hash is
// right here: refresh tokens are 256 random bits, not guessable passwords.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
