#!/usr/bin/env bash
# The old ~/Code/ root and the ronny-ops name are gone (fixture).
cd "$HOME/code/workbench" && ls
