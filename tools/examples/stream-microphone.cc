// Streams an audio file through featpool as a live microphone would deliver
// it: the audio arrives in 10 ms chunks (--chunk-ms), each chunk is fed to an
// OnlineExtractor and, with --pool=MODE, its new frames to an OnlinePooler;
// every row is printed the moment it becomes available, with its time in the
// audio and the audio time at which it could be produced. --realtime waits
// for each chunk as a real microphone would make the program wait.
//
//   stream-microphone data/speech-16k.wav --num-mel-bins=40 --pool=max --pool-kernel=2x2
//
// Output: a '#' line stating the latency, then one line per row (tab
// separated):
//   row  start_s  ready_s  v0 v1 ...
// start_s: time of the first sample under the row (feature frame or pooling
// window, 0 for stats); ready_s: how much audio had arrived when the row was
// produced (at most one chunk after its last sample, or the end of the
// stream for rows that need it).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <thread>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/error.h"
#include "featpool/feature-flags.h"
#include "featpool/online-feature.h"
#include "featpool/online-pooler.h"
#include "featpool/option-flags.h"
#include "featpool/stage.h"

namespace featpool {
namespace {

struct Settings {
  cli::FeatureFlags features;
  cli::PoolFlagSet pool{"pool-"};
  cli::StageFlagSet stages;
  std::string input;
  double chunk_ms = 10.0;
  bool realtime = false;
  int precision = 6;
};

void PrintRow(int64_t row, double start_s, double ready_s, const float* values, int64_t dim,
              int precision) {
  std::printf("%lld\t%.4f\t%.4f", static_cast<long long>(row), start_s, ready_s);
  for (int64_t i = 0; i < dim; ++i) std::printf("\t%.*g", precision, values[i]);
  std::printf("\n");
  std::fflush(stdout);  // rows appear as they are produced
}

// First feature frame under pooled row `row` (may be negative: padding).
int64_t FirstFrameOfRow(int64_t row, const PoolOptions& opts) {
  switch (opts.mode) {
    case PoolMode::kStack:
      return row * opts.stack_stride - (opts.stack_frames - 1) / 2;
    case PoolMode::kStats:
      return 0;
    default:  // max, avg, lp: PyTorch's window start, row * stride - padding
      return row * opts.EffectiveStride().time - opts.padding.time;
  }
}

int Run(const Settings& s) {
  const FeatureOptions opts = s.features.ToOptions();
  const FrameExtractionOptions& frame = opts.frame_opts();
  OnlineExtractor extractor(opts);
  // The stages after the features (--cmvn, --deltas, ..., --pool), streamed:
  // a stage that cannot stream is refused here, naming its option.
  const StageOptions stage_opts = s.stages.ToOptions(&s.pool);
  std::unique_ptr<OnlineStageChain> pooler;
  if (std::shared_ptr<const StageChain> chain = cli::MakeStageChain(opts, stage_opts)) {
    pooler = std::make_unique<OnlineStageChain>(chain, /*streaming=*/true);
  }
  const bool pooled = stage_opts.pool.has_value();

  AudioSource source(s.input, s.features.ToAudioOptions());
  if (!source.warning().empty()) std::cerr << "stream-microphone: " << source.warning() << "\n";
  const double rate = source.sample_rate();
  const int64_t chunk = std::max<int64_t>(1, static_cast<int64_t>(rate * s.chunk_ms / 1000.0));
  auto frame_start_s = [&](int64_t f) {
    return std::max<int64_t>(
               FirstSampleOfFrame(static_cast<int32_t>(std::max<int64_t>(f, 0)), frame), 0) /
           rate;
  };

  // Latency: samples needed before the first row, without the end of input.
  int64_t first_frame_needed = 1;
  if (pooler) first_frame_needed = pooler->FramesNeededForRow(0);
  std::string through;
  if (pooler) {
    for (const std::string& name : pooler->chain().Order()) {
      through += (through.empty() ? " then " : ", ") +
                 (name == "pool" ? "pooled by " + PoolModeName(stage_opts.pool->mode) : name);
    }
  }
  std::printf("# %s%s, %lld columns, %lld-sample chunks; ", FeatureTypeName(opts.type).c_str(),
              through.c_str(), static_cast<long long>(pooler ? pooler->Dim() : extractor.Dim()),
              static_cast<long long>(chunk));
  if (first_frame_needed > 0) {
    const int64_t samples =
        extractor.SamplesNeededForFrame(static_cast<int32_t>(first_frame_needed - 1));
    std::printf("first row needs %lld samples (%.4f s)", static_cast<long long>(samples),
                samples / rate);
    if (pooler) {
      std::printf(", row 10 needs %lld frame(s)",
                  static_cast<long long>(pooler->FramesNeededForRow(10)));
    }
  } else {
    std::printf("the row comes at the end of the input");
  }
  std::printf("\n# row\tstart_s\tready_s\tvalues\n");

  auto print_ready = [&]() {
    const double ready_s = extractor.NumSamplesAccepted() / rate;
    if (!pooler) {
      for (int32_t f = extractor.FirstAvailableFrame(); f < extractor.NumFramesReady(); ++f) {
        PrintRow(f, frame_start_s(f), ready_s, extractor.Frame(f), extractor.Dim(), s.precision);
      }
      extractor.ReleaseFramesBefore(extractor.NumFramesReady());  // bounded memory
      return;
    }
    pooler->AcceptFrames(extractor.ReadyFrames());
    extractor.ReleaseFramesBefore(extractor.NumFramesReady());
    if (extractor.IsFinished() && !pooler->IsFinished()) pooler->InputFinished();
    for (int64_t r = pooler->FirstAvailableRow(); r < pooler->NumRowsReady(); ++r) {
      const int64_t first = pooled ? FirstFrameOfRow(r, *stage_opts.pool) : r;
      PrintRow(r, frame_start_s(first), ready_s, pooler->Row(r), pooler->Dim(), s.precision);
    }
    pooler->ReleaseRowsBefore(pooler->NumRowsReady());
  };

  std::vector<float> buffer(static_cast<size_t>(chunk));
  auto next_chunk_time = std::chrono::steady_clock::now();
  for (;;) {
    const int64_t got = source.Read(buffer.data(), chunk);
    if (got == 0) break;
    if (s.realtime) {
      next_chunk_time += std::chrono::microseconds(static_cast<int64_t>(got * 1e6 / rate));
      std::this_thread::sleep_until(next_chunk_time);
    }
    extractor.AcceptWaveform(static_cast<float>(rate), buffer.data(), got);
    print_ready();
  }
  extractor.InputFinished();
  print_ready();
  return 0;
}

}  // namespace
}  // namespace featpool

