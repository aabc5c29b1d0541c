#!/usr/bin/env bash
# Smoke run of the extraction, fused, batch, memory and preset benchmarks on small
# inputs (FEATPOOL_BENCH_SMOKE): they run and print the JSON counters
# tools/bench/compare.py reads. No timing is checked. Skipped when the
# benchmarks were not built (no libbenchmark-dev).
source "$(dirname "$0")/common.sh"
: "${FEATPOOL_BUILD_DIR:?}"
BENCH="$FEATPOOL_BUILD_DIR/tools/bench"
if [[ ! -x "$BENCH/featpool-bench" ]]; then
  skip "benchmarks not built: install libbenchmark-dev"
fi
export FEATPOOL_BENCH_SMOKE=1 TMPDIR="$TEST_TMPDIR"
bench() {  # bench NAME FILTER
  "$BENCH/featpool-$1-bench" --benchmark_filter="$2" --benchmark_min_time=0.001 \
    --benchmark_format=json >"$1.json"
}
bench extract 'BM_Extract/fbank80|BM_Streaming10ms/spectrogram|BM_FileToNpy'
bench fused 'BM_Fused'
bench batch 'BM_Batch'
bench memory 'seconds:60/'
bench preset 'BM_Preset/'
# The streaming memory program on its own, under the peak-RSS runner.
"$BENCH/featpool-peak-rss" peak.json "$BENCH/featpool-stream-memory" 2 >stream.json
# Nothing may be left in the scratch directory (the benchmarks clean up).
leftover=$(find . -mindepth 1 -maxdepth 1 -name 'featpool-bench-*')
[[ -z "$leftover" ]] || fail "left behind: $leftover"

PRESET_DIR="$FEATPOOL_SOURCE_DIR/data/conf/presets" "$PY" - <<'PY'
import json

def runs(name, expected, counters):
    rs = json.load(open(name + ".json"))["benchmarks"]
    names = sorted(r["name"] for r in rs)
    assert names == sorted(expected), (name, names)
    for r in rs:
        assert not r.get("error_occurred"), r
        for c in counters:
            assert r[c] > 0, (c, r)
    return {r["name"]: r for r in rs}

runs("extract", ["BM_Extract/fbank80", "BM_Streaming10ms/spectrogram", "BM_FileToNpy/real_time"],
     ["x_realtime"])
runs("fused", ["BM_Fused/%s/%s" % (p, k) for p in ("offline", "streaming")
               for k in ("extract", "extract_max2x2")], ["x_realtime"])
runs("batch", ["BM_Batch/jobs:1/real_time", "BM_Batch/jobs:2/real_time"],
     ["files/s", "x_realtime"])
# Every preset file has its benchmark, and each ran (frames counted).
import os
presets = sorted(f[:-5] for f in os.listdir(os.environ["PRESET_DIR"]) if f.endswith(".conf"))
runs("preset", ["BM_Preset/" + p for p in presets], ["x_realtime", "us_per_frame", "frames"])
commands = ["BM_CommandMemory/seconds:60/output:%d/pooled:%d/iterations:1/real_time" % (o, p)
            for o in range(3) for p in range(2)]
mem = runs("memory", commands + ["BM_StreamMemory/seconds:60/iterations:1/real_time"],
           ["peak_rss_MiB"])
# 60 s of 80-bin fbank: 5998 frames of 80 float32 and the .npy header; the
# ark record has an 18-byte header ("in \0BFM " and two sizes); pooled 2x2:
# 2999 rows of 40.
for o, header in ((0, 128), (1, 18), (2, 128)):
    for p, rows, cols in ((0, 5998, 80), (1, 2999, 40)):
        cmd = mem[commands[2 * o + p]]
        assert abs(cmd["output_MiB"] - (rows * cols * 4 + header) / 2**20) < 1e-3, cmd
stream = json.load(open("stream.json"))
assert stream["seconds"] == 2.0 and stream["frames"] == 198 and stream["rows"] == 99, stream
assert stream["peak_rss_kib"] > 0, stream
peak = json.load(open("peak.json"))
assert peak["status"] == 0 and peak["peak_rss_kib"] > 0, peak
print("test-bench: every benchmark ran")
PY
