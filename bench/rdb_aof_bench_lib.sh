# Shared helpers of bench/rdb_verify_vs.sh and bench/aof_verify_vs.sh (sourced).
# Every timed command runs after `sync; echo 3 > /proc/sys/vm/drop_caches`
# (needs root) and a re-read of its own program (warm_program), RUNS times
# (default 3); the median wall time is reported, with the user+sys CPU
# seconds of that run beside it (the machine may be shared: wall time then
# exceeds CPU time).

RUNS=${RUNS:-3}

drop_caches() {
  sync
  echo 3 >/proc/sys/vm/drop_caches
}

# Reads PROGRAM's binary and shared libraries into the page cache, so that a
# timed run right after drop_caches does not fault its own program in from
# disk mid-run (that added up to 0.1 s to a 0.2 s verify): only the data
# file is cold. Skips a leading `nice -n N`.
warm_program() {  # warm_program [nice -n N] PROGRAM ...
  local prog
  if [ "$1" = nice ]; then prog=$4; else prog=$1; fi
  prog=$(command -v "$prog")
  cat "$prog" $(ldd "$prog" 2>/dev/null | awk '$3 ~ /^\// {print $3}') >/dev/null
}

# Prints "<wall> <user> <sys>" for one cold-cache run of CMD (its program
# warmed), its stdout written to OUT; fails if the command does.
time_once_to() {  # time_once_to OUT CMD...
  local stdout_to=$1 out rc
  shift
  drop_caches
  warm_program "$@"
  out=$(mktemp)
  set +e
  /usr/bin/time -f '%e %U %S' -o "$out" "$@" >"$stdout_to" 2>/dev/null
  rc=$?
  set -e
  if [ "$rc" -ne 0 ]; then
    echo "command failed (exit $rc): $*" >&2
    rm -f "$out"
    return 1
  fi
  tail -1 "$out"
  rm -f "$out"
}

# time_once_to with stdout discarded.
time_once() { time_once_to /dev/null "$@"; }

# Runs time_once RUNS times; prints the run with the median wall time.
time_median() {
  local i
  for i in $(seq 1 "$RUNS"); do time_once "$@"; done | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

# fio sequential read of $1: prints "<seconds> <MB/s>" (median of RUNS).
fio_median() {
  local file=$1 size i
  size=$(stat -c %s "$file")
  for i in $(seq 1 "$RUNS"); do
    drop_caches
    fio --name=seqread --filename="$file" --rw=read --bs=1M --iodepth=32 --ioengine=io_uring \
      --direct=1 --readonly --size="$size" --output-format=json 2>/dev/null |
      python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]["read"]; bw=j["bw_bytes"]; print("%.3f %.1f" % (j["io_bytes"]/bw, bw/1e6))'
  done | sort -n | sed -n "$(((RUNS + 1) / 2))p"
}

print_environment() {
  local build=$1
  echo "== environment"
  echo "date:     $(date -u +%FT%TZ)"
  echo "host:     $(uname -srm); $(nproc) CPUs; $(lscpu | sed -n 's/^Model name: *//p' | head -1)"
  echo "memory:   $(free -g | awk '/Mem:/ {print $2 " GiB"}')"
  echo "load:     $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine inflates wall times)"
  echo "disk:     $(findmnt -no SOURCE,FSTYPE --target "$2")"
  local type
  type=$(sed -n 's/^CMAKE_BUILD_TYPE:STRING=//p' "$build/CMakeCache.txt" 2>/dev/null || true)
  echo "build:    $build ($type)"
  if [ "$type" != "Release" ]; then
    echo "WARNING: shardkit is not a Release build; figures are not representative"
  fi
  echo "runs:     $RUNS per tool, page cache dropped before each"
}

# ratio A B -> A/B with two decimals
ratio() { python3 -c "print('%.2f' % ($1 / $2))"; }
