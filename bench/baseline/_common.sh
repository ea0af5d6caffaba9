# Shared setup for the baseline gate scripts (sourced, not run).
#
# These scripts are BASELINES for bench/compare.sh, not driftgate gates: they
# re-implement driftgate's D69, D86, D59, D409 and D139 as bash + yq/jq in the
# style of the real spine gate scripts (surfaces/verify/dNN-*.sh): one `yq`
# call per field read, every call re-reading and re-parsing the file. That is
# the cost driftgate is compared against, so do not "optimise" them into one
# big jq program.
#
# Env: SPINE_ROOT (the spine checkout), YQ (default: yq; PyPI's yq, a jq
# wrapper: `yq -r FILTER FILE`).
set -euo pipefail
SPINE_ROOT="${SPINE_ROOT:?set SPINE_ROOT to the spine checkout}"
YQ="${YQ:-yq}"
B="$SPINE_ROOT/ops/bindings"
G="$SPINE_ROOT/docs/governance"
