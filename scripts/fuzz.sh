#!/usr/bin/env bash
# Runs every Go fuzz target of the repository, one after the other, for a
# while each, and prints one summary line per target.
#
#   scripts/fuzz.sh [FUZZTIME] [REGEX]
#
#   FUZZTIME  per target, as go test -fuzztime takes it (default 30s; 5s for
#             a short run, 1000x for a number of inputs)
#   REGEX     only the targets whose name matches (grep -E), e.g. 'Body$'
#
# Environment:
#   FUZZ_PARALLEL=N      fuzzing workers per target (default 2)
#   FUZZ_MINIMIZE=T      -fuzzminimizetime (default 5s): go test minimizes every
#                        new interesting input, up to 60s each by default, and
#                        a worker minimizing does not fuzz
#   FUZZ_POSTGRES=1      run the HTTP targets on PostgreSQL (needs TEST_POSTGRES_URL)
#   FUZZ_KEEP_FAILURES=1 leave a failing input in the package's testdata/fuzz
#                        (go test's own behaviour); by default it is moved to
#                        the run's output directory, so the seed corpora that
#                        every go test runs stay green
#   FUZZ_OUT=DIR         where logs and failing inputs go (default: a new
#                        directory under ${TMPDIR:-/tmp})
#
# Targets are found with grep '^func Fuzz' in *_test.go files, so new ones
# are picked up; a target of another module (tools/…) runs in that module.
# Exits non-zero when any target fails.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

fuzztime=${1:-30s}
filter=${2:-}
parallel=${FUZZ_PARALLEL:-2}
minimize=${FUZZ_MINIMIZE:-5s}
out=${FUZZ_OUT:-$(mktemp -d "${TMPDIR:-/tmp}/anirohi-fuzz.XXXXXX")}
mkdir -p "$out"

# A hung target must not hang the run: allow the fuzz time plus ten minutes
# for building and the seed corpus (no limit for a count of inputs).
timeout=0
if [[ $fuzztime =~ ^([0-9]+)(s|m|h)$ ]]; then
  n=${BASH_REMATCH[1]}
  case ${BASH_REMATCH[2]} in s) ;; m) n=$((n * 60)) ;; h) n=$((n * 3600)) ;; esac
  timeout="$((n + 600))s"
fi

# module_dir DIR: the nearest directory at or above DIR with a go.mod.
module_dir() {
  local d=$1
  while [[ $d != "." && $d != "/" && ! -f $d/go.mod ]]; do d=$(dirname "$d"); done
  echo "$d"
}

mapfile -t targets < <(
  grep -rn --include='*_test.go' --exclude-dir=testdata --exclude-dir=.git '^func Fuzz' . |
    sed -n 's|^\./\(.*\)/[^/]*_test\.go:[0-9]*:func \(Fuzz[A-Za-z0-9_]*\)(.*\*testing\.F).*|\1 \2|p' |
    sort -u
)
if [[ -n $filter ]]; then
  mapfile -t targets < <(printf '%s\n' "${targets[@]}" | awk -v re="$filter" '$2 ~ re')
fi
if [[ ${#targets[@]} -eq 0 || -z ${targets[0]} ]]; then
  echo "no fuzz targets found${filter:+ matching $filter}" >&2
  exit 1
fi

echo "fuzzing ${#targets[@]} targets for $fuzztime each, $parallel workers; logs in $out"
failed=0
flaky=0
summary=()
for t in "${targets[@]}"; do
  dir=${t% *}
  name=${t#* }
  mod=$(module_dir "$dir")
  if [[ $dir == "$mod" ]]; then
    pkg=.
  elif [[ $mod == . ]]; then
    pkg=./$dir
  else
    pkg=./${dir#"$mod"/}
  fi
  where=./$dir
  corpus="$root/$dir/testdata/fuzz/$name"
  before=$(ls "$corpus" 2>/dev/null | sort)
  log="$out/$name.log"
  start=$SECONDS
  (cd "$mod" && go test -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -parallel "$parallel" -fuzzminimizetime "$minimize" -timeout "$timeout" "$pkg") >"$log" 2>&1
  rc=$?
  took=$((SECONDS - start))
  # The last progress line: "fuzz: elapsed: 1m0s, execs: N (R/sec), new interesting: K (total: C)".
  last=$(grep '^fuzz: elapsed: .*execs:' "$log" | tail -1)
  if [[ $last =~ elapsed:\ ([0-9hms]+),\ execs:\ ([0-9]+).*new\ interesting:\ ([0-9]+)\ \(total:\ ([0-9]+)\) ]]; then
    e=${BASH_REMATCH[1]} execs=${BASH_REMATCH[2]} found=${BASH_REMATCH[3]} total=${BASH_REMATCH[4]} secs=0
    [[ $e =~ ([0-9]+)h ]] && secs=$((secs + BASH_REMATCH[1] * 3600))
    [[ $e =~ ([0-9]+)m ]] && secs=$((secs + BASH_REMATCH[1] * 60))
    [[ $e =~ ([0-9]+)s ]] && secs=$((secs + BASH_REMATCH[1]))
    stats="execs $execs ($((execs / (secs > 0 ? secs : 1)))/s)  new interesting $found  corpus $total"
  else
    stats="no fuzzing stats"
  fi
  status=PASS
  note=""
  new_inputs=$(comm -13 <(echo "$before") <(ls "$corpus" 2>/dev/null | sort))
  if [[ $rc -ne 0 && -z $new_inputs ]] && grep -q -x -- "--- FAIL: $name ([0-9.]*s)" "$log" &&
    [[ $(grep -A1 -x -- "--- FAIL: $name ([0-9.]*s)" "$log" | tail -1) =~ ^[[:space:]]+context\ deadline\ exceeded$ ]]; then
    # Go's coordinator can report its own -fuzztime deadline as a failure,
    # with no failing input (golang/go#75804, fixed in Go 1.27): not a bug
    # of the target.
    status=FLAKE
    note=" (context deadline exceeded at the end of -fuzztime, golang/go#75804)"
    flaky=$((flaky + 1))
  elif [[ $rc -ne 0 ]]; then
    status=FAIL
    failed=$((failed + 1))
    # A failing input go test wrote into the committed corpus.
    for f in $new_inputs; do
      if [[ ${FUZZ_KEEP_FAILURES:-} == 1 ]]; then
        note+=" failing input: $dir/testdata/fuzz/$name/$f"
      else
        mkdir -p "$out/failures/$name"
        mv "$corpus/$f" "$out/failures/$name/$f"
        note+=" failing input: $out/failures/$name/$f"
      fi
    done
    rmdir "$corpus" 2>/dev/null || true # a directory that held only the failure
  fi
  line=$(printf '%s %-26s %-22s %4ss  %s%s' "$status" "$name" "$where" "$took" "$stats" "$note")
  echo "$line"
  summary+=("$line")
  if [[ $status == FAIL ]]; then
    grep -v '^fuzz: elapsed' "$log" | head -40 | sed 's/^/    /'
  fi
done

echo
echo "summary ($fuzztime per target):"
printf '%s\n' "${summary[@]}"
if [[ $failed -ne 0 ]]; then
  echo "$failed of ${#targets[@]} targets failed (logs in $out)"
  exit 1
fi
if [[ $flaky -gt 0 ]]; then
  echo "all ${#targets[@]} targets passed ($flaky ended with Go's -fuzztime deadline race: FLAKE)"
else
  echo "all ${#targets[@]} targets passed"
fi
