#!/usr/bin/env bash
# shardkit demo: make a real Redis snapshot and let shardkit check it.
#
#   scripts/demo.sh            installs dependencies (Debian 12), builds
#                              Release into build/, then runs the demo
#   SHARDKIT_DEMO_KEYS=N       size of the DEBUG POPULATE part (default 20000)
#   SHARDKIT_DEMO_SKIP_BUILD=1 reuse an existing build/shardkit
#   SHARDKIT_DEMO_BUILD_DIR=D  build directory (default build)
#
# Steps: start redis-server 7.0 on a free loopback port in a temp dir, fill
# it with a mixed dataset (every type, TTLs, a stream with a consumer group,
# a function library, several dbs), SAVE, then run
#   build/shardkit verify --deep dump.rdb
#   build/shardkit inspect dump.rdb
# and redis-check-rdb beside them. The server is stopped and the temp dir
# removed on every exit path. Exit status: shardkit's (the first non-zero).
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
keys="${SHARDKIT_DEMO_KEYS:-20000}"
build_dir="${SHARDKIT_DEMO_BUILD_DIR:-build}"

if [ "${SHARDKIT_DEMO_SKIP_BUILD:-0}" != "1" ]; then
  echo "== installing dependencies (scripts/install-deps.sh)"
  scripts/install-deps.sh
  echo "== building Release into $build_dir/ (scripts/build.sh Release $build_dir)"
  scripts/build.sh Release "$build_dir"
fi
shardkit="$repo/$build_dir/shardkit"
if [ ! -x "$shardkit" ]; then
  echo "demo: $shardkit was not built" >&2
  exit 2
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/shardkit-demo.XXXXXX")"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Starts redis-server; a port taken between picking and binding is retried.
start_server() {
  local attempt
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    cat > "$work/redis.conf" <<CONF
bind 127.0.0.1
port $port
daemonize no
dir $work
dbfilename dump.rdb
logfile $work/redis.log
save ""
appendonly no
enable-debug-command yes
CONF
    redis-server "$work/redis.conf" > "$work/redis.stdout" 2>&1 &
    server_pid=$!
    local i
    for i in $(seq 1 500); do  # up to ~10 s
      if ! kill -0 "$server_pid" 2>/dev/null; then
        break
      fi
      if [ "$(redis-cli -p "$port" PING 2>/dev/null || true)" = "PONG" ]; then
        return 0
      fi
      sleep 0.02
    done
    wait "$server_pid" 2>/dev/null || true
    server_pid=""
    if ! grep -q "Address already in use" "$work/redis.log" 2>/dev/null; then
      break
    fi
  done
  echo "demo: redis-server did not start; log:" >&2
  tail -n 30 "$work/redis.log" >&2 || true
  exit 2
}

echo "== starting $(redis-server --version | cut -d' ' -f1-3) in $work"
start_server
cli() { redis-cli -p "$port" "$@"; }
echo "   listening on 127.0.0.1:$port (pid $server_pid)"

echo "== filling: DEBUG POPULATE $keys plus one of each type"
cli DEBUG POPULATE "$keys" demo:key 64 > /dev/null
now_ms=$(( $(date +%s) * 1000 ))
cli > "$work/fill.out" <<CMDS
HSET user:{42} name ada lang c visits 17
HSET big:hash $(for i in $(seq 1 600); do printf 'f%d v%d ' "$i" "$i"; done)
RPUSH queue:jobs job-1 job-2 job-3 12345 -7
RPUSH big:list $(seq 1 5000 | tr '\n' ' ')
SADD set:ints 1 2 3 70000 5000000000
SADD set:names alice bob carol
ZADD board 100 alice 87.5 bob -3 carol
ZADD big:zset $(for i in $(seq 1 300); do printf '%d m%d ' "$i" "$i"; done)
SET counter 1234567
SET session:abc token PX 3600000
SET far:future value
PEXPIREAT far:future 4102444800000
PFADD visitors a b c d e f g
SETBIT flags 100000 1
XADD events 1-1 type login user ada
XADD events 1-2 type click user bob
XADD events 1-3 type logout user ada
XGROUP CREATE events workers 0
XREADGROUP GROUP workers w1 COUNT 2 STREAMS events >
XDEL events 1-3
FUNCTION LOAD "#!lua name=demo\nredis.register_function('hello', function() return 'hi' end)"
SELECT 3
SET in:db3 "a key outside db 0"
PEXPIREAT in:db3 $(( now_ms + 86400000 ))
CMDS
if grep -E '^(ERR|WRONGTYPE|\(error\))' "$work/fill.out" >&2; then
  echo "demo: filling the server failed" >&2
  exit 2
fi
echo "   $(cli DBSIZE) keys in db 0, $(cli -n 3 DBSIZE) in db 3"

echo "== SAVE"
cli SAVE > /dev/null
rdb="$work/dump.rdb"
ls -l "$rdb"

status=0
echo
echo "== shardkit verify --deep dump.rdb"
"$shardkit" verify --deep "$rdb" || status=$?
echo
echo "== shardkit inspect dump.rdb"
inspect_status=0
"$shardkit" inspect "$rdb" || inspect_status=$?
if [ "$status" -eq 0 ]; then
  status=$inspect_status
fi
echo
echo "== for comparison: redis-check-rdb dump.rdb"
redis-check-rdb "$rdb" | tail -n 5 || true

cli SHUTDOWN NOSAVE > /dev/null 2>&1 || true
wait "$server_pid" 2>/dev/null || true
server_pid=""
echo
echo "== demo finished: shardkit exit status $status"
exit "$status"
