package store

import (
	"context"

	atlas "ariga.io/atlas/sql/migrate"

	"orderdesk/migrations/baseline"
)

// ApplyMigrationsIn applies the migrations of dir in place of the embedded
// ones, for tests of other histories.
func (db *DB) ApplyMigrationsIn(ctx context.Context, dir atlas.Dir) ([]Migration, error) {
	return db.applyDir(ctx, dir)
}

// BaselineDrift is SchemaDrift against the schema the baseline was
// written from.
func (db *DB) BaselineDrift(ctx context.Context) ([]string, error) {
	return db.schemaDrift(ctx, baseline.Tables)
}
