// Batch scaling: the code path of `featpool extract DIR -o OUT/ -j N`
// (RunBatch, featpool/batch.h) on 200 short files (3 to 7 s of speech, 1000 s in all) of
// 80-bin fbank, one .npy per file plus the manifest, with 1 and 2 worker
// threads. Wall time, since the work is spread over threads; "files/s" and
// "x_realtime" (audio seconds per wall second) are per run. The speed-up is
// BM_Batch/jobs:2 over BM_Batch/jobs:1 (compare.py prints it).
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "bench-audio.h"
#include "bench-counters.h"
#include "featpool/batch.h"

namespace featpool {
namespace {

// 200 files (8 in a smoke run).
int Files() { return bench::Smoke() ? 8 : 200; }

// The inputs, written once (removed at exit): file i holds 3 + i % 5 seconds,
// each from a different place in the sample.
struct BatchInputs {
  bench::ScratchDir dir;
  double seconds = 0.0;

  BatchInputs() {
    std::filesystem::create_directory(dir.File("in"));
    for (int i = 0; i < Files(); ++i) {
      const int64_t samples = static_cast<int64_t>((3 + i % 5) * bench::kRate);
      char name[32];
      std::snprintf(name, sizeof(name), "in/utt%03d.wav", i);
      bench::WriteSpeechWav(dir.File(name), samples, static_cast<int64_t>(i) * 7919);
      seconds += static_cast<double>(samples) / bench::kRate;
    }
  }
  static const BatchInputs& Get() {
    static const BatchInputs inputs;
    return inputs;
  }
};

void BM_Batch(benchmark::State& state) {
  const BatchInputs& inputs = BatchInputs::Get();
  const bench::ScratchDir& dir = inputs.dir;
  BatchConfig config;
  config.inputs = {dir.File("in")};
  config.output = dir.File("out/");
  config.jobs = static_cast<int32_t>(state.range(0));
  config.features.fbank.mel_opts.num_bins = 80;
  config.options_text = "feature=fbank\nnum-mel-bins=80\n";
  int failed = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::filesystem::remove_all(dir.File("out"));
    state.ResumeTiming();
    failed += RunBatch(config).exit_status;
  }
  if (failed != 0) state.SkipWithError("a batch run failed");
  state.counters["files/s"] =
      benchmark::Counter(static_cast<double>(Files()) * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
  bench::SetRealTime(state, inputs.seconds);
}
BENCHMARK(BM_Batch)->Arg(1)->Arg(2)->ArgName("jobs")->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace featpool
