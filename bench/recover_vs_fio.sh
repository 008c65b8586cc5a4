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

for name in "${names[@]}"; do
  dir="$bench_data/$name"
  sources=("$dir"/volumes/node-*/dump.rdb)
  bytes="$(total_bytes "${sources[@]}")"
  echo
  echo "## $name: ${#sources[@]} sources, $bytes bytes ($(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }'))"
  # "--" ends --endpoints: without it CLI11 takes the volumes as more endpoints.
  "$shardkit" plan --nodes 5 --out "$dir/plan.json" \
    --endpoints 127.0.0.1:30001,127.0.0.1:30002,127.0.0.1:30003,127.0.0.1:30004,127.0.0.1:30005 \
    -- "$dir"/volumes/node-* 2> "$dir/plan.out" || { cat "$dir/plan.out" >&2; exit 2; }
  fio_mbs=() rec_mbs=() rec_secs=() rss_mib=()
  for run in $(seq 1 "$runs"); do
    drop_caches
    bw="$(fio_read "${sources[@]}")"
    fio_mbs+=("$(awk -v b="$bw" 'BEGIN { printf "%.1f", b / 1e6 }')")
    rm -rf "$dir/out"
    drop_caches
    t0="$(now)"
    /usr/bin/time -v -o "$dir/time.txt" "$shardkit" recover --plan "$dir/plan.json" \
      --out "$dir/out" --json > "$dir/report.json"
    t1="$(now)"
    secs="$(elapsed "$t0" "$t1")"
    rec_secs+=("$secs")
    rec_mbs+=("$(awk -v b="$bytes" -v s="$secs" 'BEGIN { printf "%.1f", b / s / 1e6 }')")
    rss_mib+=("$(awk '/Maximum resident set size/ { printf "%.1f", $6 / 1024 }' "$dir/time.txt")")
    read_bytes="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["source_bytes_read"])' "$dir/report.json")"
    echo "run $run: fio ${fio_mbs[-1]} MB/s | recover ${secs}s = ${rec_mbs[-1]} MB/s" \
         "(source_bytes_read $read_bytes), peak RSS ${rss_mib[-1]} MiB," \
         "$(grep -E 'Percent of CPU' "$dir/time.txt" | awk '{print $NF}') CPU"
  done
  rm -rf "$dir/out"
  fio_m="$(median "${fio_mbs[@]}")"
  rec_m="$(median "${rec_mbs[@]}")"
  echo "median: fio $fio_m MB/s, recover $rec_m MB/s ($(median "${rec_secs[@]}") s)," \
       "ratio $(awk -v r="$rec_m" -v f="$fio_m" 'BEGIN { printf "%.2f", r / f }')x;" \
       "peak RSS median $(median "${rss_mib[@]}") MiB (max $(printf '%s\n' "${rss_mib[@]}" | sort -g | tail -1))"
done
