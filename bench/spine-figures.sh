#!/usr/bin/env bash
# bench/spine-figures.sh — the fidelity figures of driftgate on a real spine
# (issue 12): how driftgate's findings compare with the spine's own gate
# scripts, at HEAD and over the history. Reads a local clone only (no
# network); never writes into it (driftgate shadow works on private copies).
#
# Usage:  bench/spine-figures.sh CLONE [options]
#   --now DATE         the date HEAD is judged at (default: HEAD's commit date)
#   --history N        commits sampled evenly over the whole history for the
#                      "no native gate errors" figure (default 200; 0 skips)
#   --shadow-history M commits sampled for shadow over history (default 20;
#                      0 skips; each one runs every comparable registry script)
#   --jobs J           scripts at once for shadow (default: CPUs)
#   --out DIR          where JSON reports go (default bench/out/spine-figures)
#
# Needs: driftgate (target/release/driftgate or $DRIFTGATE), git, jq, and for
# the shadow parts what the spine's scripts need (mikefarah yq v4, jq,
# python3), faketime (clock pinned) and unshare (no network).
#
# Prints:
#   1. HEAD: error and warning findings per code (`check --no-exec`).
#   2. HEAD: shadow verdict per comparable gate, and the share of driftgate's
#      error/warning findings in gates whose script also calls drift.
#   3. History: per gate, how many sampled commits shadow agrees on.
#   4. History: gates with status `errored` per sampled commit (`check --rev`).
set -euo pipefail

die() { echo "spine-figures: $*" >&2; exit 2; }
[ $# -ge 1 ] || die "usage: bench/spine-figures.sh CLONE [--now DATE] [--history N] [--shadow-history M] [--jobs J] [--out DIR]"
clone=$(cd "$1" && pwd) || die "no such directory: $1"
shift
now="" history=200 shadow_history=20 jobs="" out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --now) now=$2; shift 2 ;;
    --history) history=$2; shift 2 ;;
    --shadow-history) shadow_history=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) die "unknown option $1" ;;
  esac
done
here=$(cd "$(dirname "$0")/.." && pwd)
dg=${DRIFTGATE:-$here/target/release/driftgate}
[ -x "$dg" ] || die "no driftgate binary at $dg (cargo build --release, or set DRIFTGATE)"
command -v jq >/dev/null || die "jq is needed"
git -C "$clone" rev-parse --verify -q HEAD >/dev/null || die "$clone is not a git clone with commits"
out=${out:-$here/bench/out/spine-figures}
mkdir -p "$out"
[ -n "$now" ] || now=$(git -C "$clone" log -1 --format=%cs HEAD)
jobs_arg=()
[ -n "$jobs" ] && jobs_arg=(--jobs "$jobs")
head=$(git -C "$clone" rev-parse --short=8 HEAD)

# Sample K commits evenly over the first-parent history (oldest first),
# from commit $2 on when given.
sample() {
  local k=$1 since=${2:-}
  if [ -n "$since" ]; then
    { echo "$since"; git -C "$clone" rev-list --first-parent --reverse "$since..HEAD"; } >"$out/commits.txt"
  else
    git -C "$clone" rev-list --first-parent --reverse HEAD >"$out/commits.txt"
  fi
  local n
  n=$(wc -l <"$out/commits.txt")
  [ "$k" -ge "$n" ] && { cat "$out/commits.txt"; return; }
  awk -v n="$n" -v k="$k" 'BEGIN { for (i = 0; i < k; i++) want[int(i * (n - 1) / (k - 1)) + 1] = 1 } want[NR]' "$out/commits.txt"
}

echo "# driftgate on $clone (HEAD $head, judged at $now)"
echo
echo "## 1. HEAD findings (check --no-exec)"
"$dg" check --spine "$clone" --no-exec --no-cache --now "$now" --format json >"$out/check-head.json" || true
jq -r '[.findings[] | select(.severity == "error" or .severity == "warning")] | group_by(.code)
       | map({code: .[0].code, n: length}) | sort_by(-.n) | .[] | "  \(.n)\t\(.code)"' "$out/check-head.json"
jq -r '"  total: \([.findings[] | select(.severity == "error")] | length) errors, \([.findings[] | select(.severity == "warning")] | length) warnings, \([.findings[] | select(.severity == "info")] | length) info"' "$out/check-head.json"

