#!/usr/bin/env bash
# run.sh — load runs of the Anirohi API on PostgreSQL beside their same-run
# baselines: the bare limits server and pgbench from ../shared/bench.
#
#   bench/run.sh [-s refresh,me,library,progress] [-c "16 64"] [-d 15] [-w 3] [-r 1] [-t 2]
#
# Scenarios (ours ← baseline):
#   refresh   POST /api/v1/auth/refresh, a never-used cookie token each time ← limits POST /progress (one upsert)
#   me        GET  /api/v1/users/me                                          ← limits GET /jwt (JWT verify only)
#   library   GET  /api/v1/me/library (50 items)                             ← limits GET /library, pgbench select
#   progress  PUT  /api/v1/me/progress/{episode} (+ history, one transaction) ← limits POST /progress, pgbench upsert
#   redis     GET  /api/v1/me/library with Redis rate limiting and list caching (a second instance)
#             ← the same without Redis, limits GET /library
#   observe   GET  /api/v1/me/library with metrics on (the default), with metrics off, and with
#             OpenTelemetry tracing at 10% sampling exported over OTLP/HTTP to a discarding sink
#   mix       the realistic viewer mix of bench/load (-c: viewers, default 200; -d: seconds,
#             default 60) beside limits /progress, /library and pgbench: runs bench/mix.sh, alone
#
# Needs wrk, pgbench/psql, PostgreSQL on 127.0.0.1:5432 (trust auth) and Go.
# Creates the databases anirohi_bench and anirohi_limits (dropped first).
# Extra server settings come from the environment as ANIROHI_<VAR>=value.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
. "$SHARED/lib.sh"

SCEN=refresh,me,library,progress CONNS="16 64" DUR=15 WARM=3 REPEAT=1 THREADS=2
MIXARGS=()
while getopts "s:c:d:w:r:t:h" o; do
  case $o in
    s) SCEN=$OPTARG ;; c) CONNS=$OPTARG; MIXARGS+=(-c "$OPTARG") ;; d) DUR=$OPTARG; MIXARGS+=(-d "$OPTARG") ;;
    w) WARM=$OPTARG; MIXARGS+=(-w "$OPTARG") ;; r) REPEAT=$OPTARG ;; t) THREADS=$OPTARG ;; *) sed -n '2,21p' "$0"; exit 2 ;;
  esac
done
# mix: the realistic viewer mix with its baselines is bench/mix.sh (-c is viewers there)
if [[ ",$SCEN," == *,mix,* ]]; then
  [ "$SCEN" = mix ] || { echo "run the mix scenario on its own: bench/run.sh -s mix -c \"200 400\" [-d 60]" >&2; exit 2; }
  exec "$ROOT/bench/mix.sh" "${MIXARGS[@]}"
fi
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }

OUT=$ROOT/bench/out
mkdir -p "$OUT"
PG=postgres://postgres@127.0.0.1:5432
OURS_DB=$PG/anirohi_bench?sslmode=disable LIMITS_DB=$PG/anirohi_limits?sslmode=disable
SECRET=bench-secret-$(date +%s)-0123456789abcdef0123456789
OURS=http://127.0.0.1:8000 LIMITS=http://127.0.0.1:8090
export BENCH_LUA_DIR=$SHARED/wrk BENCH_THREADS=$THREADS

echo "building" >&2
(cd "$ROOT" && go build -o "$OUT/anirohi" ./cmd/anirohi && go build -o "$OUT/prep" ./bench/prep && go build -o "$OUT/otlpsink" ./bench/otlpsink)
(cd "$SHARED/limits" && go build -o "$OUT/limits" .)

for db in anirohi_bench anirohi_limits; do
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
done
ENV_OURS=(ENV=test DATABASE_URL="$OURS_DB" SECRET_KEY="$SECRET" HOST=127.0.0.1 PORT=8000 DB_POOL_SIZE=16 RATE_LIMIT_ENABLED=false)
for kv in $(env | grep '^ANIROHI_' | sed 's/^ANIROHI_//'); do ENV_OURS+=("$kv"); done
env "${ENV_OURS[@]}" "$OUT/anirohi" migrate up >/dev/null
echo "seeding" >&2
"$OUT/prep" -db "$OURS_DB" -secret "$SECRET" -users 10000 -tokens "$OUT/tokens.txt"
"$OUT/limits" seed -db "$LIMITS_DB" -users 10000 2>/dev/null
"$OUT/limits" mint -users 10000 > "$OUT/limits-tokens.txt"

env "${ENV_OURS[@]}" "$OUT/anirohi" > "$OUT/anirohi.log" 2>&1 & OURS_PID=$!
REDIS_OURS=http://127.0.0.1:8001
env "${ENV_OURS[@]}" PORT=8001 REDIS_URL=redis://127.0.0.1:6379/0 REDIS_KEY_PREFIX="bench-$$:" RATE_LIMIT_ENABLED=true \
  RATE_LIMIT_PER_MINUTE=1000000 "$OUT/anirohi" > "$OUT/anirohi-redis.log" 2>&1 & REDIS_PID=$!
