// Pooling throughput on a 100000 x 80 float32 matrix (about 1000 s of 80-bin
// fbank at 10 ms), single thread, against memcpy of the same matrix as the
// bandwidth reference. Counters: "in_MB/s" is input megabytes (1e6) read per
// second, "out_elems/s" pooled values written per second.
//   featpool-pool-bench [--benchmark_filter=max] [--benchmark_format=json]
// tools/bench/compare_pool.py runs this and torch on the same shapes.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "featpool/pooler.h"

namespace featpool {
namespace {

constexpr int64_t kRows = 100000;
constexpr int64_t kCols = 80;

const Matrix& Input() {
  static const Matrix m = [] {
    Matrix x(kRows, kCols);
    std::mt19937 rng(1);
    std::normal_distribution<float> normal(-8.0f, 3.0f);  // log-mel-like values
    for (int64_t i = 0; i < kRows * kCols; ++i) x.data()[i] = normal(rng);
    return x;
  }();
  return m;
}

void SetRates(benchmark::State& state, int64_t out_elements) {
  const double in_mb = static_cast<double>(kRows * kCols * sizeof(float)) / 1e6;
  state.counters["in_MB/s"] = benchmark::Counter(in_mb * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
  state.counters["out_elems/s"] = benchmark::Counter(
      static_cast<double>(out_elements) * static_cast<double>(state.iterations()),
      benchmark::Counter::kIsRate);
}

// args: mode (0 max, 1 avg), kernel, stride (same on both axes).
void BM_Pool(benchmark::State& state) {
  PoolOptions opts;
  opts.mode = state.range(0) == 0 ? PoolMode::kMax : PoolMode::kAvg;
  opts.kernel = {state.range(1), state.range(1)};
  opts.stride = PoolSize{state.range(2), state.range(2)};
  const Pooler pooler(opts);
  const Matrix& in = Input();
  const PoolSize shape = pooler.OutputShape(kRows, kCols);
  std::vector<float> out(static_cast<size_t>(shape.time * shape.freq));
  for (auto _ : state) {
    pooler.Apply(in.View(), out.data(), nullptr);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetLabel(std::string(state.range(0) == 0 ? "max" : "avg") + " " +
                 std::to_string(state.range(1)) + "x" + std::to_string(state.range(1)) +
                 " stride " + std::to_string(state.range(2)));
  SetRates(state, shape.time * shape.freq);
}

void PoolArgs(benchmark::internal::Benchmark* b) {
  for (int mode : {0, 1}) {
    for (auto ks : std::vector<std::pair<int, int>>{
             {2, 2}, {2, 1}, {3, 2}, {8, 8}, {8, 1}, {32, 32}, {32, 1}}) {
      b->Args({mode, ks.first, ks.second});
    }
  }
  b->ArgNames({"mode", "kernel", "stride"});
  b->Unit(benchmark::kMillisecond);
}
BENCHMARK(BM_Pool)->Apply(PoolArgs);

void BM_PoolIndices(benchmark::State& state) {
  PoolOptions opts;
  opts.kernel = {state.range(0), state.range(0)};
  opts.stride = PoolSize{state.range(1), state.range(1)};
  const Pooler pooler(opts);
  const Matrix& in = Input();
  const PoolSize shape = pooler.OutputShape(kRows, kCols);
  std::vector<float> out(static_cast<size_t>(shape.time * shape.freq));
  std::vector<int64_t> indices(out.size());
  for (auto _ : state) {
    pooler.Apply(in.View(), out.data(), indices.data());
    benchmark::DoNotOptimize(indices.data());
  }
  SetRates(state, shape.time * shape.freq);
}
BENCHMARK(BM_PoolIndices)
    ->Args({2, 2})
    ->Args({8, 1})
    ->ArgNames({"kernel", "stride"})
    ->Unit(benchmark::kMillisecond);

// The other modes, one shape each (compare_pool.py times torch on the same):
// 0 lp p=2 2x2, 1 lp p=3 4x4 stride 2, 2 adaptive-avg to 1000x20,
// 3 adaptive-max to 1000x20, 4 stats, 5 stack m=7 n=6.
PoolOptions OtherMode(int64_t which) {
  PoolOptions o;
  switch (which) {
    case 0:
      o.mode = PoolMode::kLp;
      o.kernel = {2, 2};
      break;
    case 1:
      o.mode = PoolMode::kLp;
      o.norm_type = 3.0;
      o.kernel = {4, 4};
      o.stride = PoolSize{2, 2};
      break;
    case 2:
    case 3:
      o.mode = which == 2 ? PoolMode::kAdaptiveAvg : PoolMode::kAdaptiveMax;
      o.output_size = PoolSize{1000, 20};
      break;
    case 4:
      o.mode = PoolMode::kStats;
      break;
    default:
      o.mode = PoolMode::kStack;
      break;
  }
  return o;
}

void BM_PoolMode(benchmark::State& state) {
  const Pooler pooler(OtherMode(state.range(0)));
  const Matrix& in = Input();
  const PoolSize shape = pooler.OutputShape(kRows, kCols);
  std::vector<float> out(static_cast<size_t>(shape.time * shape.freq));
  for (auto _ : state) {
    pooler.Apply(in.View(), out.data(), nullptr);
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetRates(state, shape.time * shape.freq);
}
BENCHMARK(BM_PoolMode)->DenseRange(0, 5)->ArgNames({"which"})->Unit(benchmark::kMillisecond);

// The bandwidth reference: reading and writing the same matrix once.
void BM_Memcpy(benchmark::State& state) {
  const Matrix& in = Input();
  std::vector<float> out(static_cast<size_t>(kRows * kCols));
  for (auto _ : state) {
    std::memcpy(out.data(), in.data(), out.size() * sizeof(float));
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  SetRates(state, kRows * kCols);
}
BENCHMARK(BM_Memcpy)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace featpool
