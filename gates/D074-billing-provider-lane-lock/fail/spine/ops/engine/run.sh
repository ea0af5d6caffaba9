#!/usr/bin/env bash
# Background engine (fixture): the provider comes from the environment.
provider="${SPINE_ENGINE_PROVIDER:-local}"
case "$provider" in

  zai) run_zai "$@" ;;
  *) echo "unknown provider $provider" >&2; exit 2 ;;
esac
