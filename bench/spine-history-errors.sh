#!/usr/bin/env bash
# Runs driftgate over a sample of a spine's history and counts, per gate,
# the revisions on which it errored (JSON `checks[].status == "errored"`).
#
#   bash bench/spine-history-errors.sh CLONE [SAMPLES] [DRIFTGATE]
#
# CLONE: a local clone of the spine (read through git objects with --rev;
# never checked out, never fetched). SAMPLES (default 200): how many commits,
# spread evenly over `git rev-list HEAD`. DRIFTGATE: the binary (default
# target/release/driftgate of this repository). No network is used.
# Prints "<gate> <errored-count>" lines (none when nothing errored), then a
# summary line; exits 1 when any gate errored on any sampled commit.
set -euo pipefail

clone="${1:?usage: spine-history-errors.sh CLONE [SAMPLES] [DRIFTGATE]}"
samples="${2:-200}"
here="$(cd "$(dirname "$0")/.." && pwd)"
bin="${3:-$here/target/release/driftgate}"
[[ -x "$bin" ]] || { echo "no driftgate binary at $bin (cargo build --release)" >&2; exit 2; }
command -v jq >/dev/null || { echo "jq is required" >&2; exit 2; }

mapfile -t revs < <(git -C "$clone" rev-list HEAD)
total=${#revs[@]}
(( total > 0 )) || { echo "no commits in $clone" >&2; exit 2; }
(( samples > total )) && samples=$total
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

n=0
for ((k = 0; k < samples; k++)); do
  rev="${revs[$(( k * total / samples ))]}"
  # exit 1 (findings) is normal; exit 2 still writes the JSON report.
  "$bin" check --spine "$clone" --rev "$rev" --no-exec --no-cache --format json \
    >"$tmp/out.json" 2>/dev/null || true
  if ! jq -e . "$tmp/out.json" >/dev/null 2>&1; then
    echo "RUN $rev" >>"$tmp/errored"
  else
    jq -r --arg rev "$rev" '.checks[] | select(.status == "errored")
      | "\(.code) \($rev) \(.reason // "")"' "$tmp/out.json" >>"$tmp/errored"
  fi
  n=$((n + 1))
done
touch "$tmp/errored"
awk '{print $1}' "$tmp/errored" | sort | uniq -c | awk '{print $2, $1}' | sort -V
if [[ -n "${VERBOSE:-}" ]]; then cat "$tmp/errored"; fi
gates=$(awk '{print $1}' "$tmp/errored" | sort -u | wc -l)
echo "sampled $n of $total commits; $gates gate(s) errored on at least one"
[[ "$gates" -eq 0 ]]
