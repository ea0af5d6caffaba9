#!/usr/bin/env bash
set -euo pipefail
STATE_DIR="${SPINE_STATE_DIR:-$HOME/.local/state/demo}"
PARKED="$STATE_DIR/parked"
WATCHER_PROVIDER="${SPINE_WATCHER_PROVIDER:-local}"
WATCHER_ALLOW_PAID_PROVIDER="${SPINE_WATCHER_ALLOW_PAID_PROVIDER:-0}"
WATCHER_PAID_CIRCUIT_TTL_SECONDS="${SPINE_WATCHER_PAID_CIRCUIT_TTL_SECONDS:-21600}"
CIRCUIT_OPEN_FILE="${STATE_DIR}/watcher-paid-provider.circuit.open"

open_paid_provider_circuit() { date +%s > "$CIRCUIT_OPEN_FILE"; }
paid_provider_circuit_open() { [[ -f "$CIRCUIT_OPEN_FILE" ]]; }

dispatch() {
  if paid_provider_circuit_open; then
    DISPATCH_ERROR_CLASS="paid_provider_circuit_open"
    target_lane="$PARKED"
  fi
}
