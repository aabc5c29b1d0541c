// Streams a WAV file through featpool as a live microphone would deliver it:
// the audio arrives in 10 ms chunks (--chunk-ms), each chunk is fed to an
// OnlineExtractor, and every feature row is printed the moment it becomes
// available, with its time in the audio and the time at which it could be
// produced (how much audio had arrived). --realtime waits for each chunk as
// a real microphone would make the program wait.
//
//   stream-microphone data/speech-16k.wav --num-mel-bins=40
//
// Output, one line per row (tab separated):
//   frame  start_s  ready_s  v0 v1 ...
// frame: row number; start_s: time of the row's first sample; ready_s: audio
// time when the row was produced (start_s + frame length, or the end of the
// stream for the last frames with --snip-edges=false).
#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <thread>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/error.h"
#include "featpool/feature-flags.h"
#include "featpool/online-feature.h"

namespace featpool {
namespace {

struct Settings {
  cli::FeatureFlags flags;
  std::string input;
  double chunk_ms = 10.0;
  bool realtime = false;
  int precision = 6;
};

class RowPrinter {
 public:
  explicit RowPrinter(int precision) : precision_(precision) {}

  void Print(int64_t row, double start_s, double ready_s, const float* values, int64_t dim) {
    std::printf("%lld\t%.4f\t%.4f", static_cast<long long>(row), start_s, ready_s);
    for (int64_t i = 0; i < dim; ++i) std::printf("\t%.*g", precision_, values[i]);
    std::printf("\n");
    std::fflush(stdout);  // rows appear as they are produced
  }

 private:
  int precision_;
};

int Run(const Settings& s) {
  const FeatureOptions opts = s.flags.ToOptions();
  const FrameExtractionOptions& frame = opts.frame_opts();
  AudioSource source(s.input, s.flags.ToAudioOptions());
  if (!source.warning().empty()) std::cerr << "stream-microphone: " << source.warning() << "\n";
  const double rate = source.sample_rate();
  const int64_t chunk = std::max<int64_t>(1, static_cast<int64_t>(rate * s.chunk_ms / 1000.0));

  OnlineExtractor extractor(opts);
  RowPrinter printer(s.precision);
  std::printf("# %s, %d columns, %lld-sample chunks; frame\tstart_s\tready_s\tvalues\n",
              FeatureTypeName(opts.type).c_str(), extractor.Dim(), static_cast<long long>(chunk));

  auto print_ready = [&]() {
    const double ready_s = extractor.NumSamplesAccepted() / rate;
    for (int32_t f = extractor.FirstAvailableFrame(); f < extractor.NumFramesReady(); ++f) {
      const double start_s = std::max<int64_t>(FirstSampleOfFrame(f, frame), 0) / rate;
      printer.Print(f, start_s, ready_s, extractor.Frame(f), extractor.Dim());
    }
    extractor.ReleaseFramesBefore(extractor.NumFramesReady());  // bounded memory
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
  using featpool::Settings;
  Settings s;
  CLI::App app("Streams an audio file through featpool in microphone-sized chunks and prints "
               "each feature row as it is produced",
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
  featpool::cli::AddFeatureFlags(&app, &s.flags);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);
    std::cerr << "stream-microphone: " << e.what() << "\n";
    return 2;
  }
  try {
    return featpool::Run(s);
  } catch (const featpool::Error& e) {
    std::cerr << "stream-microphone: " << e.what() << "\n";
    return 1;
  }
}
