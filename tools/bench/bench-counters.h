// Counters shared by the benchmarks.
#ifndef FEATPOOL_TOOLS_BENCH_BENCH_COUNTERS_H_
#define FEATPOOL_TOOLS_BENCH_BENCH_COUNTERS_H_

#include <benchmark/benchmark.h>

namespace featpool {
namespace bench {

// "x_realtime": seconds of audio per second of the benchmark's time (CPU
// time, or wall time with UseRealTime()).
inline void SetRealTime(benchmark::State& state, double seconds_per_iteration) {
  state.counters["x_realtime"] = benchmark::Counter(
      seconds_per_iteration * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

}  // namespace bench
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_BENCH_BENCH_COUNTERS_H_
