package schema

import (
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"
)

// datetime gives time columns microsecond precision and a range past 2038 on
// MySQL/MariaDB, where ent would otherwise choose TIMESTAMP.
var datetime = map[string]string{dialect.MySQL: "datetime(6)"}

// TimeMixin adds created_at and updated_at, both orderable in GraphQL.
type TimeMixin struct{ mixin.Schema }

func (TimeMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Immutable().Default(now).SchemaType(datetime).
			Annotations(entgql.OrderField("CREATED_AT")),
		field.Time("updated_at").Default(now).UpdateDefault(now).SchemaType(datetime).
			Annotations(entgql.OrderField("UPDATED_AT")),
	}
}

// CreatedMixin is for append-only records: they are created and never updated.
type CreatedMixin struct{ mixin.Schema }

func (CreatedMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Time("created_at").Immutable().Default(now).SchemaType(datetime).
			Annotations(entgql.OrderField("CREATED_AT")),
	}
}

// VersionMixin adds the optimistic-concurrency version that clients send back
// as expectedVersion; the domain increments it on every change.
type VersionMixin struct{ mixin.Schema }

func (VersionMixin) Fields() []ent.Field {
	return []ent.Field{
		field.Int64("version").Default(1).NonNegative(),
	}
}

func now() time.Time { return time.Now().UTC() }

// money declares an amount in integer minor units. It is hidden from GraphQL:
// each type exposes its amounts as Money objects through resolvers, which pair
// the minor units with the currency.
func money(name string) ent.Field {
	return field.Int64(name).Default(0).Annotations(entgql.Skip())
}

// currency is a three-letter ISO 4217 code.
func currency() ent.Field {
	return field.String("currency").MaxRuneLen(3).MinLen(3).Immutable()
}

// optionalTime is a nullable timestamp with the MySQL column type fixed.
func optionalTime(name string) ent.Field {
	return field.Time(name).Optional().Nillable().SchemaType(datetime)
}
