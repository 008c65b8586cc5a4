#!/usr/bin/env bash
# Configures and builds one build type into one directory.
# Usage: scripts/build.sh [Release|Asan|Debug] [build-dir]
set -euo pipefail
cd "$(dirname "$0")/.."
type="${1:-Release}"
dir="${2:-build}"
extra=()
if [ "$type" = "Asan" ]; then
  extra+=(-DSHARDKIT_BUILD_BENCH=OFF)
fi
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${extra[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
