// Command prep fills a migrated database (PostgreSQL, or SQLite with
// -db sqlite:PATH) with load-test data and writes the credentials the load
// tools need: one access token per user (signed with the server's key),
// fresh refresh tokens, each in its own session, and accounts files for
// bench/load. It writes rows directly, so preparing 10,000 users takes
// seconds instead of 10,000 password hashes.
//
//	go run ./bench/prep -db URL -secret KEY -users 10000 -tokens out/tokens.txt -refresh 200 -refresh-out out/refresh.txt
//	go run ./bench/prep -db URL -secret KEY -users 0 -accounts 1000 -accounts-out out/accounts.txt
//
// An accounts file has one line per user: "email:password ACCESS REFRESH",
// tab-separated, where ACCESS is an access token and REFRESH a refresh
// token never used before, both of a new session of that user.
package main

import (
	"bufio"
	"context"
	"database/sql"
	"flag"
	"fmt"
	"log"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite"

	"github.com/anirohi/anirohi-api/internal/platform/password"
	"github.com/anirohi/anirohi-api/internal/platform/token"
)

// target is the database being prepared.
type target interface {
	seed(ctx context.Context, users, items, episodes int, hash string) error
	// firstSessions lists each user's first session, by user id.
	firstSessions(ctx context.Context) ([][2]int64, error)
	// newSessions starts a session with a refresh token for each digest,
	// spread over the users in id order: the i-th goes to user i mod users.
	newSessions(ctx context.Context, digests [][]byte) ([]session, error)
	close()
}

type session struct {
	userID, sessionID int64
	email             string
}

func main() {
	db := flag.String("db", "", "PostgreSQL URL, or sqlite:PATH, of a migrated database")
	secret := flag.String("secret", "", "the server's SECRET_KEY")
	users := flag.Int("users", 10000, "users to create: bench-N@example.com (0: use the ones there)")
	pw := flag.String("password", "bench-password-123", "the seeded users' password")
	items := flag.Int("items", 50, "library items per user (provider rpc)")
	episodes := flag.Int("episodes", 20, "progress and history rows per user")
	tokens := flag.String("tokens", "", "write one access token per user here")
	refresh := flag.Int("refresh", 0, "fresh refresh tokens to make, each in a new session")
	refreshOut := flag.String("refresh-out", "", "write the refresh tokens here")
	accounts := flag.Int("accounts", 0, "accounts to write for bench/load: a new session per user (the first N users)")
	accountsOut := flag.String("accounts-out", "", "write the accounts here: email:password, access token, refresh token per line")
	ttl := flag.Duration("ttl", 24*time.Hour, "access token lifetime")
	flag.Parse()
	if *db == "" || *secret == "" {
		log.Fatal("prep needs -db and -secret")
	}
	ctx := context.Background()
	var t target
	var err error
	if path, ok := strings.CutPrefix(*db, "sqlite:"); ok {
		t, err = openSQLite(ctx, path)
	} else {
		t, err = openPostgres(ctx, *db)
	}
	if err != nil {
		log.Fatal(err)
	}
	defer t.close()
	issuer, err := token.NewIssuer("HS256", *secret, "", *ttl)
	if err != nil {
		log.Fatal(err)
	}
	if *users > 0 {
		hash, err := password.NewHasher(password.DefaultParams, 1, time.Minute).Hash(ctx, *pw)
		if err != nil {
			log.Fatal(err)
		}
		t0 := time.Now()
		if err := t.seed(ctx, *users, *items, *episodes, hash); err != nil {
			log.Fatal(err)
		}
		log.Printf("seeded %d users: %d library items, %d progress and history rows each (%.1f s)", *users, *items, *episodes, time.Since(t0).Seconds())
	}
	if *tokens != "" {
		if err := writeAccessTokens(ctx, t, issuer, *tokens); err != nil {
			log.Fatal(err)
		}
	}
	if *refresh > 0 {
		if err := writeRefreshTokens(ctx, t, issuer, *refresh, *refreshOut); err != nil {
			log.Fatal(err)
		}
	}
	if *accounts > 0 {
		if *accountsOut == "" {
			log.Fatal("-accounts needs -accounts-out")
		}
		if err := writeAccounts(ctx, t, issuer, *accounts, *pw, *accountsOut); err != nil {
			log.Fatal(err)
		}
	}
}

