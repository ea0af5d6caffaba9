#!/usr/bin/env bash
# bench/compare.sh — driftgate side by side with the tools a user would pick
# instead, on the same generated files and the same schemas, in one run
# (issue 6). Results: bench/out/RESULTS.md (also printed at the end); raw
# hyperfine JSON and peak-RSS samples under bench/out/raw/.
#
# Usage:  bench/compare.sh [options]
#   --runs K               timed runs per command (default 5; medians reported)
#   --baseline-runs-n1 K   runs of the bash+yq gate baseline at N=1 (default: --runs)
#   --baseline-runs-n10 K  runs of the bash+yq gate baseline at N=10 (default 1:
#                          one run takes ~10-15 min on 2 cores; 0 skips it)
#   --n100                 also generate N=100 (~560 MB) and time driftgate on it
#   --no-install           do not install peers (they must be on PATH already)
#   --no-build             do not build; use $DRIFTGATE or target/release/driftgate
#                          and $DRIFTGATE_CORPUS or target/release/driftgate-corpus
#
# What it does:
#   0. Installs its peers when missing: Debian `jq` and `hyperfine` (apt-get
#      update once, then apt-get install -y), PyPI `check-jsonschema` and `yq`
#      (pip install), npm `ajv-cli` + `ajv-formats` (into bench/node_modules,
#      gitignored).
#   1. Builds driftgate and the corpus generator with `cargo build --release
#      -p driftgate -p driftgate-bench` (honours CARGO_TARGET_DIR). This script
#      is the only place the project builds release (~5 min on 2 cores).
#   2. Generates the synthetic corpora with `driftgate-corpus --scale N`
#      (crates/driftgate-bench/src/corpus.rs; N=1: ~325 bindings, 5.6 MB)
#      into bench/out/corpus-N and
#      makes each spine a git repo (for the staged row).
#   3. Times, with hyperfine (median of K runs, after one warm-up run for the
#      fast commands; the OS page cache is warm for every row), and
#      /usr/bin/time for peak RSS:
#      (a) schema validation of the files mapped in schemas/index.yaml against
#          the same schemas/*.schema.json:
#            driftgate check --schemas-only   (also parses every other spine
#                                              YAML file: it does more work)
#            check-jsonschema                 one process per schema, sequential,
#                                             --base-uri so $refs resolve offline
#            ajv-cli (+ ajv-formats)          one process per schema; ajv reads
#                                             JSON only, so the YAML files are
#                                             converted to JSON once up front with
#                                             yq, outside the timing
#      (b) gates D69 D86 D59 D409 D139:
#            driftgate check --select D69,D86,D59,D409,D139 --no-exec
#            bench/baseline/run-all.sh: the same checks as bash + yq, one yq
#            call per field as the real spine gate scripts do
#      (c) driftgate cold vs warm cache vs staged (1 file changed): rows whose
#          flag this driftgate build does not have are reported as skipped.
#      Scaling: full `check --no-exec` (all schemas + all native/rule gates) at
#      every N: wall, peak RSS, MB/s, files/s.
#
# Reproduce the README table:  bench/compare.sh          (N=1 and N=10)
#                              bench/compare.sh --n100   (adds N=100 for driftgate)
set -euo pipefail

RUNS=5
BASE_RUNS_N1=""
BASE_RUNS_N10=1
N100=0
INSTALL=1
BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --runs) RUNS="$2"; shift 2 ;;
    --baseline-runs-n1) BASE_RUNS_N1="$2"; shift 2 ;;
    --baseline-runs-n10) BASE_RUNS_N10="$2"; shift 2 ;;
    --n100) N100=1; shift ;;
    --no-install) INSTALL=0; shift ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,50p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "compare.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ "$RUNS" -ge 1 ]] || { echo "--runs must be >= 1" >&2; exit 2; }
BASE_RUNS_N1="${BASE_RUNS_N1:-$RUNS}"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BENCH="$ROOT/bench"
OUT="$BENCH/out"
RAW="$OUT/raw"
SCHEMAS="$ROOT/schemas"
mkdir -p "$RAW"
log() { printf '\n== %s\n' "$*" >&2; }

