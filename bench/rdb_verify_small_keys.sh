#!/usr/bin/env bash
# Structural verify of a small-keys RDB (issue 16 item 1) beside its
# competitors, every tool in every round so that the ratios share the
# machine's load:
#   fio sequential read   (io_uring, O_DIRECT, 1 MiB blocks, queue depth 32)
#   the same fio with one, then two CPUs busy beside it (see fio_busyN)
#   shardkit verify --threads 1   (one thread: the read before the split)
#   shardkit verify               (the CPU count's threads on the one file)
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

tools=(fio fio_busy1 fio_busy2 verify1 verify2 deep1 deep2 check)
declare -A label=(
  [fio]="fio seq read"
  [fio_busy1]="fio, one CPU spinning beside"
  [fio_busy2]="fio, two CPUs spinning beside"
  [verify1]="shardkit verify --threads 1"
  [verify2]="shardkit verify"
  [deep1]="shardkit verify --deep --threads 1"
  [deep2]="shardkit verify --deep"
  [check]="redis-check-rdb"
)
# Two times per run: the process's wall time (/usr/bin/time: exec, open,
# setup, read, exit) and the time inside the tool: fio's transfer time
# (io_bytes / bw, without its ~0.3 s of start-up and file layout) and
# verify's own `seconds` for the file (--json: open to report, the I/O ring's
# setup included). redis-check-rdb has no inner figure: its wall time is used.
# fio's inner time against verify's inner time is the like-for-like ratio;
# fio's inner time against verify's wall time (the figure quoted before
# 2026-12-07 18:00) counts verify's process start-up against it alone.

# fio_busyN: fio while N shell loops spin beside it (nice 19, any CPU). On
# this project's cloud VM the disk path itself needs CPU that the guest's
# busy vCPUs take away (a spinner on the *other* vCPU slowed fio by ~20%),
# so a reader that parses on one or two cores is bounded by these figures,
# not by fio alone.
spin_start() {
  spinners=()
  local i
  for i in $(seq 1 "$1"); do
    nice -n 19 bash -c 'while :; do :; done' &
    spinners+=($!)
  done
  sleep 0.1
}
spin_stop() {
  kill "${spinners[@]}" 2>/dev/null || true
  wait "${spinners[@]}" 2>/dev/null || true
}
run_tool() {  # prints "<wall> <user> <sys> <inner>"
  local j times
  j=$(mktemp)
  case $1 in
    fio_busy1 | fio_busy2)
      spin_start "${1#fio_busy}"
      run_tool fio
      spin_stop ;;
    fio) times=$(time_once_to "$j" nice -n "$NICE" fio --name=seqread --filename="$RDB" --rw=read \
        --bs=1M --iodepth=32 --ioengine=io_uring --direct=1 --readonly --size="$size" \
        --output-format=json)
      echo "$times $(python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["jobs"][0]["read"]; print("%.3f" % (r["io_bytes"]/r["bw_bytes"]))' "$j")" ;;
    check) times=$(time_once_to "$j" nice -n "$NICE" redis-check-rdb "$RDB")
      echo "$times ${times%% *}" ;;
    *)
      local flags=()
      case $1 in
        verify1) flags=(--threads 1) ;;
        deep1) flags=(--deep --threads 1) ;;
        deep2) flags=(--deep) ;;
      esac
      times=$(time_once_to "$j" nice -n "$NICE" "$SHARDKIT" verify --json "${flags[@]}" "$RDB")
      echo "$times $(python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["seconds"])' "$j")" ;;
  esac
  rm -f "$j"
}
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq 1 "$ROUNDS"); do
  for t in "${tools[@]}"; do
    echo "$t $(run_tool "$t")" >>"$results"
  done
  echo "round $round done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
done

median() {  # tool [column] -> that column's median (2: wall, 5: inner)
  awk -v t="$1" -v c="${2:-2}" '$1 == t {print $c}' "$results" | sort -n |
    sed -n "$(((ROUNDS + 1) / 2))p"
}
median_run() {  # tool -> "<wall> <user> <sys>" of the median-wall run
  awk -v t="$1" '$1 == t {print $2, $3, $4}' "$results" | sort -n | sed -n "$(((ROUNDS + 1) / 2))p"
}
all() { awk -v t="$1" -v c="${2:-2}" '$1 == t {printf "%s ", $c}' "$results"; }
declare -A wall inner
echo "== results (medians of $ROUNDS cold-cache runs; every run in brackets)"
echo "   wall: the whole process; inner: fio's transfer time, verify's --json seconds"
for t in "${tools[@]}"; do
  read -r w u s <<<"$(median_run "$t")"
  wall[$t]=$w
  inner[$t]=$(median "$t" 5)
  printf '%-36s wall %6.3f s  inner %6.3f s %8.1f MB/s  cpu %5.2f user %5.2f sys\n' \
    "${label[$t]}" "$w" "${inner[$t]}" "$(python3 -c "print($size / 1e6 / ${inner[$t]})")" "$u" "$s"
  printf '%-36s   walls [%s] inner [%s]\n' "" "$(all "$t")" "$(all "$t" 5)"
done
echo "load:     before $load_before, after $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "== ratios"
echo "verify vs redis-check-rdb (wall):      $(ratio "${wall[check]}" "${wall[verify2]}")x  (target >= 8x)"
echo "verify --threads 1 vs redis-check-rdb: $(ratio "${wall[check]}" "${wall[verify1]}")x"
echo "verify --deep vs redis-check-rdb:      $(ratio "${wall[check]}" "${wall[deep2]}")x  (target >= 3x)"
echo "verify vs fio (inner vs inner):        $(ratio "${inner[fio]}" "${inner[verify2]}")x  (target >= 0.9x)"
echo "verify --threads 1 vs fio, 1 CPU busy:  $(ratio "${inner[fio_busy1]}" "${inner[verify1]}")x"
echo "verify vs fio, 2 CPUs busy:            $(ratio "${inner[fio_busy2]}" "${inner[verify2]}")x"
echo "verify vs fio (wall vs wall):          $(ratio "${wall[fio]}" "${wall[verify2]}")x"
echo "verify wall vs fio inner (as before):  $(ratio "${inner[fio]}" "${wall[verify2]}")x"
echo "two threads vs one (verify, inner):    $(ratio "${inner[verify1]}" "${inner[verify2]}")x"
echo "two threads vs one (verify --deep):    $(ratio "${inner[deep1]}" "${inner[deep2]}")x"
