#!/usr/bin/env bash
set -euo pipefail
# was: cd /Users/ronnyworks/Code/agentic-spine
cd "$HOME/Code/agentic-spine"
