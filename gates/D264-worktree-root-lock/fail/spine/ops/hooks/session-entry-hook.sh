#!/usr/bin/env bash
# fixture
WSI_BYPASS_FRICTION_REF_ENV_VAR="$(contract bypass_friction_ref_env_var)"
[[ -n "${!WSI_BYPASS_FRICTION_REF_ENV_VAR:-}" ]] || issues+=("bypass set but missing '$WSI_BYPASS_FRICTION_REF_ENV_VAR'")
