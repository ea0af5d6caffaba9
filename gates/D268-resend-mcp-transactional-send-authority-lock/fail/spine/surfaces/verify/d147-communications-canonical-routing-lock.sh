#!/usr/bin/env bash
echo "D147 PASS"
