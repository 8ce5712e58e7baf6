package account

import (
	"context"
	"strings"
	"unicode/utf8"

	"orderdesk/audit"
	"orderdesk/auth"
	"orderdesk/ent"
	"orderdesk/ent/user"
	"orderdesk/fault"
	"orderdesk/store"
)

// NewUserRequest is an admin's request to create an account.
type NewUserRequest struct {
	Email, Name, Password string
	Role                  string
	Scopes                []string
}

// CreateUser creates an account. Needs user:manage. Fails with INVALID for
// a bad email, name, role, scope or weak password and DUPLICATE for an
// email in use.
func (s *Service) CreateUser(ctx context.Context, r NewUserRequest) (*ent.User, error) {
	if _, err := auth.Require(ctx, auth.UserManage); err != nil {
		return nil, err
	}
	email, ok := normalizeEmail(r.Email)
	var errs fault.List
	if !ok {
		errs.Add(fault.Invalid, "input.email", "is not an email address")
	}
	name := strings.TrimSpace(r.Name)
	if name == "" || utf8.RuneCountInString(name) > 200 {
		errs.Add(fault.Invalid, "input.name", "is required (at most 200 characters)")
	}
	if !auth.ValidRole(r.Role) {
		errs.Add(fault.Invalid, "input.role", "is not a role")
	}
	checkScopes(&errs, r.Role, r.Scopes)
	if err := auth.CheckStrength(r.Password); err != nil {
		errs.Add(fault.Invalid, "input.password", "%s", err.Error())
	}
	if err := errs.Err(); err != nil {
		return nil, err
	}
	hash, err := s.passwords.Hash(r.Password)
	if err != nil {
		return nil, err
	}
	var u *ent.User
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		exists, err := tx.User.Query().Where(user.Email(email)).Exist(system(ctx))
		if err != nil {
			return err
		}
		if exists {
			return fault.New(fault.Duplicate, "input.email", "an account with this email exists")
		}
		u, err = tx.User.Create().SetEmail(email).SetName(name).SetPasswordHash(hash).
			SetRole(user.Role(r.Role)).SetScopes(r.Scopes).Save(ctx)
		if store.IsDuplicate(err) {
			return fault.New(fault.Duplicate, "input.email", "an account with this email exists")
		}
		if err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.created", SubjectType: "User", SubjectID: u.ID,
			After: map[string]any{"email": email, "name": name, "role": r.Role, "scopes": r.Scopes}})
	})
	if err != nil {
		return nil, err
	}
	s.changed(u.ID)
	return u.Unwrap(), nil
}

func checkScopes(errs *fault.List, role string, scopes []string) {
	if len(scopes) > 0 && role != string(auth.Integrator) {
		errs.Add(fault.Invalid, "input.scopes", "only INTEGRATOR accounts take scopes")
		return
	}
	for i, sc := range scopes {
		if !auth.Grantable(auth.Permission(sc)) {
			errs.Add(fault.Invalid, "input.scopes", "scope %d (%q) is not a grantable permission", i, sc)
		}
	}
}

// UpdateUserRequest changes an account; nil fields stay as they are.
type UpdateUserRequest struct {
	ID              int
	ExpectedVersion *int64
	Name            *string
	Role            *string
	Active          *bool
	Scopes          []string
	SetScopes       bool
}

