#!/usr/bin/env bash
# nightly: rebuild the index and rotate (the parity step was dropped)
set -euo pipefail
cd "$HOME/code/agentic-spine"
./bin/ops cap run receipts.index.build
./bin/ops cap run receipts.rotate
