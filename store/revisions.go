package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	atlasschema "ariga.io/atlas/sql/schema"
	"entgo.io/ent/dialect"
)

// revisionsTable keeps which migration files a database has applied. Its
// name and columns are the Atlas CLI's, so that the CLI can read (and one
// day take over) the history.
const revisionsTable = "atlas_schema_revisions"

var revisionsDDL = map[string]string{
	dialect.MySQL: "CREATE TABLE IF NOT EXISTS `" + revisionsTable + "` (" +
		"`version` varchar(255) NOT NULL, `description` varchar(255) NOT NULL, " +
		"`type` bigint unsigned NOT NULL DEFAULT 2, `applied` bigint NOT NULL DEFAULT 0, `total` bigint NOT NULL DEFAULT 0, " +
		"`executed_at` datetime(6) NOT NULL, `execution_time` bigint NOT NULL, " +
		"`error` longtext NULL, `error_stmt` longtext NULL, `hash` varchar(255) NOT NULL, " +
		"`partial_hashes` json NULL, `operator_version` varchar(255) NOT NULL, " +
		"PRIMARY KEY (`version`)) CHARSET utf8mb4 COLLATE utf8mb4_bin",
	dialect.SQLite: "CREATE TABLE IF NOT EXISTS `" + revisionsTable + "` (" +
		"`version` text NOT NULL PRIMARY KEY, `description` text NOT NULL, " +
		"`type` integer NOT NULL DEFAULT 2, `applied` integer NOT NULL DEFAULT 0, `total` integer NOT NULL DEFAULT 0, " +
		"`executed_at` datetime NOT NULL, `execution_time` integer NOT NULL, " +
		"`error` text NULL, `error_stmt` text NULL, `hash` text NOT NULL, " +
		"`partial_hashes` json NULL, `operator_version` text NOT NULL)",
}

const revisionColumns = "`version`, `description`, `type`, `applied`, `total`, `executed_at`, `execution_time`, " +
	"`error`, `error_stmt`, `hash`, `partial_hashes`, `operator_version`"

// revisions is atlas's RevisionReadWriter over revisionsTable, on whatever
// connection or transaction the migration runs on.
type revisions struct {
	conn    atlasschema.ExecQuerier
	dialect string
	// held, when not nil, keeps writes until flush. Atlas writes the
	// revision after every statement so that a file that failed half-way
	// resumes where it stopped; inside a transaction nothing stops
	// half-way, and those writes cost more than the baseline's statements.
	held map[string]atlas.Revision
}

var _ atlas.RevisionReadWriter = (*revisions)(nil)

func (db *DB) revisions(conn atlasschema.ExecQuerier) *revisions {
	return &revisions{conn: conn, dialect: db.Dialect}
}

// create makes the table; reading works without it (no history yet), so
// that asking what is pending changes nothing.
func (r *revisions) create(ctx context.Context) error {
	_, err := r.conn.ExecContext(ctx, revisionsDDL[r.dialect])
	return err
}

func (r *revisions) Ident() *atlas.TableIdent { return &atlas.TableIdent{Name: revisionsTable} }

func (r *revisions) exists(ctx context.Context) (bool, error) {
	query := "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = ?"
	if r.dialect == dialect.MySQL {
		query = "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?"
	}
	rows, err := r.conn.QueryContext(ctx, query, revisionsTable)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	var n int
	if rows.Next() {
		if err := rows.Scan(&n); err != nil {
			return false, err
		}
	}
	return n > 0, rows.Err()
}

func (r *revisions) ReadRevisions(ctx context.Context) ([]*atlas.Revision, error) {
	if len(r.held) > 0 {
		// Not needed by the way applySQLite drives the executor; merging
		// would be, if that changed.
		return nil, errors.New("reading revisions while writes are held")
	}
	if ok, err := r.exists(ctx); err != nil || !ok {
		return nil, err
	}
	return r.query(ctx, "")
}

// holdWrites makes writes wait for flush; for a transaction only.
func (r *revisions) holdWrites() { r.held = map[string]atlas.Revision{} }

