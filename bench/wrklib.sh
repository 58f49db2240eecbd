# wrklib.sh — one measured wrk run with its CPU accounting, shared by
# bench/run.sh and bench/catalog.sh (source it after ../shared/bench/lib.sh,
# with OUT, THREADS, WARM, DUR and PGPID set). Rows collect in ROWS.

ROWS=()
# measure LABEL PID URL SCRIPT [env...]: warm-up, then one measured wrk run
measure() {
  local label=$1 pid=$2 url=$3 script=$4 c=$5 r=$6; shift 6
  env "$@" wrk -t"$THREADS" -c"$c" -d"${WARM}s" -s "$script" "$url" >/dev/null 2>&1 || true
  [ -n "${REFILL:-}" ] && eval "$REFILL"
  wait_quiet
  local s0 p0 t0 s1 p1 t1
  s0=$(tree_ticks "$pid"); p0=$(tree_ticks "$PGPID"); t0=$(date +%s.%N)
  env "$@" wrk -t"$THREADS" -c"$c" -d"${DUR}s" --latency -s "$script" "$url" > "$OUT/$label-c$c-r$r.txt" 2>&1 || true
  t1=$(date +%s.%N); sleep 0.5
  s1=$(tree_ticks "$pid"); p1=$(tree_ticks "$PGPID")
  local secs line
  secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
  line=$(sed -n 's/^BENCHRESULT //p' "$OUT/$label-c$c-r$r.txt")
  local requests=0 rps=0 p50_ms=0 p99_ms=0 err_connect=0 err_read=0 err_write=0 err_status=0 err_timeout=0 extra_bad=0 extra_starved=0
  eval "$(echo "$line" | tr ' ' '\n' | grep -E '^(requests|rps|p50_ms|p99_ms|err_[a-z]+|extra_[a-z]+)=')"
  local errs=$(( err_connect + err_read + err_write + err_status + err_timeout + extra_bad + extra_starved ))
  ROWS+=("| $label | $c | $r | $rps | $p50_ms | $p99_ms | $errs | $(ticks_pct $(( s1 - s0 )) "$secs") | $(ticks_pct $(( p1 - p0 )) "$secs") |")
  echo "  $label c=$c run $r: rps=$rps p50=${p50_ms}ms p99=${p99_ms}ms errors=$errs" >&2
}

