# Shared helpers of the bench/recover_*.sh scripts (sourced, not run).
# Servers started with start_server are killed by cleanup_servers, which the
# scripts install as their EXIT trap.
# shellcheck shell=bash

bench_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bench_data="${SHARDKIT_BENCH_DATA:-/work/bench-data}"
bench_build="${SHARDKIT_BENCH_BUILD_DIR:-$bench_repo/build}"
shardkit="$bench_build/shardkit"
keyspace_check="$bench_build/tests/keyspace_check"
server_pids=()

require_binaries() {
  local bin
  for bin in "$shardkit" "$keyspace_check"; do
    if [ ! -x "$bin" ]; then
      echo "bench: $bin is missing (set SHARDKIT_BENCH_BUILD_DIR)" >&2
      exit 2
    fi
  done
  if grep -q 'CMAKE_BUILD_TYPE:STRING=Release' "$bench_build/CMakeCache.txt" 2>/dev/null; then
    :
  else
    echo "WARNING: $bench_build is not a Release build; figures are not representative" >&2
  fi
}

print_environment() {
  echo "# $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $(uname -sr), nproc $(nproc)," \
       "$(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo)"
  echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
  echo "# $bench_data on: $(df -T "$bench_data" | awk 'NR == 2 {print $1, $2}')," \
       "load average $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# $(redis-server --version | cut -d' ' -f1-3), $(fio --version), shardkit $(git -C "$bench_repo" rev-parse --short HEAD)"
}

cleanup_servers() {
  local pid
  for pid in "${server_pids[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
  done
  for pid in "${server_pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  server_pids=()
}

drop_caches() {
  sync
  echo 3 > /proc/sys/vm/drop_caches
}

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# median of the arguments (numbers)
median() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
    if (NR % 2) { print v[(NR + 1) / 2] } else { print (v[NR / 2] + v[NR / 2 + 1]) / 2 } }'
}

# pick_ports N: N loopback ports p with p and p + 10000 free (20000-29999).
pick_ports() {
  python3 - "$1" <<'PY'
import random, socket, sys
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
        return True
    except OSError:
        return False
    finally:
        s.close()
want, chosen = int(sys.argv[1]), []
for _ in range(5000):
    if len(chosen) == want:
        break
    p = random.randint(20000, 29999)
    if all(abs(p - c) not in (0, 10000) for c in chosen) and free(p) and free(p + 10000):
        chosen.append(p)
if len(chosen) < want:
    sys.exit("no free port pairs")
print(" ".join(map(str, chosen)))
PY
}

# launch_server DIR PORT LOG [redis-server args...]: runs redis-server in DIR
# in the background (killed by cleanup_servers); wait_ping waits for it.
launch_server() {
  local dir="$1" port="$2" log="$3"
  shift 3
  (cd "$dir" && exec redis-server "$@" --port "$port" --bind 127.0.0.1 --daemonize no \
      --logfile "$log" --enable-debug-command yes) > /dev/null 2>&1 &
  server_pids+=("$!")
}

# wait_ping PORT...: every server answers PING (not LOADING); bounded, 10 min.
wait_ping() {
  local i port ok
  for i in $(seq 1 60000); do
    ok=1
    for port in "$@"; do
      if [ "$(redis-cli -p "$port" PING 2>/dev/null || true)" != "PONG" ]; then
        ok=0
        break
      fi
    done
    if [ "$ok" = 1 ]; then
      return 0
    fi
    sleep 0.01
  done
  echo "bench: redis-server on port $port did not start" >&2
  exit 2
}

# start_server DIR PORT LOG [args...]: launch_server, then wait_ping.
start_server() {
  launch_server "$@"
  wait_ping "$2"
}

# redis-server arguments of every cluster node in these benchmarks.
cluster_args=(--cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 3000
              --save "" --appendonly no)

# wait_cluster_ok PORT...: every node says cluster_state:ok (bounded, 10 min).
wait_cluster_ok() {
  local i port ok
  for i in $(seq 1 60000); do
    ok=1
    for port in "$@"; do
      if ! redis-cli -p "$port" CLUSTER INFO 2>/dev/null | grep -q '^cluster_state:ok'; then
        ok=0
        break
      fi
    done
    if [ "$ok" = 1 ]; then
      return 0
    fi
    sleep 0.01
  done
  echo "bench: cluster not ok after 10 min (127.0.0.1:$port)" >&2
  exit 2
}

# total bytes of the given files
total_bytes() { stat -c %s "$@" | awk '{ s += $1 } END { print s }'; }

# start_old_cluster OUT: a 3-master Redis Cluster whose nodes' directories
# are OUT/volumes/node-{0,1,2} (each with a redis.conf; dump.rdb on SAVE),
# logs in OUT/logs; sets the global array `ports` and writes OUT/ports.
# Refuses (exit 2) when OUT exists. Install cleanup_servers as the EXIT trap
# before calling it.
start_old_cluster() {
  local out="$1" i vol
  if [ -e "$out" ]; then
    echo "bench: $out exists; remove it to remake it" >&2
    exit 2
  fi
  mkdir -p "$out/volumes" "$out/logs"
  read -r -a ports <<< "$(pick_ports 3)"
  for i in 0 1 2; do
    vol="$out/volumes/node-$i"
    mkdir -p "$vol"
    printf 'dir ./\ncluster-enabled yes\ncluster-config-file nodes.conf\ndbfilename dump.rdb\nappendonly no\nsave ""\n' \
      > "$vol/redis.conf"
    start_server "$vol" "${ports[$i]}" "$out/logs/make-$i.log" ./redis.conf
  done
  echo "${ports[*]}" > "$out/ports"
  redis-cli --cluster create "127.0.0.1:${ports[0]}" "127.0.0.1:${ports[1]}" \
    "127.0.0.1:${ports[2]}" --cluster-replicas 0 --cluster-yes > "$out/logs/create.out" 2>&1
  wait_cluster_ok "${ports[@]}"
}
