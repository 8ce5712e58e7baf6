// Package idem makes mutations safe to retry. A client sends an
// idempotency key with a state-changing request; the first request with the
// key claims it inside its own transaction and stores what it produced; a
// retry with the same key and input gets that result back and changes
// nothing; the same key with another input is refused. A retry that arrives
// while the first request still runs waits for it (the claim is a unique
// row the first transaction holds) and then replays its result.
package idem

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/idempotencykey"
	"orderdesk/ent/privacy"
	"orderdesk/fault"
	"orderdesk/store"
)

// TTL is how long a key is remembered.
const TTL = 72 * time.Hour

// MaxKeyLen bounds a client's key.
const MaxKeyLen = 128

// Refs names the records a mutation produced, by role: {"order": 42}.
type Refs map[string]int

// Claim is a key taken by the current transaction.
type Claim struct {
	id int
}

// Begin looks the key up inside tx. It returns the refs stored by an earlier
// request with the same key and input (replay), or claims the key for this
// request. An empty key claims nothing. The input is hashed as JSON; fields
// tagged `json:"-"` (the key itself) are not part of it.
func Begin(ctx context.Context, tx *ent.Tx, operation, key string, input any) (*Claim, Refs, error) {
	key = strings.TrimSpace(key)
	if key == "" {
		return nil, nil, nil
	}
	if len(key) > MaxKeyLen {
		return nil, nil, fault.New(fault.Invalid, "input.idempotencyKey", "is longer than %d characters", MaxKeyLen)
	}
	v := auth.FromContext(ctx)
	if v == nil {
		return nil, nil, fault.New(fault.Unauthenticated, "", "sign in first")
	}
	raw, err := json.Marshal(input)
	if err != nil {
		return nil, nil, err
	}
	sum := sha256.Sum256(raw)
	hash := hex.EncodeToString(sum[:])
	sys := privacy.DecisionContext(ctx, privacy.Allow)
	now := store.Now(ctx)

	prior, err := tx.IdempotencyKey.Query().Where(idempotencykey.UserID(v.UserID),
		idempotencykey.Operation(operation), idempotencykey.Key(key)).Only(sys)
	switch {
	case ent.IsNotFound(err):
	case err != nil:
		return nil, nil, err
	case prior.ExpiresAt.Before(now):
		if err := tx.IdempotencyKey.DeleteOne(prior).Exec(sys); err != nil {
			return nil, nil, err
		}
	case prior.RequestHash != hash:
		return nil, nil, fault.New(fault.IdempotencyMismatch, "input.idempotencyKey",
			"this key was used for a different %s request; use a new key for a new request", operation)
	default:
		var refs Refs
		if err := json.Unmarshal(prior.Response, &refs); err != nil {
			return nil, nil, fmt.Errorf("stored idempotent response: %w", err)
		}
		return nil, refs, nil
	}
	row, err := tx.IdempotencyKey.Create().SetUserID(v.UserID).SetOperation(operation).SetKey(key).
		SetRequestHash(hash).SetExpiresAt(now.Add(TTL)).Save(sys)
	if store.IsDuplicate(err) {
		// Another request with this key committed since we looked: run
		// again and replay its result.
		return nil, nil, store.ErrRetry
	}
	if err != nil {
		return nil, nil, err
	}
	return &Claim{id: row.ID}, nil, nil
}

// Finish stores the refs of the result under the claimed key.
func (c *Claim) Finish(ctx context.Context, tx *ent.Tx, refs Refs) error {
	if c == nil {
		return nil
	}
	raw, err := json.Marshal(refs)
	if err != nil {
		return err
	}
	return tx.IdempotencyKey.UpdateOneID(c.id).SetResponse(raw).Exec(privacy.DecisionContext(ctx, privacy.Allow))
}

// Codec says how a result of type T is remembered under a key and brought
// back on a replay: Refs names the records it produced, Load reads them
// again, and Unwrap (optional) detaches them from the finished transaction
// so that the API can go on loading their edges.
type Codec[T any] struct {
	Refs   func(T) Refs
	Load   func(ctx context.Context, tx *ent.Tx, refs Refs) (T, error)
	Unwrap func(T) T
}

// Run executes one business action in one transaction. With a key it first
// claims the key — or, when the same request already ran, returns what that
// run produced without acting again. Each attempt of the transaction (a
// lost deadlock reruns it) gets one clock reading, store.Now(ctx), and its
// audit events are written together at the end (audit.Batch).
func Run[T any](ctx context.Context, client *ent.Client, op, key string, req any, c Codec[T],
	act func(ctx context.Context, tx *ent.Tx) (T, error)) (T, error) {
	var res T
	err := store.WithTx(ctx, client, func(tx *ent.Tx) error {
		ctx := audit.Batch(store.WithNow(ctx, time.Now().UTC()))
		var zero T
		res = zero
		claim, prior, err := Begin(ctx, tx, op, key, req)
		if err != nil {
			return err
		}
		if prior != nil {
			res, err = c.Load(ctx, tx, prior)
			return err
		}
		if res, err = act(ctx, tx); err != nil {
			return err
		}
		if err := audit.Flush(ctx, tx); err != nil {
			return err
		}
		return claim.Finish(ctx, tx, c.Refs(res))
	})
	if err != nil {
		var zero T
		return zero, err
	}
	if c.Unwrap != nil {
		res = c.Unwrap(res)
	}
	return res, nil
}

// Sweep deletes expired keys; a background rule calls it.
func Sweep(ctx context.Context, client *ent.Client) (int, error) {
	return client.IdempotencyKey.Delete().Where(idempotencykey.ExpiresAtLT(time.Now().UTC())).
		Exec(privacy.DecisionContext(ctx, privacy.Allow))
}
