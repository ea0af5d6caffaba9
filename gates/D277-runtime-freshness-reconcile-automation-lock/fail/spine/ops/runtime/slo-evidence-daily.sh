#!/usr/bin/env bash
set -euo pipefail
./bin/ops cap run slo.evidence.daily
