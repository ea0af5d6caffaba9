#!/usr/bin/env bash
# fixture; e.g. `claude --print` is started by the launcher only
exec "$(dirname "$0")/spine_terminal_entry.sh" --role solo --tool claude
