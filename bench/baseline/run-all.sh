#!/usr/bin/env bash
# Runs the five baseline gates (D69 D86 D59 D409 D139) one after the other,
# like the bash gate runner does; exits 1 if any failed. See _common.sh.
set -uo pipefail
here="$(dirname "${BASH_SOURCE[0]}")"
rc=0
for g in d69 d86 d59 d409 d139; do
  bash "$here/$g.sh" || rc=1
done
exit "$rc"
