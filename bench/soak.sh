#!/usr/bin/env bash
# soak.sh — a long run at a steady, moderate load with the server's memory
# sampled all along: RSS (/proc/PID/status) and, from its /metrics, the Go
# heap in use (go_memstats_heap_inuse_bytes) and the goroutines
# (go_goroutines). Prints the samples, a verdict (the last third's mean
# against the second third's: more than 10% growth fails) and the
# generator's final table; every acknowledged progress save is read back
# at the end (-verify-writes).
#
#   bench/soak.sh [-v VIEWERS] [-d 10m] [-r 30] [-e postgres] [-i 10s] [-g 0.10] [-- LOAD FLAGS]
#
#   -v  viewers (default: half the last capacity found by bench/capacity.sh for
#       the engine, from bench/out/load/capacity-*-ENGINE.json, else 500)
#   -d  measured duration (Go duration)    -r  ramp seconds
#   -e  engine (postgres or sqlite)        -i  sample period    -g  allowed growth
#
# The service runs as in bench/mix.sh. Exit status: 0 pass, 4 memory verdict
# failed, 3 acknowledged saves missing. Output: bench/out/load/soak-*.
set -euo pipefail
. "$(dirname "$0")/loadlib.sh"

VIEWERS= DUR=10m RAMP=30 ENGINE=postgres EVERY=10s GROWTH=0.10
while getopts "v:d:r:e:i:g:h" o; do
  case $o in
    v) VIEWERS=$OPTARG ;; d) DUR=$OPTARG ;; r) RAMP=$OPTARG ;; e) ENGINE=$OPTARG ;;
    i) EVERY=$OPTARG ;; g) GROWTH=$OPTARG ;; *) sed -n '2,19p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
EXTRA=("$@")
if [ -z "$VIEWERS" ]; then
  last=$(ls -t "$OUT"/capacity-*-"$ENGINE".json 2>/dev/null | head -1 || true)
  cap=0
  [ -n "$last" ] && cap=$(sed -n 's/^  "capacity": \([0-9]*\),*$/\1/p' "$last" | head -1)
  if [ "${cap:-0}" -gt 0 ]; then
    VIEWERS=$(( cap / 2 ))
    echo "viewers: half the capacity of $last ($cap)" >&2
  else
    VIEWERS=500
    echo "viewers: 500 (no capacity result for $ENGINE in $OUT)" >&2
  fi
fi

echo "$(box_state)" >&2
load_build
trap stop_all_servers EXIT
STAMP=$(date +%Y%m%d-%H%M%S)
start_server "$ENGINE" "soak$$" 8130
mint_accounts "$VIEWERS" "$OUT/accounts-soak.txt"
wait_quiet
pgflag=()
[ -n "$SRV_PGPID" ] && pgflag=(-pg-pid "$SRV_PGPID")
echo "== soak: $VIEWERS viewers on $ENGINE for $DUR after a ${RAMP}s ramp ($(box_state))" >&2
rc=0
"$OUT/load" -label "soak, $ENGINE, $VIEWERS viewers, $DUR" -url "$SRV_URL" -accounts-file "$OUT/accounts-soak.txt" \
  -viewers "$VIEWERS" -duration "$DUR" -ramp "${RAMP}s" -verify-writes \
  -mem-pid "$SRV_PID" -mem-metrics "$SRV_URL/metrics" -mem-every "$EVERY" -mem-max-growth "$GROWTH" \
  -server-pid "$SRV_PID" "${pgflag[@]}" -out "$OUT/soak-$STAMP.json" "${EXTRA[@]}" \
  2> >(tee "$OUT/soak-$STAMP.log" >&2) | tee "$OUT/soak-$STAMP.md" || rc=$?
server_stats "$SRV_LOG" | tee -a "$OUT/soak-$STAMP.md"
echo "$(box_state)"
echo "details: $OUT/soak-$STAMP.{md,log,json}"
exit "$rc"
