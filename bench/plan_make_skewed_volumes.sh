#!/usr/bin/env bash
# Makes source volumes whose bytes are skewed by hash tags: a real 3-master
# Redis Cluster (redis-server 7.0) where every key carries a hash tag that
# lands in the first HOT_PERCENT % of its master's slots, written to the
# owning master with redis-cli --pipe, SAVEd and killed with kill -9. The
# hard case for a plan that estimates slot bytes from file sizes and slot
# ranges (bench/plan_estimate_vs_exact.sh).
#
#   bench/plan_make_skewed_volumes.sh NAME KEYS VALUE_BYTES [HOT_PERCENT]   (default 10)
#
# Output under $SHARDKIT_BENCH_DATA (default /work/bench-data)/NAME/ as
# bench/recover_make_volumes.sh: volumes/node-{0,1,2}/, ports.
set -euo pipefail
source "$(dirname "$0")/recover_lib.sh"
name="$1"
keys="$2"
value_bytes="$3"
hot="${4:-10}"
out="$bench_data/$name"
trap cleanup_servers EXIT
start_old_cluster "$out"
for i in 0 1 2; do
  # The master's slot ranges, as CLUSTER NODES says ("myself" line).
  ranges="$(redis-cli -p "${ports[$i]}" CLUSTER NODES | awk '/myself/ { for (f = 9; f <= NF; f++) print $f }')"
  python3 - "$keys" "$value_bytes" "$hot" "$i" $ranges <<'PY' | redis-cli -p "${ports[$i]}" --pipe > "$out/logs/fill-$i.out"
import random, sys
keys, value_bytes, hot, node = (int(a) for a in sys.argv[1:5])
slots = []
for r in sys.argv[5:]:
    a, _, b = r.partition("-")
    slots += range(int(a), int(b or a) + 1)
hot_slots = set(slots[: max(1, len(slots) * hot // 100)])
def crc16(data):  # CRC-16/XMODEM, Redis Cluster's key hash
    crc = 0
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc
tags, t = [], 0
while len(tags) < 200:
    tag = b"t%d" % t
    if crc16(tag) % 16384 in hot_slots:
        tags.append(tag)
    t += 1
rng = random.Random(node)
out = sys.stdout.buffer
per_node = keys // 3
for k in range(per_node):
    key = b"{%s}:k%d" % (tags[k % len(tags)], k)
    value = rng.randbytes(value_bytes)
    out.write(b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(key), key, len(value), value))
PY
done
for p in "${ports[@]}"; do
  redis-cli -p "$p" SAVE > /dev/null
done
cleanup_servers  # kill -9 every node
du -sh "$out"/volumes/node-*/dump.rdb
