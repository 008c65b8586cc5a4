#!/usr/bin/env bash
# AOF throughput beside its competitors, same file, same run:
#   fio sequential read (io_uring, O_DIRECT, 1 MiB blocks, queue depth 32)
#   aof_route_bench          (shardkit's AofReader: RESP parse + key
#                             extraction + hash slot of every command)
#   shardkit verify          (the same plus MULTI/EXEC, SELECT and torn-tail
#                             checks, and the report)
#   redis-check-aof          (Redis 7.0's checker: RESP structure only)
# Cold cache for every run (needs root), median of RUNS (3) runs.
#
# Usage: bench/aof_verify_vs.sh [AOF] [BUILD_DIR]
#   AOF defaults to /work/bench-data/appendonly.aof (bench/rdb_aof_make_data.sh);
#   BUILD_DIR needs SHARDKIT_BUILD_BENCH=ON (bench/aof_route_bench).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rdb_aof_bench_lib.sh"
AOF=${1:-/work/bench-data/appendonly.aof}
BUILD=${2:-$here/../build-rdb}
SHARDKIT=$BUILD/shardkit
ROUTE=$BUILD/bench/aof_route_bench
size=$(stat -c %s "$AOF")
mb=$(python3 -c "print('%.1f' % ($size / 1e6))")

print_environment "$BUILD" "$AOF"
echo "file:     $AOF ($mb MB)"
"$SHARDKIT" verify "$AOF" 2>&1 | sed 's/^/          /'
"$ROUTE" "$AOF" | sed 's/^/          /'
echo

read -r fio_s fio_mbs <<<"$(fio_median "$AOF")"
read -r r_s r_u r_sys <<<"$(time_median "$ROUTE" "$AOF")"
read -r v_s v_u v_sys <<<"$(time_median "$SHARDKIT" verify "$AOF")"
read -r c_s c_u c_sys <<<"$(time_median redis-check-aof "$AOF")"

row() {  # name wall user sys
  printf '%-24s %7.2f s %8.1f MB/s   cpu %5.2f s user %5.2f s sys\n' "$1" "$2" \
    "$(python3 -c "print($size / 1e6 / $2)")" "$3" "$4"
}
echo "== results (median wall time of $RUNS cold-cache runs)"
printf '%-24s %7.2f s %8.1f MB/s\n' "fio seq read" "$fio_s" "$fio_mbs"
row "parse + route (bench)" "$r_s" "$r_u" "$r_sys"
row "shardkit verify" "$v_s" "$v_u" "$v_sys"
row "redis-check-aof" "$c_s" "$c_u" "$c_sys"
echo
echo "== ratios"
echo "parse+route vs fio ceiling:       $(ratio "$fio_s" "$r_s")x         (target >= 0.5x)"
echo "verify vs redis-check-aof:        $(ratio "$c_s" "$v_s")x faster   (target >= 3x)"
echo "verify vs fio ceiling:            $(ratio "$fio_s" "$v_s")x"
