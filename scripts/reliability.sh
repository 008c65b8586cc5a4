#!/usr/bin/env bash
# Runs the hostile-input and fault suites at a chosen strength and rewrites
# tests/RELIABILITY.md with the figures:
#   1. every libFuzzer target for FUZZ_SECONDS (scripts/fuzz.sh): executions
#      per target, corpus size, result;
#   2. tests/reliability (Release build in build-rel) with
#      SHARDKIT_RELIABILITY_SCALE=SCALE: truncations and mutations tried
#      (by kind), CLI runs, kill points tried, faults injected;
#   3. the regression inputs under tests/fuzz/regressions/ with the commit
#      that added each (the fix is in the same or the previous commit).
# Usage: scripts/reliability.sh [FUZZ_SECONDS=60] [SCALE=1] [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
fuzz_seconds="${1:-60}"
scale="${2:-1}"
seed="${3:-20261125}"
out="tests/RELIABILITY.md"
stats="$(mktemp)"
trap 'rm -f "$stats"' EXIT

FUZZ_JOBS="${FUZZ_JOBS:-1}" scripts/fuzz.sh "$fuzz_seconds" || fuzz_failed=1

cmake -S . -B build-rel -G Ninja -DCMAKE_BUILD_TYPE=Release -DSHARDKIT_BUILD_BENCH=OFF >/dev/null
cmake --build build-rel -j "$(nproc)" --target reliability_tests shardkit no_uring_exec
start=$(date +%s)
SHARDKIT_RELIABILITY_STATS="$stats" SHARDKIT_RELIABILITY_SCALE="$scale" SHARDKIT_TEST_SEED="$seed" \
  build-rel/tests/reliability_tests --gtest_brief=1 || tests_failed=1
seconds=$(($(date +%s) - start))

figure() { awk -v k="$1" '$1 == k { s += $2 } END { print s + 0 }' "$stats"; }

{
  echo "# Reliability figures"
  echo
  echo "Written by \`scripts/reliability.sh $fuzz_seconds $scale $seed\` on $(date -u +%Y-%m-%d)"
  echo "at commit \`$(git rev-parse --short HEAD)\` ($(nproc) CPUs, $(uname -r)). What each part"
  echo "checks is described at the top of its test file in tests/reliability/ and tests/fuzz/."
  echo
  echo "Targets: zero crashes, zero sanitizer reports, zero lost acknowledged writes, zero"
  echo "changed sources."
  echo
  echo "## Fuzzing (libFuzzer + ASan + UBSan, ${fuzz_seconds} s per target)"
  echo
  echo "| target | executions | corpus files | result |"
  echo "|---|---:|---:|---|"
  total=0
  while IFS=$'\t' read -r name runs secs corpus result; do
    echo "| \`$name\` | $runs | $corpus | $result |"
    total=$((total + runs))
  done <build-fuzz/fuzz-stats.tsv
  echo "| **all** | **$total** | | |"
  echo
  echo "## Corruption matrix (in process, Release, scale $scale, seed $seed)"
  echo
  echo "| figure | count |"
  echo "|---|---:|"
  for k in matrix_sound_files matrix_sound_rdb_files matrix_sound_aof_files matrix_sound_manifests \
      matrix_truncations matrix_truncations_accepted matrix_mutations matrix_mutations_accepted \
      matrix_mutations_byte matrix_mutations_run matrix_mutations_length matrix_mutations_type \
      cli_samples cli_runs cli_repaired_outputs_verified; do
    echo "| $k | $(figure $k) |"
  done
  echo
  echo "## Crashes and faults"
  echo
  echo "| figure | count |"
  echo "|---|---:|"
  for k in crash_recover_kills crash_recover_kills_before_exit crash_recover_partial_states_seen \
      crash_repair_kills crash_repair_kills_before_exit crash_repair_left_original \
      crash_repair_left_repaired faults_recover faults_append_always; do
    echo "| $k | $(figure $k) |"
  done
  echo
  echo "tests/reliability ran in ${seconds} s: $([ -z "${tests_failed:-}" ] && echo "all passed" || echo "FAILURES (see the log)")."
  echo
  echo "## Failures found and fixed"
  echo
  echo "Every input below is replayed by tests/reliability/fuzz_regressions_test.cc in the normal"
  echo "suite. Commit = the commit that added the input (with or right after its fix)."
  echo
  echo "| target | input | commit |"
  echo "|---|---|---|"
  found=0
  for f in $(find tests/fuzz/regressions -type f ! -name '.*' | sort); do
    target="$(basename "$(dirname "$f")")"
    commit="$(git log --diff-filter=A --format=%h -1 -- "$f" 2>/dev/null || true)"
    echo "| \`$target\` | \`$(basename "$f")\` | ${commit:-uncommitted} |"
    found=$((found + 1))
  done
  [ "$found" = 0 ] && echo "| (none) | | |"
  if [ -f tests/reliability/FINDINGS.md ]; then
    echo
    cat tests/reliability/FINDINGS.md
  fi
} >"$out"
echo "wrote $out" >&2
[ -z "${fuzz_failed:-}" ] && [ -z "${tests_failed:-}" ]
