#!/usr/bin/env python3
"""Times featpool's pooling against torch on the same shapes, one thread each.

Runs the featpool-pool-bench program (Google Benchmark, JSON output) and
torch.nn.functional.max_pool2d / avg_pool2d (torch.set_num_threads(1)) on a
100000 x 80 float32 matrix, and prints both with featpool's speed-up. Times
are CPU time of the process (best of --repeat for torch), so a busy machine
disturbs them less than wall time would.

    /usr/bin/python3 tools/bench/compare_pool.py [--bench build/tools/bench/featpool-pool-bench]

tools/bench/compare.py runs this comparison too (compare()), with the rest.
"""
import argparse
import json
import os
import subprocess
import sys
import time

ROWS, COLS = 100000, 80


def run_featpool(bench, min_time):
    out = subprocess.run(
        [bench, "--benchmark_format=json", "--benchmark_filter=BM_Pool/|BM_PoolIndices/|BM_PoolMode/|BM_Memcpy",
         "--benchmark_min_time=%g" % min_time],
        check=True, stdout=subprocess.PIPE, universal_newlines=True).stdout
    results = {}
    scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
    for b in json.loads(out)["benchmarks"]:
        ms = b["cpu_time"] * scale[b["time_unit"]]
        if b["name"].startswith("BM_Memcpy"):
            results["memcpy"] = ms
            continue
        fields = dict(part.split(":") for part in b["name"].split("/")[1:])
        if b["name"].startswith("BM_PoolMode/"):
            results[("other", int(fields["which"]))] = ms
            continue
        # BM_Pool/mode:0/kernel:2/stride:2, BM_PoolIndices/kernel:2/stride:2
        if b["name"].startswith("BM_PoolIndices/"):
            mode = "max+indices"
        else:
            mode = "max" if fields["mode"] == "0" else "avg"
        key = (mode, int(fields["kernel"]), int(fields["stride"]))
        results[key] = ms
    return results


def time_torch(mode, kernel, stride, x, repeat):
    import torch.nn.functional as F
    op = F.avg_pool2d if mode == "avg" else F.max_pool2d
    extra = {"return_indices": True} if mode == "max+indices" else {}
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        op(x, kernel, stride, **extra)
        best = min(best, time.process_time() - start)
    return best * 1e3


# Torch equivalents of BM_PoolMode/which:N (same shapes as pool-bench.cc).
OTHER = [
    ("lp p=2 2x2", lambda F, torch, x: F.lp_pool2d(x, 2.0, 2)),
    ("lp p=3 4x4 stride 2", lambda F, torch, x: F.lp_pool2d(x, 3.0, 4, 2)),
    ("adaptive-avg 1000x20", lambda F, torch, x: F.adaptive_avg_pool2d(x, (1000, 20))),
    ("adaptive-max 1000x20", lambda F, torch, x: F.adaptive_max_pool2d(x, (1000, 20))),
    ("stats (mean, std)", lambda F, torch, x: torch.cat(
        torch.std_mean(x[0, 0], dim=0, unbiased=False)[::-1])),
    ("stack m=7 n=6 (LFR)", lambda F, torch, x: lfr_torch(torch, x[0, 0], 7, 6)),
]


def lfr_torch(torch, x, m, n):
    """apply_lfr's rule, vectorised: gather clamped frame indices."""
    t = x.shape[0]
    rows = -(-t // n)
    idx = (torch.arange(rows)[:, None] * n + torch.arange(m)[None, :] - (m - 1) // 2)
    return x[idx.clamp(0, t - 1)].reshape(rows, -1)


def time_op(fn, repeat):
    best = float("inf")
    for _ in range(repeat):
        start = time.process_time()
        fn()
        best = min(best, time.process_time() - start)
    return best * 1e3


def compare(bench, repeat=3, min_time=0.5):
    """Runs both and prints the table; returns {label: (featpool ms, torch ms)}."""
    import torch
    import torch.nn.functional as F
    torch.set_num_threads(1)
    torch.manual_seed(1)
    x = (torch.randn(1, 1, ROWS, COLS) * 3.0 - 8.0).contiguous()

    ours = run_featpool(bench, min_time)
    memcpy_ms = ours["memcpy"]
    in_mb = ROWS * COLS * 4 / 1e6
    results = {"memcpy": (memcpy_ms, None)}
    print("100000 x 80 float32, one thread, CPU ms (featpool: Google Benchmark mean; "
          "torch %s: best of %d)" % (torch.__version__, repeat))
    print("memcpy of the matrix: %.2f ms (%.0f MB/s)" % (memcpy_ms, in_mb / memcpy_ms * 1e3))
    print("%-26s %12s %10s %10s %12s %9s" % ("pooling", "featpool ms", "MB/s", "% memcpy",
                                              "torch ms", "speed-up"))
    order = {"max": 0, "avg": 1, "max+indices": 2}
    keys = sorted((k for k in ours if k != "memcpy" and k[0] != "other"),
                  key=lambda k: (order[k[0]], k[1], -k[2]))
    rows = []
    for mode, kernel, stride in keys:
        label = "%s %dx%d stride %d" % (mode, kernel, kernel, stride)
        rows.append((label, ours[(mode, kernel, stride)],
                     lambda m=mode, k=kernel, s=stride: time_torch(m, k, s, x, repeat)))
    for which, (label, op) in enumerate(OTHER):
        if ("other", which) in ours:
            rows.append((label, ours[("other", which)],
                         lambda op=op: time_op(lambda: op(F, torch, x), repeat)))
    for label, ms, torch_time in rows:
        torch_ms = torch_time()
        results[label] = (ms, torch_ms)
        print("%-26s %12.2f %10.0f %9.0f%% %12.1f %8.1fx" % (
            label, ms, in_mb / ms * 1e3, 100.0 * memcpy_ms / ms, torch_ms, torch_ms / ms))
        sys.stdout.flush()
    return results


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "build", "tools", "bench", "featpool-pool-bench")
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", default=default, help="featpool-pool-bench program")
    parser.add_argument("--repeat", type=int, default=3, help="torch runs per shape (best)")
    parser.add_argument("--min-time", type=float, default=0.5,
                        help="featpool: --benchmark_min_time per shape (s)")
    args = parser.parse_args()
    compare(args.bench, args.repeat, args.min_time)


if __name__ == "__main__":
    main()
