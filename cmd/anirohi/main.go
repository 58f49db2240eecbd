// Command anirohi is the Anirohi API server and its maintenance commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"syscall"

	"github.com/joho/godotenv"
)

// The one version of the binary, stamped at build time with -ldflags
// "-X main.buildVersion=... -X main.buildCommit=..." (the Dockerfile does);
// /health, `anirohi version`, anirohi_build_info and traces all show it.
var (
	buildVersion = "dev"
	buildCommit  = "unknown"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.Is(err, errUsage):
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "anirohi:", err)
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

const usage = `Usage: anirohi [command]

Commands:
  serve                    run the API server (the default)
  migrate up|down [N]|status|version|create NAME
                           manage the database schema
  users create-admin --email EMAIL
                           create or promote an administrator (password on stdin)
  catalog import FILE | export | seed [-anime N] [-jsonl]
                           load, dump or generate the anime catalog (JSON Lines)
  healthcheck              GET /health on 127.0.0.1:$PORT; exit 0 when healthy
  version                  print the build version

Configuration comes from the environment and ./.env; see README.md.
`

// run is the whole program: main only supplies the process's environment,
// streams and signals, so tests can call it directly.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	env, err := readEnv(getenv, ".env")
	if err != nil {
		return err
	}
	cmd, rest := "serve", args
	if len(args) > 0 {
		cmd, rest = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(ctx, rest, env, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, rest, env, stdout, stderr)
	case "users":
		return usersCmd(ctx, rest, env, stdin, stdout, stderr)
	case "catalog":
		return catalogCmd(ctx, rest, env, stdin, stdout, stderr)
	case "healthcheck":
		return healthcheck(ctx, rest, env, stderr)
	case "version":
		fmt.Fprintf(stdout, "anirohi %s (commit %s, %s)\n", buildVersion, buildCommit, runtime.Version())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprintf(stderr, "anirohi: unknown command %q\n\n%s", cmd, usage)
	return errUsage
}

// environ is the process environment over the optional .env file: a
// variable set in the process wins.
type environ struct {
	get     func(string) string
	dotKeys []string // keys found in .env, to warn about unknown ones
}

func readEnv(getenv func(string) string, dotPath string) (environ, error) {
	dot, err := godotenv.Read(dotPath)
	if errors.Is(err, fs.ErrNotExist) {
		return environ{get: getenv}, nil
	}
	if err != nil {
		return environ{}, fmt.Errorf("read %s: %w", dotPath, err)
	}
	keys := slices.Sorted(maps.Keys(dot))
	return environ{
		get: func(k string) string {
			if v := getenv(k); v != "" {
				return v
			}
			return dot[k]
		},
		dotKeys: keys,
	}, nil
}

// newFlags returns a flag set for one subcommand that reports errors
// instead of exiting.
func newFlags(name, synopsis string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: anirohi %s\n", synopsis)
		fs.PrintDefaults()
	}
	return fs
}