"$OUT/limits" serve -addr 127.0.0.1:8090 -db "$LIMITS_DB" -pool 16 > "$OUT/limits.log" 2>&1 & LIMITS_PID=$!
BARE_OURS=http://127.0.0.1:8002 TRACED_OURS=http://127.0.0.1:8003
env "${ENV_OURS[@]}" PORT=8002 METRICS_ENABLED=false "$OUT/anirohi" > "$OUT/anirohi-bare.log" 2>&1 & BARE_PID=$!
"$OUT/otlpsink" -addr 127.0.0.1:4318 > "$OUT/otlpsink.log" 2>&1 & SINK_PID=$!
env "${ENV_OURS[@]}" PORT=8003 TRACING_ENABLED=true \
  OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_TRACES_SAMPLER=parentbased_traceidratio \
  OTEL_TRACES_SAMPLER_ARG=0.1 "$OUT/anirohi" > "$OUT/anirohi-traced.log" 2>&1 & TRACED_PID=$!
trap 'kill $OURS_PID $REDIS_PID $BARE_PID $TRACED_PID $SINK_PID $LIMITS_PID 2>/dev/null; wait 2>/dev/null' EXIT
for u in $OURS/health $REDIS_OURS/health $BARE_OURS/health $TRACED_OURS/health $LIMITS/hello; do
  for _ in $(seq 100); do curl -sf "$u" >/dev/null && break; sleep 0.1; done
done
PGPID=$(port_pid 5432)

. "$ROOT/bench/wrklib.sh"

refill_refresh() { "$OUT/prep" -db "$OURS_DB" -secret "$SECRET" -users 0 -refresh $(( $1 + 2 * THREADS + 2 )) -refresh-out "$OUT/refresh.txt"; }

IFS=, read -ra LIST <<< "$SCEN"
for sc in "${LIST[@]}"; do
  for c in $CONNS; do
    for ((r = 1; r <= REPEAT; r++)); do
      case $sc in
        refresh)
          refill_refresh "$c"
          REFILL="refill_refresh $c" measure ours-refresh "$OURS_PID" "$OURS" "$ROOT/bench/wrk/refresh.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/refresh.txt"
          measure limits-progress "$LIMITS_PID" "$LIMITS" "$SHARED/wrk/progress.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/limits-tokens.txt" BENCH_PATH=/progress ;;
        me)
          measure ours-me "$OURS_PID" "$OURS" "$SHARED/wrk/bearer.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/tokens.txt" BENCH_PATH=/api/v1/users/me
          measure limits-jwt "$LIMITS_PID" "$LIMITS" "$SHARED/wrk/bearer.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/limits-tokens.txt" BENCH_PATH=/jwt ;;
        library)
          measure ours-library "$OURS_PID" "$OURS" "$SHARED/wrk/bearer.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/tokens.txt" BENCH_PATH=/api/v1/me/library
          measure limits-library "$LIMITS_PID" "$LIMITS" "$SHARED/wrk/bearer.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/limits-tokens.txt" BENCH_PATH=/library ;;
        progress)
          measure ours-progress "$OURS_PID" "$OURS" "$ROOT/bench/wrk/progress.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/tokens.txt"
          measure limits-progress "$LIMITS_PID" "$LIMITS" "$SHARED/wrk/progress.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/limits-tokens.txt" BENCH_PATH=/progress ;;
        redis)
          measure ours-library "$OURS_PID" "$OURS" "$SHARED/wrk/bearer.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/tokens.txt" BENCH_PATH=/api/v1/me/library
          measure ours-library-redis "$REDIS_PID" "$REDIS_OURS" "$SHARED/wrk/bearer.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/tokens.txt" BENCH_PATH=/api/v1/me/library
          measure limits-library "$LIMITS_PID" "$LIMITS" "$SHARED/wrk/bearer.lua" "$c" "$r" BENCH_TOKENS_FILE="$OUT/limits-tokens.txt" BENCH_PATH=/library ;;
        observe)
          lib=(BENCH_TOKENS_FILE="$OUT/tokens.txt" BENCH_PATH=/api/v1/me/library)
          measure ours-library "$OURS_PID" "$OURS" "$SHARED/wrk/bearer.lua" "$c" "$r" "${lib[@]}"
          measure ours-no-metrics-library "$BARE_PID" "$BARE_OURS" "$SHARED/wrk/bearer.lua" "$c" "$r" "${lib[@]}"
          measure ours-traced-10pct-library "$TRACED_PID" "$TRACED_OURS" "$SHARED/wrk/bearer.lua" "$c" "$r" "${lib[@]}" ;;
        *) echo "unknown scenario $sc" >&2; exit 2 ;;
      esac
    done
  done
done

echo
echo "wrk -t$THREADS, ${DUR}s measured after ${WARM}s warm-up, $(nproc) cores; cpu in % of one core; raw output in $OUT"
echo
echo "| run | conns | rep | req/s | p50 ms | p99 ms | errors | server cpu % | pg cpu % |"
echo "|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
if [[ ",$SCEN," == *,library,* || ",$SCEN," == *,progress,* ]]; then
  echo
  echo "pgbench, same statements (the database alone):"
  BENCH_DB_URL=$LIMITS_DB "$SHARED/pgbench/run-pgbench.sh" -c "$CONNS" -T "$DUR" -w "$WARM" -r "$REPEAT" 2>/dev/null | tail -n +1
fi
