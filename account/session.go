package account

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/refreshtoken"
	"orderdesk/ent/user"
	"orderdesk/fault"
	"orderdesk/store"
)

var errBadCredentials = fault.New(fault.InvalidCredentials, "", "email or password is wrong")

// Login checks the password and opens a session. Wrong email and wrong
// password give the same answer in the same time; after repeated failures
// (see ThrottleLimits) attempts are refused with TOO_MANY_ATTEMPTS until
// the back-off has passed, without the password being checked.
func (s *Service) Login(ctx context.Context, email, password, remoteAddr string) (*Session, error) {
	email, _ = normalizeEmail(email)
	sys := system(ctx)
	now := s.now()
	try, err := s.throttle.load(sys, email, remoteAddr)
	if err != nil {
		return nil, err
	}
	if wait := s.throttle.wait(try, now); wait > 0 {
		return nil, fault.New(fault.TooManyAttempts, "",
			"too many failed sign-ins; try again in %d seconds", int(math.Ceil(wait.Seconds())))
	}
	u, err := s.client.User.Query().Where(user.Email(email)).Only(sys)
	if err != nil && !ent.IsNotFound(err) {
		return nil, err
	}
	hash := ""
	if u != nil {
		hash = u.PasswordHash
	}
	if !s.passwords.Match(hash, password) || !u.Active {
		if err := s.throttle.fail(sys, try, now); err != nil {
			return nil, err
		}
		return nil, errBadCredentials
	}
	if err := s.throttle.succeed(sys, try); err != nil {
		return nil, err
	}
	var sess *Session
	family := auth.RandomToken(16)
	err = store.WithTx(sys, s.client, func(tx *ent.Tx) error {
		now := s.now()
		if err := tx.User.UpdateOne(u).SetLastLoginAt(now).Exec(sys); err != nil {
			return err
		}
		sess, err = s.issue(sys, tx, u, family, auth.RandomToken(32))
		if err != nil {
			return err
		}
		return audit.Record(auth.NewContext(ctx, ViewerOf(u)), tx, audit.Event{
			Action: "user.login", SubjectType: "User", SubjectID: u.ID})
	})
	if err == nil {
		// The account was just read: the session's first requests reuse it.
		s.viewers.put(auth.Subject{UserID: u.ID, Session: family}, ViewerOf(u), s.now())
	}
	return sess, err
}

// issue signs an access token and stores refresh, a new refresh token of
// the family.
func (s *Service) issue(ctx context.Context, tx *ent.Tx, u *ent.User, family, refresh string) (*Session, error) {
	access, accessExp, err := s.tokens.Issue(auth.Subject{UserID: u.ID, Session: family})
	if err != nil {
		return nil, fmt.Errorf("signing access token: %w", err)
	}
	// As MariaDB keeps it: a retried refresh reads it back (again).
	refreshExp := s.now().Add(RefreshTTL).Truncate(time.Microsecond)
	err = tx.RefreshToken.Create().
		SetTokenHash(auth.HashToken(refresh)).
		SetFamily(family).
		SetUserID(u.ID).
		SetExpiresAt(refreshExp).
		Exec(ctx)
	if err != nil {
		return nil, err
	}
	return &Session{AccessToken: access, AccessExpiresAt: accessExp,
		RefreshToken: refresh, RefreshExpiresAt: refreshExp, User: u}, nil
}

var errBadRefresh = fault.New(fault.InvalidToken, "refreshToken", "the refresh token is invalid, expired or revoked; sign in again")

