package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/anirohi/anirohi-api/internal/app"
	"github.com/anirohi/anirohi-api/internal/domain"
	"github.com/anirohi/anirohi-api/internal/platform/logging"
)

const usersSynopsis = `users create-admin --email EMAIL | grant-role --email EMAIL --role ROLE | revoke-role --email EMAIL --role ROLE

  create-admin  reads the password from standard input (one line); creates the
                account with the user and admin roles, or grants admin to an
                existing account (its password unchanged)
  grant-role    gives an existing account a role (editor: may edit the catalog)
  revoke-role   takes it away
  Running any of them again changes nothing.
`

func usersCmd(ctx context.Context, args []string, env environ, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("users", usersSynopsis, stderr)
	if len(args) == 0 || args[0] != "create-admin" && args[0] != "grant-role" && args[0] != "revoke-role" {
		fs.Usage()
		return errUsage
	}
	sub := args[0]
	email := fs.String("email", "", "the account's email address")
	role := fs.String("role", "", "grant-role, revoke-role: the role's code (user, editor, admin)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" || sub != "create-admin" && *role == "" {
		fs.Usage()
		return errUsage
	}
	cfg, _, err := loadConfig(env.get)
	if err != nil {
		return err
	}
	if sub != "create-admin" {
		return changeRole(ctx, cfg, *email, *role, sub == "grant-role", stdout, stderr)
	}
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	pw = strings.TrimRight(pw, "\r\n")
	auth, closeStore, err := openAuth(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	created, granted, err := auth.EnsureAdmin(ctx, *email, pw)
	if e := domain.AsError(err); e != nil && len(e.Fields) > 0 {
		return fmt.Errorf("%s %s", e.Fields[0].Field, e.Fields[0].Message)
	}
	switch {
	case err != nil:
		return err
	case created:
		fmt.Fprintf(stdout, "created administrator %s\n", *email)
	case granted:
		fmt.Fprintf(stdout, "granted admin to existing user %s (password unchanged)\n", *email)
	default:
		fmt.Fprintf(stdout, "%s is already an administrator\n", *email)
	}
	return nil
}

// changeRole grants or revokes a role of an existing account.
func changeRole(ctx context.Context, cfg Config, email, role string, grant bool, stdout, stderr io.Writer) error {
	auth, closeStore, err := openAuth(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	defer closeStore()
	changed, err := auth.ChangeRoleByEmail(ctx, email, role, grant)
	if e := domain.AsError(err); e != nil && e.Msg != "" {
		return fmt.Errorf("%s", describeError(e))
	}
	if err != nil {
		return err
	}
	switch {
	case !changed && grant:
		fmt.Fprintf(stdout, "%s already holds %s\n", email, role)
	case !changed:
		fmt.Fprintf(stdout, "%s does not hold %s\n", email, role)
	case grant:
		fmt.Fprintf(stdout, "granted %s to %s\n", role, email)
	default:
		fmt.Fprintf(stdout, "revoked %s from %s\n", role, email)
	}
	return nil
}

// openAuth opens the database for a command and the auth use cases over
// it; closeStore closes the database.
func openAuth(ctx context.Context, cfg Config, stderr io.Writer) (auth *app.Auth, closeStore func(), err error) {
	store, err := openStore(ctx, cfg, nil, logging.Named(logging.New(stderr, slog.LevelWarn, nil), "anirohi"))
	if err != nil {
		return nil, nil, err
	}
	clock := systemClock{}
	if auth, err = newAuth(cfg, store, app.NewAccess(store, clock), clock, nil); err != nil {
		store.Close()
		return nil, nil, err
	}
	return auth, store.Close, nil
}

// describeError is a domain error for a terminal.
func describeError(e *domain.Error) string {
	if len(e.Fields) > 0 {
		return domain.DescribeFields(e.Fields)
	}
	return e.Msg
}
