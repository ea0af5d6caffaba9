#!/usr/bin/env bash
# nightly: rebuild the index, prove archive checksums, then rotate
set -euo pipefail
cd "$HOME/code/agentic-spine"
./bin/ops cap run receipts.index.build
./ops/plugins/evidence/bin/receipts-checksum-parity-report --days 30
./bin/ops cap run receipts.rotate -- --execute
