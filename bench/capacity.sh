#!/usr/bin/env bash
# capacity.sh — the most concurrent viewers one instance of the service
# sustains with the overall p95 under a budget (100 ms) and no error at all,
# per database engine. bench/load -find-capacity doubles the viewers from -s
# until a step fails, then bisects between the last passing and the first
# failing step; every step is -d seconds measured after a -r seconds ramp,
# after waiting for a quiet machine (wait_quiet of ../shared/bench/lib.sh).
# A failing step is run once more and fails only if that fails too (the
# machine is shared: a burst of other work can fail one step; -- -confirm 0
# turns this off).
#
#   bench/capacity.sh [-e "postgres sqlite"] [-s 100] [-m 6400] [-d 60] [-r 15] [-p 100ms] [-n 14] [-b 256] [-B] [-- LOAD FLAGS]
#
#   -e  engines      -s  first step's viewers     -m  most viewers tried (accounts minted)
#   -d  measured seconds per step                 -r  ramp seconds per step
#   -p  p95 budget   -n  most steps per engine
#   -b  wrk connections of the baselines          -B  no baselines
#
# After the searches, the bare limits server's POST /progress and GET
# /library (wrk, -d seconds each) price the CPU per request of each
# engine's last passing step, as bench/mix.sh does: the ratio of the
# issue's "CPU per request" target, from the same run.
#
# The service runs as in bench/mix.sh (rate limits on at their defaults,
# Redis unless LOAD_REDIS=none, TRUSTED_PROXIES=127.0.0.1/32). The steps
# reuse the accounts of the first one (their tokens carry over in the
# generator). Output: bench/out/load/capacity-*.
set -euo pipefail
. "$(dirname "$0")/loadlib.sh"

ENGINES="postgres sqlite" START=100 MAX=6400 DUR=60 RAMP=15 P95=100ms STEPS=14 BCONNS=256 BASELINES=1
while getopts "e:s:m:d:r:p:n:b:Bh" o; do
  case $o in
    e) ENGINES=$OPTARG ;; s) START=$OPTARG ;; m) MAX=$OPTARG ;; d) DUR=$OPTARG ;; r) RAMP=$OPTARG ;;
    p) P95=$OPTARG ;; n) STEPS=$OPTARG ;; b) BCONNS=$OPTARG ;; B) BASELINES= ;; *) sed -n '2,28p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
EXTRA=("$@")
[ "$MAX" -le "$LOAD_USERS" ] || LOAD_USERS=$MAX

echo "$(box_state)" >&2
load_build
trap stop_all_servers EXIT
STAMP=$(date +%Y%m%d-%H%M%S)
SUMMARY=()
declare -A RESULT   # engine → the LOADRESULT line of its last passing step
port=8120
for engine in $ENGINES; do
  start_server "$engine" "cap$$" "$port"
  mint_accounts "$MAX" "$OUT/accounts-capacity.txt"
  pgflag=()
  [ -n "$SRV_PGPID" ] && pgflag=(-pg-pid "$SRV_PGPID")
  echo "== capacity search on $engine ($(box_state))" >&2
  "$OUT/load" -find-capacity -label "$engine" -url "$SRV_URL" -accounts-file "$OUT/accounts-capacity.txt" \
    -cap-start "$START" -cap-max "$MAX" -duration "${DUR}s" -ramp "${RAMP}s" -p95 "$P95" -max-steps "$STEPS" \
    -step-hook ". '$SHARED/lib.sh' && wait_quiet && echo \"  step: \$VIEWERS viewers, \$(uptime)\" >&2" \
    -server-pid "$SRV_PID" "${pgflag[@]}" -out "$OUT/capacity-$STAMP-$engine.json" "${EXTRA[@]}" \
    2> >(tee "$OUT/capacity-$STAMP-$engine.log" >&2) | tee "$OUT/capacity-$STAMP-$engine.md"
  SUMMARY+=("$(grep '^CAPACITY' "$OUT/capacity-$STAMP-$engine.md" || echo "CAPACITY ($engine): no result")")
  RESULT[$engine]=$(grep '^LOADRESULT' "$OUT/capacity-$STAMP-$engine.md" || true)
  server_stats "$SRV_LOG" | tee -a "$OUT/capacity-$STAMP-$engine.md"
  stop_server "$SRV_PID"
  port=$((port + 1))
done
if [ -n "$BASELINES" ]; then
  baselines_start
  baselines_measure "$BCONNS" "$DUR" 3
  {
    echo
    echo "## baselines ($(box_state))"
    echo
    baselines_table "$DUR" 3
    echo
    echo "## CPU per request of each engine's last passing step against the baselines"
    echo
    ratio_header
    for engine in $ENGINES; do
      line=${RESULT[$engine]:-}
      [ -z "$line" ] || ratio_row "$engine" "$(sed 's/.*viewers=\([0-9]*\).*/\1/' <<< "$line")" "$line" "$BCONNS"
    done
  } | tee "$OUT/capacity-$STAMP-ratios.md"
fi
echo
echo "$(box_state)"
printf '%s\n' "${SUMMARY[@]}"
echo "details: $OUT/capacity-$STAMP-*.{md,log,json}"
