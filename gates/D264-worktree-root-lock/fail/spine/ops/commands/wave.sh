#!/usr/bin/env bash
# fixture: still falls back to the old root
root="$(contract_value policy.canonical_worktree_root)"
fallback="$SPINE/.worktrees/waves/$wave"