int main(int argc, char** argv) {
  featpool::Settings s;
  CLI::App app(
      "Streams an audio file through featpool in microphone-sized chunks and prints "
      "each feature (or pooled) row as it is produced",
      "stream-microphone");
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);
  app.add_option("INPUT", s.input, "Audio file (WAV, FLAC, ...)")->required();
  app.add_option("--chunk-ms", s.chunk_ms, "Chunk length in milliseconds")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_flag("--realtime", s.realtime, "Deliver the chunks at the pace of a live microphone");
  app.add_option("--precision", s.precision, "Significant digits printed (9 round-trips float)")
      ->capture_default_str()
      ->check(CLI::Range(1, 9));
  featpool::cli::AddFeatureFlags(&app, &s.features);
  s.stages.Add(&app);
  s.pool.Add(&app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "stream-microphone: " << e.what() << "\n";
    return 2;
  }
  try {
    s.pool.CheckUnusedWhenDisabled();
    return featpool::Run(s);
  } catch (const featpool::OptionError& e) {
    std::cerr << "stream-microphone: "
              << featpool::cli::RenderOptionError(e, {&s.features.features, &s.stages, &s.pool})
              << "\n";
    return 1;
  } catch (const featpool::Error& e) {
    std::cerr << "stream-microphone: " << e.what() << "\n";
    return 1;
  }
}