// writeAccessTokens mints a token for each user's first session.
func writeAccessTokens(ctx context.Context, t target, issuer *token.Issuer, path string) error {
	rows, err := t.firstSessions(ctx)
	if err != nil {
		return err
	}
	return writeLines(path, len(rows), func(i int) (string, error) {
		return issuer.IssueAccess(rows[i][0], rows[i][1], time.Now())
	})
}

// writeRefreshTokens starts n sessions spread over the users, each with a
// refresh token never used before.
func writeRefreshTokens(ctx context.Context, t target, issuer *token.Issuer, n int, path string) error {
	toks, digests := newRefresh(issuer, n)
	if _, err := t.newSessions(ctx, digests); err != nil {
		return err
	}
	return writeLines(path, n, func(i int) (string, error) { return toks[i], nil })
}

// writeAccounts starts a session for each of the first n users and writes
// its credentials, access token and refresh token.
func writeAccounts(ctx context.Context, t target, issuer *token.Issuer, n int, pw, path string) error {
	toks, digests := newRefresh(issuer, n)
	sess, err := t.newSessions(ctx, digests)
	if err != nil {
		return err
	}
	if len(sess) < n {
		return fmt.Errorf("only %d sessions made", len(sess))
	}
	if strings.ContainsAny(pw, " \t") {
		return fmt.Errorf("the password cannot hold blanks in an accounts file")
	}
	now := time.Now()
	err = writeLines(path, n, func(i int) (string, error) {
		s := sess[i]
		access, err := issuer.IssueAccess(s.userID, s.sessionID, now)
		return s.email + ":" + pw + "\t" + access + "\t" + toks[i], err
	})
	if err == nil {
		log.Printf("wrote %d accounts to %s", n, path)
	}
	return err
}

func newRefresh(issuer *token.Issuer, n int) ([]string, [][]byte) {
	toks, digests := make([]string, n), make([][]byte, n)
	for i := range n {
		toks[i], digests[i] = issuer.NewRefresh()
	}
	return toks, digests
}

