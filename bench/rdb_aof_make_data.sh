#!/usr/bin/env bash
# Makes the benchmark inputs once, with a real redis-server, under
# ${BENCH_DATA:-/work/bench-data} (never inside the repository):
#   dump.rdb        >= 500 MB RDB (redis-server 7.0 SAVE; RDB v10)
#   appendonly.aof  >= 500 MB RESP AOF (the incr file of the same server,
#                   appendonly yes, aof-use-rdb-preamble no, timestamps on)
#   appendonlydir/  the multi-part directory it came from
#
# One server receives a deterministic stream of mixed writes (seeded Python
# generator piped into redis-cli --pipe): random strings (some with TTLs,
# counters), small hashes (listpack) and large ones (hashtable), lists
# (quicklist), sets (intset and hashtable), zsets (listpack and skiplist),
# streams with consumer groups, overwrites, deletes, MULTI/EXEC blocks. The
# server logs the propagated commands to its AOF as it executes them; SAVE
# then writes the RDB of the final state. DEBUG POPULATE adds plain strings
# on top (they reach the RDB but not the AOF, which is fine for a bench).
#
# Usage: bench/rdb_aof_make_data.sh [scale]   (scale 1.0 ~ 600 MB each)
set -euo pipefail

OUT=${BENCH_DATA:-/work/bench-data}
SCALE=${1:-1.0}
PORT=${PORT:-6391}
GEN="$OUT/gen"
mkdir -p "$GEN"
rm -rf "$GEN"/*

cat >"$GEN/redis.conf" <<EOF
bind 127.0.0.1
port $PORT
dir $GEN
dbfilename dump.rdb
save ""
appendonly yes
appendfsync no
aof-use-rdb-preamble no
aof-timestamp-enabled yes
auto-aof-rewrite-percentage 0
enable-debug-command yes
logfile redis.log
EOF

redis-server "$GEN/redis.conf" --daemonize yes
cleanup() { redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true; }
trap cleanup EXIT
for _ in $(seq 1 200); do
  redis-cli -p "$PORT" ping >/dev/null 2>&1 && break
  sleep 0.05
done

python3 - "$SCALE" <<'PY' | redis-cli -p "$PORT" --pipe
import random, sys
scale = float(sys.argv[1])
rnd = random.Random(20261125)
out = sys.stdout.buffer

def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))

def blob(lo, hi):
    # Printable random bytes: LZF finds little to compress, as in real data.
    n = rnd.randint(lo, hi)
    return rnd.randbytes(n).hex()[:n]

def n(x):
    return max(1, int(x * scale))

for i in range(n(1_200_000)):
    k = "str:%d" % i
    r = i % 10
    if r < 6:
        cmd("SET", k, blob(150, 300))
    elif r < 8:
        cmd("SET", k, blob(100, 200), "EX", 86400 + i % 1000)
    elif r == 8:
        cmd("INCRBY", "counter:%d" % (i % 50000), rnd.randint(1, 1000))
    else:
        cmd("SET", "str:%d" % rnd.randrange(i + 1), blob(150, 300))  # overwrite
for i in range(n(30_000)):
    k = "hash:%d" % i
    fields = []
    for f in range(40):
        fields += ["field:%d" % f, blob(10, 40)]
    cmd("HSET", k, *fields)
    if i % 7 == 0:
        cmd("HDEL", k, "field:3", "field:5")
for i in range(n(1_500)):
    k = "bighash:%d" % i
    for chunk in range(4):
        fields = []
        for f in range(chunk * 250, chunk * 250 + 250):
            fields += ["f%d" % f, blob(20, 60)]
        cmd("HSET", k, *fields)
for i in range(n(30_000)):
    k = "list:%d" % i
    cmd("RPUSH", k, *[blob(20, 60) for _ in range(100)])
    if i % 5 == 0:
        cmd("LPOP", k)
for i in range(n(30_000)):
    k = "set:%d" % i
    if i % 3 == 0:
        cmd("SADD", k, *[str(rnd.randrange(1 << 40)) for _ in range(60)])
    else:
        cmd("SADD", k, *[blob(12, 30) for _ in range(60)])
for i in range(n(30_000)):
    k = "zset:%d" % i
    size = 40 if i % 4 else 300
    args = []
    for m in range(size):
        args += ["%.3f" % (rnd.random() * 1000), blob(10, 30)]
    cmd("ZADD", k, *args)
for i in range(n(2_000)):
    k = "stream:%d" % i
    for e in range(200):
        cmd("XADD", k, "%d-%d" % (1700000000000 + e, i), "sensor", str(e), "value",
            blob(20, 40), "note", blob(10, 20))
    cmd("XGROUP", "CREATE", k, "readers", "0")
    cmd("XREADGROUP", "GROUP", "readers", "c1", "COUNT", "20", "STREAMS", k, ">")
    if i % 3 == 0:
        cmd("XDEL", k, "%d-%d" % (1700000000005, i), "%d-%d" % (1700000000150, i))
for i in range(n(20_000)):
    cmd("MULTI")
    cmd("SET", "tx:%d" % i, blob(50, 100))
    cmd("INCR", "tx:counter")
    cmd("EXEC")
for i in range(n(50_000)):
    cmd("DEL", "str:%d" % rnd.randrange(n(1_200_000)))
PY

redis-cli -p "$PORT" debug populate "$(python3 -c "print(int(300000*$SCALE))")" populated 120 >/dev/null
redis-cli -p "$PORT" save >/dev/null
redis-cli -p "$PORT" info keyspace
cleanup
trap - EXIT
# Wait (bounded) for the pid file to go.
for _ in $(seq 1 600); do
  [ -e "$GEN/redis.pid" ] || break
  redis-cli -p "$PORT" ping >/dev/null 2>&1 || break
  sleep 0.1
done

mv "$GEN/dump.rdb" "$OUT/dump.rdb"
rm -rf "$OUT/appendonlydir"
mv "$GEN/appendonlydir" "$OUT/appendonlydir"
incr=$(ls "$OUT"/appendonlydir/*.incr.aof | head -1)
cp "$incr" "$OUT/appendonly.aof"
ls -l "$OUT/dump.rdb" "$OUT/appendonly.aof" "$OUT"/appendonlydir/
