#!/usr/bin/env bash
# fixture: the one governed launcher
exec claude --resume
