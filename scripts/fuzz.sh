#!/usr/bin/env bash
# Builds every libFuzzer target (clang, ASan+UBSan) and runs each for a
# bounded time, seeded from ../shared/corpus/public (files picked per target,
# see corpus_seeds below), tests/fuzz/seeds/<target>/ (tests/fuzz/make_seeds.py)
# and tests/fuzz/regressions/<target>/.
# Crashes land in build-fuzz/artifacts/ and fail the run; copy each into
# tests/fuzz/regressions/<target>/ and fix it (tests/reliability replays them).
# Per-target figures go to build-fuzz/fuzz-stats.tsv (target, runs, seconds,
# corpus size, result) for scripts/reliability.sh.
# Usage: scripts/fuzz.sh [seconds-per-target] [target-name-filter]
#   FUZZ_JOBS=N runs N targets at once (default 1); FUZZ_NO_BUILD=1 runs the
#   targets already built.
#   scripts/fuzz.sh --build-only builds and runs nothing.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
filter="${2:-}"
corpus_root="../shared/corpus/public"
if [ -z "${FUZZ_NO_BUILD:-}" ]; then
  CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=Fuzz >/dev/null
  cmake --build build-fuzz -j "$(nproc)" --target fuzz_all_targets
fi
if [ "$seconds" = --build-only ]; then exit 0; fi
mkdir -p build-fuzz/artifacts build-fuzz/seeds

# Copies corpus files into build-fuzz/seeds/<target>/. Targets whose first
# input byte is a control byte (chunk size) get a 0 byte prepended.
# corpus_seeds <target> <prefix: yes (a zero chunk byte) | two (that, then control byte
# 0x82: 4 threads, raw, first split at the middle) | no> <find name patterns...>
corpus_seeds() {
  local target="$1" prefix="$2"
  shift 2
  local dir="build-fuzz/seeds/$target"
  rm -rf "$dir" && mkdir -p "$dir"
  [ -d "$corpus_root" ] || return 0
  local i=0 f
  while IFS= read -r -d '' f; do
    i=$((i + 1))
    if [ "$prefix" = yes ]; then
      { printf '\0'; cat "$f"; } >"$dir/corpus-$i"
    elif [ "$prefix" = two ]; then
      { printf '\0\202'; cat "$f"; } >"$dir/corpus-$i"
    else
      cp "$f" "$dir/corpus-$i"
    fi
  done < <(find "$corpus_root" -type f -size -64k \( "$@" \) -print0 | sort -z)
}
corpus_seeds fuzz_rdb_raw yes -name '*.rdb'
corpus_seeds fuzz_rdb_deep yes -name '*.rdb'
corpus_seeds fuzz_rdb_enterprise yes -name '*.rdb'
corpus_seeds fuzz_rdb_verify_split two -name '*.rdb'
corpus_seeds fuzz_aof yes -name '*.aof' -o -name '*.resp'
corpus_seeds fuzz_resp yes -name '*.aof' -o -name '*.resp'
corpus_seeds fuzz_aof_manifest no -name '*.manifest'
corpus_seeds fuzz_nodes_conf no -name '*.conf'

stats="build-fuzz/fuzz-stats.tsv"
: >"$stats"
run_target() {
  local bin="$1" name
  name="$(basename "$bin")"
  local corpus="build-fuzz/corpus/$name"
  mkdir -p "$corpus"
  local seeds=()
  for d in "tests/fuzz/seeds/$name" "tests/fuzz/regressions/$name" "build-fuzz/seeds/$name"; do
    [ -d "$d" ] && seeds+=("$d")
  done
  local log="build-fuzz/$name.log" result=ok
  echo "fuzz: $name for ${seconds}s" >&2
  if ! "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=1024 -timeout=10 \
      -print_final_stats=1 -artifact_prefix="build-fuzz/artifacts/$name-" \
      "$corpus" "${seeds[@]}" >"$log" 2>&1; then
    echo "fuzz: $name FAILED (see $log)" >&2
    tail -40 "$log" >&2
    result=FAILED
  fi
  local runs
  runs="$(grep -E '^stat::number_of_executed_units:' "$log" | awk '{print $2}' | tail -1)"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "${runs:-0}" "$seconds" \
    "$(find "$corpus" -type f | wc -l)" "$result" >>"$stats"
  grep -E "^(#[0-9]+|Done).*" "$log" | tail -1 >&2 || true
  [ "$result" = ok ]
}

status=0
pids=()
for bin in build-fuzz/tests/fuzz/fuzz_*; do
  name="$(basename "$bin")"
  [ -n "$filter" ] && [[ "$name" != *"$filter"* ]] && continue
  run_target "$bin" &
  pids+=($!)
  if [ "${#pids[@]}" -ge "${FUZZ_JOBS:-1}" ]; then
    wait "${pids[0]}" || status=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do wait "$p" || status=1; done
exit $status