// successor is the refresh token a refresh exchanges token for. It is
// derived, not drawn at random, so that a client whose answer was lost
// (a phone between cells) can present the spent token again and get the
// same successor, with nothing secret stored: only the token's holder and
// the server can compute it.
func (s *Service) successor(token string) string {
	m := hmac.New(sha256.New, s.tokens.Key("refresh-successor"))
	m.Write([]byte(token))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// Refresh exchanges a refresh token for a new session. The old token is
// spent. Presented again within the grace window (SetRefreshGrace) while
// its successor is unused, it gets that successor again, with a new access
// token: the retry of a request whose answer was lost. Any other second use
// is treated as theft and revokes every token of its family.
func (s *Service) Refresh(ctx context.Context, token string) (*Session, error) {
	sys := system(ctx)
	var (
		sess  *Session
		reuse bool
	)
	err := store.WithTx(sys, s.client, func(tx *ent.Tx) error {
		sess, reuse = nil, false
		rt, err := tx.RefreshToken.Query().
			Where(refreshtoken.TokenHash(auth.HashToken(token))).
			Modify(store.ForUpdate).Only(sys)
		if ent.IsNotFound(err) {
			return errBadRefresh
		}
		if err != nil {
			return err
		}
		now := s.now()
		switch {
		case rt.RevokedAt != nil || rt.ExpiresAt.Before(now):
			return errBadRefresh
		case rt.UsedAt != nil && s.grace > 0 && now.Sub(*rt.UsedAt) <= s.grace:
			sess, err = s.again(sys, tx, rt, s.successor(token))
			if sess == nil && err == nil {
				reuse = true
				return s.revokeFamily(sys, tx, rt.Family)
			}
			return err
		case rt.UsedAt != nil:
			reuse = true
			return s.revokeFamily(sys, tx, rt.Family)
		}
		u, err := tx.User.Get(sys, rt.UserID)
		if err != nil {
			return err
		}
		if !u.Active {
			return errBadRefresh
		}
		// The conditional update makes the spend single-use even where
		// the row lock is not taken (SQLite serialises writers instead).
		n, err := tx.RefreshToken.Update().
			Where(refreshtoken.ID(rt.ID), refreshtoken.UsedAtIsNil()).
			SetUsedAt(now).Save(sys)
		if err != nil {
			return err
		}
		if n != 1 {
			reuse = true
			return s.revokeFamily(sys, tx, rt.Family)
		}
		sess, err = s.issue(sys, tx, u, rt.Family, s.successor(token))
		return err
	})
	if err != nil {
		return nil, err
	}
	if reuse {
		return nil, errBadRefresh
	}
	return sess, nil
}

// again is the session a spent token was exchanged for, once more: its
// successor refresh, if that is still unused, with a new access token; nil when the
// successor has been spent, revoked or has expired, or the account has been
// deactivated since.
func (s *Service) again(ctx context.Context, tx *ent.Tx, spent *ent.RefreshToken, refresh string) (*Session, error) {
	next, err := tx.RefreshToken.Query().
		Where(refreshtoken.TokenHash(auth.HashToken(refresh)), refreshtoken.Family(spent.Family)).
		Modify(store.ForUpdate).Only(ctx)
	if ent.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if next.UsedAt != nil || next.RevokedAt != nil || !next.ExpiresAt.After(s.now()) {
		return nil, nil
	}
	u, err := tx.User.Get(ctx, next.UserID)
	if err != nil || !u.Active {
		return nil, err
	}
	access, accessExp, err := s.tokens.Issue(auth.Subject{UserID: u.ID, Session: next.Family})
	if err != nil {
		return nil, fmt.Errorf("signing access token: %w", err)
	}
	return &Session{AccessToken: access, AccessExpiresAt: accessExp,
		RefreshToken: refresh, RefreshExpiresAt: next.ExpiresAt, User: u}, nil
}

func (s *Service) revokeFamily(ctx context.Context, tx *ent.Tx, family string) error {
	return tx.RefreshToken.Update().
		Where(refreshtoken.Family(family), refreshtoken.RevokedAtIsNil()).
		SetRevokedAt(s.now()).Exec(ctx)
}

// Logout revokes the refresh token's whole family, and with it the access
// tokens of that session. An unknown token is not an error: the caller is
// signed out either way.
func (s *Service) Logout(ctx context.Context, token string) error {
	sys := system(ctx)
	var ended *ent.RefreshToken
	err := store.WithTx(sys, s.client, func(tx *ent.Tx) error {
		rt, err := tx.RefreshToken.Query().Where(refreshtoken.TokenHash(auth.HashToken(token))).Only(sys)
		if ent.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		ended = rt
		return s.revokeFamily(sys, tx, rt.Family)
	})
	if err == nil && ended != nil {
		s.viewers.forget(auth.Subject{UserID: ended.UserID, Session: ended.Family})
	}
	return err
}

// sessionOpen reports whether the session (a refresh-token family) still
// has a token that is neither revoked nor expired.
func (s *Service) sessionOpen(ctx context.Context, sub auth.Subject) (bool, error) {
	return s.client.RefreshToken.Query().Where(
		refreshtoken.Family(sub.Session), refreshtoken.UserID(sub.UserID),
		refreshtoken.RevokedAtIsNil(), refreshtoken.ExpiresAtGT(s.now())).Exist(system(ctx))
}

// revokeUser ends every session of a user (password change, deactivation).
func (s *Service) revokeUser(ctx context.Context, tx *ent.Tx, userID int) error {
	return tx.RefreshToken.Update().
		Where(refreshtoken.UserID(userID), refreshtoken.RevokedAtIsNil()).
		SetRevokedAt(s.now()).Exec(system(ctx))
}
