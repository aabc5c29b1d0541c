// featpool-stream-memory SECONDS: the memory of the streaming API over a long
// stream. Feeds SECONDS of speech (the 16 kHz sample speech tiled, made on
// the fly, so no input grows with SECONDS) in 10 ms chunks to an
// OnlineExtractor (80-bin fbank) whose frames go to an OnlinePooler (max
// 2x2); frames and pooled rows are released as soon as they are consumed,
// as a live application would. Prints one JSON line:
//   {"seconds": S, "frames": F, "rows": R, "rss_before_kib": B,
//    "peak_rss_kib": P, "cpu_seconds": C, "x_realtime": X}
// where the RSS figures are the process's high-water mark (VmHWM of
// /proc/self/status: binary, shared libraries and the sample included)
// before streaming and at the end. (Not getrusage(): its ru_maxrss also
// counts the parent's memory when the parent was larger at the exec.) The
// memory benchmark (memory-bench.cc) runs it.
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <string>
#include <vector>

#include "bench-audio.h"
#include "featpool/featpool.h"

namespace {

long PeakRssKib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atol(line.c_str() + 6);  // "VmHWM: N kB"
  }
  return -1;
}

double CpuSeconds() {
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
}

int Run(double seconds) {
  using namespace featpool;
  FeatureOptions feature_opts;
  feature_opts.fbank.mel_opts.num_bins = 80;
  PoolOptions pool_opts;
  pool_opts.mode = PoolMode::kMax;
  pool_opts.kernel = {2, 2};
  bench::SampleSpeech();  // read before the baseline

  const long rss_before = PeakRssKib();
  const double cpu_before = CpuSeconds();
  OnlineExtractor extractor(feature_opts);
  OnlinePooler pooler(pool_opts, extractor.Dim());
  constexpr int64_t kChunk = 160;  // 10 ms
  std::vector<float> chunk(kChunk);
  const int64_t total = static_cast<int64_t>(seconds * bench::kRate);
  float checksum = 0.0f;
  int64_t rows = 0;
  auto consume = [&]() {
    const int32_t ready = extractor.NumFramesReady();
    if (ready > extractor.FirstAvailableFrame()) {
      pooler.AcceptFrames(extractor.ReadyFrames());
      extractor.ReleaseFramesBefore(ready);
    }
    for (int64_t r = pooler.FirstAvailableRow(); r < pooler.NumRowsReady(); ++r) {
      checksum += pooler.Row(r)[0];
      ++rows;
    }
    pooler.ReleaseRowsBefore(pooler.NumRowsReady());
  };
  for (int64_t pos = 0; pos < total; pos += kChunk) {
    const int64_t n = std::min(kChunk, total - pos);
    bench::TiledSpeech(pos, n, chunk.data());
    extractor.AcceptWaveform(bench::kRate, chunk.data(), n);
    consume();
  }
  extractor.InputFinished();
  consume();
  pooler.InputFinished();
  consume();
  const double cpu = CpuSeconds() - cpu_before;
  std::printf(
      "{\"seconds\": %.1f, \"frames\": %d, \"rows\": %lld, \"rss_before_kib\": %ld, "
      "\"peak_rss_kib\": %ld, \"cpu_seconds\": %.3f, \"x_realtime\": %.0f, \"checksum\": %g}\n",
      seconds, extractor.NumFramesReady(), static_cast<long long>(rows), rss_before, PeakRssKib(),
      cpu, cpu > 0 ? seconds / cpu : 0.0, static_cast<double>(checksum));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || std::atof(argv[1]) <= 0) {
    std::fprintf(stderr, "usage: featpool-stream-memory SECONDS\n");
    return 2;
  }
  try {
    return Run(std::atof(argv[1]));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "featpool-stream-memory: %s\n", e.what());
    return 1;
  }
}
