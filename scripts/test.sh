#!/usr/bin/env bash
# The whole test suite, from a fresh Debian 12 machine: installs what is
# missing, builds Release and ASan+UBSan, and runs every test under both,
# then a bounded fuzz run of every libFuzzer target.
#
# Both I/O backends are covered in one run: the Release suite runs under
# tests/no_uring (a seccomp filter denying io_uring_setup/enter/register with
# EPERM, inherited by every test process), so it exercises the pread
# fallback; the Asan suite runs normally (io_uring where the host allows it).
# Each suite's log starts with the backend its processes get.
#
# Usage: scripts/test.sh [--release-only] [--no-fuzz]
#   SHARDKIT_CI_FUZZ_SECONDS: seconds per fuzz target (default 8).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

release_only=0
fuzz=1
for arg in "$@"; do
  case "$arg" in
    --release-only) release_only=1 ;;
    --no-fuzz) fuzz=0 ;;
    *) echo "usage: scripts/test.sh [--release-only] [--no-fuzz]" >&2; exit 2 ;;
  esac
done

# Prints which I/O backend processes launched by "$@" get.
say_backend() {
  local dir="$1"
  shift
  if "$dir/shardkit" io-probe --help >/dev/null 2>&1; then
    "$@" "$dir/shardkit" io-probe 2>&1 | sed 's/^/  io-probe: /' | head -8 >&2 || true
  fi
}

stage_start=0
stage() { stage_start=$(date +%s); echo "=== shardkit tests: $* ===" >&2; }
stage_done() { echo "=== ($(($(date +%s) - stage_start)) s) ===" >&2; }

# The next build runs beside the current suite: the suites wait on
# redis-server processes and the disk much of the time (the Release suite
# used 47% of the two cores), and the builds are CPU-bound. Niced, so the
# tests' processes come first. Its log is printed when it is awaited.
bg_pid=0
bg_log=""
bg_what=""
start_background() {
  bg_what="$1"
  shift
  bg_log="$(mktemp)"
  echo "=== shardkit tests: $bg_what starts in the background ===" >&2
  nice -n 10 "$@" >"$bg_log" 2>&1 &
  bg_pid=$!
}
await_background() {
  [ "$bg_pid" != 0 ] || return 0
  local t0 rc=0
  t0=$(date +%s)
  wait "$bg_pid" || rc=$?
  echo "=== shardkit tests: $bg_what done (waited $(($(date +%s) - t0)) s more) ===" >&2
  if [ "$rc" != 0 ]; then
    cat "$bg_log" >&2
    echo "=== shardkit tests: $bg_what FAILED ===" >&2
    exit "$rc"
  fi
  tail -3 "$bg_log" >&2
  rm -f "$bg_log"
  bg_pid=0
}

run_tests() {
  local type="$1" dir="$2" launcher="$3"
  local -a wrap=()
  if [ "$launcher" = no_uring ]; then
    wrap=("$PWD/$dir/tests/no_uring_exec")
    "${wrap[@]}" --self-test >&2
    stage "$type suite with io_uring DENIED (seccomp, tests/no_uring): pread backend"
  else
    stage "$type suite with io_uring allowed (backend: what the host gives)"
  fi
  say_backend "$dir" "${wrap[@]}"
  # Twice as many suites as cores: they spend much of their time waiting on
  # redis-server processes and the disk (the Release suite used 47% of two
  # cores at -j 2: 148 s at -j 2, 89 s at -j 4).
  (cd "$dir" && "${wrap[@]}" ctest --output-on-failure -j "$((2 * $(nproc)))" --timeout 900)
  stage_done
}

with_fuzz=0
if [ "$fuzz" = 1 ] && command -v clang++ >/dev/null; then with_fuzz=1; fi

stage "Release build in build"
scripts/build.sh Release build
stage_done
if [ "$release_only" = 0 ]; then
  start_background "Asan build in build-asan" scripts/build.sh Asan build-asan
elif [ "$with_fuzz" = 1 ]; then
  start_background "fuzz build in build-fuzz" scripts/fuzz.sh --build-only
fi
run_tests Release build no_uring
await_background
if [ "$release_only" = 0 ]; then
  if [ "$with_fuzz" = 1 ]; then
    start_background "fuzz build in build-fuzz" scripts/fuzz.sh --build-only
  fi
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    run_tests Asan build-asan normal
  await_background
fi
if [ "$with_fuzz" = 1 ]; then
  stage "fuzz: every target for ${SHARDKIT_CI_FUZZ_SECONDS:-8} s (clang, libFuzzer, ASan+UBSan)"
  FUZZ_NO_BUILD=1 FUZZ_JOBS="$(nproc)" scripts/fuzz.sh "${SHARDKIT_CI_FUZZ_SECONDS:-8}"
  stage_done
fi
echo "=== shardkit tests: all suites passed ===" >&2
