#!/usr/bin/env bash
# How far a plan balanced on estimated slot bytes (plan --estimate: each RDB
# part read up to its first db, its size spread over the shard's slots) is
# from the exact plan (every key record read), and what each flow reads.
#
#   bench/plan_estimate_vs_exact.sh NAME [NODES...]     (default: 2 5 7)
#
# Dataset NAME from bench/recover_make_volumes.sh or
# bench/plan_make_skewed_volumes.sh. For each node count: plan (exact) and
# recover; plan --estimate and recover. Prints, per node, the bytes recover
# wrote (its report's rdb_bytes) under each plan, the largest difference
# between the two plans' node sizes (relative to the exact plan's node), each
# plan's imbalance (largest node / mean), and the flow's bytes read: plan's
# scan_bytes_read + recover's source_bytes_read, over the sources' bytes.
# Byte counts, not times: the figures do not depend on the machine's load.
set -euo pipefail
source "$(dirname "$0")/recover_lib.sh"
name="$1"
shift
counts=("$@")
[ "${#counts[@]}" -gt 0 ] || counts=(2 5 7)
dir="$bench_data/$name"
run="$dir/estimate-run"
trap 'rm -rf "$run"' EXIT
volumes=("$dir"/volumes/node-*)
print_environment
echo "# dataset $name: $(total_bytes "$dir"/volumes/node-*/dump.rdb) source bytes, $(git -C "$bench_repo" rev-parse --short HEAD)"
for n in "${counts[@]}"; do
  for mode in exact estimate; do
    rm -rf "$run/$mode"
    mkdir -p "$run/$mode"
    extra=()
    [ "$mode" = estimate ] && extra=(--estimate)
    "$shardkit" plan --nodes "$n" "${extra[@]}" --out "$run/$mode/plan.json" "${volumes[@]}" 2> "$run/$mode/plan.err"
    "$shardkit" recover --plan "$run/$mode/plan.json" --out "$run/$mode/out" --json > "$run/$mode/report.json"
  done
  python3 - "$run" "$n" <<'PY'
import json, sys
run, n = sys.argv[1], int(sys.argv[2])
def load(mode):
    plan = json.load(open(f"{run}/{mode}/plan.json"))
    report = json.load(open(f"{run}/{mode}/report.json"))
    sizes = [node["rdb_bytes"] for node in report["nodes"]]
    source = sum(f["bytes"] for s in plan["sources"] for f in s["files"])
    read = plan["scan_bytes_read"] + report["source_bytes_read"]
    return sizes, source, read, plan["scan_bytes_read"], report["source_bytes_read"]
ex, src, ex_read, ex_scan, ex_rec = load("exact")
es, _, es_read, es_scan, es_rec = load("estimate")
dev = max(abs(a - b) / b for a, b in zip(es, ex))
mean = sum(ex) / n
print(f"nodes {n}: node bytes exact {ex}")
print(f"          estimate {es}")
print(f"  largest node difference {100 * dev:.2f}% of the exact plan's node;"
      f" imbalance (largest/mean) exact {max(ex) / mean:.3f}, estimate {max(es) / (sum(es) / n):.3f}")
print(f"  bytes read / source bytes: exact {ex_read / src:.3f} (plan {ex_scan}, recover {ex_rec}),"
      f" estimate {es_read / src:.3f} (plan {es_scan}, recover {es_rec}); sources {src}")
PY
done
