#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing, builds Release and ASan+UBSan, and runs every test under both.
# Usage: scripts/test.sh [--release-only]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

run_suite() {
  local type="$1" dir="$2"
  echo "=== shardkit tests: $type build in $dir ===" >&2
  scripts/build.sh "$type" "$dir"
  (cd "$dir" && ctest --output-on-failure -j "$(nproc)" --timeout 900)
}

run_suite Release build
if [ "${1:-}" != "--release-only" ]; then
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_suite Asan build-asan
fi
echo "=== shardkit tests: all suites passed ===" >&2