# ───────────────────────── 0. peers ─────────────────────────
apt_updated=0
apt_install() {
  if [[ "$apt_updated" == 0 ]]; then
    apt-get update -qq >/dev/null
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
if [[ "$INSTALL" == 1 ]]; then
  log "peers"
  command -v jq >/dev/null || apt_install jq
  command -v hyperfine >/dev/null || apt_install hyperfine
  [[ -x /usr/bin/time ]] || apt_install time
  python3 -m pip --version >/dev/null 2>&1 || apt_install python3-pip
  python3 -c 'import check_jsonschema, yq' 2>/dev/null \
    || python3 -m pip install -q check-jsonschema yq 2>/dev/null \
    || python3 -m pip install -q --break-system-packages check-jsonschema yq
  command -v npm >/dev/null || apt_install npm
  [[ -x "$BENCH/node_modules/.bin/ajv" ]] \
    || npm install --prefix "$BENCH" --no-save --no-package-lock --no-audit --no-fund \
         --loglevel=error ajv-cli ajv-formats >/dev/null
fi
# The Python entry points, bypassing version-manager shims (a pyenv shim
# costs ~0.1 s per call: 10x the work of a small yq call).
pybin() {
  local d
  d="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
  if [[ -x "$d/$1" ]]; then echo "$d/$1"; else command -v "$1"; fi
}
YQ="$(pybin yq)"
CJS="$(pybin check-jsonschema)"
AJV="$BENCH/node_modules/.bin/ajv"
for t in jq hyperfine "$YQ" "$CJS" "$AJV"; do
  command -v "$t" >/dev/null || { echo "compare.sh: missing $t (run without --no-install)" >&2; exit 2; }
done

# ───────────────────────── 1. build ─────────────────────────
REL="${CARGO_TARGET_DIR:-$ROOT/target}/release"
DG="${DRIFTGATE:-$REL/driftgate}"
GEN="${DRIFTGATE_CORPUS:-$REL/driftgate-corpus}"
if [[ "$BUILD" == 1 ]]; then
  # The generator lives in the bench crate, not in the product binary.
  pkgs=()
  [[ -z "${DRIFTGATE:-}" ]] && pkgs+=(-p driftgate)
  [[ -z "${DRIFTGATE_CORPUS:-}" ]] && pkgs+=(-p driftgate-bench)
  if [[ ${#pkgs[@]} -gt 0 ]]; then
    log "cargo build --release ${pkgs[*]}"
    (cd "$ROOT" && cargo build --release --quiet "${pkgs[@]}")
  fi
fi
[[ -x "$DG" ]] || { echo "compare.sh: no driftgate binary at $DG" >&2; exit 2; }
[[ -x "$GEN" ]] || { echo "compare.sh: no driftgate-corpus binary at $GEN" >&2; exit 2; }
DG_HELP="$("$DG" check --help)"
has_flag() { grep -q -- "$1" <<<"$DG_HELP"; }
# Every row but (c) runs without the parse cache: hyperfine repeats a
# command, and a warm cache would turn "parse + validate" into "read cache".
NC=""
has_flag --no-cache && NC="--no-cache"
# The corpus's last_verified dates are fresh relative to this day (D58), and
# at N=100 the two biggest bindings (~120 MB each) exceed the default 16 MB
# per-file limit.
NC="$NC --now 2026-11-20 --max-file-bytes 1073741824"

# ───────────────────────── 2. corpora ─────────────────────────
SCALES=(1 10)
[[ "$N100" == 1 ]] && SCALES+=(100)
for n in "${SCALES[@]}"; do
  c="$OUT/corpus-$n"
  log "corpus N=$n"
  rm -rf "$c"
  "$GEN" --scale "$n" --out "$c" >&2
  (cd "$c/spine" && git init -q && git add -A \
     && git -c user.name=bench -c user.email=bench@localhost commit -qm "corpus N=$n")
done

# Schema → file jobs from schemas/index.yaml (repo-relative literal paths).
mapfile -t JOBS < <("$YQ" -r '.[] | [.schema, .repo, .glob] | @tsv' "$SCHEMAS/index.yaml")

peer_scripts() { # N → writes $OUT/peers-N-{cjs,ajv}.sh, converts YAML → JSON for ajv
  local n=$1 c="$OUT/corpus-$1" js="$OUT/json-$1"
  rm -rf "$js"
  {
    echo '#!/usr/bin/env bash'
    echo 'rc=0'
  } > "$OUT/peers-$n-cjs.sh"
  cp "$OUT/peers-$n-cjs.sh" "$OUT/peers-$n-ajv.sh"
  local files=0 bytes=0
  for job in "${JOBS[@]}"; do
    IFS=$'\t' read -r id repo glob <<<"$job"
    local f="$c/$repo/$glob"
    [[ -f "$f" ]] || continue
    files=$((files + 1)); bytes=$((bytes + $(stat -c %s "$f")))
    mkdir -p "$(dirname "$js/$repo/$glob")"
    "$YQ" . "$f" > "$js/$repo/$glob.json"   # outside the timing
    printf '%q --base-uri %q --schemafile %q %q >/dev/null || rc=1\n' \
      "$CJS" "file://$SCHEMAS/$id.schema.json" "$SCHEMAS/$id.schema.json" "$f" >> "$OUT/peers-$n-cjs.sh"
    printf '%q validate --spec=draft2020 -c ajv-formats --strict=false --all-errors -s %q -r %q -d %q >/dev/null 2>&1 || rc=1\n' \
      "$AJV" "$SCHEMAS/$id.schema.json" "$SCHEMAS/defs.schema.json" "$js/$repo/$glob.json" >> "$OUT/peers-$n-ajv.sh"
  done
  echo 'exit $rc' >> "$OUT/peers-$n-cjs.sh"
  echo 'exit $rc' >> "$OUT/peers-$n-ajv.sh"
  echo "$files $bytes"
}

# ───────────────────────── measuring ─────────────────────────
# measure KEY RUNS WARMUP SHELL-COMMAND [PREPARE]: hyperfine median wall time,
# /usr/bin/time peak RSS of the same runs; appends a row to results.tsv.
: > "$RAW/results.tsv"
measure() {
  local key=$1 runs=$2 warm=$3 cmd=$4 prep=${5:-}
  local rss="$RAW/$key.rss"
  : > "$rss"
  local args=(--runs "$runs" --warmup "$warm" -i --style basic --export-json "$RAW/$key.json")
  [[ -n "$prep" ]] && args+=(--prepare "$prep")
  log "$key: $cmd"
  hyperfine "${args[@]}" "/usr/bin/time -f %M -a -o $rss $cmd" >&2 || true
  local med exits rssmed
  med="$(jq -r '.results[0].median' "$RAW/$key.json")"
  exits="$(jq -r '[.results[0].exit_codes[]] | unique | map(tostring) | join(",")' "$RAW/$key.json")"
  rssmed="$(tail -n "$runs" "$rss" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
  printf '%s\t%s\t%s\t%s\n' "$key" "$med" "$rssmed" "$exits" >> "$RAW/results.tsv"
}
get() { awk -F'\t' -v k="$1" -v c="$2" '$1==k {print $c}' "$RAW/results.tsv"; }
fmt_s() { # seconds → "12 ms" / "1.23 s" / "4 min 05 s"
  awk -v s="$1" 'BEGIN { if (s == "") { print "—"; exit }
    if (s < 1) printf "%.0f ms", s*1000; else if (s < 120) printf "%.2f s", s;
    else printf "%d min %02d s", int(s/60), s%60 }'
}
fmt_mb() { awk -v k="$1" 'BEGIN { if (k == "") print "—"; else printf "%.0f MB", k/1024 }'; }
ratio() { awk -v p="$1" -v d="$2" 'BEGIN { if (p == "" || d == "" || d == 0) print "—"; else printf "%.1f×", p/d }'; }

WS() { echo "$OUT/corpus-$1"; }
GATES="D69,D86,D59,D409,D139"

# Which of the five gates this build ships natively/as rules (not exec).
gate_status() { # N → "D69:ran D86:skipped ..." from one JSON run
  "$DG" check "$(WS "$1")" --select "$GATES" --no-exec $NC --format json 2>/dev/null \
    | jq -r --arg g "$GATES" '($g | split(",")) as $want
        | [.checks[] | select(.code as $c | $want | index($c)) | "\(.code):\(.status | if type == "object" then (.status // tostring) else . end)"] | join(" ")' \
    || true
}

# ───────────────────────── 3. runs ─────────────────────────
declare -A PEER_FILES PEER_BYTES
for n in 1 10; do
  read -r pf pb < <(peer_scripts "$n")
  PEER_FILES[$n]=$pf; PEER_BYTES[$n]=$pb
  ws="$(WS "$n")"
  # (a) schema validation
  if has_flag --schemas-only; then
    measure "schema-dg-$n" "$RUNS" 1 "$DG check $ws --schemas-only --no-exec $NC --format short"
  else
    echo "driftgate has no --schemas-only: timing the full check instead" >&2
    measure "schema-dg-$n" "$RUNS" 1 "$DG check $ws --no-exec $NC --format short"
  fi
  measure "schema-cjs-$n" "$RUNS" 0 "bash $OUT/peers-$n-cjs.sh"
  measure "schema-ajv-$n" "$RUNS" 0 "bash $OUT/peers-$n-ajv.sh"
  # (b) gates
  measure "gates-dg-$n" "$RUNS" 1 "$DG check $ws --select $GATES --no-exec $NC --format short"
  br=$BASE_RUNS_N1
  [[ "$n" == 10 ]] && br=$BASE_RUNS_N10
  if [[ "$br" -ge 1 ]]; then
    measure "gates-bash-$n" "$br" 0 "env SPINE_ROOT=$ws/spine YQ=$YQ bash $BENCH/baseline/run-all.sh"
  fi
done
GATE_STATUS_1="$(gate_status 1)"

# (c) cold / warm / staged at N=1. The parse cache lives in the spine's
# .git/driftgate/ and, for the non-git workbench/legacy, under
# $XDG_CACHE_HOME/driftgate/ (pointed into bench/out so it can be wiped).
ws1="$(WS 1)"
CACHE_NOTE=""
XC="$OUT/xdg-cache"
DGC="env XDG_CACHE_HOME=$XC $DG"
wipe="rm -rf $ws1/spine/.git/driftgate $XC || true"
if has_flag --no-cache; then
  measure "cache-cold-1" "$RUNS" 1 "$DGC check $ws1 --now 2026-11-20 --no-exec --format short" "$wipe"
  measure "cache-none-1" "$RUNS" 1 "$DGC check $ws1 --now 2026-11-20 --no-exec --format short --no-cache"
  $DGC check "$ws1" --now 2026-11-20 --no-exec --format short >/dev/null || true
  measure "cache-warm-1" "$RUNS" 1 "$DGC check $ws1 --now 2026-11-20 --no-exec --format short"
else
  CACHE_NOTE="this driftgate build has no parse cache (--no-cache): cold = an ordinary run, warm skipped"
  measure "cache-cold-1" "$RUNS" 1 "$DG check $ws1 --now 2026-11-20 --no-exec --format short"
fi
# Staged: one binding changed and staged in the N=1 spine (warm cache: the
# pre-commit case).
victim="$(cd "$ws1/spine" && git ls-files 'ops/bindings/*.yaml' | sed -n '100p')"
printf '# touched by compare.sh\n' >> "$ws1/spine/$victim"
git -C "$ws1/spine" add "$victim"
$DGC check "$ws1" --staged --now 2026-11-20 --no-exec --format short >/dev/null || true
measure "staged-1" "$RUNS" 1 "$DGC check $ws1 --staged --now 2026-11-20 --no-exec --format short"
git -C "$ws1/spine" reset -q --hard
$wipe

# Scaling: full check at every N.
for n in "${SCALES[@]}"; do
  measure "full-$n" "$RUNS" 1 "$DG check $(WS "$n") --no-exec $NC --format short"
done

# ───────────────────────── 4. report ─────────────────────────
json_num() { jq -r ".$2" "$(WS "$1")/CORPUS.json"; }
spine_yaml() { # N → "files bytes" of spine YAML/JSON (what one check parses)
  find "$(WS "$1")/spine" -path '*/.git' -prune -o -type f \( -name '*.yaml' -o -name '*.yml' -o -name '*.json' \) -printf '%s\n' \
    | awk '{n++; b+=$1} END {print n, b}'
}
row() { # LABEL KEY BASEKEY → markdown row: wall, RSS, ratio to BASEKEY, exit
  local w r e
  w="$(get "$2" 2)"; r="$(get "$2" 3)"; e="$(get "$2" 4)"
  if [[ -z "$w" ]]; then
    echo "| $1 | — | — | — | not run |"
  else
    echo "| $1 | $(fmt_s "$w") | $(fmt_mb "$r") | $(ratio "$w" "$(get "$3" 2)") | $e |"
  fi
}
{
  echo "# driftgate benchmarks"
  echo
  echo "Generated by \`bench/compare.sh\` on $(date -u +%Y-%m-%d) — driftgate $("$DG" --version | awk '{print $2}') ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'))."
  echo
  echo "**Machine:** $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), $(free -h | awk '/^Mem:/ {print $2}') RAM, $(. /etc/os-release && echo "$PRETTY_NAME"). Other processes may have shared the cores."
  echo
  echo "**Peers:** $("$CJS" --version 2>&1 | head -1), ajv-cli $(node -p "require('$BENCH/node_modules/ajv-cli/package.json').version") + ajv-formats $(node -p "require('$BENCH/node_modules/ajv-formats/package.json').version"), $("$YQ" --version 2>&1 | head -1) ($(jq --version)), $(hyperfine --version)."
  echo
  echo "Wall = median of $RUNS runs (hyperfine; OS page cache warm); RSS = median peak resident set (GNU time, largest process of the run). Ratio = this row's wall / driftgate's wall (> 1: driftgate is faster). Exit = exit codes seen."
  echo
  for n in 1 10; do
    read -r yf yb < <(spine_yaml "$n")
    echo "## N=$n — $(json_num "$n" bindings) bindings, $(json_num "$n" vms) VMs, $(json_num "$n" services) services, $(json_num "$n" gaps) gaps; spine YAML $yf files / $(awk -v b="$yb" 'BEGIN{printf "%.1f", b/1e6}') MB"
    echo
    echo "### (a) Schema validation — ${PEER_FILES[$n]} mapped files, $(awk -v b="${PEER_BYTES[$n]}" 'BEGIN{printf "%.1f", b/1e6}') MB, same schemas"
    echo
    echo "| tool | wall | peak RSS | ratio | exit |"
    echo "|------|-----:|---------:|------:|------|"
    row "driftgate check --schemas-only (parses all $yf spine YAML files)" "schema-dg-$n" "schema-dg-$n"
    row "check-jsonschema (1 process per schema)" "schema-cjs-$n" "schema-dg-$n"
    row "ajv-cli + ajv-formats (1 process per schema; YAML→JSON done before timing)" "schema-ajv-$n" "schema-dg-$n"
    echo
    echo "### (b) Gates D69 D86 D59 D409 D139"
    echo
    echo "| tool | wall | peak RSS | ratio | exit |"
    echo "|------|-----:|---------:|------:|------|"
    row "driftgate check --select $GATES --no-exec" "gates-dg-$n" "gates-dg-$n"
    local_runs=$BASE_RUNS_N1; [[ "$n" == 10 ]] && local_runs=$BASE_RUNS_N10
    row "bash + yq baseline (bench/baseline/, one yq call per field; $local_runs run(s))" "gates-bash-$n" "gates-dg-$n"
    echo
  done
  echo "driftgate gate status at N=1 (from \`--format json\` checks): ${GATE_STATUS_1:-none of the five gates ran: the gate engine is not in this build}."
  echo
  echo "### (c) driftgate cold vs warm cache vs staged (N=1, full check, --no-exec)"
  echo
  echo "Every other driftgate row runs with \`--no-cache\` (parse everything, like a fresh CI clone)."
  echo
  echo "| mode | wall | peak RSS | vs cold | exit |"
  echo "|------|-----:|---------:|--------:|------|"
  row "cold: empty parse cache (parses everything, writes the cache)" "cache-cold-1" "cache-cold-1"
  row "--no-cache (parses everything, no cache I/O)" "cache-none-1" "cache-cold-1"
  row "warm parse cache" "cache-warm-1" "cache-cold-1"
  row "--staged, 1 binding changed and staged ($victim), warm cache" "staged-1" "cache-cold-1"
  [[ -n "$CACHE_NOTE" ]] && { echo; echo "Note: $CACHE_NOTE."; }
  echo
  echo "### Scaling — driftgate full check (all schemas + all native/rule gates, --no-exec)"
  echo
  echo "| N | spine YAML files | MB | wall | peak RSS | MB/s | files/s | wall per MB vs N=1 |"
  echo "|--:|--:|--:|--:|--:|--:|--:|--:|"
  base_spm=""
  for n in "${SCALES[@]}"; do
    read -r yf yb < <(spine_yaml "$n")
    w="$(get "full-$n" 2)"; r="$(get "full-$n" 3)"
    spm="$(awk -v w="$w" -v b="$yb" 'BEGIN{print w/(b/1e6)}')"
    [[ -z "$base_spm" ]] && base_spm="$spm"
    awk -v n="$n" -v f="$yf" -v b="$yb" -v w="$w" -v r="$r" -v s="$spm" -v s1="$base_spm" -v ws="$(fmt_s "$w")" -v rs="$(fmt_mb "$r")" \
      'BEGIN { printf "| %d | %d | %.1f | %s | %s | %.1f | %.0f | %.2f |\n", n, f, b/1e6, ws, rs, (b/1e6)/w, f/w, s/s1 }'
  done
} > "$OUT/RESULTS.md"

cat "$OUT/RESULTS.md"
