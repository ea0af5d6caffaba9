#!/usr/bin/env bash
# @raycast.title OpenCode (fixture)
exec /Users/ronnyworks/code/workbench/scripts/root/spine_terminal_entry.sh --role solo --tool opencode
