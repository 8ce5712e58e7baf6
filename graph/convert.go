package graph

import (
	"context"

	"orderdesk/account"
	"orderdesk/graph/model"
)

type remoteAddrKey struct{}

// WithRemoteAddr stores the client's address for sign-in throttling.
func WithRemoteAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, remoteAddrKey{}, addr)
}

func remoteAddr(ctx context.Context) string {
	a, _ := ctx.Value(remoteAddrKey{}).(string)
	return a
}

func session(s *account.Session) *model.Session {
	if s == nil {
		return nil
	}
	return &model.Session{AccessToken: s.AccessToken, AccessTokenExpiresAt: s.AccessExpiresAt,
		RefreshToken: s.RefreshToken, RefreshTokenExpiresAt: s.RefreshExpiresAt, User: s.User}
}

func updateUserRequest(in model.UpdateUserInput) account.UpdateUserRequest {
	r := account.UpdateUserRequest{ID: in.ID, Name: in.Name, Active: in.Active,
		Scopes: in.Scopes, SetScopes: in.Scopes != nil}
	if in.ExpectedVersion != nil {
		v := int64(*in.ExpectedVersion)
		r.ExpectedVersion = &v
	}
	if in.Role != nil {
		role := string(*in.Role)
		r.Role = &role
	}
	return r
}
