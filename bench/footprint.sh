#!/usr/bin/env bash
# footprint.sh — binary size, start-up time and idle memory of the service.
#
#   bench/footprint.sh [-n RUNS] [-s SETTLE] [-b BINARY] [-e KEY=VALUE]...
#
#   -n  starts to measure (default 7; the median is reported)
#   -s  wait after /health answers before reading RSS (default 1s)
#   -b  measure this binary (absolute, or relative to the repository root)
#       instead of building one, e.g. an older build to compare in one session
#   -e  a variable for the server (repeatable); otherwise its environment is
#       empty: dev defaults, SQLite under ./data
#
# Builds with the Dockerfile's own go build line (CGO_ENABLED=0, -trimpath,
# -ldflags "-s -w ...") into bench/out/footprint/anirohi, prints its size,
# then starts it RUNS times, each in a fresh empty directory (so each start
# creates and migrates ./data/anirohi.db), and prints per run and as medians
# the time from exec to the first 200 from GET /health, the CPU time its
# threads used until then, and VmRSS (and VmHWM, the peak) from
# /proc/PID/status after the settle. Linux only (/proc).
# Budgets: binary ≤ 25 MB, start-up < 100 ms, idle RSS ≤ 30 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=7 SETTLE=1s BIN= ENVS=()
while getopts "n:s:b:e:h" o; do
  case $o in
    n) RUNS=$OPTARG ;; s) SETTLE=$OPTARG ;; b) BIN=$OPTARG ;; e) ENVS+=(-env "$OPTARG") ;;
    *) sed -n '2,20p' "$0"; exit 2 ;;
  esac
done
OUT=bench/out/footprint
mkdir -p "$OUT"
if [ -z "$BIN" ]; then
  BIN=$OUT/anirohi
  line=$(sed -n 's/^RUN \(.* go build .*\)$/\1/p' Dockerfile)
  [ -n "$line" ] || { echo "no go build line in the Dockerfile" >&2; exit 1; }
  echo "building: $line" >&2
  VERSION=$(git describe --tags --always 2>/dev/null || echo dev) COMMIT=$(git rev-parse HEAD 2>/dev/null || echo unknown) \
    sh -c "${line//\/out\/anirohi/$BIN}"
fi
go build -o "$OUT/footprint" ./bench/footprint
size=$(stat -c %s "$BIN")
awk -v b="$BIN" -v s="$size" 'BEGIN { printf "binary %s: %d bytes (%.1f MB)\n", b, s, s / 1e6 }'
"$OUT/footprint" -bin "$BIN" -n "$RUNS" -settle "$SETTLE" "${ENVS[@]}"
