#!/usr/bin/env bash
# shardkit demo: a real Redis Cluster loses every node; shardkit rebuilds it,
# from the dead nodes' volumes, onto a different number of new nodes.
#
#   scripts/demo.sh               installs dependencies (Debian 12), builds
#                                 Release into build/, then runs the demo
#   SHARDKIT_DEMO_KEYS=N          mixed keys to write (default 100000)
#   SHARDKIT_DEMO_NEW_NODES=N     new cluster size: masters (default 5)
#   SHARDKIT_DEMO_REPLICAS=R      replicas per new master (default 1; 0 = none)
#   SHARDKIT_DEMO_AOF_NODE=I      old node I (0-2) runs appendonly yes (default
#                                 1); "none" = every old node on RDB only
#   SHARDKIT_DEMO_SKIP_BUILD=1    reuse an existing build
#   SHARDKIT_DEMO_BUILD_DIR=D     build directory (default build)
#   SHARDKIT_DEMO_SAMPLE=N|all    shardkit check --sample (default all: every
#                                 key of every node compared)
#   SHARDKIT_DEMO_KEYSPACE_CHECK=P also run the test tool's own key-by-key
#                                 comparison (steps 3 capture and 6b compare)
#                                 with the keyspace_check binary P (1 = the
#                                 build's); the data is always filled with
#                                 D/tests/keyspace_check fill
#   SHARDKIT_DEMO_KEEP=1          keep the work directory (its path is printed)
#   SHARDKIT_DEMO_TAMPER=1        self-test: alter 3 keys of the new cluster
#                                 and add one before the checks (the demo must
#                                 then fail, check naming the 4 keys)
#   SHARDKIT_DEMO_MOVE=1          the new nodes start on other ports than the
#                                 plan's endpoints (as pods that got new
#                                 addresses): the cluster cannot form until
#                                 `shardkit join --endpoints <new>` runs
#
# Steps, each timed:
#  1. start 3 redis-server 7.0 masters (cluster-enabled yes, free loopback
#     ports, each in its own directory = its volume, with a redis.conf; old
#     node 1 on appendonly yes) and join them with redis-cli --cluster create;
#  2. fill them through the cluster with a mixed dataset (every type, TTLs,
#     hash tags, big keys, streams with a consumer group, a function
#     library), rewrite the AOF node's log (BGREWRITEAOF: a base with the
#     data), then update a tenth of the keys (log commands after the base);
#  3. SAVE every node, kill -9 every node (with SHARDKIT_DEMO_KEYSPACE_CHECK,
#     first record every key's TYPE, DEBUG DIGEST-VALUE and PEXPIRETIME:
#     keyspace_check capture);
#  4. shardkit discover, shardkit plan --nodes N --replicas R --endpoints ...,
#     shardkit recover --plan ... --out ...;
#  5. start N*(1+R) redis-servers on the output directories (cluster-enabled
#     yes, the nodes.conf recover wrote; no redis-cli step) and wait for
#     cluster_state:ok on every one;
#     (SHARDKIT_DEMO_MOVE=1: shardkit check shows the cluster cannot form,
#     then shardkit join tells every node where its peers are now);
#  6. redis-cli --cluster check (with SHARDKIT_DEMO_KEYSPACE_CHECK, then
#     keyspace_check compare: every old key on the new master owning its slot
#     with the same digest and PEXPIRETIME);
#  7. (R > 0) every replica's link to its master is up, every master reports
#     sync_full:0 (a dump.rdb layout: the replicas resumed with a partial
#     resync; an appendonlydir layout full-syncs, as SPEC.md says, and is
#     reported, not failed), and every replica holds its master's DBSIZE;
#  8. the verdict: shardkit check --plan plan.json --report recover.json
#     --sample all: every node's id, role, master, slots, peers,
#     cluster_state, replica link and key count (not for nodes whose output
#     has log commands, which check says) as the plan and recover's report
#     say, and every key of every node, masters and replicas, equal to the old
#     volumes' (type, expiry, value), the keys the AOF node's log touches
#     after replaying those commands in a redis-server that check starts, and
#     no node holding a key that is in no old volume.
# Every server is killed and the work directory removed on every exit path.
# Exit status: 0 only if every step succeeded and every key matched.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"
keys="${SHARDKIT_DEMO_KEYS:-100000}"
new_nodes="${SHARDKIT_DEMO_NEW_NODES:-5}"
new_replicas="${SHARDKIT_DEMO_REPLICAS:-1}"
new_total=$((new_nodes * (1 + new_replicas)))
build_dir="${SHARDKIT_DEMO_BUILD_DIR:-build}"
old_nodes=3

