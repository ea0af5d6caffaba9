#!/usr/bin/env bash
# fixture: the installer still cleans up the legacy checkout
rm -rf "$HOME/ronny-ops.bak"
