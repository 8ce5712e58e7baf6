// Package account signs people in and out and manages staff accounts:
// login with throttling, rotating refresh tokens, and admin-only user
// management.
package account

import (
	"context"
	"fmt"
	"time"

	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/privacy"
	"orderdesk/fault"
)

// RefreshTTL is how long a refresh token lives; each refresh issues a new one.
const RefreshTTL = 30 * 24 * time.Hour

// DefaultRefreshGrace is how long a spent refresh token may be presented
// again and get the session it was exchanged for (see Refresh).
const DefaultRefreshGrace = 30 * time.Second

// Service is the account service.
type Service struct {
	client    *ent.Client
	tokens    *auth.Tokens
	passwords *auth.Passwords
	throttle  throttle
	viewers   viewers
	grace     time.Duration // see SetRefreshGrace
	now       func() time.Time
	// OnChange, when set, hears of every account created or changed, after
	// the commit: the notification broker forgets the roles' members.
	OnChange func()
}

// New returns the account service.
func New(client *ent.Client, tokens *auth.Tokens, passwords *auth.Passwords) *Service {
	return &Service{client: client, tokens: tokens, passwords: passwords,
		throttle: throttle{client: client, limits: DefaultThrottle}, grace: DefaultRefreshGrace,
		now: func() time.Time { return time.Now().UTC() }}
}

// SetRefreshGrace sets how long after a refresh the spent token still
// gets the session it was exchanged for; 0 makes every second use theft.
func (s *Service) SetRefreshGrace(d time.Duration) { s.grace = d }

// SetThrottle replaces the sign-in throttle's limits.
func (s *Service) SetThrottle(l ThrottleLimits) { s.throttle.limits = l }

// Session is what a successful login or refresh returns.
type Session struct {
	AccessToken      string
	AccessExpiresAt  time.Time
	RefreshToken     string
	RefreshExpiresAt time.Time
	User             *ent.User
}

// system lets the service read and write accounts on behalf of a caller who
// is not signed in yet (login, refresh) or acts on themselves.
func system(ctx context.Context) context.Context {
	return privacy.DecisionContext(ctx, privacy.Allow)
}

// normalizeEmail lower-cases and trims an address; ok is false when it is
// empty, not an address or longer than fault.MaxEmail characters — the
// check a customer's email gets.
func normalizeEmail(s string) (string, bool) {
	var l fault.List
	s = l.Email("email", s)
	return s, s != "" && l.Err() == nil
}

// Viewer loads the account an access token names and returns its viewer.
// A token that is invalid, of a session that ended (logout, a password
// change) or of an account deactivated or deleted has none: the error is
// then auth.ErrNotSignedIn; any other error is the database's. The viewer
// of an open session is reused for ViewerTTL (see viewers).
func (s *Service) Viewer(ctx context.Context, accessToken string) (*auth.Viewer, time.Time, error) {
	if IsAPIKey(accessToken) {
		return s.keyViewer(ctx, accessToken)
	}
	sub, exp, err := s.tokens.Verify(accessToken)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("%w: %w", auth.ErrNotSignedIn, err)
	}
	now := s.now()
	if v := s.viewers.get(sub, now); v != nil {
		return v, exp, nil
	}
	u, err := s.client.User.Get(system(ctx), sub.UserID)
	if ent.IsNotFound(err) {
		return nil, time.Time{}, fmt.Errorf("%w: the account is gone", auth.ErrNotSignedIn)
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	if !u.Active {
		return nil, time.Time{}, fmt.Errorf("%w: the account is deactivated", auth.ErrNotSignedIn)
	}
	open, err := s.sessionOpen(ctx, sub)
	if err != nil {
		return nil, time.Time{}, err
	}
	if !open {
		return nil, time.Time{}, fmt.Errorf("%w: the session has ended", auth.ErrNotSignedIn)
	}
	v := ViewerOf(u)
	s.viewers.put(sub, v, now)
	return v, exp, nil
}

// changed drops what this server remembers of an account, after the
// commit of its change: the next request reads it as it now is.
func (s *Service) changed(id int) {
	s.viewers.forgetUser(id)
	if s.OnChange != nil {
		s.OnChange()
	}
}

// ViewerOf is the viewer for a user.
func ViewerOf(u *ent.User) *auth.Viewer {
	return auth.NewUser(u.ID, u.Email, auth.Role(u.Role), u.Scopes)
}
