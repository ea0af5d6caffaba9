#!/usr/bin/env bash
set -euo pipefail
date -u +%s >/dev/null
printf 'D8 PASS: clock readable\n'
