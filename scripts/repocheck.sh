#!/usr/bin/env bash
# Repository hygiene, the first thing .ci/run does. Fails, naming every
# offender, when
#   - a tracked file is a compiled binary, told by its first bytes (ELF,
#     Mach-O, PE, WebAssembly, Java class, ar archive): the x bit says
#     nothing, scripts have it too;
#   - a tracked file is larger than 4 MiB;
#   - a tracked go.mod requires or replaces with a pre-release version
#     (vX.Y.Z-alpha…, -beta…, -rc…, -pre…). Pseudo-versions name a commit
#     (v0.0.0-20240606120523-5a60cdf6a761, vX.Y.Z-beta.1.0.yyyymmddhhmmss-hash)
#     and pass.
#
#   scripts/repocheck.sh
set -euo pipefail
export LC_ALL=C # bytes, not characters
cd "$(dirname "$0")/.."
git rev-parse --git-dir >/dev/null # no repository, nothing checked: fail

max=$((4 << 20))
bad=0
fail() { echo "repocheck: $*" >&2; bad=1; }

files=()
while IFS= read -r -d '' f; do
  [[ -f $f && ! -L $f ]] && files+=("$f") # not deleted, a symlink or a submodule
done < <(git ls-files -z)
mapfile -d '' -t sizes < <(stat --printf '%s\0' -- "${files[@]}")
for i in "${!files[@]}"; do
  f=${files[i]}
  ((sizes[i] <= max)) || fail "$f: ${sizes[i]} bytes, larger than 4 MiB"
  magic=
  IFS= read -r -N 4 magic <"$f" || true # a builtin: no fork per file; drops NUL bytes
  case $magic in
  $'\x7fELF') fail "$f: ELF binary" ;;
  $'\xfe\xed\xfa\xce' | $'\xfe\xed\xfa\xcf' | $'\xce\xfa\xed\xfe' | $'\xcf\xfa\xed\xfe') fail "$f: Mach-O binary" ;;
  $'\xca\xfe\xba\xbe') fail "$f: Mach-O universal binary or Java class" ;;
  MZ*) fail "$f: PE (Windows) binary" ;;
  $'asm\x01') fail "$f: WebAssembly module" ;; # \0asm, version 1
  '!<ar') fail "$f: ar archive (compiled objects)" ;;
  esac
done

# Go's own pseudo-version pattern (golang.org/x/mod/module).
pseudo='^v[0-9]+\.(0\.0-|[0-9]+\.[0-9]+-([^+]*\.)?0\.)[0-9]{14}-[A-Za-z0-9]+(\+[0-9A-Za-z.-]+)?$'
pre='^v[0-9]+\.[0-9]+\.[0-9]+-(alpha|beta|rc|pre)'
shopt -s nocasematch
while IFS= read -r -d '' mod; do
  n=0
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    read -ra words <<<"${line%%//*}" # without the comment (// indirect)
    for v in "${words[@]}"; do
      if [[ $v =~ $pre && ! $v =~ $pseudo ]]; then fail "$mod:$n: pre-release version $v"; fi
    done
  done <"$mod"
done < <(git ls-files -z -- ':(glob)**/go.mod')
shopt -u nocasematch

((bad == 0)) || { echo "FATAL: repocheck failed (see above)" >&2; exit 1; }
echo "repocheck: $(git ls-files | wc -l) tracked files, no binary, none over 4 MiB, no pre-release in go.mod"
