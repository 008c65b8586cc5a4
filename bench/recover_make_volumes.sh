#!/usr/bin/env bash
# Makes the recovery benchmarks' source volumes: a real 3-master Redis
# Cluster (redis-server 7.0, cluster-enabled yes, each node in its own
# directory = its volume) filled through the cluster with the bulk profile
# of keyspace_check (KEYS strings of VALUE_BYTES random bytes, 1 in 4 with
# an absolute expiry, every 20th key a hash of 8 fields), captured key by
# key, SAVEd and killed with kill -9.
#
#   bench/recover_make_volumes.sh NAME KEYS VALUE_BYTES
#
# Output under $SHARDKIT_BENCH_DATA (default /work/bench-data)/NAME/:
#   volumes/node-{0,1,2}/  redis.conf, nodes.conf, dump.rdb (never modified
#                          afterwards: the benchmarks copy before restarting)
#   ports                  the old nodes' ports (nodes.conf names them)
#   keyspace.capture       every key's type, digest and PEXPIRETIME
set -euo pipefail
source "$(dirname "$0")/recover_lib.sh"
name="$1"
keys="$2"
value_bytes="$3"
require_binaries
out="$bench_data/$name"
trap cleanup_servers EXIT
start_old_cluster "$out"
"$keyspace_check" fill --node "127.0.0.1:${ports[0]}" --profile bulk --keys "$keys" \
  --value-bytes "$value_bytes" --seed 7
"$keyspace_check" capture --node "127.0.0.1:${ports[0]}" --out "$out/keyspace.capture"
for p in "${ports[@]}"; do
  redis-cli -p "$p" SAVE > /dev/null
done
cleanup_servers  # kill -9 every node
du -sh "$out"/volumes/node-*/dump.rdb
