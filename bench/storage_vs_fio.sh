#!/usr/bin/env bash
# storage_vs_fio.sh: shardkit's sequential reader and writer against fio, in
# one run, on the same directory, file size, block size and queue depth.
#
#   bench/storage_vs_fio.sh [SIZE_MIB]
#
# Environment (all optional):
#   SIZE_MIB       file size in MiB (default 2048; the first argument wins)
#   DATA_DIR       where the data files go (default /work/bench-data; never
#                  the repository, never tmpfs)
#   RUNS           runs of each measurement (default 3); medians are reported
#   BS, QD         block size in bytes and requests in flight (default 1 MiB, 32)
#   PREALLOC       1 (default): both writers preallocate the file (fio's
#                  fallocate=native, shardkit's size hint); 0: neither does
#   STORAGE_BENCH  the storage_bench binary (default build/bench/storage_bench)
#
# Each run does, in this order: fio write, shardkit write, then each engine
# reads each of the two files (caches dropped before every read; which engine
# reads first alternates per run), so reads compare on the same files.
# fio: ioengine=io_uring, direct=1, end_fsync=1, a fresh file each write (preallocated per PREALLOC, the same
# for both). shardkit: storage_bench seq-read/seq-write
# on the io_uring backend with O_DIRECT. Dropping the page cache needs root;
# without it the script warns (direct I/O bypasses the cache anyway).
set -euo pipefail

cd "$(dirname "$0")/.."
SIZE_MIB=${1:-${SIZE_MIB:-2048}}
DATA_DIR=${DATA_DIR:-/work/bench-data}
RUNS=${RUNS:-3}
BS=${BS:-1048576}
QD=${QD:-32}
PREALLOC=${PREALLOC:-1}
STORAGE_BENCH=${STORAGE_BENCH:-build/bench/storage_bench}

die() { echo "storage_vs_fio: $*" >&2; exit 2; }
[[ -x "$STORAGE_BENCH" ]] || die "$STORAGE_BENCH not built (cmake -DSHARDKIT_BUILD_BENCH=ON; ninja storage_bench)"
command -v fio >/dev/null || die "fio not installed"
[[ "$SIZE_MIB" =~ ^[0-9]+$ && "$SIZE_MIB" -gt 0 ]] || die "SIZE_MIB must be a positive integer"
mkdir -p "$DATA_DIR"
fstype=$(df --output=fstype "$DATA_DIR" | tail -1)
[[ "$fstype" != tmpfs ]] || die "$DATA_DIR is tmpfs: that measures memory, not a disk"
case "$(realpath "$DATA_DIR")/" in
  "$(realpath .)"/*) die "DATA_DIR must be outside the repository" ;;
esac

FIO_FILE="$DATA_DIR/storage_vs_fio.fio"
SK_FILE="$DATA_DIR/storage_vs_fio.shardkit"
SIZE_BYTES=$((SIZE_MIB * 1048576))
trap 'rm -f "$FIO_FILE" "$SK_FILE"' EXIT

echo "== machine"
echo "nproc: $(nproc)   kernel: $(uname -r)   filesystem of $DATA_DIR: $fstype"
df -h "$DATA_DIR" | sed 's/^/  /'
echo "fio: $(fio --version)   storage_bench: $STORAGE_BENCH"
echo "size ${SIZE_MIB} MiB, bs $BS, queue depth $QD, preallocate $PREALLOC, $RUNS runs," \
     "$(date -u +%FT%TZ)"
uptime | sed 's/^/load:/'

can_drop=1
if ! [[ -w /proc/sys/vm/drop_caches ]]; then
  echo "WARNING: cannot drop the page cache (not root); reads are O_DIRECT anyway" >&2
  can_drop=0
fi
drop_caches() {
  sync
  if ((can_drop)); then echo 3 >/proc/sys/vm/drop_caches; fi
}

# fio's terse output (v3): field 7 = read KiB/s, field 48 = write KiB/s.
fio_mibs() {  # rw field [file]
  local rw=$1 field=$2 file=${3:-$FIO_FILE}
  fio --name=seq --filename="$file" --rw="$rw" --bs="$BS" --iodepth="$QD" \
      --ioengine=io_uring --direct=1 --size="$SIZE_BYTES" --end_fsync=1 \
      --fallocate="$( ((PREALLOC)) && echo native || echo none)" \
      --output-format=terse --terse-version=3 |
    awk -F';' -v f="$field" '{ printf "%.1f\n", $f / 1024 }'
}
sk_mibs() {  # mode [file] [extra args]
  local mode=$1 file=$SK_FILE; shift
  if [[ $# -gt 0 && $1 != --* ]]; then file=$1; shift; fi
  local line
  line=$("$STORAGE_BENCH" "$mode" "$file" --bs "$BS" --qd "$QD" --backend uring "$@")
  [[ "$line" == *"direct=1"* ]] || echo "WARNING: shardkit $mode did not use O_DIRECT: $line" >&2
  sed -n 's/.*MiB\/s=\([0-9.]*\).*/\1/p' <<<"$line"
}
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

fio_w=() sk_w=() fio_r=() sk_r=()
for run in $(seq 1 "$RUNS"); do
  rm -f "$FIO_FILE"; sync
  fio_w+=("$(fio_mibs write 48)")
  rm -f "$SK_FILE"; sync
  sk_w+=("$(sk_mibs seq-write --size "$SIZE_BYTES" --prealloc "$PREALLOC")")
  # Reads: both engines read both files (each file written by one engine),
  # the order alternating per run, so neither gains from where on the device
  # (or in the host's cache) a file landed or from going first.
  for file in "$FIO_FILE" "$SK_FILE"; do
    if ((run % 2)); then
      drop_caches; fio_r+=("$(fio_mibs read 7 "$file")")
      drop_caches; sk_r+=("$(sk_mibs seq-read "$file")")
    else
      drop_caches; sk_r+=("$(sk_mibs seq-read "$file")")
      drop_caches; fio_r+=("$(fio_mibs read 7 "$file")")
    fi
  done
  echo "run $run: write fio ${fio_w[-1]} shardkit ${sk_w[-1]} MiB/s;" \
       "read (fio's file, shardkit's file) fio ${fio_r[-2]} ${fio_r[-1]}" \
       "shardkit ${sk_r[-2]} ${sk_r[-1]} MiB/s"
done

report() {  # what fio-median shardkit-median
  awk -v what="$1" -v f="$2" -v s="$3" 'BEGIN {
    printf "%-6s fio %8.1f MiB/s   shardkit %8.1f MiB/s   shardkit/fio %.2f\n", what, f, s, s / f }'
}
echo "== medians of $RUNS runs (reads: of 2 x $RUNS, both files)"
report read "$(median "${fio_r[@]}")" "$(median "${sk_r[@]}")"
report write "$(median "${fio_w[@]}")" "$(median "${sk_w[@]}")"