# ---- AOF SWITCH ------------------------------------------------------------
# As in the issue, one old node runs appendonly yes (recover reads AOF
# sources since loader commit cf41550): its volume's appendonlydir/ wins over
# its dump.rdb, and the new nodes that receive its log commands get an
# appendonlydir/ and start with appendonly yes. "none" = all on RDB.
aof_node="${SHARDKIT_DEMO_AOF_NODE:-1}"
# -----------------------------------------------------------------------------

if [ "${SHARDKIT_DEMO_SKIP_BUILD:-0}" != "1" ]; then
  echo "== installing dependencies (scripts/install-deps.sh)"
  scripts/install-deps.sh
  echo "== building Release into $build_dir/ (scripts/build.sh Release $build_dir)"
  scripts/build.sh Release "$build_dir"
fi
shardkit="$repo/$build_dir/shardkit"
sample="${SHARDKIT_DEMO_SAMPLE:-all}"
keyspace_check="$repo/$build_dir/tests/keyspace_check"
compare_tool=0
if [ -n "${SHARDKIT_DEMO_KEYSPACE_CHECK:-}" ]; then
  compare_tool=1
  if [ "$SHARDKIT_DEMO_KEYSPACE_CHECK" != "1" ]; then
    keyspace_check="$SHARDKIT_DEMO_KEYSPACE_CHECK"
  fi
fi
for bin in "$shardkit" "$keyspace_check"; do
  if [ ! -x "$bin" ]; then
    echo "demo: $bin was not built" >&2
    exit 2
  fi
done

work="$(mktemp -d "${TMPDIR:-/tmp}/shardkit-demo.XXXXXX")"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -9 "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [ "${SHARDKIT_DEMO_KEEP:-0}" = "1" ]; then
    echo "demo: work directory kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- timing -------------------------------------------------------------------
timings=()
step_name=""
step_start=""
step() {
  step_name="$1"
  step_start="$EPOCHREALTIME"
  echo
  echo "== $step_name"
}
step_done() {
  local secs
  secs="$(awk -v a="$step_start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')"
  echo "   ($secs s)"
  timings+=("$(printf '%8s s  %s' "$secs" "$step_name")")
}
print_timings() {
  echo
  echo "== timings"
  local t
  for t in "${timings[@]}"; do
    echo "$t"
  done
}

# ---- servers ------------------------------------------------------------------
# Loopback ports p with p and its cluster bus port p + 10000 free, from
# 10000-22767 so that both lie below the kernel's ephemeral range (32768 up),
# where the nodes' own outgoing bus connections could take a bus port first.
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
    p = random.randint(10000, 22767)
    if all(abs(p - c) not in (0, 10000) for c in chosen) and free(p) and free(p + 10000):
        chosen.append(p)
if len(chosen) < want:
    sys.exit("no free port pairs")
print(" ".join(map(str, chosen)))
PY
}

# start_server DIR PORT LOG [extra redis-server args...]: starts redis-server
# with DIR as its working directory and waits (bounded) for PING.
start_server() {
  local dir="$1" port="$2" log="$3"
  shift 3
  (cd "$dir" && exec redis-server "$@" --port "$port" --bind 127.0.0.1 --daemonize no \
      --logfile "$log" --enable-debug-command yes) > /dev/null 2>&1 &
  local pid=$!
  pids+=("$pid")
  local i
  for i in $(seq 1 1000); do  # up to ~20 s
    if ! kill -0 "$pid" 2>/dev/null; then
      break
    fi
    if [ "$(redis-cli -p "$port" PING 2>/dev/null || true)" = "PONG" ]; then
      return 0
    fi
    sleep 0.02
  done
  echo "demo: redis-server on port $port did not start; log:" >&2
  tail -n 30 "$log" >&2 || true
  exit 2
}

# redis-cli colours its --cluster output even into a file.
no_colors() {
  sed 's/\x1b\[[0-9;]*m//g' "$1"
}

# wait_cluster_ok PORT...: every node says cluster_state:ok (bounded).
wait_cluster_ok() {
  local i port ok
  for i in $(seq 1 1500); do  # up to ~60 s
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
    sleep 0.04
  done
  echo "demo: cluster not ok after 60 s; 127.0.0.1:$port says:" >&2
  redis-cli -p "$port" CLUSTER INFO >&2 || true
  exit 2
}

move="${SHARDKIT_DEMO_MOVE:-0}"
moved_total=0
if [ "$move" = "1" ]; then
  moved_total=$new_total
