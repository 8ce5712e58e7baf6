package schema

import (
	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/schema"
	"entgo.io/ent/schema/edge"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/index"
)

// Roles of DESIGN.md; what each may do is the permission table in package auth.
var roles = []string{"ADMIN", "SALES_MANAGER", "SALES_REP", "FINANCE", "WAREHOUSE", "SUPPORT", "AUDITOR", "INTEGRATOR"}

// User is a member of staff or an integrator's machine account.
type User struct{ ent.Schema }

func (User) Mixin() []ent.Mixin { return []ent.Mixin{TimeMixin{}, VersionMixin{}} }

func (User) Fields() []ent.Field {
	return []ent.Field{
		field.String("email").MaxRuneLen(254).NotEmpty().Unique().
			Annotations(entgql.OrderField("EMAIL")),
		field.String("name").MaxRuneLen(200).NotEmpty().
			Annotations(entgql.OrderField("NAME")),
		field.String("password_hash").Sensitive(),
		field.Enum("role").Values(roles...).
			Annotations(entgql.OrderField("ROLE")),
		field.Bool("active").Default(true),
		// Scopes are the extra permissions granted to an INTEGRATOR account.
		field.Strings("scopes").Optional(),
		optionalTime("last_login_at"),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customers", Customer.Type).Annotations(entgql.RelayConnection()),
		edge.To("refresh_tokens", RefreshToken.Type).Annotations(entgql.Skip()),
		edge.To("notifications", Notification.Type).Annotations(entgql.Skip()),
	}
}

func (User) Indexes() []ent.Index {
	return []ent.Index{index.Fields("role", "active")}
}

func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		entgql.QueryField(),
		entgql.RelayConnection(),
	}
}

// RefreshToken is one link of a rotating refresh-token family. Only the
// SHA-256 of the token is stored.
type RefreshToken struct{ ent.Schema }

func (RefreshToken) Mixin() []ent.Mixin { return []ent.Mixin{CreatedMixin{}} }

func (RefreshToken) Fields() []ent.Field {
	return []ent.Field{
		field.String("token_hash").Unique().Immutable().Sensitive(),
		field.String("family").Immutable(),
		field.Int("user_id").Immutable(),
		field.Time("expires_at").Immutable().SchemaType(datetime),
		// UsedAt is set when the token is exchanged for a new one; a second
		// exchange of the same token is reuse and revokes the family.
		optionalTime("used_at"),
		optionalTime("revoked_at"),
	}
}

func (RefreshToken) Edges() []ent.Edge {
	return []ent.Edge{
		edge.From("user", User.Type).Ref("refresh_tokens").Field("user_id").Unique().Required().Immutable(),
	}
}

func (RefreshToken) Indexes() []ent.Index {
	return []ent.Index{index.Fields("family"), index.Fields("user_id")}
}

func (RefreshToken) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}

// LoginFailure counts the failed sign-ins of one throttle key within a
// window: an account, an account from one address, or one address. Every
// replica reads and writes the same rows, so a second server does not
// double the allowance. The key is a SHA-256, so made-up emails sprayed at
// the login are not kept in clear.
type LoginFailure struct{ ent.Schema }

func (LoginFailure) Fields() []ent.Field {
	return []ent.Field{
		field.String("key").Unique().Immutable().MaxLen(64),
		field.Int("count").NonNegative(),
		field.Time("first_at").SchemaType(datetime),
		field.Time("last_at").SchemaType(datetime),
	}
}

func (LoginFailure) Indexes() []ent.Index {
	return []ent.Index{index.Fields("last_at")}
}

func (LoginFailure) Annotations() []schema.Annotation {
	return []schema.Annotation{entgql.Skip(entgql.SkipAll)}
}
