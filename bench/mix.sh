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
baselines_start
PGCONNS=
for v in $VIEWERS; do
  c=${BCONNS:-$v}
  baselines_measure "$c" "$DUR" "$WARM"
  PGCONNS="$PGCONNS $(( c < 64 ? c : 64 ))"
done
PGCONNS=$(tr ' ' '\n' <<< "$PGCONNS" | sort -un | tr '\n' ' ')
PGB=$(BENCH_DB_URL=$LIMITS_DB "$SHARED/pgbench/run-pgbench.sh" -c "$PGCONNS" -T "$DUR" -w "$WARM" 2>/dev/null)

say ""
say "## baselines, same run ($(box_state))"
say ""
baselines_table "$DUR" "$WARM" | tee -a "$REPORT"
say ""
say "pgbench, the same statements as the limits server (the database alone):"
echo "$PGB" | tee -a "$REPORT"

# ---- ratios: CPU per request of the mix against the limits server's
say ""
say "## ours against the baselines (cpu per request; writes priced as limits /progress, reads as /library)"
say ""
ratio_header | tee -a "$REPORT"
for engine in $ENGINES; do
  for v in $VIEWERS; do
    line=${RESULT[$engine/$v]:-}
    [ -n "$line" ] || continue
    ratio_row "$engine" "$v" "$line" "${BCONNS:-$v}" | tee -a "$REPORT"
  done
done
say ""
say "req/s of the mix is the offered load (open loop), not a ceiling; the baselines' req/s are ceilings (closed loop)."
echo
echo "report: $REPORT (raw: $OUT/mix-$STAMP-*)"