fi
read -r -a ports <<< "$(pick_ports $((old_nodes + new_total + moved_total)))"
old_ports=("${ports[@]:0:old_nodes}")
new_ports=("${ports[@]:old_nodes:new_total}")
# The endpoints the plan names: the ports the new nodes run on, or (MOVE)
# others, so that every address in the recovered nodes.conf files is stale.
plan_ports=("${new_ports[@]}")
if [ "$move" = "1" ]; then
  plan_ports=("${ports[@]:$((old_nodes + new_total))}")
fi
mkdir -p "$work/logs"

echo "shardkit demo: $(redis-server --version | cut -d' ' -f1-3), $old_nodes old masters -> $new_nodes new masters with $new_replicas replicas each, ~$keys keys"
echo "work directory: $work"

# ---- 1. the old cluster ---------------------------------------------------------
step "1. start $old_nodes cluster-enabled redis-servers (one volume each) and create the cluster"
volumes=()
for i in $(seq 0 $((old_nodes - 1))); do
  vol="$work/old/node-$i"
  mkdir -p "$vol"
  appendonly=no
  if [ "$aof_node" = "$i" ]; then
    appendonly=yes
  fi
  # The volume holds what a real node's persistent volume holds: its
  # redis.conf, nodes.conf, dump.rdb and (on AOF) appendonlydir/.
  cat > "$vol/redis.conf" <<CONF
dir ./
cluster-enabled yes
cluster-config-file nodes.conf
cluster-node-timeout 3000
dbfilename dump.rdb
appendonly $appendonly
appendfsync everysec
save ""
CONF
  start_server "$vol" "${old_ports[$i]}" "$work/logs/old-$i.log" ./redis.conf
  volumes+=("$vol")
  echo "   old node $i: 127.0.0.1:${old_ports[$i]}  volume $vol  appendonly $appendonly"
done
create_args=()
for p in "${old_ports[@]}"; do
  create_args+=("127.0.0.1:$p")
done
redis-cli --cluster create "${create_args[@]}" --cluster-replicas 0 --cluster-yes \
  > "$work/logs/create.out" 2>&1 || { cat "$work/logs/create.out" >&2; exit 2; }
no_colors "$work/logs/create.out" | grep -E '^(>>>|\[OK\])' | sed 's/^/   /' || true
wait_cluster_ok "${old_ports[@]}"
step_done

# ---- 2. data ------------------------------------------------------------------
step "2. fill the cluster: ~$keys mixed keys, then update a tenth of them"
"$keyspace_check" fill --node "127.0.0.1:${old_ports[0]}" --keys "$keys" --seed 1 | sed 's/^/   /'
if [ "$aof_node" != "none" ]; then
  # A base with most of the data, then log commands after it.
  redis-cli -p "${old_ports[$aof_node]}" BGREWRITEAOF > /dev/null
  for _ in $(seq 1 1500); do
    info="$(redis-cli -p "${old_ports[$aof_node]}" INFO persistence)"
    if echo "$info" | grep -q '^aof_rewrite_in_progress:0' &&
       echo "$info" | grep -q '^aof_rewrite_scheduled:0'; then
      break
    fi
    sleep 0.04
  done
fi
"$keyspace_check" fill --node "127.0.0.1:${old_ports[0]}" --keys $((keys / 10)) --seed 2 \
  --singletons 0 | sed 's/^/   /'
for p in "${old_ports[@]}"; do
  echo "   127.0.0.1:$p: $(redis-cli -p "$p" DBSIZE) keys, $(redis-cli -p "$p" INFO memory | grep '^used_memory_human' | cut -d: -f2 | tr -d '\r') used"
done
step_done

if [ "$compare_tool" = 1 ]; then
  step "3. record every key (TYPE, DEBUG DIGEST-VALUE, PEXPIRETIME), SAVE, kill -9 every node"
  "$keyspace_check" capture --node "127.0.0.1:${old_ports[0]}" --out "$work/old.keyspace" | sed 's/^/   /'
else
  step "3. SAVE, kill -9 every node"
fi
for p in "${old_ports[@]}"; do
  redis-cli -p "$p" SAVE > /dev/null
done
for i in $(seq 0 $((old_nodes - 1))); do
  kill -9 "${pids[$i]}"
  wait "${pids[$i]}" 2>/dev/null || true
done
echo "   killed; the volumes:"
for vol in "${volumes[@]}"; do
  echo "   $vol: $(cd "$vol" && find . -type f ! -name '*.log' | sort | tr '\n' ' ')"
done
step_done

# ---- 4. shardkit ------------------------------------------------------------------
endpoints=""
for p in "${plan_ports[@]}"; do
  endpoints="${endpoints:+$endpoints,}127.0.0.1:$p"