// flush writes the held revisions, in their last state.
func (r *revisions) flush(ctx context.Context) error {
	for _, v := range slices.Sorted(maps.Keys(r.held)) {
		rev := r.held[v]
		if err := r.write(ctx, &rev); err != nil {
			return err
		}
	}
	clear(r.held)
	return nil
}

func (r *revisions) ReadRevision(ctx context.Context, version string) (*atlas.Revision, error) {
	if rev, ok := r.held[version]; ok {
		return &rev, nil
	}
	revs, err := r.query(ctx, version)
	if err != nil {
		return nil, err
	}
	if len(revs) == 0 {
		return nil, atlas.ErrRevisionNotExist
	}
	return revs[0], nil
}

// query reads the revisions in version order, or only the given version.
func (r *revisions) query(ctx context.Context, version string) ([]*atlas.Revision, error) {
	query := "SELECT " + revisionColumns + " FROM `" + revisionsTable + "`"
	var args []any
	if version != "" {
		query += " WHERE `version` = ?"
		args = append(args, version)
	}
	rows, err := r.conn.QueryContext(ctx, query+" ORDER BY `version`", args...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", revisionsTable, err)
	}
	defer rows.Close()
	var revs []*atlas.Revision
	for rows.Next() {
		rev, err := scanRevision(rows)
		if err != nil {
			return nil, err
		}
		revs = append(revs, rev)
	}
	return revs, rows.Err()
}

func scanRevision(rows *sql.Rows) (*atlas.Revision, error) {
	var (
		rev            atlas.Revision
		executionTime  int64
		errText, stmt  sql.NullString
		partial        sql.NullString
		executedAt     any
		revisionType   uint
		applied, total int
	)
	err := rows.Scan(&rev.Version, &rev.Description, &revisionType, &applied, &total, &executedAt, &executionTime,
		&errText, &stmt, &rev.Hash, &partial, &rev.OperatorVersion)
	if err != nil {
		return nil, err
	}
	rev.Type, rev.Applied, rev.Total = atlas.RevisionType(revisionType), applied, total
	rev.ExecutionTime = time.Duration(executionTime)
	rev.Error, rev.ErrorStmt = errText.String, stmt.String
	rev.ExecutedAt, err = scanTime(executedAt)
	if err != nil {
		return nil, err
	}
	if partial.Valid && partial.String != "" {
		if err := json.Unmarshal([]byte(partial.String), &rev.PartialHashes); err != nil {
			return nil, fmt.Errorf("revision %s: partial hashes: %w", rev.Version, err)
		}
	}
	return &rev, nil
}

// scanTime accepts a time as either driver returns it: MySQL's time.Time,
// or the text SQLite keeps.
func scanTime(v any) (time.Time, error) {
	switch v := v.(type) {
	case time.Time:
		return v, nil
	case string:
		return parseSQLiteTime(v)
	case []byte:
		return parseSQLiteTime(string(v))
	}
	return time.Time{}, fmt.Errorf("unexpected executed_at %T", v)
}

func parseSQLiteTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("unexpected executed_at %q", s)
}

// WriteRevision inserts or replaces the revision, or holds it.
func (r *revisions) WriteRevision(ctx context.Context, rev *atlas.Revision) error {
	if r.held != nil {
		r.held[rev.Version] = *rev
		return nil
	}
	return r.write(ctx, rev)
}

func (r *revisions) write(ctx context.Context, rev *atlas.Revision) error {
	var partial any
	if len(rev.PartialHashes) > 0 {
		b, err := json.Marshal(rev.PartialHashes)
		if err != nil {
			return err
		}
		partial = string(b)
	}
	_, err := r.conn.ExecContext(ctx, "REPLACE INTO `"+revisionsTable+"` ("+revisionColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		rev.Version, rev.Description, uint(rev.Type), rev.Applied, rev.Total, rev.ExecutedAt.UTC(), int64(rev.ExecutionTime),
		nullString(rev.Error), nullString(rev.ErrorStmt), rev.Hash, partial, rev.OperatorVersion)
	return err
}

func (r *revisions) DeleteRevision(ctx context.Context, version string) error {
	_, err := r.conn.ExecContext(ctx, "DELETE FROM `"+revisionsTable+"` WHERE `version` = ?", version)
	return err
}

func nullString(s string) any {
	if s == "" {
		return nil
	}
	return s
}
