#!/usr/bin/env bash
set -euo pipefail
cd "$HOME/code/agentic-spine"
cp -r receipts/ "$HOME/Code/backup" 2>/dev/null || true
