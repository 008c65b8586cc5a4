#!/usr/bin/env bash
# Configures and builds one build type into one directory.
# Usage: scripts/build.sh [Release|Asan|Debug] [build-dir]
#
# Asan is built with clang when clang++ is installed (scripts/install-deps.sh
# installs it for the fuzz targets), GCC otherwise; SHARDKIT_ASAN_CXX=g++
# (or any compiler) overrides. Measured on a clean clone, 2-core VM,
# 2026-12-07: the whole Asan build took 637 CPU-s with GCC 12 and 377 with
# clang 14, and its suite 734 and 790 CPU-s. Release stays GCC, so -Werror
# holds under both compilers.
set -euo pipefail
cd "$(dirname "$0")/.."
type="${1:-Release}"
dir="${2:-build}"
extra=()
if [ "$type" = "Asan" ]; then
  extra+=(-DSHARDKIT_BUILD_BENCH=OFF)
  cxx="${SHARDKIT_ASAN_CXX:-}"
  if [ -z "$cxx" ] && command -v clang++ >/dev/null 2>&1 && command -v clang >/dev/null 2>&1; then
    cxx=clang++
  fi
  if [ -n "$cxx" ]; then
    cc="${cxx/clang++/clang}"
    cc="${cc/g++/gcc}"
    extra+=(-DCMAKE_CXX_COMPILER="$cxx" -DCMAKE_C_COMPILER="$cc")
  fi
fi
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE="$type" "${extra[@]}" >/dev/null
cmake --build "$dir" -j "$(nproc)"
