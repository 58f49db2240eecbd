package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"text/tabwriter"
)

const migrateSynopsis = `migrate up | down [N] | status | version | create NAME

  up         apply every pending migration
  down [N]   roll back the N most recent migrations (default 1)
  status     list migrations and whether each is applied
  version    print the applied and the latest version
  create     add an empty NNNNN_NAME.sql to both engines (run in the source tree)
`

func migrateCmd(ctx context.Context, args []string, env environ, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", migrateSynopsis, stderr)
	dir := fs.String("dir", "internal/store", "for create: the directory holding sqlite/ and postgres/")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errUsage
	}
	sub, rest := fs.Arg(0), fs.Args()[1:]
	if sub == "create" {
		if len(rest) != 1 {
			fs.Usage()
			return errUsage
		}
		return createMigration(*dir, rest[0], stdout)
	}
	e := newEnvReader(env.get)
	db := readDatabase(e, e.oneOf("ENV", "dev", "dev", "production", "test"))
	if err := e.err(); err != nil {
		return err
	}
	if db.PgBouncer {
		return errors.New("migrate: DB_PGBOUNCER=true, but the migrator holds an advisory lock on its session, which transaction pooling breaks: run it with DATABASE_URL naming PostgreSQL itself and DB_PGBOUNCER unset")
	}
	s, err := openDatabase(ctx, db, 2, 0, nil)
	if err != nil {
		return err
	}
	defer s.Close()
	m, err := s.Migrator()
	if err != nil {
		return err
	}
	switch sub {
	case "up":
		applied, err := m.Up(ctx)
		for _, r := range applied {
			fmt.Fprintf(stdout, "applied %d %s (%s)\n", r.Version, r.Name, r.Duration.Round(1e6))
		}
		if err == nil && len(applied) == 0 {
			fmt.Fprintln(stdout, "no pending migrations")
		}
		return err
	case "down":
		n := 1
		if len(rest) > 0 {
			if n, err = strconv.Atoi(rest[0]); err != nil || n < 1 {
				return fmt.Errorf("migrate down: N must be a positive integer, got %q", rest[0])
			}
		}
		undone, err := m.Down(ctx, n)
		for _, r := range undone {
			fmt.Fprintf(stdout, "rolled back %d %s\n", r.Version, r.Name)
		}
		return err
	case "status":
		list, err := m.Status(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED AT")
		for _, st := range list {
			at := "pending"
			if st.Applied {
				at = st.AppliedAt.UTC().Format("2006-01-02 15:04:05Z")
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\n", st.Version, st.Name, at)
		}
		return tw.Flush()
	case "version":
		current, latest, err := m.Version(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "current %d, latest %d\n", current, latest)
		return nil
	}
	fs.Usage()
	return errUsage
}

var migrationName = regexp.MustCompile(`^[a-z0-9_]{1,64}$`)

// createMigration writes the next numbered, empty step for both engines.
func createMigration(dir, name string, stdout io.Writer) error {
	if !migrationName.MatchString(name) {
		return fmt.Errorf("migrate create: NAME must be 1..64 of [a-z0-9_], got %q", name)
	}
	engines := []string{filepath.Join(dir, "postgres", "migrations"), filepath.Join(dir, "sqlite", "migrations")}
	next := 1
	for _, d := range engines {
		files, err := filepath.Glob(filepath.Join(d, "*.sql"))
		if err != nil {
			return err
		}
		if len(files) == 0 {
			if _, err := os.Stat(d); err != nil {
				return fmt.Errorf("migrate create: %w (run it from the repository root or pass -dir)", err)
			}
		}
		for _, f := range files {
			if n, err := strconv.Atoi(filepath.Base(f)[:5]); err == nil && n >= next {
				next = n + 1
			}
		}
	}
	body := "-- +goose Up\n\n-- +goose Down\n"
	for _, d := range engines {
		path := filepath.Join(d, fmt.Sprintf("%05d_%s.sql", next, name))
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return err
		}
		fmt.Fprintln(stdout, "created", path)
	}
	return nil
}
