#!/usr/bin/env bash
# fixture
cd "$HOME/Code/workbench" && ls
