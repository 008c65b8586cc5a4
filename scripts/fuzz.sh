#!/usr/bin/env bash
# Builds every libFuzzer target (clang, ASan+UBSan) and runs each for a
# bounded time, seeded from ../shared/corpus/public and tests/fuzz/seeds/.
# Crashes land in build-fuzz/artifacts/ and fail the run.
# Usage: scripts/fuzz.sh [seconds-per-target] [target-name-filter]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
filter="${2:-}"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Fuzz >/dev/null
cmake --build build-fuzz -j "$(nproc)"
mkdir -p build-fuzz/artifacts
status=0
for bin in build-fuzz/tests/fuzz/fuzz_*; do
  name="$(basename "$bin")"
  [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
  corpus="build-fuzz/corpus/$name"
  mkdir -p "$corpus"
  seeds=()
  [ -d "tests/fuzz/seeds/$name" ] && seeds+=("tests/fuzz/seeds/$name")
  [ -d "tests/fuzz/regressions/$name" ] && seeds+=("tests/fuzz/regressions/$name")
  log="build-fuzz/$name.log"
  echo "fuzz: $name for ${seconds}s" >&2
  if ! "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="build-fuzz/artifacts/$name-" "$corpus" "${seeds[@]}" >"$log" 2>&1; then
    echo "fuzz: $name FAILED (see $log)" >&2
    tail -40 "$log" >&2
    status=1
  fi
  grep -E "^(#[0-9]+|Done).*" "$log" | tail -1 >&2 || true
done
exit $status
