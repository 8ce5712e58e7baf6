package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"entgo.io/ent/dialect/sql"

	"orderdesk/ent"
	"orderdesk/ent/loginfailure"
)

// ThrottleLimits say how many failed sign-ins are free before each further
// attempt must wait, doubling from one second up to Max. Failures older
// than Window are forgotten.
//
// Three counters punish the attacker rather than the user:
//   - one account from one address (Pair): a guesser at one account;
//   - one account from every address (Account): a guesser spread over many
//     addresses; only this one can slow down the account's owner, and only
//     while the account itself is under attack;
//   - one address for every account (Address): a sprayer of many accounts
//     from one address. Past it, the address gets no free failure on any
//     account, but an account it has not failed on recently still signs in
//     with its right password, so an office behind one address (or a proxy)
//     is not locked out by a stranger in it.
type ThrottleLimits struct {
	Pair, Account, Address int
	Window, Max            time.Duration
}

// DefaultThrottle allows 5 failures per account and address, 20 per
// account, 30 per address within 15 minutes, then backs off up to 15 minutes.
var DefaultThrottle = ThrottleLimits{Pair: 5, Account: 20, Address: 30, Window: 15 * time.Minute, Max: 15 * time.Minute}

// throttle keeps the counters in the database, so that every replica
// sees the same ones.
type throttle struct {
	client *ent.Client
	limits ThrottleLimits
}

// attempt is one sign-in's three counter keys and what they held.
type attempt struct {
	pair, account, address string
	held                   map[string]*ent.LoginFailure
}

func throttleKey(kind, value string) string {
	sum := sha256.Sum256([]byte(kind + "\x00" + value))
	return hex.EncodeToString(sum[:])
}

// load reads the counters of a sign-in in one statement.
func (t *throttle) load(ctx context.Context, email, addr string) (*attempt, error) {
	a := &attempt{
		pair:    throttleKey("pair", email+"\x00"+addr),
		account: throttleKey("account", email),
		address: throttleKey("address", addr),
		held:    map[string]*ent.LoginFailure{},
	}
	rows, err := t.client.LoginFailure.Query().
		Where(loginfailure.KeyIn(a.pair, a.account, a.address)).All(ctx)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		a.held[r.Key] = r
	}
	return a, nil
}

// wait is how long the attempt must wait before its password is checked;
// zero when it may go ahead now.
func (t *throttle) wait(a *attempt, now time.Time) time.Duration {
	pairFree := t.limits.Pair
	if t.count(a, a.address, now) >= t.limits.Address {
		pairFree = 0
	}
	return max(t.backoff(a, a.pair, pairFree, now), t.backoff(a, a.account, t.limits.Account, now))
}

// count is a counter's failures within the window.
func (t *throttle) count(a *attempt, key string, now time.Time) int {
	r := a.held[key]
	if r == nil || now.Sub(r.LastAt) > t.limits.Window {
		return 0
	}
	return r.Count
}

func (t *throttle) backoff(a *attempt, key string, free int, now time.Time) time.Duration {
	n := t.count(a, key, now)
	if n == 0 || n < free {
		return 0
	}
	d := min(time.Second<<min(n-free, 20), t.limits.Max)
	return max(a.held[key].LastAt.Add(d).Sub(now), 0)
}

// fail counts a failed attempt on all three counters in one statement: a
// counter whose last failure is older than the window starts again at one.
func (t *throttle) fail(ctx context.Context, a *attempt, now time.Time) error {
	stale := now.Add(-t.limits.Window)
	var creates []*ent.LoginFailureCreate
	for _, k := range []string{a.pair, a.account, a.address} {
		creates = append(creates, t.client.LoginFailure.Create().SetKey(k).SetCount(1).SetFirstAt(now).SetLastAt(now))
	}
	// MySQL assigns left to right and later expressions see earlier
	// assignments, so last_at goes last; SQLite reads the old row in all.
	return t.client.LoginFailure.CreateBulk(creates...).
		OnConflict(sql.ConflictColumns(loginfailure.FieldKey), sql.ResolveWith(func(u *sql.UpdateSet) {
			u.Set(loginfailure.FieldFirstAt, sql.ExprP("CASE WHEN `last_at` < ? THEN ? ELSE `first_at` END", stale, now))
			u.Set(loginfailure.FieldCount, sql.ExprP("CASE WHEN `last_at` < ? THEN 1 ELSE `count` + 1 END", stale))
			u.Set(loginfailure.FieldLastAt, now)
		})).Exec(ctx)
}

// succeed forgets the account's failures after its right password; the
// address keeps its count, or a sprayer with an account of their own
// could clear it between guesses.
func (t *throttle) succeed(ctx context.Context, a *attempt) error {
	if a.held[a.pair] == nil && a.held[a.account] == nil {
		return nil
	}
	_, err := t.client.LoginFailure.Delete().Where(loginfailure.KeyIn(a.pair, a.account)).Exec(ctx)
	return err
}

// Sweep deletes counters whose last failure is older than the window.
func (s *Service) Sweep(ctx context.Context) (int, error) {
	return s.client.LoginFailure.Delete().
		Where(loginfailure.LastAtLT(s.now().Add(-s.throttle.limits.Window))).Exec(system(ctx))
}
