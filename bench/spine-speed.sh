#!/usr/bin/env bash
# bench/spine-speed.sh — the speed figures of issue 13 on a real spine clone:
# the full check with every in-process gate cold (no parse cache), warm
# (parse cache filled), and --staged with one changed binding; then the
# in-process registry gates against their own scripts.
#
# Usage:  bench/spine-speed.sh CLONE [--runs N] [--out DIR] [--no-scripts]
#   DRIFTGATE=path/to/driftgate (default: target/release/driftgate)
#
# Reads CLONE only: the --staged figure works on a throwaway `git clone
# --local` of it, the parse cache lives in a temp XDG_CACHE_HOME, and the
# scripts run through `driftgate shadow` (private copies, no network). The
# script part needs what the spine's scripts need (yq, jq, python3 + PyYAML).
# Wall times are hyperfine medians (--warmup 1); nothing else should run.
set -euo pipefail
die() { echo "spine-speed: $*" >&2; exit 2; }
[ $# -ge 1 ] || die "usage: bench/spine-speed.sh CLONE [--runs N] [--out DIR] [--no-scripts]"
clone=$(cd "$1" && pwd); shift
runs=10 out="" scripts=1
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --no-scripts) scripts=0; shift ;;
    *) die "unknown option $1" ;;
  esac
done
dg=${DRIFTGATE:-target/release/driftgate}
[ -x "$dg" ] || die "no driftgate binary at $dg (build --release or set DRIFTGATE)"
dg=$(cd "$(dirname "$dg")" && pwd)/$(basename "$dg")
command -v hyperfine >/dev/null || die "needs hyperfine (apt install hyperfine)"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
out=${out:-$work/out}; mkdir -p "$out"
export XDG_CACHE_HOME=$work/cache
head=$(git -C "$clone" rev-parse --short HEAD)

ids=$("$dg" gates --coverage --json --spine "$clone" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(",".join(g["id"] for g in d["gates"] if g["mode"] == "in-process"))')
n=$(tr ',' '\n' <<<"$ids" | grep -c .)

median() { python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%.0f ms (min %.0f, max %.0f)" % (r["median"] * 1000, r["min"] * 1000, r["max"] * 1000))
PY
}
check=("$dg" check --spine "$clone" --no-exec --format short)

# Cold: an empty parse cache every run (the binary's own cache is
# keyed by its build, so a fresh XDG_CACHE_HOME is a cold start).
hyperfine -N -i --runs "$runs" --warmup 1 --prepare "rm -rf $XDG_CACHE_HOME" \
  --export-json "$out/cold.json" "${check[*]}" >/dev/null
# Warm: the cache filled by the warm-up run.
hyperfine -N -i --runs "$runs" --warmup 1 --export-json "$out/warm.json" "${check[*]}" >/dev/null

# Staged: one binding changed and staged in a throwaway clone (warm cache).
git clone -q --local "$clone" "$work/staged"
binding=ops/bindings/vm.lifecycle.yaml
[ -f "$work/staged/$binding" ] || binding=$(cd "$work/staged" && ls ops/bindings/*.yaml | head -1)
echo "# touched by bench/spine-speed.sh" >>"$work/staged/$binding"
git -C "$work/staged" add "$binding"
staged=("$dg" check --spine "$work/staged" --staged --no-exec --format short)
hyperfine -N -i --runs "$runs" --warmup 1 --export-json "$out/staged.json" "${staged[*]}" >/dev/null

{
  echo "spine $head; $n registry gates in-process; driftgate $("$dg" --version | head -1)"
  echo "| run | wall |"
  echo "|---|--:|"
  echo "| full check, cold (no parse cache) | $(median "$out/cold.json") |"
  echo "| full check, warm (parse cache) | $(median "$out/warm.json") |"
  echo "| --staged, 1 binding changed ($binding) | $(median "$out/staged.json") |"
} | tee "$out/SPEED.md"

[ "$scripts" = 1 ] || exit 0
# The same gates against their scripts: every script once, one at a time
# (as the bash runner runs them), its wall time as shadow measures it; and
# driftgate running only those gates (--select, warm cache).
"$dg" shadow --spine "$clone" --gates "$ids" -j 1 --format json >"$out/shadow.json" 2>/dev/null || true
sel=("$dg" check --spine "$clone" --no-exec --format short --select "$ids")
hyperfine -N -i --runs "$runs" --warmup 1 --export-json "$out/select.json" "${sel[*]}" >/dev/null
python3 - "$out/shadow.json" "$out/select.json" <<'PY' | tee -a "$out/SPEED.md"
import json, sys
sh = json.load(open(sys.argv[1]))
sel = json.load(open(sys.argv[2]))["results"][0]["median"]
ms = [g["script_result"]["elapsed_ms"] for g in sh["gates"] if g.get("script_result")]
tot = sum(ms) / 1000
print(f"| {len(ms)} scripts, one after another (yq shim) | {tot:.1f} s |")
print(f"| driftgate, the same gates (--select, warm) | {sel*1000:.0f} ms |")
print(f"| ratio | {tot/sel:,.0f}x |")
PY
