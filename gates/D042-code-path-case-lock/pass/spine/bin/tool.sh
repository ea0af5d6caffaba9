#!/usr/bin/env bash
# history: see docs/legacy/HOME/Code-migration.md
cd "$HOME/code/workbench"
