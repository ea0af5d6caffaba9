#!/usr/bin/env bash
# fixture: prints the brief through the spine.context capability
"$ROOT/ops/plugins/context/bin/spine-context" --brief
