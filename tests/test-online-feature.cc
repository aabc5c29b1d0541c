// Streaming equals offline: OnlineExtractor fed real speech in chunks of 1, a
// prime, 160, random sizes and the whole input gives bit-identical frames to
// ComputeFeatures(), with snip-edges both ways, for every feature type and
// for odd window sizes; frames become ready as soon as their samples are in;
// released frames free their memory.
#include <malloc.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/online-feature.h"
#include "featpool/online-pooler.h"
#include "featpool/pooler.h"

using namespace featpool;

namespace {

std::vector<float> Speech() {
  AudioReadOptions opts;
  return ReadAudio(std::string(FEATPOOL_TEST_DATA) + "/kaldi/speech-16k.wav", opts);
}

FeatureOptions Options(FeatureType type, bool snip_edges, float frame_length_ms) {
  FeatureOptions o;
  o.type = type;
  for (FrameExtractionOptions* f :
       {&o.fbank.frame_opts, &o.mfcc.frame_opts, &o.spectrogram.frame_opts}) {
    f->snip_edges = snip_edges;
    f->frame_length_ms = frame_length_ms;
  }
  o.fbank.use_energy = true;
  return o;
}

bool Identical(MatrixView a, MatrixView b) {
  if (a.rows != b.rows || a.cols != b.cols) return false;
  const size_t n = static_cast<size_t>(a.rows * a.cols);
  return n == 0 || std::memcmp(a.data, b.data, sizeof(float) * n) == 0;
}

// Feeds `wave` in chunks from `next_chunk` and checks, after every chunk,
// that exactly the frames whose samples have all arrived are ready.
Matrix Stream(const FeatureOptions& opts, const std::vector<float>& wave,
              const std::function<int64_t()>& next_chunk) {
  OnlineExtractor online(opts);
  const FrameExtractionOptions& frame = opts.frame_opts();
  int64_t pos = 0;
  while (pos < static_cast<int64_t>(wave.size())) {
    const int64_t n = std::min<int64_t>(next_chunk(), static_cast<int64_t>(wave.size()) - pos);
    online.AcceptWaveform(frame.samp_freq, wave.data() + pos, n);
    pos += n;
    REQUIRE(online.NumSamplesAccepted() == pos);
    REQUIRE(online.NumFramesReady() == NumFrames(pos, frame, false));
    const int32_t ready = online.NumFramesReady();
    REQUIRE(online.SamplesNeededForFrame(ready) > pos);
    if (ready > 0) REQUIRE(online.SamplesNeededForFrame(ready - 1) <= pos);
  }
  online.InputFinished();
  REQUIRE(online.NumFramesReady() == NumFrames(pos, frame));
  return online.TakeFrames();
}

}  // namespace

TEST_CASE("streaming in any chunk size is bit-identical to offline", "[online-feature]") {
  const std::vector<float> wave = Speech();
  REQUIRE(wave.size() == 8080);
  const FeatureType types[] = {FeatureType::kFbank, FeatureType::kMfcc, FeatureType::kSpectrogram};
  // 25 ms = 400 samples; 19.9375 ms = 319 (odd: its last frame with
  // snip-edges=false reaches back before its own first sample); 25.0625 ms =
  // 401 (odd, padded to 512).
  const float lengths[] = {25.0f, 19.9375f, 25.0625f};
  for (FeatureType type : types) {
    for (bool snip : {true, false}) {
      for (float length : lengths) {
        const FeatureOptions opts = Options(type, snip, length);
        INFO(FeatureTypeName(type) << ", snip-edges=" << snip << ", frame-length=" << length);
        const Matrix offline =
            ComputeFeatures(opts, 16000.0f, wave.data(), static_cast<int64_t>(wave.size()));
        REQUIRE(offline.rows() == NumFrames(static_cast<int64_t>(wave.size()), opts.frame_opts()));
        for (int64_t chunk : {int64_t{1}, int64_t{7}, int64_t{160}, int64_t{8080}}) {
          INFO("chunk " << chunk);
          const Matrix online = Stream(opts, wave, [chunk] { return chunk; });
          CHECK(Identical(online.View(), offline.View()));
        }
        std::mt19937 rng(17);
        std::uniform_int_distribution<int64_t> size(0, 700);  // 0: empty chunks too
        const Matrix random = Stream(opts, wave, [&] { return size(rng); });
        CHECK(Identical(random.View(), offline.View()));
      }
    }
  }
}

