#!/usr/bin/env bash
# catalog.sh — the catalog on PostgreSQL and SQLite beside the limits
# server's GET /library in the same run.
#
#   bench/catalog.sh [-e "postgres sqlite"] [-n 20000] [-c 64] [-d 15] [-w 3] [-r 1] [-t 2]
#
# For each engine: a synthetic catalog of N anime (`anirohi catalog seed`:
# about 25 episodes and 2 sources each) is bulk-loaded through POST
# /api/v1/internal/import/catalog (timed, rows/s), then sent again
# unchanged (timed; rows written counted from the database), then wrk
# drives, at -c connections, one instance without Redis (uncached) and one
# with Redis (cached answers and read models):
#   list     GET /api/v1/anime?limit=50
#   genre    GET /api/v1/anime?limit=50&genre=…
#   latin    GET /api/v1/anime?limit=50&q=<Latin fragment>
#   japanese GET /api/v1/anime?limit=50&q=<Japanese fragment>
#   detail   GET /api/v1/anime/{slug}
#   episodes GET /api/v1/anime/{slug}/episodes (anime of 25 episodes)
#   read     GET /api/read/anime?limit=50 and /api/read/anime/{slug}
# ← limits GET /library (JWT + one 50-row read), the baseline of the targets.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
. "$SHARED/lib.sh"

ENGINES="postgres sqlite" N=20000 CONNS=64 DUR=15 WARM=3 REPEAT=1 THREADS=2
while getopts "e:n:c:d:w:r:t:h" o; do
  case $o in
    e) ENGINES=$OPTARG ;; n) N=$OPTARG ;; c) CONNS=$OPTARG ;; d) DUR=$OPTARG ;; w) WARM=$OPTARG ;;
    r) REPEAT=$OPTARG ;; t) THREADS=$OPTARG ;; *) sed -n '2,20p' "$0"; exit 2 ;;
  esac
done
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }
OUT=$ROOT/bench/out/catalog
mkdir -p "$OUT"
PG=postgres://postgres@127.0.0.1:5432
LIMITS_DB=$PG/anirohi_limits?sslmode=disable LIMITS=http://127.0.0.1:8090
TOKEN=bench-parser-token-0123456789abcdef0123456789
SECRET=bench-secret-$(date +%s)-0123456789abcdef0123456789
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
  env ENV=test DATABASE_URL="$db" SECRET_KEY="$SECRET" INTERNAL_TOKEN="$TOKEN" HOST=127.0.0.1 PORT="$port" \
    DB_POOL_SIZE=16 RATE_LIMIT_ENABLED=false "$@" "$OUT/anirohi" > "$OUT/$name.log" 2>&1 & PID=$!
  PIDS+=($PID) URL=http://127.0.0.1:$port
  for _ in $(seq 100); do curl -sf "$URL/health" >/dev/null && return; sleep 0.1; done
  echo "$name did not start" >&2; exit 1
}

# rows_written ENGINE DB: rows inserted or updated in the catalog tables so far
rows_written() {
  if [ "$1" = postgres ]; then
    sleep 1 # the statistics collector lags
    psql -qtA "$2" -c "SELECT pg_stat_force_next_flush(); SELECT sum(n_tup_ins + n_tup_upd) FROM pg_stat_user_tables
      WHERE relname IN ('anime','episodes','video_sources','anime_genres','anime_slugs')" | tail -1
  else
    sqlite3 "${2#sqlite:}" "SELECT (SELECT count(*) FROM anime WHERE updated_at > '$3') + (SELECT count(*) FROM episodes WHERE updated_at > '$3')
      + (SELECT count(*) FROM video_sources WHERE updated_at > '$3')"
  fi
}

# paths FILE SQL-ish: path lists for wrk, from the loaded catalog
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
  curl -sf "$base/api/v1/anime?limit=100&skip=500" | grep -o '"slug":"[^"]*"' | cut -d'"' -f4 > "$OUT/slugs.txt"
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
  if [ "$engine" = postgres ]; then
    psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS anirohi_catalog WITH (FORCE)" -c "CREATE DATABASE anirohi_catalog"
    DB=$PG/anirohi_catalog?sslmode=disable
  else
    rm -f "$OUT/catalog.db"*; DB=sqlite:$OUT/catalog.db
  fi
  serve "$engine" 8000 "$DB"; PLAIN=$URL PLAIN_PID=$PID
  before=$(rows_written "$engine" "$DB" 0)
  first=$("$OUT/catalogload" -url "$PLAIN" -token "$TOKEN" -file "$OUT/catalog.jsonl")
  t0=$(date -u +%Y-%m-%dT%H:%M:%S.000000Z); mid=$(rows_written "$engine" "$DB" 0)
  again=$("$OUT/catalogload" -url "$PLAIN" -token "$TOKEN" -file "$OUT/catalog.jsonl")
  after=$(rows_written "$engine" "$DB" "$t0")
  [ "$engine" = postgres ] && written=$(( after - mid )) || written=$after
  LOADS+=("$engine first load: $first (rows written: $(( mid - before )))" "$engine unchanged: $again (rows written: $written)")
  printf '%s\n' "${LOADS[@]: -2}" >&2
  serve "$engine-redis" 8001 "$DB" REDIS_URL=redis://127.0.0.1:6379/0 REDIS_KEY_PREFIX="bench-catalog-$$-$engine:"; CACHED=$URL CACHED_PID=$PID
  make_paths "$PLAIN"
  for c in $CONNS; do
    for ((r = 1; r <= REPEAT; r++)); do
      measure limits-library "$LIMITS_PID" "$LIMITS" "$SHARED/wrk/bearer.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/limits-tokens.txt" BENCH_PATH=/library
      for sc in list genre latin japanese detail episodes read; do
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