echo
echo "## 2. HEAD shadow (driftgate vs the registry's scripts)"
"$dg" shadow --spine "$clone" --now "$now" "${jobs_arg[@]}" --format json >"$out/shadow-head.json" || true
jq -r '.gates[] | "  \(.id)\t\(.verdict)\(if (.declared_differences | length) > 0 and (.verdict | startswith("agree") | not) and .verdict != "native-not-run" and .verdict != "script-error" then " (declared)" else "" end)\tdriftgate \(.native.findings | length) / script \(.script_result.outcome)"' "$out/shadow-head.json"
jq -r '
  ([.gates[] | .native.findings | length] | add // 0) as $all
  | ([.gates[] | select(.verdict == "agree-drift") | .native.findings | length] | add // 0) as $confirmed
  | ([.gates[] | .native.findings[] | select(.in_script_output)] | length) as $named
  | "  comparable gates: \(.gates | length); agree: \([.gates[] | select(.verdict | startswith("agree"))] | length)\n  driftgate error/warning findings in them: \($all); in gates whose script also fails: \($confirmed); whose subject the script output names: \($named)"' "$out/shadow-head.json"

if [ "$shadow_history" -gt 0 ]; then
  echo
  # Shadow compares with the registry's scripts: only revisions that have
  # a registry can be compared.
  # (sed reads the whole list: `head` would close the pipe early and
  # pipefail would stop the script.)
  since=$(git -C "$clone" log --first-parent --reverse --format=%H -- ops/bindings/gate.registry.yaml | sed -n 1p)
  echo "## 3. Shadow over $shadow_history commits since the registry exists (${since:0:8})"
  : >"$out/shadow-history.jsonl"
  for c in $(sample "$shadow_history" "$since"); do
    # shadow exits 1 on a disagreement: that is data here, not a failure.
    "$dg" shadow --spine "$clone" --rev "$c" "${jobs_arg[@]}" --format json >"$out/shadow-one.json" 2>"$out/shadow-one.err" || true
    if [ -s "$out/shadow-one.json" ]; then
      jq -c --arg c "$c" '{commit: $c, now: .now, gates: [.gates[] | {id, verdict, declared: ((.declared_differences | length) > 0)}]}' \
        "$out/shadow-one.json" >>"$out/shadow-history.jsonl"
    else
      jq -cn --arg c "$c" --rawfile e "$out/shadow-one.err" '{commit: $c, error: $e}' >>"$out/shadow-history.jsonl"
    fi
  done
  jq -rs '[.[] | select(.gates) | .gates[]] | group_by(.id)
          | map({id: .[0].id, n: length, agree: ([.[] | select(.verdict | startswith("agree"))] | length),
                 declared: ([.[] | select((.verdict | startswith("agree") | not) and .declared and .verdict != "native-not-run" and .verdict != "script-error")] | length)})
          | sort_by(.id | ltrimstr("D") | tonumber) | .[]
          | "  \(.id)\tagrees on \(.agree)/\(.n)\(if .declared > 0 then ", declared difference on \(.declared)" else "" end)"' "$out/shadow-history.jsonl"
  jq -rs '[.[] | select(.error)] | "  commits shadow could not compare: \(length)\(if length > 0 then " (" + ([.[] | .error | split("\n")[0]] | unique | join("; ")) + ")" else "" end)"' "$out/shadow-history.jsonl"
fi

if [ "$history" -gt 0 ]; then
  echo
  echo "## 4. Errored gates over $history commits (check --rev --no-exec)"
  : >"$out/history-errors.tsv"
  judged=0
  for c in $(sample "$history"); do
    judged=$((judged + 1))
    "$dg" check --spine "$clone" --rev "$c" --no-exec --no-cache --format json >"$out/check-one.json" 2>/dev/null || true
    jq -r --arg c "$c" '.checks[] | select(.status == "errored") | "\($c)\t\(.code)\t\(.reason)"' \
      "$out/check-one.json" >>"$out/history-errors.tsv" 2>/dev/null \
      || printf '%s\t(no report)\tdriftgate printed no JSON\n' "$c" >>"$out/history-errors.tsv"
  done
  echo "  commits judged: $judged"
  if [ -s "$out/history-errors.tsv" ]; then
    cut -f2 "$out/history-errors.tsv" | sort | uniq -c | sort -rn | sed 's/^/  errored on /'
  else
    echo "  no gate errored on any sampled commit"
  fi
fi
