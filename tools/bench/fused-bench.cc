// Fused extraction + pooling against extraction alone, on the same 600 s of
// speech (80-bin fbank, max pooling 2x2), measured side by side in one run:
// - BM_Fused/offline/*: ComputeFeatures, then Pooler::Apply into a Matrix,
//   the library calls of `featpool extract --pool=max --pool-kernel=2x2`.
// - BM_Fused/streaming/*: an OnlineExtractor fed 10 ms chunks, its frames
//   passed to an OnlinePooler as they are ready; frames and pooled rows are
//   released as a consumer would.
// The cost of pooling is the ratio of each pair's times (compare.py prints
// it). Counters: "x_realtime" is seconds of audio per second of CPU.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <vector>

#include "bench-audio.h"
#include "bench-counters.h"
#include "featpool/featpool.h"

namespace featpool {
namespace {

using bench::kRate;

FeatureOptions Fbank80() {
  FeatureOptions opts;
  opts.fbank.mel_opts.num_bins = 80;
  return opts;
}

PoolOptions Max2x2() {
  PoolOptions opts;
  opts.mode = PoolMode::kMax;
  opts.kernel = {2, 2};
  return opts;
}

void BM_FusedOffline(benchmark::State& state, bool pool) {
  const std::vector<float>& wave = bench::LongSpeech();
  const FeatureOptions opts = Fbank80();
  const Pooler pooler(Max2x2());
  for (auto _ : state) {
    Matrix features = ComputeFeatures(opts, kRate, wave.data(), static_cast<int64_t>(wave.size()));
    if (pool) {
      Matrix pooled;
      pooler.Apply(features.View(), &pooled);
      benchmark::DoNotOptimize(pooled.data());
    }
    benchmark::DoNotOptimize(features.data());
  }
  bench::SetRealTime(state, bench::LongSeconds());
}
BENCHMARK_CAPTURE(BM_FusedOffline, extract, false)
    ->Name("BM_Fused/offline/extract")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FusedOffline, extract_pool, true)
    ->Name("BM_Fused/offline/extract_max2x2")
    ->Unit(benchmark::kMillisecond);

void BM_FusedStreaming(benchmark::State& state, bool pool) {
  const std::vector<float>& wave = bench::LongSpeech();
  const int64_t total = static_cast<int64_t>(wave.size());
  const FeatureOptions opts = Fbank80();
  constexpr int64_t kChunk = 160;  // 10 ms
  for (auto _ : state) {
    OnlineExtractor extractor(opts);
    OnlinePooler pooler(Max2x2(), extractor.Dim());
    float checksum = 0.0f;
    auto consume = [&]() {
      const int32_t ready = extractor.NumFramesReady();
      if (ready == extractor.FirstAvailableFrame()) return;
      if (pool) {
        pooler.AcceptFrames(extractor.ReadyFrames());
        if (pooler.NumRowsReady() > pooler.FirstAvailableRow()) {
          checksum += pooler.Row(pooler.NumRowsReady() - 1)[0];
          pooler.ReleaseRowsBefore(pooler.NumRowsReady());
        }
      } else {
        checksum += extractor.Frame(ready - 1)[0];
      }
      extractor.ReleaseFramesBefore(ready);
    };
    for (int64_t pos = 0; pos < total; pos += kChunk) {
      extractor.AcceptWaveform(kRate, wave.data() + pos, std::min(kChunk, total - pos));
      consume();
    }
    extractor.InputFinished();
    consume();
    if (pool) pooler.InputFinished();
    benchmark::DoNotOptimize(checksum);
  }
  bench::SetRealTime(state, bench::LongSeconds());
}
BENCHMARK_CAPTURE(BM_FusedStreaming, extract, false)
    ->Name("BM_Fused/streaming/extract")
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_FusedStreaming, extract_pool, true)
    ->Name("BM_Fused/streaming/extract_max2x2")
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace featpool
