// Extraction benchmarks: offline fbank/MFCC/spectrogram, the streaming path in
// 10 ms chunks, and the whole file-to-.npy path, on 600 s of the sample speech
// (tiled). Counters: "x_realtime" is seconds of audio per second of CPU.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <string>
#include <vector>

#include "featpool/featpool.h"

namespace featpool {
namespace {

constexpr double kSeconds = 600.0;
constexpr float kRate = 16000.0f;

const std::vector<float>& Speech600s() {
  static const std::vector<float> wave = [] {
    AudioReadOptions opts;
    const std::vector<float> sample = ReadAudio(FEATPOOL_SAMPLE_DATA "/speech-16k.wav", opts);
    std::vector<float> tiled(static_cast<size_t>(kSeconds * kRate));
    for (size_t i = 0; i < tiled.size(); ++i) tiled[i] = sample[i % sample.size()];
    return tiled;
  }();
  return wave;
}

FeatureOptions Options(FeatureType type) {
  FeatureOptions opts;
  opts.type = type;
  opts.fbank.mel_opts.num_bins = 80;
  return opts;
}

void SetRealTime(benchmark::State& state, double seconds_per_iteration) {
  state.counters["x_realtime"] = benchmark::Counter(
      seconds_per_iteration * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_Extract(benchmark::State& state, FeatureType type) {
  const std::vector<float>& wave = Speech600s();
  const FeatureOptions opts = Options(type);
  for (auto _ : state) {
    Matrix features = ComputeFeatures(opts, kRate, wave.data(), static_cast<int64_t>(wave.size()));
    benchmark::DoNotOptimize(features.data());
  }
  SetRealTime(state, kSeconds);
}
BENCHMARK_CAPTURE(BM_Extract, fbank80, FeatureType::kFbank)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Extract, mfcc13, FeatureType::kMfcc)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Extract, spectrogram, FeatureType::kSpectrogram)
    ->Unit(benchmark::kMillisecond);

// A microphone's 10 ms chunks; the caller releases frames as it consumes them.
void BM_Streaming10ms(benchmark::State& state) {
  const std::vector<float>& wave = Speech600s();
  const FeatureOptions opts = Options(FeatureType::kFbank);
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
  SetRealTime(state, kSeconds);
}
BENCHMARK(BM_Streaming10ms)->Unit(benchmark::kMillisecond);

// File in, .npy out: decoding, extraction and writing, as `featpool extract`.
void BM_FileToNpy(benchmark::State& state) {
  const std::string wav = "featpool-bench-600s.wav";
  const std::string npy = "featpool-bench-600s.npy";
  {
    const std::vector<float>& wave = Speech600s();
    std::vector<int16_t> pcm(wave.size());
    for (size_t i = 0; i < wave.size(); ++i) pcm[i] = static_cast<int16_t>(wave[i]);
    std::FILE* f = std::fopen(wav.c_str(), "wb");
    const uint32_t data_bytes = static_cast<uint32_t>(pcm.size() * 2);
    const uint32_t riff = 36 + data_bytes, fmt = 16, rate = 16000, byte_rate = 32000;
    const uint16_t pcm_tag = 1, channels = 1, align = 2, bits = 16;
    std::fwrite("RIFF", 1, 4, f); std::fwrite(&riff, 4, 1, f); std::fwrite("WAVEfmt ", 1, 8, f);
    std::fwrite(&fmt, 4, 1, f); std::fwrite(&pcm_tag, 2, 1, f); std::fwrite(&channels, 2, 1, f);
    std::fwrite(&rate, 4, 1, f); std::fwrite(&byte_rate, 4, 1, f); std::fwrite(&align, 2, 1, f);
    std::fwrite(&bits, 2, 1, f); std::fwrite("data", 1, 4, f); std::fwrite(&data_bytes, 4, 1, f);
    std::fwrite(pcm.data(), 2, pcm.size(), f);
    std::fclose(f);
  }
  const FeatureOptions opts = Options(FeatureType::kFbank);
  for (auto _ : state) {
    FileFeatures result = ExtractFile(wav, opts, AudioReadOptions());
    WriteNpy(npy, result.features.View());
  }
  SetRealTime(state, kSeconds);
  std::remove(wav.c_str());
  std::remove(npy.c_str());
}
BENCHMARK(BM_FileToNpy)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace featpool