done
running_endpoints=""
for p in "${new_ports[@]}"; do
  running_endpoints="${running_endpoints:+$running_endpoints,}127.0.0.1:$p"
done
# shardkit runs in the work directory, so its output names old/node-I.
cd "$work"
rel_volumes=()
for i in $(seq 0 $((old_nodes - 1))); do
  rel_volumes+=("old/node-$i")
done
step "4a. shardkit discover ${rel_volumes[*]}"
"$shardkit" discover "${rel_volumes[@]}" 2>&1 | sed 's/^/   /'
step_done

step "4b. shardkit plan --nodes $new_nodes --replicas $new_replicas --endpoints $endpoints --out plan.json ${rel_volumes[*]}"
"$shardkit" plan --nodes "$new_nodes" --replicas "$new_replicas" --endpoints "$endpoints" --out plan.json \
  "${rel_volumes[@]}" 2>&1 | sed 's/^/   /'
step_done

step "4c. shardkit recover --plan plan.json --out new --json > recover.json"
"$shardkit" recover --plan plan.json --out new --json > recover.json
python3 - recover.json <<'PY' | sed 's/^/   /'
import json, sys
r = json.load(open(sys.argv[1]))
for n in r["nodes"]:
    print(f"node {n['index']} ({n['role']}): {n['layout']}, {n['keys']} keys "
          f"({n['keys_with_expiry']} with a TTL), {n['commands']} log commands")
print(f"{r['keys_written']} keys written, {r['expired_dropped']} expired dropped, "
      f"{r['seconds']:.2f}s; report in recover.json (for shardkit check --report)")
PY
step_done
cd "$repo"

# ---- 5. the new cluster -----------------------------------------------------------
step "5. start $new_total redis-servers ($new_nodes masters, $((new_total - new_nodes)) replicas) on the recovered directories; wait for cluster_state:ok"
for k in $(seq 0 $((new_total - 1))); do
  dir="$work/new/node-$k"
  appendonly=no
  if [ -d "$dir/appendonlydir" ]; then
    appendonly=yes
  fi
  start_server "$dir" "${new_ports[$k]}" "$work/logs/new-$k.log" --dir ./ \
    --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 3000 \
    --appendonly "$appendonly" --save ""
  role=master
  if [ "$k" -ge "$new_nodes" ]; then
    role="replica of node $(((k - new_nodes) / new_replicas))"
  fi
  echo "   new node $k ($role): 127.0.0.1:${new_ports[$k]}  $(redis-cli -p "${new_ports[$k]}" DBSIZE) keys  (appendonly $appendonly)"
done
if [ "$move" = "1" ]; then
  step_done
  step "5b. SHARDKIT_DEMO_MOVE=1: the nodes run at $running_endpoints, not at the plan's $endpoints"
  set +e
  "$shardkit" check --plan "$work/plan.json" --endpoints "$running_endpoints" --wait 3 2>&1 |
    grep -m 6 'mismatch' | sed 's/^/   /'
  set -e
  echo "   (the cluster cannot form: every nodes.conf names the old addresses)"
  step_done
  step "5c. shardkit join --plan plan.json --endpoints $running_endpoints"
  if ! "$shardkit" join --plan "$work/plan.json" --endpoints "$running_endpoints" 2>&1 |
      sed 's/^/   /'; then
    echo "demo: shardkit join failed" >&2
    exit 2
  fi
fi
wait_cluster_ok "${new_ports[@]}"
echo "   cluster_state:ok on all $new_total nodes"
step_done

if [ "${SHARDKIT_DEMO_TAMPER:-0}" = "1" ]; then
  # Self-test of the checks: change one value, one TTL, delete one key, add
  # one; the demo must then report exactly these four keys and fail.
  echo "   SHARDKIT_DEMO_TAMPER=1: changing str:0, the TTL of session:17, deleting hash:8, adding tamper:extra"
  redis-cli -c -p "${new_ports[0]}" SET str:0 tampered > /dev/null
  redis-cli -c -p "${new_ports[0]}" PEXPIRE session:17 999999999 > /dev/null
  redis-cli -c -p "${new_ports[0]}" DEL hash:8 > /dev/null
  redis-cli -c -p "${new_ports[0]}" SET tamper:extra 1 > /dev/null
fi

