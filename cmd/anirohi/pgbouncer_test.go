package main

// The service through PgBouncer in transaction mode (TEST_PGBOUNCER_URL;
// .ci/run starts one), its database made and migrated directly on the
// server, as in production.

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anirohi/anirohi-api/bench/load/loadgen"
	"github.com/anirohi/anirohi-api/internal/store/postgres/pgtest"
)

func pgbouncerEnv(t *testing.T, dbURL string) map[string]string {
	env := testEnv(t)
	env["DATABASE_URL"], env["DB_PGBOUNCER"] = pgtest.ThroughBouncer(t, dbURL), "true"
	return env
}

// Nothing migrates through PgBouncer: even in ENV=test start-up only checks.
func TestPgBouncerStartRefusesUnmigratedDatabase(t *testing.T) {
	pgtest.BouncerURL(t)
	err := run(t.Context(), nil, envOf(pgbouncerEnv(t, pgtest.NewEmptyDatabase(t))), nil, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "migrate up\" against PostgreSQL directly") {
		t.Fatalf("start through PgBouncer on an unmigrated database = %v, want a schema error", err)
	}
}

// A few seconds of the viewer mix (bench/load/loadgen) through PgBouncer:
// concurrent registrations, then saves, library, progress and history
// reads and writes, refreshes and logins, with no error at all and every
// acknowledged save read back.
func TestLoadThroughPgBouncer(t *testing.T) {
	pgtest.BouncerURL(t)
	env := pgbouncerEnv(t, pgtest.NewDatabase(t))
	env["RATE_LIMIT_ENABLED"], env["DB_POOL_SIZE"], env["PASSWORD_HASH_MAX_WAIT_SECONDS"] = "false", "8", "60"
	base, _, logs := startServerLogs(t, env)
	if !strings.Contains(logs.String(), "no statement_timeout: give PgBouncer's database entry connect_query='SET statement_timeout = 15000'") {
		t.Error("start-up did not warn that the server has no statement_timeout")
	}
	const viewers = 12
	sum, err := loadgen.Run(t.Context(), loadgen.Config{
		BaseURL: base, Viewers: viewers, Ramp: time.Second, Duration: 8 * time.Second,
		SaveEvery: 500 * time.Millisecond,
		Rates:     loadgen.Rates{LibraryRead: 20, ProgressRead: 20, HistoryRead: 20, LibraryWrite: 20, Refresh: 6, Login: 3},
		Accounts:  registerViewers(t, base, viewers), Origin: "http://localhost:3000", VerifyWrites: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := sum.Errors(); n != 0 {
		t.Errorf("%d of %d requests failed: %+v", n, sum.TotalRequests, sum.ErrorSamples)
	}
	if v := sum.Verify; v == nil || !v.OK() || v.AckedSaves == 0 {
		t.Errorf("acknowledged saves read back: %+v", v)
	}
	for _, e := range sum.Endpoints {
		t.Logf("%-40s %5d requests, p95 %6.1f ms", e.Endpoint, e.Count, e.P95Ms)
	}
}

// registerViewers registers n accounts at once, each with the tokens its
// registration gave.
func registerViewers(t *testing.T, base string, n int) []*loadgen.Account {
	accounts, errs := make([]*loadgen.Account, n), make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { accounts[i], errs[i] = register(base, fmt.Sprintf("bouncer%d@example.com", i)) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	return accounts
}

func register(base, email string) (*loadgen.Account, error) {
	const password = "viewer-password"
	resp, err := http.Post(base+"/api/v1/auth/register", "application/json", strings.NewReader(`{"email":"`+email+`","password":"`+password+`"}`))
	if err != nil {
		return nil, err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	if refresh := cookie(resp, "refresh_token"); err == nil && resp.StatusCode == 201 {
		return loadgen.NewAccount(email, password, tok.AccessToken, refresh), nil
	}
	return nil, fmt.Errorf("register %s: %d %v", email, resp.StatusCode, err)
}
