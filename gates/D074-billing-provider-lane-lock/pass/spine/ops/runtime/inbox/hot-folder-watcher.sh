#!/usr/bin/env bash
# Inbox watcher (fixture).
WATCHER_PROVIDER="${SPINE_WATCHER_PROVIDER:-local}"
WATCHER_ALLOW_PAID_PROVIDER="${SPINE_WATCHER_ALLOW_PAID_PROVIDER:-0}"
WATCHER_ALLOW_ANTHROPIC="${SPINE_WATCHER_ALLOW_ANTHROPIC:-0}"
if [[ "$WATCHER_PROVIDER" != local && "$WATCHER_ALLOW_PAID_PROVIDER" != 1 ]]; then
  echo "paid watcher provider '$WATCHER_PROVIDER' requires SPINE_WATCHER_ALLOW_PAID_PROVIDER=1" >&2; exit 1
fi
if [[ "$WATCHER_PROVIDER" == anthropic && "$WATCHER_ALLOW_ANTHROPIC" != 1 ]]; then
  echo "provider=anthropic is blocked by default" >&2; exit 1
fi
