#!/usr/bin/env bash
# Smoke run of the pooling benchmark (a second or two): it runs, prints JSON
# that tools/bench/compare_pool.py can read, and its counters are sane.
# Skipped when the benchmarks were not built (no libbenchmark-dev).
source "$(dirname "$0")/common.sh"
: "${FEATPOOL_BUILD_DIR:?}"
BENCH="$FEATPOOL_BUILD_DIR/tools/bench/featpool-pool-bench"
if [[ ! -x "$BENCH" ]]; then
  skip "benchmarks not built: install libbenchmark-dev"
fi
"$BENCH" --benchmark_filter='BM_Pool/mode:[01]/kernel:32/stride:1|BM_Memcpy' \
  --benchmark_min_time=0.01 --benchmark_format=json >bench.json
"$PY" - <<'PY'
import json
runs = json.load(open("bench.json"))["benchmarks"]
names = [r["name"] for r in runs]
assert any(n.startswith("BM_Memcpy") for n in names), names
pools = [r for r in runs if r["name"].startswith("BM_Pool/")]
assert len(pools) == 2, names
for r in pools:
    assert r["cpu_time"] > 0 and r["in_MB/s"] > 0 and r["out_elems/s"] > 0, r
print("test-pool-bench: %d benchmarks ran" % len(runs))
PY