func writeLines(path string, n int, line func(int) (string, error)) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for i := range n {
		l, err := line(i)
		if err != nil {
			f.Close()
			return err
		}
		fmt.Fprintln(w, l)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ---- PostgreSQL

type pgTarget struct{ pool *pgxpool.Pool }

func openPostgres(ctx context.Context, dsn string) (*pgTarget, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &pgTarget{pool}, nil
}

func (p *pgTarget) close() { p.pool.Close() }

func (p *pgTarget) seed(ctx context.Context, users, items, episodes int, hash string) error {
	stmts := []string{
		`INSERT INTO users (email, email_key, hashed_password, created_at, updated_at)
		 SELECT 'bench-'||u||'@example.com', 'bench-'||u||'@example.com', $1, now(), now() FROM generate_series(1, $2) u`,
		`INSERT INTO user_roles (user_id, role_id) SELECT u.id, r.id FROM users u, roles r WHERE r.code = 'user'`,
		// one session per user, for the access tokens
		`INSERT INTO sessions (user_id, created_at, last_used_at, expires_at) SELECT id, now(), now(), now() + interval '30 days' FROM users`,
		fmt.Sprintf(`INSERT INTO user_library_items (user_id, provider, title_id, status, is_favorite, created_at, updated_at)
		 SELECT u.id, 'rpc', 'title-'||i, (ARRAY['watching','planned','completed','dropped'])[1+(i%%4)], i%%7 = 0,
		        now() - (i||' days')::interval, now() - (i||' hours')::interval
		 FROM users u, generate_series(1, %d) i`, items),
		`INSERT INTO user_library_items (user_id, provider, title_id, status, created_at, updated_at)
		 SELECT u.id, 'p2', 'title-'||i, 'planned', now(), now() FROM users u, generate_series(1, 10) i`,
		fmt.Sprintf(`INSERT INTO user_progress (user_id, provider, title_id, episode_id, position_seconds, duration_seconds, updated_at)
		 SELECT u.id, 'rpc', 'title-'||(e%%5), 'title-'||(e%%5)||'-ep-'||e, 60, 1440, now() - (e||' minutes')::interval
		 FROM users u, generate_series(1, %d) e`, episodes),
		fmt.Sprintf(`INSERT INTO user_history (user_id, provider, title_id, episode_id, position_seconds, watched_at)
		 SELECT u.id, 'rpc', 'title-'||(e%%5), 'title-'||(e%%5)||'-ep-'||e, 60, now() - (e||' minutes')::interval
		 FROM users u, generate_series(1, %d) e`, episodes),
		`VACUUM ANALYZE`,
	}
	for i, s := range stmts {
		var err error
		if i == 0 {
			_, err = p.pool.Exec(ctx, s, hash, users)
		} else {
			_, err = p.pool.Exec(ctx, s)
		}
		if err != nil {
			return fmt.Errorf("%w\n%s", err, s)
		}
	}
	return nil
}

func (p *pgTarget) firstSessions(ctx context.Context) ([][2]int64, error) {
	rows, err := p.pool.Query(ctx, `SELECT user_id, min(id) FROM sessions GROUP BY user_id ORDER BY user_id`)
	if err != nil {
		return nil, err
	}
	var out [][2]int64
	var uid, sid int64
	_, err = pgx.ForEachRow(rows, []any{&uid, &sid}, func() error {
		out = append(out, [2]int64{uid, sid})
		return nil
	})
	return out, err
}

func (p *pgTarget) newSessions(ctx context.Context, digests [][]byte) ([]session, error) {
	users, err := pgUsers(ctx, p.pool, len(digests))
	if err != nil {
		return nil, err
	}
	out := make([]session, len(digests))
	for from := 0; from < len(digests); from += 5000 {
		to := min(from+5000, len(digests))
		batch := &pgx.Batch{}
		for i := from; i < to; i++ {
			u := users[i%len(users)]
			out[i] = session{userID: u.userID, email: u.email}
			batch.Queue(`WITH s AS (
				INSERT INTO sessions (user_id, created_at, last_used_at, expires_at)
				VALUES ($1, now(), now(), now() + interval '30 days') RETURNING id)
				INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at)
				SELECT id, $2, now(), now() + interval '30 days' FROM s RETURNING session_id`, u.userID, digests[i])
		}
		br := p.pool.SendBatch(ctx, batch)
		for i := from; i < to; i++ {
			if err := br.QueryRow().Scan(&out[i].sessionID); err != nil {
				br.Close()
				return nil, err
			}
		}
		if err := br.Close(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func pgUsers(ctx context.Context, pool *pgxpool.Pool, n int) ([]session, error) {
	rows, err := pool.Query(ctx, `SELECT id, email FROM users ORDER BY id LIMIT $1`, n)
	if err != nil {
		return nil, err
	}
	var out []session
	var s session
	_, err = pgx.ForEachRow(rows, []any{&s.userID, &s.email}, func() error {
		out = append(out, s)
		return nil
	})
	if err == nil && len(out) == 0 {
		err = fmt.Errorf("no users to give sessions to")
	}
	return out, err
}

// ---- SQLite (the schema of internal/store/sqlite: TEXT timestamps in one
// fixed UTC format, 0/1 booleans)

const sqliteNow = `strftime('%Y-%m-%dT%H:%M:%f000Z', 'now')`

func sqliteAt(modifier string) string {
	return `strftime('%Y-%m-%dT%H:%M:%f000Z', 'now', ` + modifier + `)`
}

type sqliteTarget struct{ db *sql.DB }

func openSQLite(ctx context.Context, path string) (*sqliteTarget, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("sqlite database %s: %w (migrate it first: anirohi migrate up)", path, err)
	}
	dsn := "file:" + (&url.URL{Path: path}).EscapedPath() +
		"?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_txlock=immediate"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &sqliteTarget{db}, db.PingContext(ctx)
}

func (s *sqliteTarget) close() { s.db.Close() }

func (s *sqliteTarget) seed(ctx context.Context, users, items, episodes int, hash string) error {
	series := func(col string, n int) string {
		return fmt.Sprintf(`WITH RECURSIVE s(%[1]s) AS (SELECT 1 UNION ALL SELECT %[1]s+1 FROM s WHERE %[1]s < %[2]d) `, col, n)
	}
	stmts := []string{
		series("u", users) + `INSERT INTO users (email, email_key, hashed_password, created_at, updated_at)
		 SELECT 'bench-'||u||'@example.com', 'bench-'||u||'@example.com', ?1, ` + sqliteNow + `, ` + sqliteNow + ` FROM s`,
		`INSERT INTO user_roles (user_id, role_id) SELECT u.id, r.id FROM users u, roles r WHERE r.code = 'user'`,
		`INSERT INTO sessions (user_id, created_at, last_used_at, expires_at)
		 SELECT id, ` + sqliteNow + `, ` + sqliteNow + `, ` + sqliteAt(`'+30 days'`) + ` FROM users`,
		series("i", items) + `INSERT INTO user_library_items (user_id, provider, title_id, status, is_favorite, created_at, updated_at)
		 SELECT u.id, 'rpc', 'title-'||i,
		        CASE i % 4 WHEN 0 THEN 'watching' WHEN 1 THEN 'planned' WHEN 2 THEN 'completed' ELSE 'dropped' END, i % 7 = 0,
		        ` + sqliteAt(`'-'||i||' days'`) + `, ` + sqliteAt(`'-'||i||' hours'`) + `
		 FROM users u, s`,
		series("i", 10) + `INSERT INTO user_library_items (user_id, provider, title_id, status, created_at, updated_at)
		 SELECT u.id, 'p2', 'title-'||i, 'planned', ` + sqliteNow + `, ` + sqliteNow + ` FROM users u, s`,
		series("e", episodes) + `INSERT INTO user_progress (user_id, provider, title_id, episode_id, position_seconds, duration_seconds, updated_at)
		 SELECT u.id, 'rpc', 'title-'||(e % 5), 'title-'||(e % 5)||'-ep-'||e, 60, 1440, ` + sqliteAt(`'-'||e||' minutes'`) + `
		 FROM users u, s`,
		series("e", episodes) + `INSERT INTO user_history (user_id, provider, title_id, episode_id, position_seconds, watched_at)
		 SELECT u.id, 'rpc', 'title-'||(e % 5), 'title-'||(e % 5)||'-ep-'||e, 60, ` + sqliteAt(`'-'||e||' minutes'`) + `
		 FROM users u, s`,
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	for i, q := range stmts {
		var args []any
		if i == 0 {
			args = []any{hash}
		}
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			tx.Rollback()
			return fmt.Errorf("%w\n%s", err, q)
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = s.db.ExecContext(ctx, `ANALYZE`)
	return err
}

func (s *sqliteTarget) firstSessions(ctx context.Context) ([][2]int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT user_id, min(id) FROM sessions GROUP BY user_id ORDER BY user_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out [][2]int64
	for rows.Next() {
		var r [2]int64
		if err := rows.Scan(&r[0], &r[1]); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqliteTarget) newSessions(ctx context.Context, digests [][]byte) ([]session, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, email FROM users ORDER BY id LIMIT ?`, len(digests))
	if err != nil {
		return nil, err
	}
	var users []session
	for rows.Next() {
		var u session
		if err := rows.Scan(&u.userID, &u.email); err != nil {
			rows.Close()
			return nil, err
		}
		users = append(users, u)
	}
	rows.Close()
	if len(users) == 0 {
		return nil, fmt.Errorf("no users to give sessions to")
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	insSession, err := tx.PrepareContext(ctx, `INSERT INTO sessions (user_id, created_at, last_used_at, expires_at)
		VALUES (?1, `+sqliteNow+`, `+sqliteNow+`, `+sqliteAt(`'+30 days'`)+`) RETURNING id`)
	if err != nil {
		return nil, err
	}
	insToken, err := tx.PrepareContext(ctx, `INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at)
		VALUES (?1, ?2, `+sqliteNow+`, `+sqliteAt(`'+30 days'`)+`)`)
	if err != nil {
		return nil, err
	}
	out := make([]session, len(digests))
	for i, d := range digests {
		u := users[i%len(users)]
		out[i] = session{userID: u.userID, email: u.email}
		if err := insSession.QueryRowContext(ctx, u.userID).Scan(&out[i].sessionID); err != nil {
			return nil, err
		}
		if _, err := insToken.ExecContext(ctx, out[i].sessionID, d); err != nil {
			return nil, err
		}
	}
	return out, tx.Commit()
}