# ---- 6. checks ------------------------------------------------------------------
status=0
step "6a. redis-cli --cluster check 127.0.0.1:${new_ports[0]}"
redis-cli --cluster check "127.0.0.1:${new_ports[0]}" > "$work/logs/check.out" 2>&1 || status=1
no_colors "$work/logs/check.out" > "$work/logs/check.txt"
sed 's/^/   /' "$work/logs/check.txt"
if ! grep -q '^\[OK\] All 16384 slots covered' "$work/logs/check.txt" ||
   grep -q '^\[ERR\]\|^\[WARNING\]' "$work/logs/check.txt"; then
  status=1
fi
step_done

if [ "$compare_tool" = 1 ]; then
  step "6b. SHARDKIT_DEMO_KEYSPACE_CHECK: the test tool's key-by-key check (keyspace_check compare)"
  set +e
  "$keyspace_check" compare --node "127.0.0.1:${new_ports[0]}" --expected "$work/old.keyspace" \
    --show 10 | sed 's/^/   /'
  compare_status="${PIPESTATUS[0]}"  # compare's, not sed's
  set -e
  if [ "$compare_status" -ne 0 ]; then
    status=1
  fi
  step_done
fi

if [ "$new_replicas" -gt 0 ]; then
  step "7. replicas: link up, sync_full on their masters, DBSIZE equal to their master's"
  for k in $(seq "$new_nodes" $((new_total - 1))); do
    m=$(((k - new_nodes) / new_replicas))
    port="${new_ports[$k]}"
    linked=0
    for _ in $(seq 1 1500); do  # up to ~60 s
      if redis-cli -p "$port" INFO replication 2>/dev/null | grep -q '^master_link_status:up'; then
        linked=1
        break
      fi
      sleep 0.04
    done
    if [ "$linked" != 1 ]; then
      echo "   replica node $k (127.0.0.1:$port): link to node $m not up after 60 s"
      status=1
      continue
    fi
    same=0
    for _ in $(seq 1 250); do  # up to ~10 s (keys expiring meanwhile)
      mk="$(redis-cli -p "${new_ports[$m]}" DBSIZE)"
      rk="$(redis-cli -p "$port" DBSIZE)"
      if [ "$mk" = "$rk" ]; then
        same=1
        break
      fi
      sleep 0.04
    done
    echo "   replica node $k (127.0.0.1:$port): link up to node $m, $rk keys (master $mk)"
    if [ "$same" != 1 ]; then
      status=1
    fi
  done
  for m in $(seq 0 $((new_nodes - 1))); do
    stats="$(redis-cli -p "${new_ports[$m]}" INFO stats)"
    full="$(echo "$stats" | grep '^sync_full:' | cut -d: -f2 | tr -d '\r')"
    partial="$(echo "$stats" | grep '^sync_partial_ok:' | cut -d: -f2 | tr -d '\r')"
    layout=dump.rdb
    if [ -d "$work/new/node-$m/appendonlydir" ]; then
      layout=appendonlydir
    fi
    echo "   master node $m ($layout): sync_full:$full sync_partial_ok:$partial"
    if [ "$layout" = dump.rdb ] && [ "$full" != 0 ]; then
      status=1
    fi
  done
  if [ -d "$work/new/node-0/appendonlydir" ]; then
    echo "   (appendonlydir outputs: redis-server reads no replication fields from an AOF, so"
    echo "    their replicas full-sync; SHARDKIT_DEMO_AOF_NODE=none gives dump.rdb outputs)"
  fi
  step_done
fi

step "8. the verdict: shardkit check --plan plan.json --report recover.json --sample $sample --endpoints $running_endpoints"
set +e
# In the work directory: the plan names the old volumes (the sources whose
# keys check samples) relative to it. Mismatches: the first 20 lines (all
# in logs/check.err, kept with SHARDKIT_DEMO_KEEP=1), then check's summary.
(cd "$work" && "$shardkit" check --plan plan.json --report recover.json --sample "$sample" \
  --endpoints "$running_endpoints") 2> "$work/logs/check.err"
check_status="$?"
grep '^mismatch' "$work/logs/check.err" | head -n 20 | sed 's/^/   /'
grep -v '^mismatch' "$work/logs/check.err" | sed 's/^/   /'
set -e
if [ "$check_status" -ne 0 ]; then
  echo "   shardkit check: exit $check_status"
  status=1
fi
step_done

print_timings
echo
if [ "$status" -eq 0 ]; then
  echo "== demo passed: shardkit check found the new $new_nodes-node cluster as planned, with the old cluster's keys (--sample $sample)"
  if [ "$new_replicas" -gt 0 ]; then
    echo "   and its $((new_total - new_nodes)) replicas are linked to their masters"
  fi
else
  echo "== demo FAILED (see above)"
fi
exit "$status"
