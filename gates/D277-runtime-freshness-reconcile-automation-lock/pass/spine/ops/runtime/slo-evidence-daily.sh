#!/usr/bin/env bash
set -euo pipefail
./bin/ops cap run services.health.status >/dev/null || true
./bin/ops cap run slo.evidence.daily
