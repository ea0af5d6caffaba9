#!/usr/bin/env bash
echo "topology test"
