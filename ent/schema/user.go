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
		field.String("email").Comment("What the user signs in with: unique. Audit events name users by it.").MaxRuneLen(254).NotEmpty().Unique().
			Annotations(entgql.OrderField("EMAIL")),
		field.String("name").Comment("The user's name, as colleagues see it.").MaxRuneLen(200).NotEmpty().
			Annotations(entgql.OrderField("NAME")),
		field.String("password_hash").Sensitive(),
		field.Enum("role").Comment("The user's job, which decides what they may do (see UserRole and me.permissions).").Values(roles...).
			Annotations(entgql.OrderField("ROLE")),
		field.Bool("active").Comment("Whether the account may sign in and its API keys work; deactivating it ends its sessions.").Default(true),
		// Scopes are the extra permissions granted to an INTEGRATOR account.
		field.Strings("scopes").Comment("For an INTEGRATOR account: the permissions granted beyond its role's (order:cancel, refund:execute, ...); empty for every other role.").Optional(),
		optionalTime("last_login_at", "When the user last signed in with their password; null if never."),
	}
}

func (User) Edges() []ent.Edge {
	return []ent.Edge{
		edge.To("customers", Customer.Type).Comment("The customers the user owns (see Customer.owner).").Annotations(entgql.RelayConnection()),
		edge.To("refresh_tokens", RefreshToken.Type).Annotations(entgql.Skip()),
		edge.To("notifications", Notification.Type).Annotations(entgql.Skip()),
	}
}

func (User) Indexes() []ent.Index {
	return []ent.Index{index.Fields("role", "active")}
}

func (User) Annotations() []schema.Annotation {
	return []schema.Annotation{
		schema.Comment("A member of staff, or an integrator's machine account: their role, and for integrators the scopes granted beyond it."),
		entgql.QueryField().Description("Users, filtered and ordered. Needs user:read."),
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
		optionalTime("used_at", "When the token was exchanged for a new one; null while unused."),
		optionalTime("revoked_at", "When the token was revoked; null until it is."),
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
