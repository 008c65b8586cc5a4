#!/usr/bin/env bash
# Recover throughput against the fio sequential-read ceiling of the same
# files, and the peak RSS of shardkit recover, side by side in one run.
#
#   bench/recover_vs_fio.sh [NAME...]     (default: small large)
#
# For each dataset NAME made by bench/recover_make_volumes.sh: one plan onto
# 5 nodes (with endpoints, so nodes.conf files are written too), then RUNS
# (default 3) rounds of
#   drop caches; fio: one job per source dump.rdb, all at once, ioengine=io_uring, direct=1,
#                bs=1M, iodepth=32, read-only                     -> aggregate bytes/s
#   drop caches; /usr/bin/time -v shardkit recover --plan --out    -> source bytes / wall
#                                                                    time, peak RSS
# and prints every figure, the medians and recover/fio.
#
# SHARDKIT_BENCH_OUT=DIR puts recover's outputs and fio's write files in DIR
# (default: beside the dataset, on the sources' disk). A directory on another
# device stands in for a real bootstrap, where each new node writes to its
# own persistent volume and reads and writes do not share one disk.
#
# SHARDKIT_BASELINE=/path/to/an/older/shardkit adds, in every round, a timed
# recover by that binary (same plan, caches dropped) for an A/B in one run.
set -euo pipefail
source "$(dirname "$0")/recover_lib.sh"
runs="${RUNS:-3}"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=(small large)
fi
require_binaries
print_environment

fio_read() {
  local args=() i=0 f
  for f in "$@"; do
    args+=(--name="src$i" --filename="$f")
    i=$((i + 1))
  done
  fio --rw=read --ioengine=io_uring --direct=1 --bs=1M --iodepth=32 --readonly \
      --group_reporting --output-format=json "${args[@]}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["jobs"][0]["read"]["bw_bytes"])'
}

# The same I/O as a recovery, without the work: one read job per source and
# one write job per new node (the sources' total split evenly, fsynced at the
# end), all at once, into a scratch directory beside the data. Prints the
# wall seconds. Recover must write what it reads: on a disk whose reads and
# writes share bandwidth, this (not the read-only figure) is its ceiling.
fio_mixed() {
  local scratch="$1" nodes="$2" bytes="$3"
  shift 3
  local args=() i=0 f
  for f in "$@"; do
    args+=(--name="src$i" --rw=read --filename="$f")
    i=$((i + 1))
  done
  local per_node=$(( (bytes / nodes + 1048575) / 1048576 ))
  mkdir -p "$scratch"
  for i in $(seq 0 $((nodes - 1))); do
    args+=(--name="out$i" --rw=write --filename="$scratch/out$i" --size="${per_node}M" --end_fsync=1)
  done
  local t0 t1
  t0="$(now)"
  fio --output-format=json --ioengine=io_uring --direct=1 --bs=1M --iodepth=8 "${args[@]}" > /dev/null
  t1="$(now)"
  rm -rf "$scratch"
  elapsed "$t0" "$t1"
}

