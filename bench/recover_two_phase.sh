#!/usr/bin/env bash
# The two-phase recovery (recover --source / --from-fragments, SPEC.md
# "Two-phase recovery") against one-process recover on the same plan, and
# phase 2 (assembly) against fio doing the same reads and writes.
#
#   bench/recover_two_phase.sh [NAME]     (default: mix100k)
#
# NAME is a dataset under $bench_data made by bench/recover_make_volumes.sh or
# bench/recover_make_mixed_volumes.sh (3 source volumes). One plan onto 5
# nodes, then RUNS (default 3) rounds of, caches dropped before each step:
#   one process:  shardkit recover --plan --out                (wall, peak RSS)
#   phase 1:      one `recover --source I --fragments` per source, all at once
#                 (each reads only its volume: one pod per volume)
#   phase 2:      one `recover --from-fragments --node-index K` per node, all at once
#   fio copy:     the same I/O as phase 2 without the work: per node, read
#                 its fragment files and write as many bytes, fsynced, all at once
# and prints bytes read and written per flow, wall times, peak RSS per
# process, and phase 2 / fio copy. The outputs of both flows are compared
# byte for byte once.
set -euo pipefail
source "$(dirname "$0")/recover_lib.sh"
runs="${RUNS:-3}"
name="${1:-mix100k}"
require_binaries
print_environment
dir="$bench_data/$name"
work="${SHARDKIT_BENCH_OUT:-$dir}/two-phase"
rm -rf "$work"
mkdir -p "$work"
sources=("$dir"/volumes/node-*/dump.rdb)
bytes="$(total_bytes "${sources[@]}")"
echo "## $name: ${#sources[@]} sources, $bytes bytes; work in $work ($(df --output=source,fstype "$work" | tail -1))"
"$shardkit" plan --nodes 5 --out "$work/plan.json" \
  --endpoints 127.0.0.1:30001,127.0.0.1:30002,127.0.0.1:30003,127.0.0.1:30004,127.0.0.1:30005 \
  -- "$dir"/volumes/node-* 2> "$work/plan.out" || { cat "$work/plan.out" >&2; exit 2; }
nsources="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["sources"]))' "$work/plan.json")"

# Runs "$@" under /usr/bin/time into $1 (the time file); the rest is the command.
timed() {
  local tf="$1"
  shift
  /usr/bin/time -v -o "$tf" "$@"
}
rss_of() { awk '/Maximum resident set size/ { printf "%.0f", $6 / 1024 }' "$1"; }
tree_bytes() { find "$@" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }'; }

one_secs=() p1_secs=() p2_secs=() fio_secs=() one_rss=() p1_rss=() p2_rss=()
for run in $(seq 1 "$runs"); do
  rm -rf "$work/one" "$work/frags" "$work/two"
  drop_caches
  t0="$(now)"
  timed "$work/one.time" "$shardkit" recover --plan "$work/plan.json" --out "$work/one" \
    --json > "$work/one.json"
  t1="$(now)"
  one_secs+=("$(elapsed "$t0" "$t1")")
  one_rss+=("$(rss_of "$work/one.time")")

  drop_caches
  t0="$(now)"
  pids=()
  for i in $(seq 0 $((nsources - 1))); do
    timed "$work/p1-$i.time" "$shardkit" recover --plan "$work/plan.json" --source "$i" \
      --fragments "$work/frags" --json > "$work/p1-$i.json" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1="$(now)"
  p1_secs+=("$(elapsed "$t0" "$t1")")
  p1_rss+=("$(for i in $(seq 0 $((nsources - 1))); do rss_of "$work/p1-$i.time"; echo; done | sort -g | tail -1)")

  drop_caches
  t0="$(now)"
  pids=()
  for k in 0 1 2 3 4; do
    timed "$work/p2-$k.time" "$shardkit" recover --plan "$work/plan.json" --from-fragments \
      "$work/frags" --node-index "$k" --out "$work/two" --json > "$work/p2-$k.json" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p"; done
  t1="$(now)"
  p2_secs+=("$(elapsed "$t0" "$t1")")
  p2_rss+=("$(for k in 0 1 2 3 4; do rss_of "$work/p2-$k.time"; echo; done | sort -g | tail -1)")

  # fio: per node, read its fragment files (as phase 2 does) and write as
  # many bytes to one file, fsynced; all nodes at once.
  drop_caches
  args=()
  for k in 0 1 2 3 4; do
    files=$(ls "$work"/frags/source-*/node-"$k".rdb "$work"/frags/source-*/node-"$k".incr 2>/dev/null || true)
    nb=0
    for f in $files; do
      [ -s "$f" ] || continue
      args+=(--name="in$k-$(basename "$(dirname "$f")")" --rw=read --filename="$f")
      nb=$((nb + $(stat -c %s "$f")))
    done
    args+=(--name="out$k" --rw=write --filename="$work/fio-out$k" --size="$(( (nb + 1048575) / 1048576 ))M" --end_fsync=1)
  done
  t0="$(now)"
  fio --output-format=json --ioengine=io_uring --direct=1 --bs=1M --iodepth=8 "${args[@]}" > /dev/null
  t1="$(now)"
  rm -f "$work"/fio-out*
  fio_secs+=("$(elapsed "$t0" "$t1")")
  echo "run $run: one process ${one_secs[-1]}s (RSS ${one_rss[-1]} MiB) | phase 1 ${p1_secs[-1]}s" \
       "(max RSS ${p1_rss[-1]} MiB) + phase 2 ${p2_secs[-1]}s (max RSS ${p2_rss[-1]} MiB) |" \
       "fio copy of phase 2's bytes ${fio_secs[-1]}s"
done

# Byte-identical outputs.
for k in 0 1 2 3 4; do
  diff -r "$work/one/node-$k" "$work/two/node-$k" > /dev/null || { echo "node-$k DIFFERS" >&2; exit 1; }
done
echo "outputs: byte-identical (diff -r of every node directory)"
read_one="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["source_bytes_read"])' "$work/one.json")"
written_one="$(tree_bytes "$work/one")"
read_p1="$(python3 -c 'import json, sys; print(sum(json.load(open(f))["source_bytes_read"] for f in sys.argv[1:]))' "$work"/p1-*.json)"
frag_bytes="$(tree_bytes "$work/frags")"
read_p2="$(for k in 0 1 2 3 4; do python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["fragment_bytes_read"])' "$work/p2-$k.json"; done | awk '{ s += $1 } END { print s }')"
written_two="$(tree_bytes "$work/two")"
echo "bytes: one process read $read_one, wrote $written_one;" \
     "two phases read $read_p1 (phase 1) + $read_p2 (phase 2), wrote $frag_bytes (fragments) + $written_two"
p2m="$(median "${p2_secs[@]}")"
fm="$(median "${fio_secs[@]}")"
echo "median: one process $(median "${one_secs[@]}")s, peak RSS $(median "${one_rss[@]}") MiB;" \
     "phase 1 $(median "${p1_secs[@]}")s (max per-process RSS $(median "${p1_rss[@]}") MiB);" \
     "phase 2 ${p2m}s (max per-process RSS $(median "${p2_rss[@]}") MiB);" \
     "fio copy ${fm}s; phase 2 rate / fio copy rate $(awk -v a="$p2m" -v b="$fm" 'BEGIN { printf "%.2f", b / a }')x"
