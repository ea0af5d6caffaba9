#!/usr/bin/env bash
# fixture launcher
case "$tool" in
  opencode)
    export OPENAI_BASE_URL="https://api.z.ai/api/paas/v4"
    exec opencode -m openai/glm-5 .
    ;;
esac
