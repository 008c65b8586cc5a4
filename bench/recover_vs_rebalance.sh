#!/usr/bin/env bash
# Time from dead volumes to a serving 5-node cluster: shardkit against what an
# operator does without it, side by side in one run; and TTL exactness on
# both sides.
#
#   bench/recover_vs_rebalance.sh [NAME]    (default: small)
#
# Dataset NAME comes from bench/recover_make_volumes.sh (3 dead masters).
# RUNS (default 3) rounds of:
#   shardkit: drop caches; shardkit plan --nodes 5 --endpoints
#     --discovery-out (one scan gives the plan and the discovery report, as a
#     bootstrapper runs it); shardkit recover; start 5 redis-servers on the
#     outputs; wait for cluster_state:ok on all 5.              (timed, per step)
#     Before it, on cold caches too, a separate `shardkit discover` is timed
#     and reported on its own (what an operator running it by hand adds).
#   operator: copy the volumes (untimed; the originals stay pristine); drop
#     caches; restart the 3 old nodes on the copies (their old ports, as
#     their nodes.conf says); wait for cluster_state:ok; start 2 empty
#     masters; redis-cli --cluster add-node both; wait until all 5 know each
#     other; redis-cli --cluster rebalance --cluster-use-empty-masters; wait
#     for cluster_state:ok on all 5.                            (timed, per step)
#   then, untimed, keyspace_check compare on each cluster against the capture
#   made before the old cluster died: missing/extra/digest differences and
#   the number of keys whose PEXPIRETIME changed (MIGRATE sends relative
#   TTLs, so moved keys' absolute expiry times shift).
set -euo pipefail
source "$(dirname "$0")/recover_lib.sh"
name="${1:-small}"
runs="${RUNS:-3}"
require_binaries
dir="$bench_data/$name"
run_dir="$dir/rebalance-run"
trap 'cleanup_servers; [ "${KEEP_RUN:-0}" = 1 ] || rm -rf "$run_dir"' EXIT
read -r -a old_ports < "$dir/ports"
for p in "${old_ports[@]}"; do
  if ! python3 -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', int(sys.argv[1])))" "$p" 2>/dev/null; then
    echo "bench: old node port $p is taken; the operator path needs it" >&2
    exit 2
  fi
done
print_environment
bytes="$(total_bytes "$dir"/volumes/node-*/dump.rdb)"
echo
echo "## $name: 3 dead masters, $(awk -v b="$bytes" 'BEGIN { printf "%.1f MiB", b / 1048576 }') of dump.rdb, $(grep -c '^k ' "$dir/keyspace.capture") keys"

# compare_counts PORT: "missing=.. extra=.. digest=.. pexpiretime=.. max_shift_ms=.."
compare_counts() {
  local out
  out="$("$keyspace_check" compare --node "127.0.0.1:$1" --expected "$dir/keyspace.capture" \
         --show 0 || true)"
  echo "$out" | grep '^summary' | tr ' ' '\n' |
    grep -E '^(found|missing|extra|misplaced|digest|pexpiretime|max_shift_ms)=' | tr '\n' ' '
}

shardkit_run() {
  rm -rf "$run_dir"
  mkdir -p "$run_dir/logs"
  read -r -a new_ports <<< "$(pick_ports 5)"
  local endpoints="" p k t0 t1 t2 t3 t3b t4
  for p in "${new_ports[@]}"; do
    endpoints="${endpoints:+$endpoints,}127.0.0.1:$p"
  done
  drop_caches
  local d0 d1
  d0="$(now)"
  "$shardkit" discover "$dir"/volumes/node-* 2> "$run_dir/logs/discover.out"
  d1="$(now)"
  drop_caches
  t0="$(now)"
  t1="$t0"
  "$shardkit" plan --nodes 5 --endpoints "$endpoints" --out "$run_dir/plan.json" \
    --discovery-out "$run_dir/discovery.json" "$dir"/volumes/node-* 2> "$run_dir/logs/plan.out"
  t2="$(now)"
  "$shardkit" recover --plan "$run_dir/plan.json" --out "$run_dir/out" 2> "$run_dir/logs/recover.out"
  t3="$(now)"
  for k in 0 1 2 3 4; do
    launch_server "$run_dir/out/node-$k" "${new_ports[$k]}" "$run_dir/logs/new-$k.log" \
      --dir ./ "${cluster_args[@]}"
  done
  wait_ping "${new_ports[@]}"
  t3b="$(now)"
  wait_cluster_ok "${new_ports[@]}"
  t4="$(now)"
  sk_total+=("$(elapsed "$t0" "$t4")")
  sk_with_discover+=("$(awk -v a="$(elapsed "$t0" "$t4")" -v b="$(elapsed "$d0" "$d1")" \
                        'BEGIN { printf "%.2f", a + b }')")
  echo "run $run shardkit: total $(elapsed "$t0" "$t4")s =" \
       "plan with --discovery-out $(elapsed "$t1" "$t2") + recover $(elapsed "$t2" "$t3")" \
       "+ start 5 (loaded, answering PING) $(elapsed "$t3" "$t3b")" \
       "+ cluster_state:ok $(elapsed "$t3b" "$t4");" \
       "a separate discover (not in the total) $(elapsed "$d0" "$d1")"
  echo "run $run shardkit check: $(compare_counts "${new_ports[0]}")"
  cleanup_servers
}

