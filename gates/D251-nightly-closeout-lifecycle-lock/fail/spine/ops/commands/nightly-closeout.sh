#!/usr/bin/env bash
# modes: dry-run | apply
mode="${1:-dry-run}"
echo "closeout in $mode"
