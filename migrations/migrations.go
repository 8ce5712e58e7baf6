// Package migrations holds orderdesk's versioned schema migrations, one
// directory of Atlas-format files (and its atlas.sum) per database engine:
// mysql/ for MariaDB/MySQL, sqlite/ for SQLite. scripts/migration writes
// them from the ent schema; store.(*DB).Migrate applies them. They are
// embedded, so the binary carries the migrations of its own schema.
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed mysql sqlite
var files embed.FS

// FS returns the migration directory of an engine, "mysql" or "sqlite".
func FS(engine string) (fs.FS, error) {
	if engine != "mysql" && engine != "sqlite" {
		return nil, fmt.Errorf("no migrations for database engine %q", engine)
	}
	return fs.Sub(files, engine)
}
