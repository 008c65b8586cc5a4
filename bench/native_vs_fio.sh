#!/usr/bin/env bash
# Native format throughput against the fio sequential-read ceiling, in one
# run, caches dropped before every measurement, median of RUNS (default 3):
#   fio   : ioengine=io_uring, direct=1, bs=1M, iodepth=32, of the RDB and of
#           the native file; and fio doing convert's I/O (read the RDB while
#           writing as many bytes as the native file holds)
#   convert RDB -> native (shardkit convert, published atomically)
#   verify of the native file: `shardkit verify` when it reads native files
#           (JSON "format":"native"), else native_bench --verify-file (the
#           same formats/native VerifyNative over the storage sequential reader)
#   subset: native -> RDB of one fifth of the slots (0-3276), reporting the
#           share of the file's bytes read
# Also prints wall and CPU seconds (user+sys): on a shared 2-core VM the wall
# time includes waiting for a CPU, which the CPU figure does not.
#
# Usage: bench/native_vs_fio.sh [RDB] [BUILD_DIR]
#   RDB defaults to /work/bench-data/native/source.rdb (a copy of the RDB
#   bench/rdb_aof_make_data.sh makes with redis-server 7.0). Must run as root
#   (drop_caches). Outputs go next to the RDB, never into the repository.
set -euo pipefail

RDB=${1:-/work/bench-data/native/source.rdb}
BUILD=${2:-$(cd "$(dirname "$0")/.." && pwd)/build-native}
RUNS=${RUNS:-3}
SHARDKIT=$BUILD/shardkit
BENCH=$BUILD/bench/native_bench
DIR=$(dirname "$RDB")
NATIVE=$DIR/bench.skn
SUBSET=$DIR/bench-subset.rdb

[[ -f $RDB ]] || { echo "missing $RDB (run bench/rdb_aof_make_data.sh and copy dump.rdb)" >&2; exit 2; }
[[ -x $SHARDKIT && -x $BENCH ]] || { echo "build $BUILD first: ninja -C $BUILD shardkit native_bench" >&2; exit 2; }

drop_caches() { sync; echo 3 >/proc/sys/vm/drop_caches; }
size_of() { stat -c %s "$1"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# fio MB/s (decimal) of a sequential read of $1.
fio_read() {
  fio --name=seqread --filename="$1" --readonly --rw=read --bs=1M --iodepth=32 \
      --ioengine=io_uring --direct=1 --output-format=json |
    python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["read"]["bw_bytes"]/1e6,1))'
}

# fio MB/s of input (decimal) while doing convert's I/O: a sequential read of
# $1 and, at the same time, a sequential write of $2 bytes (direct, 1M, 32 in
# flight, fsynced at the end) to a scratch file beside it; input bytes / the
# longer job's runtime. On one disk, reads and writes share the device.
fio_same_io() {
  local scratch
  scratch="$(dirname "$1")/fio-same-io.scratch"
  # --output: with two jobs fio also prints their descriptions on stdout.
  fio --name=r --filename="$1" --rw=read --bs=1M --iodepth=32 --ioengine=io_uring --direct=1 \
      --name=w --filename="$scratch" --rw=write --bs=1M --iodepth=32 --ioengine=io_uring \
      --direct=1 --size="$2" --end_fsync=1 --output-format=json --output="$scratch.json" >/dev/null
  python3 -c 'import json,sys; j=json.load(open(sys.argv[2])); ms=max(max(x["read"]["runtime"], x["write"]["runtime"]) for x in j["jobs"]); print(round(int(sys.argv[1])/1e3/ms,1))' \
    "$(stat -c %s "$1")" "$scratch.json"
  rm -f "$scratch" "$scratch.json"
}

# Runs a command; prints "<wall s> <cpu s>" and keeps its stdout in $OUT_FILE.
OUT_FILE=$(mktemp)
TIME_FILE=$(mktemp)
trap 'rm -f "$OUT_FILE" "$TIME_FILE"' EXIT
timed() {
  /usr/bin/time -f "%e %U %S" -o "$TIME_FILE" "$@" >"$OUT_FILE" 2>/dev/null
  awk '{printf "%s %.2f\n", $1, $2 + $3}' "$TIME_FILE"
}

echo "== environment"
echo "date: $(date -u +%FT%TZ)  host: $(uname -srm)  cpus: $(nproc)"
grep -m1 'model name' /proc/cpuinfo || true
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "rdb: $RDB ($(size_of "$RDB") bytes)  build: $BUILD"
grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$BUILD/CMakeCache.txt" ||
  echo "WARNING: $BUILD is not a Release build; figures are not representative"

