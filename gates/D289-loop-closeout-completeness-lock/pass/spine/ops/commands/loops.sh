#!/usr/bin/env bash
echo loops
