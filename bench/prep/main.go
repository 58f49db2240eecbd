// Command prep fills a migrated PostgreSQL database with load-test data and
// writes the credentials the load scripts need: one access token per user
// (signed with the server's key) and, on request, fresh refresh tokens, each
// in its own session. It writes rows directly, so preparing 10,000 users
// takes seconds instead of 10,000 password hashes.
//
//	go run ./bench/prep -db URL -secret KEY -users 10000 -tokens out/tokens.txt -refresh 200 -refresh-out out/refresh.txt
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/anirohi/anirohi-api/internal/platform/password"
	"github.com/anirohi/anirohi-api/internal/platform/token"
)

func main() {
	db := flag.String("db", "", "PostgreSQL URL of a migrated, empty database")
	secret := flag.String("secret", "", "the server's SECRET_KEY")
	users := flag.Int("users", 10000, "users to create: bench-N@example.com, password bench-password-123")
	items := flag.Int("items", 50, "library items per user (provider rpc)")
	episodes := flag.Int("episodes", 20, "progress and history rows per user")
	tokens := flag.String("tokens", "", "write one access token per user here")
	refresh := flag.Int("refresh", 0, "fresh refresh tokens to make, each in a new session")
	refreshOut := flag.String("refresh-out", "", "write the refresh tokens here")
	flag.Parse()
	if *db == "" || *secret == "" {
		log.Fatal("prep needs -db and -secret")
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, *db)
	if err != nil {
		log.Fatal(err)
	}
	defer pool.Close()
	issuer, err := token.NewIssuer("HS256", *secret, "", 24*time.Hour)
	if err != nil {
		log.Fatal(err)
	}
	if *users > 0 {
		if err := seed(ctx, pool, *users, *items, *episodes); err != nil {
			log.Fatal(err)
		}
	}
	if *tokens != "" {
		if err := writeAccessTokens(ctx, pool, issuer, *tokens); err != nil {
			log.Fatal(err)
		}
	}
	if *refresh > 0 {
		if err := writeRefreshTokens(ctx, pool, issuer, *refresh, *refreshOut); err != nil {
			log.Fatal(err)
		}
	}
}

func seed(ctx context.Context, pool *pgxpool.Pool, users, items, episodes int) error {
	hash, err := password.NewHasher(password.DefaultParams, 1, time.Minute).Hash(ctx, "bench-password-123")
	if err != nil {
		return err
	}
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
			_, err = pool.Exec(ctx, s, hash, users)
		} else {
			_, err = pool.Exec(ctx, s)
		}
		if err != nil {
			return fmt.Errorf("%w\n%s", err, s)
		}
	}
	log.Printf("seeded %d users: %d library items, %d progress and history rows each", users, items, episodes)
	return nil
}

// writeAccessTokens mints a token for each user's first session.
func writeAccessTokens(ctx context.Context, pool *pgxpool.Pool, issuer *token.Issuer, path string) error {
	rows, err := pool.Query(ctx, `SELECT user_id, min(id) FROM sessions GROUP BY user_id ORDER BY user_id`)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	now := time.Now()
	var uid, sid int64
	_, err = pgx.ForEachRow(rows, []any{&uid, &sid}, func() error {
		tok, err := issuer.IssueAccess(uid, sid, now)
		if err == nil {
			_, err = fmt.Fprintln(f, tok)
		}
		return err
	})
	return err
}

// writeRefreshTokens starts n sessions spread over the users, each with a
// refresh token never used before.
func writeRefreshTokens(ctx context.Context, pool *pgxpool.Pool, issuer *token.Issuer, n int, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	var users int64
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM users`).Scan(&users); err != nil || users == 0 {
		return fmt.Errorf("no users to give sessions to (%v)", err)
	}
	batch := &pgx.Batch{}
	for i := range n {
		tok, digest := issuer.NewRefresh()
		batch.Queue(`WITH s AS (
			INSERT INTO sessions (user_id, created_at, last_used_at, expires_at)
			SELECT id, now(), now(), now() + interval '30 days' FROM users ORDER BY id OFFSET $1 LIMIT 1 RETURNING id)
			INSERT INTO refresh_tokens (session_id, token_hash, created_at, expires_at)
			SELECT id, $2, now(), now() + interval '30 days' FROM s`, int64(i)%users, digest)
		fmt.Fprintln(f, tok)
	}
	return pool.SendBatch(ctx, batch).Close()
}