for name in "${names[@]}"; do
  dir="$bench_data/$name"
  out_root="${SHARDKIT_BENCH_OUT:-$dir}"
  mkdir -p "$out_root"
  echo "# outputs in $out_root: $(df --output=source,fstype "$out_root" | tail -1)"
  sources=("$dir"/volumes/node-*/dump.rdb)
  # Volumes holding native snapshots instead (shardkit convert of each dump.rdb).
  [ -e "${sources[0]}" ] || sources=("$dir"/volumes/node-*/dump.skn)
  bytes="$(total_bytes "${sources[@]}")"
  echo
  echo "## $name: ${#sources[@]} sources, $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }'))"
  # "--" ends --endpoints: without it CLI11 takes the volumes as more endpoints.
  "$shardkit" plan --nodes 5 --out "$dir/plan.json" \
    --endpoints 127.0.0.1:30001,127.0.0.1:30002,127.0.0.1:30003,127.0.0.1:30004,127.0.0.1:30005 \
    -- "$dir"/volumes/node-* 2> "$dir/plan.out" || { cat "$dir/plan.out" >&2; exit 2; }
  fio_mbs=() mixed_mbs=() rec_mbs=() rec_secs=() rss_mib=() base_mbs=()
  for run in $(seq 1 "$runs"); do
    drop_caches
    bw="$(fio_read "${sources[@]}")"
    fio_mbs+=("$(awk -v b="$bw" 'BEGIN { printf "%.1f", b / 1e6 }')")
    drop_caches
    mixed_secs="$(fio_mixed "$out_root/fio-mixed.tmp" 5 "$bytes" "${sources[@]}")"
    mixed_mbs+=("$(awk -v b="$bytes" -v s="$mixed_secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')")
    echo "run $run: fio same I/O as recover (read sources + write as many bytes to 5 files):" \
         "${mixed_secs}s = ${mixed_mbs[-1]} MB/s of source"
    rm -rf "$out_root/out"
    drop_caches
    t0="$(now)"
    /usr/bin/time -v -o "$dir/time.txt" "$shardkit" recover --plan "$dir/plan.json" \
      --out "$out_root/out" --json > "$dir/report.json"
    t1="$(now)"
    secs="$(elapsed "$t0" "$t1")"
    rec_secs+=("$secs")
    rec_mbs+=("$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')")
    rss_mib+=("$(awk '/Maximum resident set size/ { printf "%.1f", $6 / 1024 }' "$dir/time.txt")")
    read_bytes="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["source_bytes_read"])' "$dir/report.json")"
    echo "run $run: fio ${fio_mbs[-1]} MB/s | recover ${secs}s = ${rec_mbs[-1]} MB/s" \
         "(source_bytes_read $read_bytes), peak RSS ${rss_mib[-1]} MiB," \
         "$(grep -E 'Percent of CPU' "$dir/time.txt" | awk '{print $NF}') CPU"
    if [ -n "${SHARDKIT_BASELINE:-}" ]; then
      rm -rf "$out_root/out"
      drop_caches
      t0="$(now)"
      "$SHARDKIT_BASELINE" recover --plan "$dir/plan.json" --out "$out_root/out" > /dev/null 2>&1
      t1="$(now)"
      base_secs="$(elapsed "$t0" "$t1")"
      base_mbs+=("$(awk -v b="$bytes" -v s="$base_secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')")
      echo "run $run: baseline recover ${base_secs}s = ${base_mbs[-1]} MB/s"
    fi
  done
  rm -rf "$out_root/out"
  fio_m="$(median "${fio_mbs[@]}")"
  rec_m="$(median "${rec_mbs[@]}")"
  echo "median: fio $fio_m MB/s, recover $rec_m MB/s ($(median "${rec_secs[@]}") s)," \
       "ratio $(awk -v r="$rec_m" -v f="$fio_m" 'BEGIN { printf "%.2f", r / f }')x;" \
       "peak RSS median $(median "${rss_mib[@]}") MiB (max $(printf '%s\n' "${rss_mib[@]}" | sort -g | tail -1))"
  mixed_m="$(median "${mixed_mbs[@]}")"
  echo "same-I/O ceiling: fio $mixed_m MB/s of source; recover / that ceiling" \
       "$(awk -v r="$rec_m" -v f="$mixed_m" 'BEGIN { printf "%.2f", r / f }')x"
  if [ ${#base_mbs[@]} -gt 0 ]; then
    base_m="$(median "${base_mbs[@]}")"
    echo "baseline: recover $base_m MB/s, ratio $(awk -v r="$base_m" -v f="$fio_m" 'BEGIN { printf "%.2f", r / f }')x;" \
         "this build / baseline $(awk -v r="$rec_m" -v b="$base_m" 'BEGIN { printf "%.2f", r / b }')x"
  fi
done
