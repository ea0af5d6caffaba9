#!/usr/bin/env bash
set -euo pipefail
ROOT="${SPINE_ROOT:-$HOME/code/agentic-spine}"
# runs the mailer directly (no wrapper)
"$ROOT/ops/plugins/mail/bin/weekly-report" --send
