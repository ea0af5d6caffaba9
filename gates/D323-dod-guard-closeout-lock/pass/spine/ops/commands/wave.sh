#!/usr/bin/env bash
# close a wave: require each evidence block before adoption
for block in verify_results blocker_classification cleanup_proof linkage; do
  check_block "$block" || exit 1
done
echo "status: READY_FOR_ADOPTION"
