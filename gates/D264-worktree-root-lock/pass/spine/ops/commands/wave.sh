#!/usr/bin/env bash
# fixture: wave worktrees live under the contract's root
root="$(contract_value policy.canonical_worktree_root)"
[[ "$target" == "$root"/* ]] || die "WORKTREE PATH POLICY BLOCK: $target is outside $root"
