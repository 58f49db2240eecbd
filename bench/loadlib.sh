# loadlib.sh — shared by bench/mix.sh, bench/capacity.sh and bench/soak.sh (source it).
#
# Builds the service, bench/prep and bench/load into bench/out/load/, and
# starts one instance of the service on PostgreSQL or SQLite, seeded with
# bench/prep, configured as in production where it matters for load:
# rate limiting on at the default limits, Redis (limits and list caching)
# unless LOAD_REDIS=none, metrics on, and 127.0.0.1 trusted as a proxy so
# that each viewer's X-Forwarded-For address is its client IP (the per-IP
# login and refresh limits then apply per viewer, as behind a load
# balancer, instead of to the generator's one address).
#
# The catalog holds LOAD_CATALOG anime (default 20,000; 0: none) from
# `anirohi catalog seed`, loaded once per schema into a template (a
# PostgreSQL template database, a SQLite file under bench/out/load) with
# planner statistics, and copied into each fresh database: loading 20,000
# anime takes minutes on SQLite. Needs sqlite3 for SQLite's statistics.
#
# Server settings can be overridden as ANIROHI_<VAR>=value (as bench/run.sh).
# stop_all_servers drops each run's database (LOAD_KEEP_DB=1 keeps it).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SHARED=${SHARED_BENCH:-$ROOT/../shared/bench}
. "$SHARED/lib.sh"
OUT=$ROOT/bench/out/load
mkdir -p "$OUT"
PG=postgres://postgres@127.0.0.1:5432
LOAD_REDIS=${LOAD_REDIS:-redis://127.0.0.1:6379/0}
LOAD_USERS=${LOAD_USERS:-10000}
LOAD_CATALOG=${LOAD_CATALOG:-20000}
SECRET=bench-load-secret-$(date +%s)-0123456789abcdef0123456789
SERVER_PIDS=()
RUN_DBS=() # engine:name of the databases start_server made

load_build() {
  echo "building into $OUT" >&2
  (cd "$ROOT" && go build -o "$OUT/anirohi" ./cmd/anirohi && go build -o "$OUT/prep" ./bench/prep && go build -o "$OUT/load" ./bench/load)
}

# box_state: the machine's cores and load, for the record
box_state() { echo "box: $(nproc) cores, $(uptime | sed 's/.*load average/load average/')"; }

# pg_pid: the postmaster's pid (the listener of 5432, else its pid file)
pg_pid() {
  local p
  p=$(port_pid 5432)
  [ -n "$p" ] || p=$(head -1 "$(psql -qtAX "$PG/postgres" -c 'SHOW data_directory')/postmaster.pid" 2>/dev/null)
  echo "$p"
}

# catalog_template ENGINE: the name of a database (PostgreSQL) or file
# (SQLite) holding the schema and LOAD_CATALOG seeded anime, made on first
# use; named by the catalog size and a hash of the migrations and the seed
# code, so that a schema change makes a new one
catalog_template() {
  local engine=$1 key db
  key=$(cat "$ROOT"/internal/store/*/migrations/*.sql "$ROOT/cmd/anirohi/seed.go" | md5sum | cut -c1-10)
  case $engine in
    postgres|pg)
      db=anirohi_load_tpl_${LOAD_CATALOG}_$key
      if [ "$(psql -qtAX "$PG/postgres" -c "SELECT 1 FROM pg_database WHERE datname = '$db'")" != 1 ]; then
        psql -q "$PG/postgres" -c "CREATE DATABASE ${db}_part" >&2
        seed_template "$PG/${db}_part?sslmode=disable" >&2
        psql -q "$PG/${db}_part" -c "VACUUM (ANALYZE)" >&2
        psql -q "$PG/postgres" -c "ALTER DATABASE ${db}_part RENAME TO $db" >&2
      fi ;;
    sqlite)
      db=$OUT/catalog-tpl-${LOAD_CATALOG}-$key.db
      if [ ! -f "$db" ]; then
        rm -f "$db.part"*
        seed_template "sqlite:$db.part" >&2
        sqlite3 "$db.part" "PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;" >/dev/null
        mv "$db.part" "$db"
      fi ;;
  esac
  echo "$db"
}

# seed_template DATABASE_URL: migrate, then load the synthetic catalog
seed_template() {
  echo "making a catalog template of $LOAD_CATALOG anime (once per schema)" >&2
  env ENV=test DATABASE_URL="$1" SECRET_KEY="$SECRET" "$OUT/anirohi" migrate up >/dev/null
  env ENV=test DATABASE_URL="$1" SECRET_KEY="$SECRET" "$OUT/anirohi" catalog seed -anime "$LOAD_CATALOG" | tail -1
}

# start_server ENGINE NAME PORT: a fresh database (PostgreSQL anirohi_load_NAME,
# or SQLite /tmp/anirohi-load-NAME.db) with the catalog template's content,
# migrated and seeded with LOAD_USERS users, then the service on
# 127.0.0.1:PORT. Sets SRV_PID SRV_URL SRV_DB SRV_LOG SRV_PGPID.
start_server() {
  local engine=$1 name=$2 port=$3 tpl=
  [ "$LOAD_CATALOG" -gt 0 ] && tpl=$(catalog_template "$engine")
  case $engine in
    postgres|pg)
      psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS anirohi_load_$name WITH (FORCE)" \
        -c "CREATE DATABASE anirohi_load_$name${tpl:+ TEMPLATE $tpl}" 2>&1 | grep -v NOTICE >&2 || true
      SRV_DB=$PG/anirohi_load_$name?sslmode=disable
      SRV_PGPID=$(pg_pid) ;;
    sqlite)
      rm -f "/tmp/anirohi-load-$name.db" "/tmp/anirohi-load-$name.db-wal" "/tmp/anirohi-load-$name.db-shm"
      [ -z "$tpl" ] || cp "$tpl" "/tmp/anirohi-load-$name.db"
      SRV_DB=sqlite:/tmp/anirohi-load-$name.db
      SRV_PGPID= ;;
    *) echo "unknown engine $engine (postgres, sqlite)" >&2; return 2 ;;
  esac
  RUN_DBS+=("$engine:$name")
  SRV_ENV=(ENV=test DATABASE_URL="$SRV_DB" SECRET_KEY="$SECRET" HOST=127.0.0.1 PORT="$port" DB_POOL_SIZE=16
           RATE_LIMIT_ENABLED=true TRUSTED_PROXIES=127.0.0.1/32 METRICS_ENABLED=true)
  if [ "$LOAD_REDIS" != none ]; then SRV_ENV+=(REDIS_URL="$LOAD_REDIS" REDIS_KEY_PREFIX="bench-load-$name-$$:"); fi
  local kv
  for kv in $(env | grep '^ANIROHI_' | sed 's/^ANIROHI_//'); do SRV_ENV+=("$kv"); done
  env "${SRV_ENV[@]}" "$OUT/anirohi" migrate up >/dev/null
  echo "seeding $LOAD_USERS users ($engine)" >&2
  "$OUT/prep" -db "$SRV_DB" -secret "$SECRET" -users "$LOAD_USERS" 2>&1 | sed 's/^/  /' >&2
  SRV_LOG=$OUT/server-$name.log
  env "${SRV_ENV[@]}" "$OUT/anirohi" > "$SRV_LOG" 2>&1 &
  SRV_PID=$!
  SERVER_PIDS+=("$SRV_PID")
  SRV_URL=http://127.0.0.1:$port
  local _
  for _ in $(seq 100); do curl -sf "$SRV_URL/health" >/dev/null && break; sleep 0.1; done
  curl -sf "$SRV_URL/ready" >/dev/null || { echo "server on $SRV_URL not ready; see $SRV_LOG" >&2; return 1; }
  echo "server pid $SRV_PID on $SRV_URL ($engine$( [ "$LOAD_REDIS" != none ] && echo ", redis"))" >&2
}

# stop_server PID: SIGTERM, wait for it
stop_server() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

stop_all_servers() {
  local p
  for p in "${SERVER_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  drop_run_databases
}

# drop_run_databases: removes the databases start_server made (each a copy
# of the catalog template, near 1 GB); LOAD_KEEP_DB=1 keeps them to look at.
drop_run_databases() {
  [ "${LOAD_KEEP_DB:-}" = 1 ] && { [ ${#RUN_DBS[@]} -eq 0 ] || echo "kept: ${RUN_DBS[*]}" >&2; return; }
  local d
  for d in "${RUN_DBS[@]}"; do
    case $d in
      postgres:*|pg:*) psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS anirohi_load_${d#*:} WITH (FORCE)" 2>&1 | grep -v NOTICE >&2 || true ;;
      sqlite:*) rm -f "/tmp/anirohi-load-${d#*:}.db" "/tmp/anirohi-load-${d#*:}.db-wal" "/tmp/anirohi-load-${d#*:}.db-shm" ;;
    esac
  done
  RUN_DBS=()
}

# mint_accounts N FILE: a new session per user for the first N users, with
# a pre-minted access token and a never-used refresh token (bench/prep)
mint_accounts() {
  "$OUT/prep" -db "$SRV_DB" -secret "$SECRET" -users 0 -accounts "$1" -accounts-out "$2" 2>&1 | sed 's/^/  /' >&2
}

# server_stats LOG [FROM_LINE]: what the service's own log says about a run:
# log levels, non-2xx answers by route and status, the server-side duration
# (duration_ms of the access log) per route, and the top warnings/errors.
server_stats() {
  local log=$1 from=${2:-1} tmp
  [ -f "$log" ] || return 0
  tmp=$(mktemp)
  tail -n +"$from" "$log" > "$tmp.all"
  echo "server log $log (from line $from):"
  echo "  levels: $(grep -o '"level":"[A-Z]*"' "$tmp.all" | sort | uniq -c | tr -s ' ' | tr '\n' ' ')"
  grep '"message":"request"' "$tmp.all" |
    sed -n 's/.*"method":"\([A-Z]*\)","route":"\([^"]*\)","status":\([0-9]*\),"duration_ms":\([0-9.]*\).*/\1_\2 \3 \4/p' > "$tmp" || true
  awk '$2 < 200 || $2 > 299 { bad[$1 " " $2]++ } END { for (k in bad) printf "  non-2xx: %s x%d\n", k, bad[k] }' "$tmp"
  sort -k1,1 -k3,3g "$tmp" | awk '
    function flush() {
      if (c == 0) return
      i99 = int(c * 0.99) + 1; if (i99 > c) i99 = c
      printf "  server-side %-40s n=%-7d p50=%.2fms p99=%.2fms max=%.2fms\n", r, c, v[int(c * 0.5) + 1], v[i99], v[c]
    }
    $1 != r { flush(); r = $1; c = 0 }
    { v[++c] = $3 }
    END { flush() }'
  grep -E '"level":"(ERROR|WARN)"' "$tmp.all" | grep -o '"message":"[^"]*"' | sort | uniq -c | sort -rn | head -5 | sed 's/^/  /' || true
  rm -f "$tmp" "$tmp.all"
}

# ---- baselines: the bare limits server of ../shared/bench/limits, driven
# by wrk, for the ratios of CPU per request (bench/mix.sh, bench/capacity.sh)

# baselines_start: builds the limits server, seeds its own database with
# 10,000 users and starts it. Sets LIMITS LIMITS_PID LIMITS_DB PGPID.
baselines_start() {
  (cd "$SHARED/limits" && go build -o "$OUT/limits" .)
  LIMITS_DB=$PG/anirohi_load_limits?sslmode=disable LIMITS=http://127.0.0.1:8190
  psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS anirohi_load_limits WITH (FORCE)" -c "CREATE DATABASE anirohi_load_limits" 2>&1 | grep -v NOTICE >&2 || true
  echo "seeding the limits database" >&2
  "$OUT/limits" seed -db "$LIMITS_DB" -users 10000 2>/dev/null
  "$OUT/limits" mint -users 10000 > "$OUT/limits-tokens.txt"
  "$OUT/limits" serve -addr 127.0.0.1:8190 -db "$LIMITS_DB" -pool 16 > "$OUT/limits.log" 2>&1 &
  LIMITS_PID=$!
  SERVER_PIDS+=("$LIMITS_PID")
  for _ in $(seq 100); do curl -sf "$LIMITS/hello" >/dev/null && break; sleep 0.1; done
  PGPID=$(pg_pid)
  export BENCH_LUA_DIR=$SHARED/wrk
}

declare -A BASE   # label/conns → "rps p50 p99 errors server_pct pg_pct server_ms_per_req pg_ms_per_req"
BROWS=()

# baseline LABEL URL SCRIPT CONNS DUR WARM [env...]: wrk warm-up, then a
# measured run of DUR seconds with the CPU of the limits server and of
# PostgreSQL; sets BASE[LABEL/CONNS] and adds a row to BROWS
baseline() {
  local label=$1 url=$2 script=$3 c=$4 dur=$5 warm=$6; shift 6
  env "$@" wrk -t2 -c"$c" -d"${warm}s" -s "$script" "$url" >/dev/null 2>&1 || true
  wait_quiet
  local s0 p0 t0 s1 p1 t1 f=$OUT/baseline-$(date +%Y%m%d-%H%M%S)-$label-c$c.txt
  s0=$(tree_ticks "$LIMITS_PID"); p0=$(tree_ticks "$PGPID"); t0=$(date +%s.%N)
  env "$@" wrk -t2 -c"$c" -d"${dur}s" --latency -s "$script" "$url" > "$f" 2>&1 || true
  t1=$(date +%s.%N); sleep 0.5
  s1=$(tree_ticks "$LIMITS_PID"); p1=$(tree_ticks "$PGPID")
  local requests=0 rps=0 p50_ms=0 p99_ms=0 err_connect=0 err_read=0 err_write=0 err_status=0 err_timeout=0
  eval "$(sed -n 's/^BENCHRESULT //p' "$f" | tr ' ' '\n' | grep -E '^(requests|rps|p50_ms|p99_ms|err_[a-z]+)=')"
  local secs errs sp pp sms pms
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  errs=$(( err_connect + err_read + err_write + err_status + err_timeout ))
  sp=$(ticks_pct $(( s1 - s0 )) "$secs"); pp=$(ticks_pct $(( p1 - p0 )) "$secs")
  sms=$(awk -v t=$(( s1 - s0 )) -v h="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.3f", (n > 0 ? 1000 * t / h / n : 0) }')
  pms=$(awk -v t=$(( p1 - p0 )) -v h="$CLK_TCK" -v n="$requests" 'BEGIN { printf "%.3f", (n > 0 ? 1000 * t / h / n : 0) }')
  BASE[$label/$c]="$rps $p50_ms $p99_ms $errs $sp $pp $sms $pms"
  BROWS+=("| $label | wrk -c$c | $rps | $p50_ms | $p99_ms | $errs | $sp | $pp | $sms | $pms |")
  echo "  $label c=$c: rps=$rps p50=${p50_ms}ms p99=${p99_ms}ms errors=$errs limits=${sp}% pg=${pp}%" >&2
}

# baselines_measure CONNS DUR WARM: the two prices of the ratios, limits
# POST /progress (one upsert) and GET /library
baselines_measure() {
  baseline limits-progress "$LIMITS" "$SHARED/wrk/progress.lua" "$@" BENCH_TOKENS_FILE="$OUT/limits-tokens.txt" BENCH_PATH=/progress
  baseline limits-library "$LIMITS" "$SHARED/wrk/bearer.lua" "$@" BENCH_TOKENS_FILE="$OUT/limits-tokens.txt" BENCH_PATH=/library
}

# baselines_table DUR WARM: the rows of BROWS as a markdown table
baselines_table() {
  echo "wrk -t2 ${1}s after ${2}s warm-up (closed loop: each connection waits for its answer); cpu in % of one core"
  echo
  echo "| run | load | req/s | p50 ms | p99 ms | errors | server cpu % | pg cpu % | server cpu ms/req | pg cpu ms/req |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  printf '%s\n' "${BROWS[@]}"
}

ratio_header() {
  echo "ours: net of the process's idle CPU measured just before the run (pollers, other databases on the shared PostgreSQL);"
  echo "limits: gross, at saturation."
  echo
  echo "| engine | viewers | ours req/s | ours p95 ms | ours p99 ms | errors | writes | ours server ms/req | limits ms/req (weighted) | ratio | ours pg ms/req | limits pg ms/req (weighted) | ratio |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
}

# ratio_row ENGINE VIEWERS LOADRESULT CONNS: CPU per request of a load run
# (its LOADRESULT line) against the limits server's at CONNS connections,
# the run's writes (PUT, POST) priced at /progress and its reads at /library
ratio_row() {
  local engine=$1 v=$2 line=$3 c=$4
  local rps=0 p95_ms=0 p99_ms=0 errors=0 write_share=0 server_net_cpu_ms_per_req=0 postgres_net_cpu_ms_per_req=0
  eval "$(sed 's/^LOADRESULT //' <<< "$line" | tr ' ' '\n' | grep -E '^[a-z0-9_]+=[-0-9.a-z]+$')"
  local lp_s lp_p ll_s ll_p w wp r rp pms
  read -r _ _ _ _ _ _ lp_s lp_p <<< "${BASE[limits-progress/$c]}"
  read -r _ _ _ _ _ _ ll_s ll_p <<< "${BASE[limits-library/$c]}"
  w=$(awk -v s="$write_share" -v a="$lp_s" -v b="$ll_s" 'BEGIN { printf "%.3f", s * a + (1 - s) * b }')
  wp=$(awk -v s="$write_share" -v a="$lp_p" -v b="$ll_p" 'BEGIN { printf "%.3f", s * a + (1 - s) * b }')
  r=$(awk -v o="$server_net_cpu_ms_per_req" -v b="$w" 'BEGIN { printf "%.1f×", (b > 0 ? o / b : 0) }')
  pms=${postgres_net_cpu_ms_per_req:-0}
  rp=$(awk -v o="$pms" -v b="$wp" -v e="$engine" 'BEGIN { if (e == "sqlite") print "-"; else printf "%.1f×", (b > 0 ? o / b : 0) }')
  echo "| $engine | $v | $rps | $p95_ms | $p99_ms | $errors | $(awk -v s="$write_share" 'BEGIN { printf "%.0f%%", 100 * s }') | $server_net_cpu_ms_per_req | $w | $r | $pms | $wp | $rp |"
}
