#!/usr/bin/env bash
# What the key count of nodes with log commands costs `shardkit check`
# (tools/log_count.h): a 3-master AOF cluster gets BASE keys, an AOF
# rewrite, then LOG log commands (SET over random keys, some existing, some
# new; DEL; PEXPIREAT far ahead), is killed, planned onto 2 masters and
# recovered; the recovered nodes start, and `check --report --sample none`
# runs: its key_count_replay.seconds is the count's extra time.
# Usage: bench/check_log_count.sh OUT [BASE] [LOG]   (OUT must not exist)
set -euo pipefail
source "$(dirname "$0")/recover_lib.sh"
out="$1"
base="${2:-100000}"
log="${3:-100000}"
trap cleanup_servers EXIT
[ -x "$shardkit" ] || { echo "bench: $shardkit missing" >&2; exit 2; }
print_environment 2>/dev/null || true
start_old_cluster "$out"
for p in "${ports[@]}"; do redis-cli -p "$p" CONFIG SET appendonly yes > /dev/null; done
sleep 1
redis-benchmark --cluster -h 127.0.0.1 -p "${ports[0]}" -q -n "$base" -r "$base" \
  SET 'key:{tag}:__rand_int__' base-value > /dev/null
for p in "${ports[@]}"; do redis-cli -p "$p" BGREWRITEAOF > /dev/null; done
for p in "${ports[@]}"; do
  for _ in $(seq 1 600); do
    redis-cli -p "$p" INFO persistence | grep -q 'aof_rewrite_in_progress:0' && break
    sleep 0.1
  done
done
sleep 1
third=$((log / 3))
redis-benchmark --cluster -h 127.0.0.1 -p "${ports[0]}" -q -n "$third" -r $((base * 2)) \
  SET 'key:{tag}:__rand_int__' log-value > /dev/null
redis-benchmark --cluster -h 127.0.0.1 -p "${ports[0]}" -q -n "$third" -r "$base" \
  DEL 'key:{tag}:__rand_int__' > /dev/null
redis-benchmark --cluster -h 127.0.0.1 -p "${ports[0]}" -q -n "$third" -r "$base" \
  PEXPIREAT 'key:{tag}:__rand_int__' 4102444800000 > /dev/null
cleanup_servers
read -r -a new_ports <<< "$(pick_ports 2)"
"$shardkit" plan --nodes 2 --endpoints "127.0.0.1:${new_ports[0]},127.0.0.1:${new_ports[1]}" \
  --out "$out/plan.json" "$out"/volumes/node-* 2> "$out/logs/plan.err"
"$shardkit" recover --plan "$out/plan.json" --out "$out/new" --json > "$out/recover.json" \
  2> "$out/logs/recover.err"
for i in 0 1; do
  launch_server "$out/new/node-$i" "${new_ports[$i]}" "$out/logs/new-$i.log" \
    --cluster-enabled yes --cluster-config-file nodes.conf --appendonly yes --save ""
done
wait_ping "${new_ports[@]}"
wait_cluster_ok "${new_ports[@]}"
t0=$(now)
"$shardkit" check --plan "$out/plan.json" --sample none --json > "$out/check-noreport.json" \
  2> "$out/logs/check-noreport.err" || true
t1=$(now)
"$shardkit" check --plan "$out/plan.json" --report "$out/recover.json" --sample none --json \
  > "$out/check.json" 2> "$out/logs/check.err" || true
t2=$(now)
echo "base $base keys, $log log commands: check without --report $(elapsed "$t0" "$t1") s," \
     "with --report $(elapsed "$t1" "$t2") s"
python3 - "$out/check.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
print("ok", j["ok"], "key_count_replay", json.dumps(j.get("key_count_replay")))
for n in j["nodes"]:
    print(n["index"], n["dbsize"], n.get("keys_expected"), n.get("keys_log"), n.get("keys_not_checked"))
PY