TEST_CASE("inputs shorter than one window", "[online-feature]") {
  const std::vector<float> wave = Speech();
  for (int64_t n : {int64_t{0}, int64_t{1}, int64_t{79}, int64_t{80}, int64_t{100}, int64_t{399},
                    int64_t{400}}) {
    for (bool snip : {true, false}) {
      const FeatureOptions opts = Options(FeatureType::kFbank, snip, 25.0f);
      INFO(n << " samples, snip-edges=" << snip);
      const Matrix offline = ComputeFeatures(opts, 16000.0f, wave.data(), n);
      // Kaldi: snip-edges=true gives 0 frames below one window; false gives
      // (N + 80) / 160, reflecting (repeatedly) around both edges.
      CHECK(offline.rows() == (snip ? (n >= 400 ? 1 : 0) : (n + 80) / 160));
      const Matrix online = Stream(opts, std::vector<float>(wave.begin(), wave.begin() + n),
                                   [] { return int64_t{3}; });
      CHECK(Identical(online.View(), offline.View()));
    }
  }
}

TEST_CASE("released frames are gone and memory stays bounded", "[online-feature]") {
  const std::vector<float> speech = Speech();
  const FeatureOptions opts = Options(FeatureType::kFbank, false, 25.0f);
  OnlineExtractor online(opts);
  const Matrix offline =
      ComputeFeatures(opts, 16000.0f, speech.data(), static_cast<int64_t>(speech.size()));
  // The first pass over the speech is checked against offline frame by frame.
  int32_t next = 0;
  size_t allocated_after_warmup = 0;
  const int repeats = 400;  // 400 x 0.505 s = 202 s of audio
  for (int r = 0; r < repeats; ++r) {
    for (size_t pos = 0; pos < speech.size(); pos += 160) {
      const int64_t n = std::min<int64_t>(160, static_cast<int64_t>(speech.size() - pos));
      online.AcceptWaveform(16000.0f, speech.data() + pos, n);
      for (; next < online.NumFramesReady(); ++next) {
        if (r == 0 && next + 2 < offline.rows()) {  // the last frames reflect at the end
          REQUIRE(std::memcmp(online.Frame(next), offline.Row(next),
                              sizeof(float) * static_cast<size_t>(offline.cols())) == 0);
        }
      }
      online.ReleaseFramesBefore(next);
      REQUIRE(online.FirstAvailableFrame() == next);
      REQUIRE(online.ReadyFrames().rows == 0);
    }
    if (r == 10) allocated_after_warmup = mallinfo2().uordblks;
  }
  REQUIRE(online.NumFramesReady() > 20000);
  CHECK_THROWS_AS(online.Frame(0), Error);
  CHECK_THROWS_AS(online.Frame(online.NumFramesReady()), Error);
  // mallinfo2() counts the bytes glibc's malloc has handed out (0 under
  // AddressSanitizer, which has its own allocator: then this is vacuous).
  const size_t allocated_at_end = mallinfo2().uordblks;
  INFO("heap in use after 5 s: " << allocated_after_warmup << " bytes, after " << repeats * 0.505
                                 << " s: " << allocated_at_end);
  CHECK(allocated_at_end <= allocated_after_warmup + 64 * 1024);
  // Without releasing, every frame is kept.
  OnlineExtractor keep_all(opts);
  for (int r = 0; r < 20; ++r) {
    keep_all.AcceptWaveform(16000.0f, speech.data(), static_cast<int64_t>(speech.size()));
  }
  CHECK(keep_all.ReadyFrames().rows == keep_all.NumFramesReady());
}

TEST_CASE("misuse of the online extractor is an error", "[online-feature]") {
  const FeatureOptions opts = Options(FeatureType::kFbank, true, 25.0f);
  OnlineExtractor online(opts);
  const std::vector<float> wave(1000, 1.0f);
  CHECK_THROWS_WITH(online.AcceptWaveform(8000.0f, wave.data(), 1000), Catch::Contains("8000"));
  online.AcceptWaveform(16000.0f, wave.data(), 1000);
  online.InputFinished();
  CHECK_THROWS_AS(online.AcceptWaveform(16000.0f, wave.data(), 10), Error);
  CHECK(online.IsFinished());
}

