#!/usr/bin/env bash
# old hook (fixture)
