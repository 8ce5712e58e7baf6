package account

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/apikey"
	"orderdesk/fault"
	"orderdesk/store"
)

// API keys are machine accounts' credentials (integrators' systems): a
// random secret "od_…" shown once when created, kept only as its SHA-256,
// acting as its user with the user's role and scopes. Every request reads
// the key — no cache — so a revocation holds from the next request on, on
// every server.

const keyPrefix = "od_"

// IsAPIKey reports whether a bearer credential is an API key rather than
// an access token.
func IsAPIKey(credential string) bool { return strings.HasPrefix(credential, keyPrefix) }

// hashKey is the hex SHA-256 of a key: a random key needs no slow hash.
func hashKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// KeyUseInterval is how often a key's last use is written: at most once a
// minute, so that a busy integrator does not write on every request.
const KeyUseInterval = time.Minute

// CreateAPIKey makes a key for user userID, named name, valid until
// expiresAt (nil: until revoked), and returns it with its secret. Needs
// user:manage.
func (s *Service) CreateAPIKey(ctx context.Context, userID int, name string, expiresAt *time.Time) (*ent.APIKey, string, error) {
	v, err := auth.Require(ctx, auth.UserManage)
	if err != nil {
		return nil, "", err
	}
	var errs fault.List
	name = errs.Text("input.name", name, 200, true)
	if expiresAt != nil && !expiresAt.After(s.now()) {
		errs.Add(fault.Invalid, "input.expiresAt", "must lie ahead")
	}
	if err := errs.Err(); err != nil {
		return nil, "", err
	}
	raw := make([]byte, 30)
	_, _ = rand.Read(raw)
	secret := keyPrefix + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(raw))
	var key *ent.APIKey
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		u, err := tx.User.Get(ctx, userID)
		if ent.IsNotFound(err) {
			return fault.New(fault.NotFound, "input.userId", "no such user")
		}
		if err != nil {
			return err
		}
		if key, err = tx.APIKey.Create().SetUserID(u.ID).SetName(name).SetPrefix(secret[:len(keyPrefix)+8]).
			SetHash(hashKey(secret)).SetNillableExpiresAt(expiresAt).SetNillableCreatedByID(v.ActorID()).Save(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "api_key.created", SubjectType: "ApiKey", SubjectID: key.ID,
			After: map[string]any{"user": u.Email, "name": name, "prefix": key.Prefix}})
	})
	if err != nil {
		return nil, "", err
	}
	return key.Unwrap(), secret, nil
}

// RevokeAPIKey revokes key id; revoking it again changes nothing. Needs
// user:manage.
func (s *Service) RevokeAPIKey(ctx context.Context, id int) (*ent.APIKey, error) {
	if _, err := auth.Require(ctx, auth.UserManage); err != nil {
		return nil, err
	}
	var key *ent.APIKey
	err := store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		k, err := tx.APIKey.Get(ctx, id)
		if ent.IsNotFound(err) {
			return fault.New(fault.NotFound, "input.id", "no such API key")
		}
		if err != nil || k.RevokedAt != nil {
			key = k
			return err
		}
		if key, err = tx.APIKey.UpdateOne(k).SetRevokedAt(s.now()).Save(ctx); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "api_key.revoked", SubjectType: "ApiKey", SubjectID: id,
			After: map[string]any{"prefix": k.Prefix}})
	})
	if err != nil {
		return nil, err
	}
	return key.Unwrap(), nil
}

// keyViewer is the viewer an API key acts as: its user's, while the key
// is neither revoked nor expired and the user is active.
func (s *Service) keyViewer(ctx context.Context, secret string) (*auth.Viewer, time.Time, error) {
	sys := system(ctx)
	k, err := s.client.APIKey.Query().Where(apikey.Hash(hashKey(secret))).WithUser().Only(sys)
	if ent.IsNotFound(err) {
		return nil, time.Time{}, fmt.Errorf("%w: unknown API key", auth.ErrNotSignedIn)
	}
	if err != nil {
		return nil, time.Time{}, err
	}
	now := s.now()
	switch {
	case k.RevokedAt != nil:
		return nil, time.Time{}, fmt.Errorf("%w: the API key was revoked", auth.ErrNotSignedIn)
	case k.ExpiresAt != nil && !now.Before(*k.ExpiresAt):
		return nil, time.Time{}, fmt.Errorf("%w: the API key has expired", auth.ErrNotSignedIn)
	case !k.Edges.User.Active:
		return nil, time.Time{}, fmt.Errorf("%w: the account is deactivated", auth.ErrNotSignedIn)
	}
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) >= KeyUseInterval {
		if err := s.client.APIKey.Update().Where(apikey.ID(k.ID), apikey.Or(apikey.LastUsedAtIsNil(),
			apikey.LastUsedAtLT(now.Add(-KeyUseInterval)))).SetLastUsedAt(now).Exec(sys); err != nil {
			return nil, time.Time{}, err
		}
	}
	var exp time.Time
	if k.ExpiresAt != nil {
		exp = *k.ExpiresAt
	}
	return ViewerOf(k.Edges.User), exp, nil
}
