#!/usr/bin/env bash
# regenerates the gate metadata block (fixture)
