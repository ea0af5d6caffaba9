#!/usr/bin/env bash
# fixture: capability runner bypass handling
iso_friction="${OPS_WORKTREE_ISOLATION_BYPASS_FRICTION_REF:-}"
orch_friction="${SPINE_ORCH_MUTATION_GUARD_BYPASS_FRICTION_REF:-}"
[[ -n "$iso_friction" ]] || die "bypass refused: missing friction linkage"
log "bypass used (packet_ref=$pref friction_ref=$iso_friction)"
