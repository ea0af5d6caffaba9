#!/usr/bin/env bash
ROOT="$HOME/code/agentic-spine"
echo "$ROOT"
