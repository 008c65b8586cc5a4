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
if [ -e "$out" ]; then
  echo "bench: $out exists; remove it to remake it" >&2
  exit 2
fi
trap cleanup_servers EXIT
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
"$keyspace_check" fill --node "127.0.0.1:${ports[0]}" --profile bulk --keys "$keys" \
  --value-bytes "$value_bytes" --seed 7
"$keyspace_check" capture --node "127.0.0.1:${ports[0]}" --out "$out/keyspace.capture"
for p in "${ports[@]}"; do
  redis-cli -p "$p" SAVE > /dev/null
done
cleanup_servers  # kill -9 every node
du -sh "$out"/volumes/node-*/dump.rdb
