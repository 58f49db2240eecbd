#!/usr/bin/env bash
# mix.sh — the realistic viewer mix (bench/load) against one instance of the
# service, beside same-run baselines: the bare limits server's /progress and
# /library driven by wrk, and pgbench select/upsert, so that the report has
# ratios from one run on one machine.
#
#   bench/mix.sh [-c "200 400"] [-d 60] [-r 10] [-e "postgres sqlite"] [-b CONNS] [-w 3] [-n] [-- LOAD FLAGS]
#   bench/mix.sh -u URL -a ACCOUNTS [-c ...] [...]     against a server already running
#
#   -c  viewers per run (a list)                     -d  measured seconds (after the ramp)
#   -r  ramp seconds                                 -e  engines of the service (postgres, sqlite)
#   -b  wrk connections of the baselines (default: as many as viewers; pgbench at most 64)
#   -w  baseline warm-up seconds                     -n  no baselines
#   -u  URL of a running server to drive instead of starting one
#   -a  its accounts file (bench/prep -accounts N -accounts-out FILE, or email:password lines)
#   after --: more bench/load flags, e.g. -- -rates login=0.1 -verify-writes
#
# Also `bench/run.sh -s mix -c "200 400" [-d 60]`. The service runs with rate
# limiting at its default limits, Redis (LOAD_REDIS=none: without), metrics on,
# TRUSTED_PROXIES=127.0.0.1/32 (each viewer's X-Forwarded-For is its address);
# ANIROHI_<VAR>=value overrides any setting. Output: bench/out/load/mix-*.
set -euo pipefail
. "$(dirname "$0")/loadlib.sh"

VIEWERS=200 DUR=60 RAMP=10 ENGINES=postgres BCONNS= WARM=3 BASELINES=1 URL= ACCTS=
while getopts "c:d:r:e:b:w:u:a:nh" o; do
  case $o in
    c) VIEWERS=$OPTARG ;; d) DUR=$OPTARG ;; r) RAMP=$OPTARG ;; e) ENGINES=$OPTARG ;;
    b) BCONNS=$OPTARG ;; w) WARM=$OPTARG ;; n) BASELINES= ;; u) URL=$OPTARG ;; a) ACCTS=$OPTARG ;;
    *) sed -n '2,21p' "$0"; exit 2 ;;
  esac
done
if [ -n "$URL" ]; then
  [ -f "$ACCTS" ] || { echo "-u needs -a ACCOUNTS (a file)" >&2; exit 2; }
  ENGINES=running
fi
shift $((OPTIND - 1))
EXTRA=("$@")
command -v wrk >/dev/null || { echo "wrk not found (apt-get install wrk)" >&2; exit 1; }

echo "$(box_state)" >&2
load_build
[ -n "$BASELINES" ] && (cd "$SHARED/limits" && go build -o "$OUT/limits" .)
trap stop_all_servers EXIT
STAMP=$(date +%Y%m%d-%H%M%S)
REPORT=$OUT/mix-$STAMP.md
: > "$REPORT"
say() { echo "$@" | tee -a "$REPORT"; }

declare -A RESULT   # engine/viewers → LOADRESULT line
port=8110
for engine in $ENGINES; do
  accounts=$ACCTS
  if [ -n "$URL" ]; then
    SRV_URL=$URL SRV_PID= SRV_PGPID= SRV_LOG=/dev/null
  else
    start_server "$engine" "mix$$" "$port"
    accounts=$OUT/accounts-mix.txt
  fi
  for v in $VIEWERS; do
    [ -n "$URL" ] || mint_accounts "$v" "$accounts"
    wait_quiet
    from=$(( $(wc -l < "$SRV_LOG") + 1 ))
    say ""
    say "## ours: $engine, $v viewers ($(box_state))"
    say ""
    pidflags=()
    [ -n "$SRV_PID" ] && pidflags=(-server-pid "$SRV_PID")
    [ -n "$SRV_PGPID" ] && pidflags+=(-pg-pid "$SRV_PGPID")
    "$OUT/load" -url "$SRV_URL" -accounts-file "$accounts" -viewers "$v" -duration "${DUR}s" -ramp "${RAMP}s" \
      "${pidflags[@]}" -out "$OUT/mix-$STAMP-$engine-v$v.json" "${EXTRA[@]}" > "$OUT/mix-$STAMP-$engine-v$v.txt" || true
    grep -v '^LOADRESULT' "$OUT/mix-$STAMP-$engine-v$v.txt" | tee -a "$REPORT"
    RESULT[$engine/$v]=$(grep '^LOADRESULT' "$OUT/mix-$STAMP-$engine-v$v.txt" || true)
    server_stats "$SRV_LOG" "$from" | tee -a "$REPORT"
  done
  [ -z "$SRV_PID" ] || stop_server "$SRV_PID"
  port=$((port + 1))
done

[ -n "$BASELINES" ] || { echo; echo "report: $REPORT"; exit 0; }

# ---- baselines: limits server (wrk) and pgbench, on their own database
LIMITS_DB=$PG/anirohi_load_limits?sslmode=disable LIMITS=http://127.0.0.1:8190
psql -q "$PG/postgres" -c "DROP DATABASE IF EXISTS anirohi_load_limits WITH (FORCE)" -c "CREATE DATABASE anirohi_load_limits" 2>&1 | grep -v NOTICE >&2 || true
echo "seeding the limits database" >&2
"$OUT/limits" seed -db "$LIMITS_DB" -users 10000 2>/dev/null
"$OUT/limits" mint -users 10000 > "$OUT/limits-tokens.txt"
"$OUT/limits" serve -addr 127.0.0.1:8190 -db "$LIMITS_DB" -pool 16 > "$OUT/limits.log" 2>&1 &
LIMITS_PID=$!
SERVER_PIDS+=("$LIMITS_PID")
for _ in $(seq 100); do curl -sf "$LIMITS/hello" >/dev/null && break; sleep 0.1; done
PGPID=$(port_pid 5432)
export BENCH_LUA_DIR=$SHARED/wrk

