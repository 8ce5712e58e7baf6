package schema

import (
	"context"
	"time"

	"entgo.io/contrib/entgql"
	"entgo.io/ent"
	"entgo.io/ent/dialect"
	"entgo.io/ent/schema/field"
	"entgo.io/ent/schema/mixin"

	"orderdesk/store"
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

// Hooks stamp the rows a business action writes with its one clock reading.
func (TimeMixin) Hooks() []ent.Hook { return []ent.Hook{stamp} }

// stamp sets created_at (on create) and updated_at to the transaction's
// time (store.WithNow) when the context carries one: every row one business
// action writes then says the same "when", so that what happened after,
// say, an order closed can be told exactly. Outside a business action the
// fields' defaults apply.
func stamp(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if now, ok := store.TxNow(ctx); ok {
			if m.Op().Is(ent.OpCreate) {
				if err := m.SetField("created_at", now); err != nil {
					return nil, err
				}
			}
			if err := m.SetField("updated_at", now); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}

// CreatedMixin is for append-only records: they are created and never updated.
type CreatedMixin struct{ mixin.Schema }

// Hooks stamp created_at with the business action's clock reading.
func (CreatedMixin) Hooks() []ent.Hook { return []ent.Hook{stampCreated} }

func stampCreated(next ent.Mutator) ent.Mutator {
	return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
		if now, ok := store.TxNow(ctx); ok && m.Op().Is(ent.OpCreate) {
			if err := m.SetField("created_at", now); err != nil {
				return nil, err
			}
		}
		return next.Mutate(ctx, m)
	})
}

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

// currency is a three-letter ISO 4217 code; comment says, for GraphQL,
// whose amounts it is the currency of.
func currency(comment string) ent.Field {
	return field.String("currency").Comment(comment).MaxRuneLen(3).MinLen(3).Immutable()
}

// optionalTime is a nullable timestamp with the MySQL column type fixed;
// comment is its description in GraphQL (when it is set, what null means).
func optionalTime(name, comment string) ent.Field {
	return field.Time(name).Comment(comment).Optional().Nillable().SchemaType(datetime)
}
