#!/usr/bin/env bash
# catalog.sh — the catalog on PostgreSQL and SQLite beside the limits
# server's GET /library in the same run.
#
#   bench/catalog.sh [-e "postgres sqlite"] [-s "list genre …"] [-n 20000] [-c 64] [-d 15] [-w 3] [-r 1] [-t 2]
#
# For each engine: a synthetic catalog of N anime (`anirohi catalog seed`:
# about 25 episodes and 2 sources each) is bulk-loaded through POST
# /api/v1/internal/import/catalog (timed, rows/s); the planner statistics
# are refreshed as in production (PostgreSQL: VACUUM ANALYZE of the catalog
# tables, since autovacuum is off on this box; SQLite: ANALYZE; timed);
# the catalog is sent again unchanged (timed; rows written counted from the
# data: rows updated since just before the re-send, plus the change in
# count(*) of every catalog table); then wrk drives, at -c connections, one
# instance without Redis (uncached) and one with Redis (cached answers and
# read models). Scenarios (-s, default all):
#   list      GET /api/v1/anime?limit=50
#   genre     GET /api/v1/anime?limit=50&genre=…
#   latin     GET /api/v1/anime?limit=50&q=<Latin fragment>
#   japanese  GET /api/v1/anime?limit=50&q=<Japanese fragment>
#   detail    GET /api/v1/anime/{slug}
#   episodes  GET /api/v1/anime/{slug}/episodes (anime of 25 episodes)
#   read      GET /api/read/anime?limit=50 and /api/read/anime/{slug}
#   dashboard GET /api/v1/admin/dashboard as an editor (uncached only: it uses no Redis)
# ← limits GET /library (JWT + one 50-row read), the baseline of the targets, every round.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
. "$SHARED/lib.sh"

ALL="list genre latin japanese detail episodes read dashboard"
ENGINES="postgres sqlite" SCEN=$ALL N=20000 CONNS=64 DUR=15 WARM=3 REPEAT=1 THREADS=2
while getopts "e:s:n:c:d:w:r:t:h" o; do
  case $o in
    e) ENGINES=$OPTARG ;; s) SCEN=${OPTARG//,/ } ;; n) N=$OPTARG ;; c) CONNS=$OPTARG ;; d) DUR=$OPTARG ;; w) WARM=$OPTARG ;;
    r) REPEAT=$OPTARG ;; t) THREADS=$OPTARG ;; *) sed -n '2,/^set -e/{/^set -e/!p}' "$0"; exit 2 ;;
  esac
done
for sc in $SCEN; do
  [[ " $ALL " == *" $sc "* ]] || { echo "unknown scenario $sc (of: $ALL)" >&2; exit 2; }
done
for c in $CONNS; do # wrk needs a connection per thread, else it measures nothing
  [ "$c" -ge "$THREADS" ] || { echo "-c $c is below -t $THREADS (use -t 1 for one connection)" >&2; exit 2; }
done
# want SCENARIO: whether -s chose it
want() { [[ " $SCEN " == *" $1 "* ]]; }
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
[[ " $ENGINES " != *" sqlite "* ]] || command -v sqlite3 >/dev/null || { echo "sqlite3 not found (apt-get install sqlite3)" >&2; exit 1; }
OUT=$ROOT/bench/out/catalog
mkdir -p "$OUT"
PG=postgres://postgres@127.0.0.1:5432
LIMITS_DB=$PG/anirohi_limits?sslmode=disable LIMITS=http://127.0.0.1:8090
TOKEN=bench-parser-token-0123456789abcdef0123456789
SECRET=bench-secret-$(date +%s)-0123456789abcdef0123456789
# the service's settings, for its instances and its CLI (the access token outlives a long run)
APP_ENV=(ENV=test SECRET_KEY="$SECRET" INTERNAL_TOKEN="$TOKEN" HOST=127.0.0.1 DB_POOL_SIZE=16
  RATE_LIMIT_ENABLED=false JWT_ACCESS_TTL_MINUTES=1440)
export BENCH_LUA_DIR=$SHARED/wrk BENCH_THREADS=$THREADS

echo "building" >&2
(cd "$ROOT" && go build -o "$OUT/anirohi" ./cmd/anirohi && go build -o "$OUT/catalogload" ./bench/catalogload)
(cd "$SHARED/limits" && go build -o "$OUT/limits" .)
"$OUT/anirohi" catalog seed -anime "$N" -jsonl > "$OUT/catalog.jsonl"
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS anirohi_limits WITH (FORCE)" -c "CREATE DATABASE anirohi_limits"
"$OUT/limits" seed -db "$LIMITS_DB" -users 10000 2>/dev/null
"$OUT/limits" mint -users 10000 > "$OUT/limits-tokens.txt"
"$OUT/limits" serve -addr 127.0.0.1:8090 -db "$LIMITS_DB" -pool 16 > "$OUT/limits.log" 2>&1 & LIMITS_PID=$!
PIDS=($LIMITS_PID)
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null' EXIT
PGPID=$(port_pid 5432)
. "$ROOT/bench/wrklib.sh"

