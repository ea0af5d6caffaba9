#!/usr/bin/env bash
# (the gate's own script may name $HOME/Code: it is excluded)
PATTERN='HOME/Code'
