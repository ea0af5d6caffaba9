#!/usr/bin/env bash
MODE="check"
echo "build ha inventory"
