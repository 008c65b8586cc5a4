#!/usr/bin/env bash
# RDB verification throughput beside its competitors, same file, same run:
#   fio sequential read (io_uring, O_DIRECT, 1 MiB blocks, queue depth 32)
#   shardkit verify          (structure, every length, CRC64)
#   shardkit verify --deep   (plus every element decoded and validated)
#   redis-check-rdb          (Redis 7.0's checker: decodes everything)
# Cold cache for every run (needs root), median of RUNS (3) runs.
#
# Usage: bench/rdb_verify_vs.sh [RDB] [BUILD_DIR]
#   RDB defaults to /work/bench-data/dump.rdb (bench/rdb_aof_make_data.sh)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rdb_aof_bench_lib.sh"
RDB=${1:-/work/bench-data/dump.rdb}
BUILD=${2:-$here/../build-rdb}
SHARDKIT=$BUILD/shardkit
size=$(stat -c %s "$RDB")
mb=$(python3 -c "print('%.1f' % ($size / 1e6))")

print_environment "$BUILD" "$RDB"
echo "file:     $RDB ($mb MB, $(head -c 9 "$RDB"))"
"$SHARDKIT" verify "$RDB" 2>&1 | sed 's/^/          /'
echo

read -r fio_s fio_mbs <<<"$(fio_median "$RDB")"
read -r v_s v_u v_sys <<<"$(time_median "$SHARDKIT" verify "$RDB")"
read -r d_s d_u d_sys <<<"$(time_median "$SHARDKIT" verify --deep "$RDB")"
read -r c_s c_u c_sys <<<"$(time_median redis-check-rdb "$RDB")"

row() {  # name wall user sys
  printf '%-24s %7.2f s %8.1f MB/s   cpu %5.2f s user %5.2f s sys\n' "$1" "$2" \
    "$(python3 -c "print($size / 1e6 / $2)")" "$3" "$4"
}
echo "== results (median wall time of $RUNS cold-cache runs)"
printf '%-24s %7.2f s %8.1f MB/s\n' "fio seq read" "$fio_s" "$fio_mbs"
row "shardkit verify" "$v_s" "$v_u" "$v_sys"
row "shardkit verify --deep" "$d_s" "$d_u" "$d_sys"
row "redis-check-rdb" "$c_s" "$c_u" "$c_sys"
echo
echo "== ratios"
echo "verify vs redis-check-rdb:        $(ratio "$c_s" "$v_s")x faster   (target >= 5x)"
echo "verify --deep vs redis-check-rdb: $(ratio "$c_s" "$d_s")x faster"
echo "verify vs fio ceiling:            $(ratio "$fio_s" "$v_s")x         (target >= 0.7x)"
echo "verify --deep vs fio ceiling:     $(ratio "$fio_s" "$d_s")x"
