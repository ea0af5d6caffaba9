#!/usr/bin/env bash
# fixture
cd ~/code/agentic-spine && codex --full-auto "review"
