package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"orderdesk/store"
)

// Values of ORDERDESK_MIGRATE.
const (
	migrateAuto = "auto" // apply pending migrations at start
	migrateOff  = "off"  // refuse to start while any is pending
)

// migrateTimeout bounds each database read and write of a migration, in
// place of the server's request-sized -db-timeout: a migration statement
// may rebuild a large table.
const migrateTimeout = time.Hour

// runMigrate is `orderdesk migrate [-status] [flags]`: it applies the
// pending migrations and exits, printing what it applied, or with -status
// prints what is pending. The other flags and ORDERDESK_* variables are the
// server's (the database ones matter).
func runMigrate(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	status := false
	var rest []string
	for _, a := range args {
		switch a {
		case "-status", "--status":
			status = true
		default:
			rest = append(rest, a)
		}
	}
	c, err := parseConfig(rest, getenv, stderr)
	if err != nil {
		return err
	}
	db, err := openForMigration(c)
	if err != nil {
		return err
	}
	defer db.Close()
	if status {
		return printPending(ctx, db, stdout)
	}
	applied, err := db.ApplyMigrations(ctx)
	for _, m := range applied {
		fmt.Fprintln(stdout, "applied", m)
	}
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(stdout, "nothing to apply: the database is up to date")
	}
	return nil
}

func printPending(ctx context.Context, db *store.DB, stdout io.Writer) error {
	pending, err := db.PendingMigrations(ctx)
	if err != nil {
		return err
	}
	if len(pending) == 0 {
		fmt.Fprintln(stdout, "no pending migrations: the database is up to date")
	}
	for _, m := range pending {
		fmt.Fprintln(stdout, "pending", m)
	}
	return nil
}

// migrateAtStart does what ORDERDESK_MIGRATE says before the server starts:
// apply the pending migrations (auto), or refuse to start while any is
// pending (off), for deployments that migrate as a separate step.
func migrateAtStart(ctx context.Context, c config, log *slog.Logger) error {
	db, err := openForMigration(c)
	if err != nil {
		return err
	}
	defer db.Close()
	if c.migrate == migrateOff {
		pending, err := db.PendingMigrations(ctx)
		if err != nil {
			return err
		}
		if len(pending) > 0 {
			names := make([]string, len(pending))
			for i, m := range pending {
				names[i] = m.Name
			}
			return fmt.Errorf("the database has %d pending migration(s) (%s) and ORDERDESK_MIGRATE=off: "+
				"run `orderdesk migrate` first", len(pending), strings.Join(names, ", "))
		}
		return db.CheckComplete(ctx)
	}
	applied, err := db.ApplyMigrations(ctx)
	for _, m := range applied {
		log.Info("applied migration", "file", m.Name, "statements", m.Statements, "adopted", m.Adopted)
	}
	return err
}

// openForMigration opens a database handle of its own for migrating, with
// room for long statements.
func openForMigration(c config) (*store.DB, error) {
	o := c.db
	o.Timeout = max(o.Timeout, migrateTimeout)
	return store.OpenWith(c.dbDriver, c.dbDSN, o)
}

// checkMigrateSetting validates ORDERDESK_MIGRATE.
func checkMigrateSetting(v string) error {
	if v != migrateAuto && v != migrateOff {
		return fmt.Errorf("ORDERDESK_MIGRATE %q: use %q or %q", v, migrateAuto, migrateOff)
	}
	return nil
}
