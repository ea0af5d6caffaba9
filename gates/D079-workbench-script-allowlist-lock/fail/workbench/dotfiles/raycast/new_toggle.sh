#!/usr/bin/env bash
# fixture: not registered
