#!/usr/bin/env bash
# close a wave: require each evidence block before adoption
for block in verify_results blocker_classification linkage; do
  check_block "$block" || exit 1
done
echo "status: closed"