# wait_all_known N PORT...: every node lists N nodes, none in handshake
# (bounded, 5 min).
wait_all_known() {
  local want="$1" i p ok nodes
  shift
  for i in $(seq 1 6000); do
    ok=1
    for p in "$@"; do
      nodes="$(redis-cli -p "$p" CLUSTER NODES)"
      if [ "$(echo "$nodes" | grep -c .)" -ne "$want" ] || echo "$nodes" | grep -q handshake; then
        ok=0
        break
      fi
    done
    if [ "$ok" = 1 ]; then
      return 0
    fi
    sleep 0.05
  done
  echo "bench: the nodes never all knew each other" >&2
  exit 2
}

# Until `redis-cli --cluster check` at PORT sees WANT masters that agree
# about the slots configuration, which add-node and rebalance require
# (bounded, 5 min): what an operator waits for between the steps.
wait_agree() {
  local port="$1" want="$2" i out
  for i in $(seq 1 6000); do
    out="$(redis-cli --cluster check "127.0.0.1:$port" 2>&1 | sed 's/\x1b\[[0-9;]*m//g' || true)"
    if echo "$out" | grep -q 'All nodes agree about slots configuration' &&
       [ "$(echo "$out" | grep -c '^M: ')" -eq "$want" ]; then
      return 0
    fi
    sleep 0.05
  done
  echo "bench: the cluster never agreed on $want masters:" >&2
  echo "$out" >&2
  exit 2
}

operator_run() {
  rm -rf "$run_dir"
  mkdir -p "$run_dir/logs" "$run_dir/empty-0" "$run_dir/empty-1"
  cp -a "$dir/volumes" "$run_dir/volumes"
  read -r -a new_ports <<< "$(pick_ports 2)"
  local i t0 t1 t2 t3 t4
  drop_caches
  t0="$(now)"
  for i in 0 1 2; do
    launch_server "$run_dir/volumes/node-$i" "${old_ports[$i]}" "$run_dir/logs/old-$i.log" \
      ./redis.conf
  done
  wait_ping "${old_ports[@]}"
  wait_cluster_ok "${old_ports[@]}"
  t1="$(now)"
  for i in 0 1; do
    start_server "$run_dir/empty-$i" "${new_ports[$i]}" "$run_dir/logs/empty-$i.log" \
      --dir ./ "${cluster_args[@]}"
    redis-cli --cluster add-node "127.0.0.1:${new_ports[$i]}" "127.0.0.1:${old_ports[0]}" \
      > "$run_dir/logs/add-$i.out" 2>&1 || { cat "$run_dir/logs/add-$i.out" >&2; exit 2; }
    wait_agree "${old_ports[0]}" $((4 + i))
  done
  # MIGRATE to a node whose cluster_state is not ok yet fails with CLUSTERDOWN,
  # and SETSLOT NODE to a node the source has not met yet with "I don't know
  # about node": wait until every node is ok and knows all 5.
  wait_cluster_ok "${old_ports[@]}" "${new_ports[@]}"
  wait_all_known 5 "${old_ports[@]}" "${new_ports[@]}"
  t2="$(now)"
  redis-cli --cluster rebalance "127.0.0.1:${old_ports[0]}" --cluster-use-empty-masters \
    > "$run_dir/logs/rebalance.out" 2>&1 || { tail -20 "$run_dir/logs/rebalance.out" >&2; exit 2; }
  t3="$(now)"
  wait_cluster_ok "${old_ports[@]}" "${new_ports[@]}"
  t4="$(now)"
  op_total+=("$(elapsed "$t0" "$t4")")
  echo "run $run operator: total $(elapsed "$t0" "$t4")s = restart 3 old nodes and ok" \
       "$(elapsed "$t0" "$t1") + add 2 empty masters $(elapsed "$t1" "$t2")" \
       "+ rebalance $(elapsed "$t2" "$t3") + cluster_state:ok $(elapsed "$t3" "$t4")" \
       "($(sed 's/\x1b\[[0-9;]*m//g' "$run_dir/logs/rebalance.out" |
          awk '/^Moving [0-9]+ slots/ { n += $2 } END { print n + 0 }') slots moved)"
  echo "run $run operator check: $(compare_counts "${old_ports[0]}")"
  cleanup_servers
}

sk_total=() sk_with_discover=() op_total=()
for run in $(seq 1 "$runs"); do
  shardkit_run
  operator_run
done
sk_m="$(median "${sk_total[@]}")"
op_m="$(median "${op_total[@]}")"
echo "median: shardkit $sk_m s (with a separate discover as well: $(median "${sk_with_discover[@]}") s)," \
     "operator $op_m s; shardkit is $(awk -v s="$sk_m" -v o="$op_m" 'BEGIN { printf "%.1f", o / s }')x faster"
