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

const usersSynopsis = `users create-admin --email EMAIL

  Reads the password from standard input (one line). Creates the account
  with the user and admin roles, or grants admin to an existing account
  (its password unchanged). Running it again changes nothing.
`

func usersCmd(ctx context.Context, args []string, env environ, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("users", usersSynopsis, stderr)
	if len(args) == 0 || args[0] != "create-admin" {
		fs.Usage()
		return errUsage
	}
	email := fs.String("email", "", "the administrator's email address")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *email == "" {
		fs.Usage()
		return errUsage
	}
	cfg, _, err := loadConfig(env.get)
	if err != nil {
		return err
	}
	pw, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	pw = strings.TrimRight(pw, "\r\n")
	store, err := openStore(ctx, cfg, nil, logging.Named(logging.New(stderr, slog.LevelWarn, nil), "anirohi"))
	if err != nil {
		return err
	}
	defer store.Close()
	clock := systemClock{}
	auth, err := newAuth(cfg, store, app.NewAccess(store, clock), clock, nil)
	if err != nil {
		return err
	}
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