declare -A BASE   # label/conns → "rps p50 p99 errors server_pct pg_pct server_ms_per_req pg_ms_per_req"
BROWS=()
# measure LABEL URL SCRIPT CONNS [env...]: wrk warm-up, then a measured run of DUR seconds
measure() {
  local label=$1 url=$2 script=$3 c=$4; shift 4
  env "$@" wrk -t2 -c"$c" -d"${WARM}s" -s "$script" "$url" >/dev/null 2>&1 || true
  wait_quiet
  local s0 p0 t0 s1 p1 t1 f=$OUT/mix-$STAMP-$label-c$c.txt
  s0=$(tree_ticks "$LIMITS_PID"); p0=$(tree_ticks "$PGPID"); t0=$(date +%s.%N)
  env "$@" wrk -t2 -c"$c" -d"${DUR}s" --latency -s "$script" "$url" > "$f" 2>&1 || true
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

PGCONNS=
for v in $VIEWERS; do
  c=${BCONNS:-$v}
  measure limits-progress "$LIMITS" "$SHARED/wrk/progress.lua" "$c" BENCH_TOKENS_FILE="$OUT/limits-tokens.txt" BENCH_PATH=/progress
  measure limits-library "$LIMITS" "$SHARED/wrk/bearer.lua" "$c" BENCH_TOKENS_FILE="$OUT/limits-tokens.txt" BENCH_PATH=/library
  PGCONNS="$PGCONNS $(( c < 64 ? c : 64 ))"
done
PGCONNS=$(tr ' ' '\n' <<< "$PGCONNS" | sort -un | tr '\n' ' ')
PGB=$(BENCH_DB_URL=$LIMITS_DB "$SHARED/pgbench/run-pgbench.sh" -c "$PGCONNS" -T "$DUR" -w "$WARM" 2>/dev/null)

say ""
say "## baselines, same run ($(box_state))"
say ""
say "wrk -t2 ${DUR}s after ${WARM}s warm-up (closed loop: each connection waits for its answer); cpu in % of one core"
say ""
say "| run | load | req/s | p50 ms | p99 ms | errors | server cpu % | pg cpu % | server cpu ms/req | pg cpu ms/req |"
say "|---|---|---|---|---|---|---|---|---|---|"
printf '%s\n' "${BROWS[@]}" | tee -a "$REPORT"
say ""
say "pgbench, the same statements as the limits server (the database alone):"
echo "$PGB" | tee -a "$REPORT"

# ---- ratios: CPU per request of the mix against the limits server's, with
# the mix's writes (PUT, POST) priced at /progress and its reads at /library
say ""
say "## ours against the baselines (cpu per request; writes priced as limits /progress, reads as /library)"
say ""
say "ours: net of the process's idle CPU measured just before the run (pollers, other databases on the shared PostgreSQL);"
say "limits: gross, at saturation."
say ""
say "| engine | viewers | ours req/s | ours p95 ms | ours p99 ms | errors | writes | ours server ms/req | limits ms/req (weighted) | ratio | ours pg ms/req | limits pg ms/req (weighted) | ratio |"
say "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
for engine in $ENGINES; do
  for v in $VIEWERS; do
    line=${RESULT[$engine/$v]:-}
    [ -n "$line" ] || continue
    rps=0 p95_ms=0 p99_ms=0 errors=0 write_share=0 server_net_cpu_ms_per_req=0 postgres_net_cpu_ms_per_req=0
    eval "$(sed 's/^LOADRESULT //' <<< "$line" | tr ' ' '\n' | grep -E '^[a-z0-9_]+=[-0-9.a-z]+$')"
    c=${BCONNS:-$v}
    read -r _ _ _ _ _ _ lp_s lp_p <<< "${BASE[limits-progress/$c]}"
    read -r _ _ _ _ _ _ ll_s ll_p <<< "${BASE[limits-library/$c]}"
    w=$(awk -v s="$write_share" -v a="$lp_s" -v b="$ll_s" 'BEGIN { printf "%.3f", s * a + (1 - s) * b }')
    wp=$(awk -v s="$write_share" -v a="$lp_p" -v b="$ll_p" 'BEGIN { printf "%.3f", s * a + (1 - s) * b }')
    r=$(awk -v o="$server_net_cpu_ms_per_req" -v b="$w" 'BEGIN { printf "%.1f×", (b > 0 ? o / b : 0) }')
    pms=${postgres_net_cpu_ms_per_req:-0}
    rp=$(awk -v o="$pms" -v b="$wp" 'BEGIN { if ("'"$engine"'" == "sqlite") print "-"; else printf "%.1f×", (b > 0 ? o / b : 0) }')
    say "| $engine | $v | $rps | $p95_ms | $p99_ms | $errors | $(awk -v s="$write_share" 'BEGIN { printf "%.0f%%", 100 * s }') | $server_net_cpu_ms_per_req | $w | $r | $pms | $wp | $rp |"
  done
done
say ""
say "req/s of the mix is the offered load (open loop), not a ceiling; the baselines' req/s are ceilings (closed loop)."
echo
echo "report: $REPORT (raw: $OUT/mix-$STAMP-*)"
