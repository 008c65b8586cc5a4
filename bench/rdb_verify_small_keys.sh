#!/usr/bin/env bash
# Structural verify of a small-keys RDB (issue 16 item 1) beside its
# competitors, every tool in every round so that the ratios share the
# machine's load:
#   fio sequential read   (io_uring, O_DIRECT, 1 MiB blocks, queue depth 32)
#   shardkit verify --threads 1   (one thread: the read before the split)
#   shardkit verify               (two threads on the one file)
#   shardkit verify --deep --threads 1, shardkit verify --deep
#   redis-check-rdb               (Redis 7.0's checker)
# The page cache is dropped before every run (needs root); ROUNDS (5)
# rounds, the tools interleaved in each; medians reported with the CPU
# seconds of the median run and the load average before and after.
#
# The file: redis-server 7.0, `DEBUG POPULATE 5000000 key 100` with
# rdbcompression no, SAVEd (574 MB, 5M string keys of 100 bytes). Made under
# $DATA (default /work/bench-data/small5m) when absent.
#
# NICE=-20 runs every tool (fio too) at that niceness (root): on a machine
# shared with builds it approximates a quiet one for these sub-second runs,
# the same for every tool, so the ratios stay fair.
#
# Usage: [NICE=-20] [ROUNDS=5] bench/rdb_verify_small_keys.sh [BUILD_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/rdb_aof_bench_lib.sh"
BUILD=${1:-$here/../build}
SHARDKIT=$BUILD/shardkit
DATA=${DATA:-/work/bench-data/small5m}
RDB=$DATA/dump.rdb
ROUNDS=${ROUNDS:-5}
NICE=${NICE:-0}

make_file() {
  mkdir -p "$DATA"
  local sock=/tmp/sk-small5-$$.sock
  redis-server --port 0 --unixsocket "$sock" --dir "$DATA" --dbfilename dump.rdb \
    --rdbcompression no --save '' --appendonly no --enable-debug-command yes \
    --logfile "$DATA/log" --daemonize yes
  for _ in $(seq 1 100); do [ -S "$sock" ] && break; sleep 0.1; done
  redis-cli -s "$sock" DEBUG POPULATE 5000000 key 100 >/dev/null
  redis-cli -s "$sock" SAVE >/dev/null
  redis-cli -s "$sock" SHUTDOWN NOSAVE >/dev/null || true
}
[ -f "$RDB" ] || make_file

size=$(stat -c %s "$RDB")
RUNS=1  # time_once/fio_median run once per call; this script does the rounds
print_environment "$BUILD" "$RDB"
echo "file:     $RDB ($(python3 -c "print('%.1f' % ($size / 1e6))") MB, $(head -c 9 "$RDB"))"
"$SHARDKIT" verify "$RDB" 2>&1 | sed 's/^/          /'
echo "rounds:   $ROUNDS, tools interleaved in each round, every tool at nice $NICE"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
echo

tools=(fio verify1 verify2 deep1 deep2 check)
declare -A label=(
  [fio]="fio seq read"
  [verify1]="shardkit verify --threads 1"
  [verify2]="shardkit verify"
  [deep1]="shardkit verify --deep --threads 1"
  [deep2]="shardkit verify --deep"
  [check]="redis-check-rdb"
)
run_tool() {  # prints "<wall> <user> <sys>"
  case $1 in
    fio) read -r s _ <<<"$(nice -n "$NICE" bash -c ". '$here/rdb_aof_bench_lib.sh'; RUNS=1 fio_median '$RDB'")"
      echo "$s 0 0" ;;
    verify1) time_once nice -n "$NICE" "$SHARDKIT" verify --threads 1 "$RDB" ;;
    verify2) time_once nice -n "$NICE" "$SHARDKIT" verify "$RDB" ;;
    deep1) time_once nice -n "$NICE" "$SHARDKIT" verify --deep --threads 1 "$RDB" ;;
    deep2) time_once nice -n "$NICE" "$SHARDKIT" verify --deep "$RDB" ;;
    check) time_once nice -n "$NICE" redis-check-rdb "$RDB" ;;
  esac
}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq 1 "$ROUNDS"); do
  for t in "${tools[@]}"; do
    echo "$t $(run_tool "$t")" >>"$results"
  done
  echo "round $round done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done

median() {  # tool -> "<wall> <user> <sys>" of the median-wall run
  awk -v t="$1" '$1 == t {print $2, $3, $4}' "$results" | sort -n | sed -n "$(((ROUNDS + 1) / 2))p"
}
all() { awk -v t="$1" '$1 == t {printf "%s ", $2}' "$results"; }
declare -A wall
echo "== results (median wall time of $ROUNDS cold-cache runs; every run's wall in brackets)"
for t in "${tools[@]}"; do
  read -r w u s <<<"$(median "$t")"
  wall[$t]=$w
  printf '%-36s %6.3f s %8.1f MB/s  cpu %5.2f user %5.2f sys  [%s]\n' "${label[$t]}" "$w" \
    "$(python3 -c "print($size / 1e6 / $w)")" "$u" "$s" "$(all "$t")"
done
echo "load:     before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== ratios"
echo "verify vs redis-check-rdb:           $(ratio "${wall[check]}" "${wall[verify2]}")x  (target >= 8x)"
echo "verify --threads 1 vs redis-check-rdb: $(ratio "${wall[check]}" "${wall[verify1]}")x"
echo "verify --deep vs redis-check-rdb:    $(ratio "${wall[check]}" "${wall[deep2]}")x  (target >= 3x)"
echo "verify vs fio:                       $(ratio "${wall[fio]}" "${wall[verify2]}")x  (target >= 0.9x)"
echo "two threads vs one (verify):         $(ratio "${wall[verify1]}" "${wall[verify2]}")x"
echo "two threads vs one (verify --deep):  $(ratio "${wall[deep1]}" "${wall[deep2]}")x"