// UpdateUser changes an account's name, role, scopes or active flag. Needs
// user:manage. Deactivating an account ends its sessions; an admin cannot
// deactivate or demote themselves, so the last way in is never locked.
func (s *Service) UpdateUser(ctx context.Context, r UpdateUserRequest) (*ent.User, error) {
	v, err := auth.Require(ctx, auth.UserManage)
	if err != nil {
		return nil, err
	}
	var u *ent.User
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		cur, err := tx.User.Query().Where(user.ID(r.ID)).Modify(store.ForUpdate).Only(ctx)
		if ent.IsNotFound(err) {
			return fault.New(fault.NotFound, "input.id", "no such user")
		}
		if err != nil {
			return err
		}
		if r.ExpectedVersion != nil && *r.ExpectedVersion != cur.Version {
			return fault.New(fault.VersionConflict, "input.expectedVersion",
				"the user was changed meanwhile (version %d, you sent %d)", cur.Version, *r.ExpectedVersion)
		}
		role := string(cur.Role)
		if r.Role != nil {
			role = *r.Role
		}
		var errs fault.List
		upd := tx.User.UpdateOne(cur).AddVersion(1)
		before, after := map[string]any{}, map[string]any{}
		if r.Name != nil {
			name := strings.TrimSpace(*r.Name)
			if name == "" || utf8.RuneCountInString(name) > 200 {
				errs.Add(fault.Invalid, "input.name", "is required (at most 200 characters)")
			}
			upd.SetName(name)
			before["name"], after["name"] = cur.Name, name
		}
		if r.Role != nil {
			if !auth.ValidRole(*r.Role) {
				errs.Add(fault.Invalid, "input.role", "is not a role")
			} else if cur.ID == v.UserID && *r.Role != string(cur.Role) {
				errs.Add(fault.NotAllowed, "input.role", "you cannot change your own role")
			}
			upd.SetRole(user.Role(*r.Role))
			before["role"], after["role"] = cur.Role, *r.Role
		}
		scopes := cur.Scopes
		if r.SetScopes {
			scopes = r.Scopes
			upd.SetScopes(r.Scopes)
			before["scopes"], after["scopes"] = cur.Scopes, r.Scopes
		}
		if role != string(auth.Integrator) && !r.SetScopes && len(scopes) > 0 {
			// Scopes mean nothing outside the integrator role.
			scopes = nil
			upd.ClearScopes()
		}
		checkScopes(&errs, role, scopes)
		if r.Active != nil {
			if cur.ID == v.UserID && !*r.Active {
				errs.Add(fault.NotAllowed, "input.active", "you cannot deactivate yourself")
			}
			upd.SetActive(*r.Active)
			before["active"], after["active"] = cur.Active, *r.Active
		}
		if err := errs.Err(); err != nil {
			return err
		}
		if u, err = upd.Save(ctx); err != nil {
			return err
		}
		if r.Active != nil && !*r.Active {
			if err := s.revokeUser(ctx, tx, u.ID); err != nil {
				return err
			}
		}
		return audit.Record(ctx, tx, audit.Event{Action: "user.updated", SubjectType: "User", SubjectID: u.ID,
			Before: before, After: after})
	})
	if err != nil {
		return nil, err
	}
	s.changed(u.ID)
	return u.Unwrap(), nil
}

// ChangePassword changes the viewer's own password after checking the
// current one, and ends all their sessions.
func (s *Service) ChangePassword(ctx context.Context, current, next string) error {
	v, err := auth.Require(ctx)
	if err != nil {
		return err
	}
	if v.IsSystem() {
		return fault.New(fault.NotAllowed, "", "the system has no password")
	}
	u, err := s.client.User.Get(system(ctx), v.UserID)
	if err != nil {
		return err
	}
	if !s.passwords.Match(u.PasswordHash, current) {
		return fault.New(fault.InvalidCredentials, "input.currentPassword", "is wrong")
	}
	return s.setPassword(ctx, u.ID, next, "user.password_changed")
}

// ResetPassword sets another user's password. Needs user:manage.
func (s *Service) ResetPassword(ctx context.Context, userID int, next string) error {
	if _, err := auth.Require(ctx, auth.UserManage); err != nil {
		return err
	}
	if _, err := s.client.User.Get(ctx, userID); ent.IsNotFound(err) {
		return fault.New(fault.NotFound, "input.userId", "no such user")
	} else if err != nil {
		return err
	}
	return s.setPassword(ctx, userID, next, "user.password_reset")
}

func (s *Service) setPassword(ctx context.Context, userID int, next, action string) error {
	if err := auth.CheckStrength(next); err != nil {
		return fault.New(fault.Invalid, "input.newPassword", "%s", err.Error())
	}
	hash, err := s.passwords.Hash(next)
	if err != nil {
		return err
	}
	err = store.WithTx(ctx, s.client, func(tx *ent.Tx) error {
		if err := tx.User.UpdateOneID(userID).SetPasswordHash(hash).AddVersion(1).Exec(system(ctx)); err != nil {
			return err
		}
		if err := s.revokeUser(ctx, tx, userID); err != nil {
			return err
		}
		return audit.Record(ctx, tx, audit.Event{Action: action, SubjectType: "User", SubjectID: userID})
	})
	if err == nil {
		// The sessions just ended: their access tokens stop here at once.
		s.changed(userID)
	}
	return err
}

// EnsureAdmin creates an active ADMIN with the given email and password
// unless an account with that email exists. It is how an operator gets the
// first admin; it reports whether it created one.
func (s *Service) EnsureAdmin(ctx context.Context, email, password, name string) (bool, error) {
	sys := auth.NewContext(ctx, auth.System("bootstrap"))
	e, ok := normalizeEmail(email)
	if !ok {
		return false, fault.New(fault.Invalid, "email", "%q is not an email address", email)
	}
	exists, err := s.client.User.Query().Where(user.Email(e)).Exist(sys)
	if err != nil || exists {
		return false, err
	}
	_, err = s.CreateUser(sys, NewUserRequest{Email: e, Name: name, Password: password, Role: string(auth.Admin)})
	return err == nil, err
}
