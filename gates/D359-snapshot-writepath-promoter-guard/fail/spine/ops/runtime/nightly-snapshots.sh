#!/usr/bin/env bash
./bin/ops cap run ha.z2m.devices.snapshot -- --apply
