#!/usr/bin/env bash
# Makes recovery source volumes with real-world value shapes: a real
# 3-master Redis Cluster (redis-server 7.0) filled through its masters (each
# key sent to the master owning its slot, redis-cli --pipe) with mixed keys,
# SAVEd and killed with kill -9. The memory benchmark's data (issue 16 item
# 0; bench/RESULTS.md "Peak memory on mixed values"): every value is under
# recover's 4 MiB piece size, and most are collections of many elements.
#
#   bench/recover_make_mixed_volumes.sh NAME KEYS [SEED]
#
# Per key, by weight: 35% a string of 100 B - 4 KB; 20% a list of 30-300
# elements of 10 B - 6 KB (most small); 15% a hash of 20-200 fields; 10% a
# set and 10% a sorted set of 20-300 members; 10% a stream of 30-200 entries
# with two consumer groups, one with a pending entries list. 1 in 5 keys
# has an expiry a day or more away. About 14 KB of RDB per key (10k keys: 137 MB).
#
# Output under $SHARDKIT_BENCH_DATA (default /work/bench-data)/NAME/ as
# bench/recover_make_volumes.sh: volumes/node-{0,1,2}/, ports.
set -euo pipefail
source "$(dirname "$0")/recover_lib.sh"
name="$1"
keys="$2"
seed="${3:-1}"
out="$bench_data/$name"
trap cleanup_servers EXIT
start_old_cluster "$out"
slots_file="$out/logs/slots"
for i in 0 1 2; do
  redis-cli -p "${ports[$i]}" CLUSTER NODES |
    awk -v i="$i" '/myself/ { for (f = 9; f <= NF; f++) print i, $f }'
done > "$slots_file"
# One generator per master, each writing the keys of its own slots: the
# generator makes every key, keeps those the master owns.
fill_pids=()
for i in 0 1 2; do
  python3 - "$keys" "$seed" "$i" "$slots_file" <<'PY' | redis-cli -p "${ports[$i]}" --pipe > "$out/logs/fill-$i.out" &
import random, sys
keys, seed, node, slots_file = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
owner = [0] * 16384
for line in open(slots_file):
    n, r = line.split()
    a, _, b = r.partition("-")
    for s in range(int(a), int(b or a) + 1):
        owner[s] = int(n)
table = []
for i in range(256):
    c = i << 8
    for _ in range(8):
        c = ((c << 1) ^ 0x1021) if c & 0x8000 else c << 1
    table.append(c & 0xFFFF)
def slot(key):
    s, e = key.find(b"{"), -1
    if s >= 0:
        e = key.find(b"}", s + 1)
        if e > s + 1:
            key = key[s + 1:e]
    crc = 0
    for b in key:
        crc = ((crc << 8) & 0xFFFF) ^ table[(crc >> 8) ^ b]
    return crc & 16383
out = sys.stdout.buffer
def cmd(*args):
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        a = a if isinstance(a, bytes) else str(a).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    out.write(b"".join(parts))
def blob(rng, lo, hi):
    return rng.randbytes(rng.randint(lo, hi))
def element(rng):  # most small, some up to 6 KB
    return blob(rng, 10, 6000) if rng.random() < 0.08 else blob(rng, 10, 120)
for k in range(keys):
    key = b"mixed:%d:%d" % (seed, k)
    if owner[slot(key)] != node:
        continue
    rng = random.Random(seed * 1_000_003 + k)
    kind = rng.random()
    if kind < 0.35:
        cmd(b"SET", key, blob(rng, 100, 4000))
    elif kind < 0.55:
        n = rng.randint(30, 300)
        for i in range(0, n, 50):
            cmd(b"RPUSH", key, *[element(rng) for _ in range(min(50, n - i))])
    elif kind < 0.70:
        args = []
        for f in range(rng.randint(20, 200)):
            args += [b"field:%d" % f, blob(rng, 10, 100)]
        cmd(b"HSET", key, *args)
    elif kind < 0.80:
        cmd(b"SADD", key, *[b"member:%d:%s" % (m, rng.randbytes(8).hex().encode())
                            for m in range(rng.randint(20, 300))])
    elif kind < 0.90:
        args = []
        for m in range(rng.randint(20, 300)):
            args += [b"%.3f" % rng.uniform(-1e6, 1e6), b"member:%d" % m]
        cmd(b"ZADD", key, *args)
    else:
        for e in range(rng.randint(30, 200)):
            cmd(b"XADD", key, b"*", b"field", blob(rng, 10, 200), b"n", b"%d" % e)
        cmd(b"XGROUP", b"CREATE", key, b"readers", b"0")
        cmd(b"XGROUP", b"CREATE", key, b"pending", b"0")
        cmd(b"XREADGROUP", b"GROUP", b"pending", b"c1", b"COUNT", b"10", b"STREAMS", key, b">")
    if rng.random() < 0.2:
        cmd(b"PEXPIREAT", key, 4102444800000 + rng.randint(0, 10**9))
PY
  fill_pids+=("$!")
done
wait "${fill_pids[@]}"  # not the servers (children of this shell too)
cat "$out"/logs/fill-*.out | grep -i -E "errors: [1-9]" && { echo "bench: fill errors" >&2; exit 2; }
for p in "${ports[@]}"; do
  redis-cli -p "$p" SAVE > /dev/null
done
for p in "${ports[@]}"; do
  echo "port $p: $(redis-cli -p "$p" DBSIZE) keys"
done
cleanup_servers  # kill -9 every node
du -sh "$out"/volumes/node-*/dump.rdb