declare -a FIO_RDB FIO_SAME FIO_NATIVE CONVERT CONVERT_CPU VERIFY VERIFY_CPU SUBSET_SHARE
VERIFY_TOOL=""
for run in $(seq 1 "$RUNS"); do
  drop_caches; FIO_RDB+=("$(fio_read "$RDB")")

  drop_caches
  read -r wall cpu < <(timed "$SHARDKIT" convert "$RDB" "$NATIVE" --json)
  CONVERT+=("$(awk -v b="$(size_of "$RDB")" -v t="$wall" 'BEGIN {printf "%.1f", b/1e6/t}')")
  CONVERT_CPU+=("$(awk -v b="$(size_of "$RDB")" -v t="$cpu" 'BEGIN {printf "%.1f", b/1e6/t}')")
  LZ4=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(round(j["lz4_ratio"],3), j["keys"], j["blocks"])' "$OUT_FILE")

  drop_caches; FIO_NATIVE+=("$(fio_read "$NATIVE")")
  drop_caches; FIO_SAME+=("$(fio_same_io "$RDB" "$(size_of "$NATIVE")")")

  drop_caches
  if "$SHARDKIT" verify --json "$NATIVE" 2>/dev/null | grep -q '"format":"native"'; then
    VERIFY_TOOL="shardkit verify"
    drop_caches
    read -r wall cpu < <(timed "$SHARDKIT" verify --json "$NATIVE")
  else
    VERIFY_TOOL="native_bench --verify-file"
    drop_caches
    read -r wall cpu < <(timed "$BENCH" --verify-file "$NATIVE")
  fi
  VERIFY+=("$(awk -v b="$(size_of "$NATIVE")" -v t="$wall" 'BEGIN {printf "%.1f", b/1e6/t}')")
  VERIFY_CPU+=("$(awk -v b="$(size_of "$NATIVE")" -v t="$cpu" 'BEGIN {printf "%.1f", b/1e6/t}')")

  drop_caches
  timed "$SHARDKIT" convert "$NATIVE" "$SUBSET" --slots 0-3276 --json >/dev/null
  SUBSET_SHARE+=("$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(round(100*j["block_bytes_read"]/j["input_bytes"],1))' "$OUT_FILE")")
  rm -f "$SUBSET"
  echo "run $run: fio(rdb) ${FIO_RDB[-1]} MB/s, fio(convert's I/O) ${FIO_SAME[-1]} MB/s, convert ${CONVERT[-1]} MB/s (cpu-bound ${CONVERT_CPU[-1]}), fio(native) ${FIO_NATIVE[-1]} MB/s, verify ${VERIFY[-1]} MB/s (cpu-bound ${VERIFY_CPU[-1]}), subset read ${SUBSET_SHARE[-1]}% of the file; load $(cut -d' ' -f1 /proc/loadavg)"
done

m() { printf '%s\n' "$@" | median; }
FR=$(m "${FIO_RDB[@]}"); FS=$(m "${FIO_SAME[@]}"); FN=$(m "${FIO_NATIVE[@]}"); C=$(m "${CONVERT[@]}"); V=$(m "${VERIFY[@]}")
echo
echo "== medians of $RUNS runs (MB/s = 10^6 bytes/s of the input file)"
echo "fio seq read RDB       : $FR"
echo "fio seq read native    : $FN"
echo "fio convert's I/O      : $FS  (read the RDB + write the native file's size at once)"
echo "convert RDB -> native  : $C  (= $(awk -v a="$C" -v b="$FR" 'BEGIN {printf "%.2f", a/b}')x fio read-only, target >= 0.5x; $(awk -v a="$C" -v b="$FS" 'BEGIN {printf "%.2f", a/b}')x fio doing the same I/O)  cpu-bound rate $(m "${CONVERT_CPU[@]}")"
echo "verify native ($VERIFY_TOOL): $V  (= $(awk -v a="$V" -v b="$FN" 'BEGIN {printf "%.2f", a/b}')x fio; target >= 0.9x)  cpu-bound rate $(m "${VERIFY_CPU[@]}")"
echo "one fifth of the slots : $(m "${SUBSET_SHARE[@]}")% of the native file read (target <= 25%)"
echo "LZ4 ratio, keys, blocks: $LZ4"
echo "load average at end    : $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$NATIVE"