TEST_CASE("extractors in parallel threads give the serial results", "[online-feature][threads]") {
  // One extractor per stream, any number of streams at once (run under ASan
  // and ThreadSanitizer by tools/test.sh): the files are read and computed
  // concurrently.
  const std::vector<std::string> files = {FEATPOOL_SAMPLE_DATA "/speech-16k.wav",
                                          FEATPOOL_SAMPLE_DATA "/speech-8k.wav",
                                          FEATPOOL_SAMPLE_DATA "/speech-48k.wav"};
  std::vector<FeatureOptions> configs;
  for (FeatureType type : {FeatureType::kFbank, FeatureType::kMfcc, FeatureType::kSpectrogram}) {
    configs.push_back(Options(type, true, 25.0f));
    configs.push_back(Options(type, false, 25.0f));
  }
  std::vector<Matrix> serial;
  for (const FeatureOptions& opts : configs) {
    for (const std::string& file : files) {
      serial.push_back(ExtractFile(file, opts, AudioReadOptions()).features);
    }
  }
  std::vector<Matrix> parallel(serial.size());
  std::vector<std::thread> threads;
  for (size_t t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < parallel.size(); i += 4) {
        parallel[i] =
            ExtractFile(files[i % files.size()], configs[i / files.size()], AudioReadOptions())
                .features;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t i = 0; i < serial.size(); ++i) {
    INFO("case " << i);
    REQUIRE(serial[i].rows() > 0);
    CHECK(Identical(serial[i].View(), parallel[i].View()));
  }
}

// Streaming objects are per-stream, not shared: eight streams of extractor +
// pooler at once, each fed in its own chunk sizes, give the results of the
// same streams run one after another (run under ThreadSanitizer by
// tools/test.sh). The pooling options are shared, read-only.
TEST_CASE("eight streaming extractors and poolers in threads give the serial results",
          "[online-feature][threads]") {
  const std::vector<float> wave = Speech();
  PoolOptions pool;
  pool.mode = PoolMode::kMax;
  pool.kernel = {4, 3};
  pool.stride = PoolSize{2, 2};
  pool.padding = {1, 1};
  constexpr size_t kStreams = 8;
  auto stream = [&](size_t s) {
    const FeatureType type = s % 3 == 0   ? FeatureType::kFbank
                             : s % 3 == 1 ? FeatureType::kMfcc
                                          : FeatureType::kSpectrogram;
    OnlineExtractor extractor(Options(type, s % 2 == 0, 25.0f));
    OnlinePooler pooler(pool, extractor.Dim());
    Matrix out(0, pooler.Dim());
    auto take = [&] {
      const MatrixView frames = extractor.ReadyFrames();
      if (frames.rows > 0) pooler.AcceptFrames(frames);
      extractor.ReleaseFramesBefore(extractor.NumFramesReady());
      for (int64_t r = pooler.FirstAvailableRow(); r < pooler.NumRowsReady(); ++r) {
        std::memcpy(out.AppendRow(), pooler.Row(r), sizeof(float) * pooler.Dim());
      }
      pooler.ReleaseRowsBefore(pooler.NumRowsReady());
    };
    std::mt19937 rng(static_cast<unsigned>(s));
    std::uniform_int_distribution<int64_t> chunk(1, 4000);
    for (size_t i = 0; i < wave.size();) {
      const int64_t n = std::min<int64_t>(chunk(rng), static_cast<int64_t>(wave.size() - i));
      extractor.AcceptWaveform(16000.0f, wave.data() + i, n);
      i += static_cast<size_t>(n);
      take();
    }
    extractor.InputFinished();
    take();
    pooler.InputFinished();
    take();
    return out;
  };
  std::vector<Matrix> serial;
  for (size_t s = 0; s < kStreams; ++s) serial.push_back(stream(s));
  std::vector<Matrix> parallel(kStreams);
  std::vector<std::thread> threads;
  for (size_t s = 0; s < kStreams; ++s) {
    threads.emplace_back([&, s] { parallel[s] = stream(s); });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t s = 0; s < kStreams; ++s) {
    INFO("stream " << s);
    REQUIRE(serial[s].rows() > 0);
    CHECK(Identical(serial[s].View(), parallel[s].View()));
  }
}
