// Inputs shared by the benchmarks: the sample speech (data/speech-16k.wav,
// 16 kHz) tiled to any length, as samples or as a 16-bit WAV file, and a
// scratch directory. Header-only (every *-bench.cc is also linked into the
// one featpool-bench program), and free of Google Benchmark, so plain
// programs such as featpool-stream-memory use it too.
#ifndef FEATPOOL_TOOLS_BENCH_BENCH_AUDIO_H_
#define FEATPOOL_TOOLS_BENCH_BENCH_AUDIO_H_

#include <stdlib.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/error.h"

namespace featpool {
namespace bench {

constexpr float kRate = 16000.0f;

// The sample speech (7.3 s) at Kaldi's integer scale.
inline const std::vector<float>& SampleSpeech() {
  static const std::vector<float> wave =
      ReadAudio(FEATPOOL_SAMPLE_DATA "/speech-16k.wav", AudioReadOptions());
  return wave;
}

// Samples [offset, offset + count) of the sample speech repeated end to end.
inline void TiledSpeech(int64_t offset, int64_t count, float* out) {
  const std::vector<float>& s = SampleSpeech();
  const int64_t n = static_cast<int64_t>(s.size());
  int64_t pos = offset % n;
  for (int64_t i = 0; i < count;) {
    const int64_t take = std::min(count - i, n - pos);
    std::copy(s.data() + pos, s.data() + pos + take, out + i);
    i += take;
    pos = 0;
  }
}

inline std::vector<float> TiledSpeech(double seconds, int64_t offset = 0) {
  std::vector<float> wave(static_cast<size_t>(seconds * kRate));
  TiledSpeech(offset, static_cast<int64_t>(wave.size()), wave.data());
  return wave;
}

// With FEATPOOL_BENCH_SMOKE set (the smoke test), the benchmarks shrink
// their inputs so that they only show they run.
inline bool Smoke() {
  static const bool smoke = std::getenv("FEATPOOL_BENCH_SMOKE") != nullptr;
  return smoke;
}

// 600 s of speech (5 s in a smoke run): the input of the extraction
// benchmarks and of compare.py.
inline double LongSeconds() { return Smoke() ? 5.0 : 600.0; }
inline const std::vector<float>& LongSpeech() {
  static const std::vector<float> wave = TiledSpeech(LongSeconds());
  return wave;
}

// Writes `num_samples` of tiled speech (from `offset`) as a 16 kHz 16-bit
// mono WAV, a block at a time, so a two-hour file needs no two hours in memory.
inline void WriteSpeechWav(const std::string& path, int64_t num_samples, int64_t offset = 0) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw Error("cannot write '" + path + "'");
  const uint32_t data_bytes = static_cast<uint32_t>(num_samples * 2);
  const uint32_t riff = 36 + data_bytes, fmt = 16, rate = 16000, byte_rate = 32000;
  const uint16_t pcm_tag = 1, channels = 1, align = 2, bits = 16;
  std::fwrite("RIFF", 1, 4, f);
  std::fwrite(&riff, 4, 1, f);
  std::fwrite("WAVEfmt ", 1, 8, f);
  std::fwrite(&fmt, 4, 1, f);
  std::fwrite(&pcm_tag, 2, 1, f);
  std::fwrite(&channels, 2, 1, f);
  std::fwrite(&rate, 4, 1, f);
  std::fwrite(&byte_rate, 4, 1, f);
  std::fwrite(&align, 2, 1, f);
  std::fwrite(&bits, 2, 1, f);
  std::fwrite("data", 1, 4, f);
  std::fwrite(&data_bytes, 4, 1, f);
  constexpr int64_t kBlock = 1 << 16;
  std::vector<float> block(kBlock);
  std::vector<int16_t> pcm(kBlock);
  for (int64_t done = 0; done < num_samples; done += kBlock) {
    const int64_t n = std::min(kBlock, num_samples - done);
    TiledSpeech(offset + done, n, block.data());
    for (int64_t i = 0; i < n; ++i) pcm[i] = static_cast<int16_t>(block[i]);
    std::fwrite(pcm.data(), 2, static_cast<size_t>(n), f);
  }
  if (std::fclose(f) != 0) throw Error("cannot write '" + path + "'");
}

// A fresh directory under $TMPDIR (or /tmp), removed with its contents when
// the object goes.
class ScratchDir {
 public:
  ScratchDir() {
    std::string templ = (std::filesystem::temp_directory_path() / "featpool-bench-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw Error("cannot make a scratch directory");
    path_ = templ;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace bench
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_BENCH_BENCH_AUDIO_H_