# serve NAME PORT DATABASE_URL [VAR=value...]: an instance; sets URL PID
serve() {
  local name=$1 port=$2 db=$3; shift 3
  env "${APP_ENV[@]}" DATABASE_URL="$db" PORT="$port" "$@" "$OUT/anirohi" > "$OUT/$name.log" 2>&1 & PID=$!
  PIDS+=($PID) URL=http://127.0.0.1:$port
  for _ in $(seq 100); do curl -sf "$URL/health" >/dev/null && return; sleep 0.1; done
  echo "$name did not start" >&2; exit 1
}

# sql QUERY: the answer of the engine in hand ($engine, $DB), columns space-separated
sql() {
  if [ "$engine" = postgres ]; then psql -qtAX -F ' ' "$DB" -c "$1"
  else sqlite3 -separator ' ' -cmd '.timeout 10000' "${DB#sqlite:}" "$1"; fi
}

# counts: count(*) of each of $TABLES, in that order
counts() { sql "SELECT $(printf '(SELECT count(*) FROM %s),' $TABLES | sed 's/,$//')"; }

# changed BEFORE AFTER: rows added or removed between two `counts`, over all tables
changed() {
  local a=($1) b=($2) i d n=0
  for i in "${!a[@]}"; do d=$(( b[i] - a[i] )); n=$(( n + ${d#-} )); done
  echo "$n"
}

# now_us: the time as the stores compare updated_at (SQLite keeps this text
# form, fixed width, so it sorts; PostgreSQL reads it as a timestamptz)
now_us() { date -u +%Y-%m-%dT%H:%M:%S.%6NZ; }

# updated SINCE: rows of anime, episodes and video_sources created before
# SINCE and updated after it (rows created since are in `changed`). The
# count tables have no updated_at: their triggers change them only with a
# catalog row, which this or `changed` sees.
updated() {
  sql "SELECT $(for t in anime episodes video_sources; do
    printf "(SELECT count(*) FROM $t WHERE updated_at > '%s' AND created_at <= '%s')+" "$1" "$1"; done | sed 's/+$//')"
}

# analyze: the planner statistics a production database would have
# (PostgreSQL's autovacuum is off here: no table is ever analyzed, and the
# planner scans sequentially; SQLite's first ANALYZE creates sqlite_stat1,
# a schema change, so the running instance's connections load it); prints
# what it ran and how long it took
analyze() {
  local t0 t1 what
  t0=$(date +%s.%N)
  if [ "$engine" = postgres ]; then what="VACUUM ANALYZE"; psql -q "$DB" -c "VACUUM (ANALYZE) ${TABLES// /, }"
  else what=ANALYZE; sql ANALYZE; fi
  t1=$(date +%s.%N)
  awk -v w="$what" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s in %.2f s\n", w, b - a }'
}

# editor_token URL: an access token of an editor: registers, gets the role
# from the CLI (on the instance's database), logs in as staff
editor_token() {
  local email=bench-editor@example.com body
  body="{\"email\":\"$email\",\"password\":\"bench-password-123\"}"
  curl -sf -H 'Content-Type: application/json' -d "$body" "$1/api/v1/auth/register" >/dev/null
  env "${APP_ENV[@]}" DATABASE_URL="$DB" "$OUT/anirohi" users grant-role --email "$email" --role editor >&2
  curl -sf -H 'Content-Type: application/json' -d "$body" "$1/api/v1/admin/login" | grep -o '"access_token":"[^"]*"' | cut -d'"' -f4
}

# make_paths URL: path lists for wrk, from the loaded catalog
make_paths() {
  local base=$1
  curl -sf "$base/api/read/anime?limit=100&skip=0" >/dev/null
  : > "$OUT/list.txt"; : > "$OUT/genre.txt"; : > "$OUT/latin.txt"; : > "$OUT/japanese.txt"
  for s in 0 50 100 150 200; do echo "/api/v1/anime?limit=50&skip=$s" >> "$OUT/list.txt"; done
  for g in Action Drama Fantasy Romance Isekai; do echo "/api/v1/anime?limit=50&genre=$g" >> "$OUT/genre.txt"; done
  for q in drag moon knig shad clockw; do echo "/api/v1/anime?limit=50&q=$q" >> "$OUT/latin.txt"; done
  for q in %E5%B7%A8%E4%BA%BA %E9%AD%94%E6%B3%95 %E5%AD%A6%E5%9C%92 %E7%89%A9%E8%AA%9E %E5%89%A3; do  # 巨人 魔法 学園 物語 剣
    echo "/api/v1/anime?limit=50&q=$q" >> "$OUT/japanese.txt"
  done
  # 100 anime from the middle of the list (skip 500, fewer in a small catalog)
  curl -sf "$base/api/v1/anime?limit=100&skip=$(( N / 2 < 500 ? N / 2 : 500 ))" | grep -o '"slug":"[^"]*"' | cut -d'"' -f4 > "$OUT/slugs.txt"
  sed 's|^|/api/v1/anime/|' "$OUT/slugs.txt" > "$OUT/detail.txt"
  : > "$OUT/episodes.txt"
  while read -r slug; do
    n=$(curl -sf "$base/api/v1/anime/$slug/episodes" | grep -o '"number":' | wc -l)
    [ "$n" -ge 20 ] && [ "$n" -le 30 ] && echo "/api/v1/anime/$slug/episodes" >> "$OUT/episodes.txt"
  done < "$OUT/slugs.txt"
  { sed 's|/api/v1/anime?|/api/read/anime?|' "$OUT/list.txt"; sed 's|^|/api/read/anime/|' "$OUT/slugs.txt"; } > "$OUT/read.txt"
}

LOADS=()
for engine in $ENGINES; do
  # the catalog tables (migrations 00003) and the counts their triggers keep (00004)
  TABLES="anime episodes video_sources anime_genres anime_slugs anime_stats"
  if [ "$engine" = postgres ]; then
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS anirohi_catalog WITH (FORCE)" -c "CREATE DATABASE anirohi_catalog"
    DB=$PG/anirohi_catalog?sslmode=disable TABLES="$TABLES anime_source_counts"
  else
    rm -f "$OUT/catalog.db"*; DB=sqlite:$OUT/catalog.db TABLES="$TABLES source_name_counts"
  fi
  serve "$engine" 8000 "$DB"; PLAIN=$URL PLAIN_PID=$PID
  before=$(counts)
  first=$("$OUT/catalogload" -url "$PLAIN" -token "$TOKEN" -file "$OUT/catalog.jsonl")
  mid=$(counts)
  stats=$(analyze)
  t0=$(now_us)
  again=$("$OUT/catalogload" -url "$PLAIN" -token "$TOKEN" -file "$OUT/catalog.jsonl")
  written=$(( $(updated "$t0") + $(changed "$mid" "$(counts)") ))
  LOADS+=("$engine first load: $first (rows written: $(changed "$before" "$mid"))"
    "$engine statistics: $stats" "$engine unchanged: $again (rows written: $written)")
  printf '%s\n' "${LOADS[@]: -3}" >&2
  serve "$engine-redis" 8001 "$DB" REDIS_URL=redis://127.0.0.1:6379/0 REDIS_KEY_PREFIX="bench-catalog-$$-$engine:"; CACHED=$URL CACHED_PID=$PID
  make_paths "$PLAIN"
  if want dashboard; then
    editor_token "$PLAIN" > "$OUT/editor-token.txt"
    [ -s "$OUT/editor-token.txt" ] || { echo "no editor token (see $OUT/$engine.log)" >&2; exit 1; }
  fi
  for c in $CONNS; do
    for ((r = 1; r <= REPEAT; r++)); do
      measure limits-library "$LIMITS_PID" "$LIMITS" "$SHARED/wrk/bearer.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/limits-tokens.txt" BENCH_PATH=/library
      for sc in $SCEN; do
        if [ "$sc" = dashboard ]; then
          measure "$engine-dashboard" "$PLAIN_PID" "$PLAIN" "$SHARED/wrk/bearer.lua" "$c" "$r" \
            BENCH_TOKENS_FILE="$OUT/editor-token.txt" BENCH_PATH=/api/v1/admin/dashboard
          continue
        fi
        measure "$engine-$sc" "$PLAIN_PID" "$PLAIN" "$ROOT/bench/wrk/paths.lua" "$c" "$r" BENCH_PATHS_FILE="$OUT/$sc.txt"
        measure "$engine-$sc-cached" "$CACHED_PID" "$CACHED" "$ROOT/bench/wrk/paths.lua" "$c" "$r" BENCH_PATHS_FILE="$OUT/$sc.txt"
      done
    done
  done
  kill "$PLAIN_PID" "$CACHED_PID"; wait "$PLAIN_PID" "$CACHED_PID" 2>/dev/null || true
done

echo
echo "$N anime; wrk -t$THREADS, ${DUR}s measured after ${WARM}s warm-up, $(nproc) cores; cpu in % of one core; raw output in $OUT"
echo
printf '%s\n' "${LOADS[@]}"
echo
echo "| run | conns | rep | req/s | p50 ms | p99 ms | errors | server cpu % | pg cpu % |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
