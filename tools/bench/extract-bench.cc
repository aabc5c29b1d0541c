// Extraction benchmarks: offline fbank/MFCC/spectrogram/melspectrogram, the streaming path in
// 10 ms chunks, and the whole file-to-.npy path, on 600 s of the sample speech
// (tiled). Counters: "x_realtime" is seconds of audio per second of CPU.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "bench-audio.h"
#include "bench-counters.h"
#include "featpool/featpool.h"

namespace featpool {
namespace {

using bench::kRate;
using bench::LongSpeech;
using bench::SetRealTime;

FeatureOptions Options(FeatureType type) {
  FeatureOptions opts;
  opts.type = type;
  opts.fbank.mel_opts.num_bins = 80;
  // Whisper's per-frame part: 10 ms hop, 400-point FFT, 80 Slaney mels, log10.
  opts.melspectrogram.hop_length = 160;
  opts.melspectrogram.n_mels = 80;
  opts.melspectrogram.mel_scale = MelScaleType::kSlaney;
  opts.melspectrogram.norm = MelNorm::kSlaney;
  opts.melspectrogram.log = MelLog::kLog10;
  return opts;
}

void BM_Extract(benchmark::State& state, FeatureType type) {
  const std::vector<float>& wave = LongSpeech();
  const FeatureOptions opts = Options(type);
  for (auto _ : state) {
    Matrix features = ComputeFeatures(opts, kRate, wave.data(), static_cast<int64_t>(wave.size()));
    benchmark::DoNotOptimize(features.data());
  }
  SetRealTime(state, bench::LongSeconds());
}
BENCHMARK_CAPTURE(BM_Extract, fbank80, FeatureType::kFbank)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Extract, mfcc13, FeatureType::kMfcc)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Extract, spectrogram, FeatureType::kSpectrogram)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Extract, melspectrogram80, FeatureType::kMelSpectrogram)
    ->Unit(benchmark::kMillisecond);

// A microphone's 10 ms chunks; the caller releases frames as it consumes them.
// Nothing grows with the input, so beside BM_Extract (whose output is new
// memory the kernel must fault in and zero: 62 MB for the spectrogram) this
// shows each feature's computation alone.
void BM_Streaming10ms(benchmark::State& state, FeatureType type) {
  const std::vector<float>& wave = LongSpeech();
  const FeatureOptions opts = Options(type);
  const int64_t chunk = 160;
  for (auto _ : state) {
    OnlineExtractor extractor(opts);
    float checksum = 0.0f;
    for (int64_t pos = 0; pos < static_cast<int64_t>(wave.size()); pos += chunk) {
      extractor.AcceptWaveform(kRate, wave.data() + pos,
                               std::min<int64_t>(chunk, static_cast<int64_t>(wave.size()) - pos));
      const int32_t ready = extractor.NumFramesReady();
      if (ready > extractor.FirstAvailableFrame()) {
        checksum += extractor.Frame(ready - 1)[0];
        extractor.ReleaseFramesBefore(ready);
      }
    }
    extractor.InputFinished();
    benchmark::DoNotOptimize(checksum);
  }
  SetRealTime(state, bench::LongSeconds());
}
BENCHMARK_CAPTURE(BM_Streaming10ms, fbank80, FeatureType::kFbank)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Streaming10ms, mfcc13, FeatureType::kMfcc)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Streaming10ms, spectrogram, FeatureType::kSpectrogram)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Streaming10ms, melspectrogram80, FeatureType::kMelSpectrogram)
    ->Unit(benchmark::kMillisecond);

// File in, .npy out: decoding, extraction and writing, as `featpool extract`.
void BM_FileToNpy(benchmark::State& state) {
  const bench::ScratchDir dir;
  const std::string wav = dir.File("long.wav");
  const std::string npy = dir.File("long.npy");
  bench::WriteSpeechWav(wav, static_cast<int64_t>(bench::LongSeconds() * kRate));
  const FeatureOptions opts = Options(FeatureType::kFbank);
  for (auto _ : state) {
    FileFeatures result = ExtractFile(wav, opts, AudioReadOptions());
    WriteNpy(npy, result.features.View());
  }
  SetRealTime(state, bench::LongSeconds());
}
BENCHMARK(BM_FileToNpy)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace featpool
