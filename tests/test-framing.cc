// framing.h: torch.stft's centred geometry (1 + L/hop frames, drop-last),
// its padding (reflect and zeros) and window placement against a direct
// transcription of torch.stft, and streaming == offline (bit for bit) for a
// feature type framed by StftFramer, in chunks of 1, a prime, 160, random
// sizes and the whole input, with its latency (n_fft/2 of look-ahead).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/feature-registry.h"
#include "featpool/framing.h"
#include "featpool/melspectrogram.h"
#include "featpool/online-feature.h"

using namespace featpool;

namespace {

StftFramingOptions Stft(int32_t n_fft, int32_t win, int32_t hop) {
  StftFramingOptions o;
  o.n_fft = n_fft;
  o.win_length = win;
  o.hop_length = hop;
  return o;
}

std::vector<float> UnitSpeech() {
  AudioReadOptions opts;
  opts.full_scale = 1.0f;
  return ReadAudio(std::string(FEATPOOL_TEST_DATA) + "/kaldi/speech-16k.wav", opts);
}

bool Identical(MatrixView a, MatrixView b) {
  if (a.rows != b.rows || a.cols != b.cols) return false;
  const size_t n = static_cast<size_t>(a.rows * a.cols);
  return n == 0 || std::memcmp(a.data, b.data, sizeof(float) * n) == 0;
}

}  // namespace

TEST_CASE("centred STFT geometry is torch.stft's", "[framing]") {
  StftFramingOptions o = Stft(400, 400, 160);
  // torch: 1 + (L + 2*(n_fft//2) - n_fft) // hop = 1 + L // hop (even n_fft).
  for (int64_t L :
       {int64_t{1}, int64_t{159}, int64_t{160}, int64_t{161}, int64_t{16000}, int64_t{8080}}) {
    CHECK(StftNumFrames(L, o) == 1 + L / 160);
  }
  CHECK(StftNumFrames(0, o) == 0);
  CHECK(StftFirstSampleOfFrame(0, o) == -200);
  CHECK(StftFirstSampleOfFrame(3, o) == 280);
  // Whisper: stft[..., :-1], L // hop frames.
  o.frames = StftFrames::kDropLast;
  CHECK(StftNumFrames(480000, o) == 3000);
  CHECK(StftNumFrames(159, o) == 0);
  // Odd n_fft: 1 + (L + 2*(n//2) - n) // hop.
  o = Stft(401, 401, 160);
  CHECK(StftNumFrames(8080, o) == 1 + (8080 + 400 - 401) / 160);
  // Not centred: frames inside the signal only.
  o = Stft(400, 400, 160);
  o.center = false;
  CHECK(StftNumFrames(399, o) == 0);
  CHECK(StftNumFrames(400, o) == 1);
  CHECK(StftNumFrames(8080, o) == 1 + (8080 - 400) / 160);
  CHECK(StftFirstSampleOfFrame(2, o) == 320);
}

TEST_CASE("STFT windows: periodic or symmetric, zero-padded centred to n_fft", "[framing]") {
  StftFramingOptions o = Stft(512, 400, 160);
  o.periodic = false;  // NeMo: hann_window(400, periodic=False) padded into 512
  std::vector<float> w = MakeStftWindow(o);
  REQUIRE(w.size() == 512);
  for (int i = 0; i < 56; ++i) CHECK(w[static_cast<size_t>(i)] == 0.0f);
  for (int i = 456; i < 512; ++i) CHECK(w[static_cast<size_t>(i)] == 0.0f);
  CHECK(w[56] == 0.0f);  // symmetric hann: 0 at both ends
  CHECK(w[455] == 0.0f);
  CHECK(w[56 + 200] == Approx(0.5 - 0.5 * std::cos(2 * M_PI * 200 / 399.0)).epsilon(1e-7));
  o.periodic = true;  // 0.5 - 0.5 cos(2 pi n / N)
  w = MakeStftWindow(o);
  CHECK(w[56] == 0.0f);
  CHECK(w[455] > 0.0f);
  CHECK(w[56 + 200] == 1.0f);
  o = Stft(400, 400, 160);
  o.window = StftWindow::kHamming;  // torch.hamming_window, periodic
  w = MakeStftWindow(o);
  CHECK(w[0] == Approx(0.08));
  CHECK(w[100] == Approx(0.54 - 0.46 * std::cos(2 * M_PI * 100 / 400.0)).epsilon(1e-7));
}

TEST_CASE("STFT frames are torch.stft's padded frames times the window", "[framing]") {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (StftPadMode mode : {StftPadMode::kReflect, StftPadMode::kConstant}) {
    for (int64_t L : {int64_t{300}, int64_t{257}, int64_t{1000}, int64_t{1040}}) {
      std::vector<float> x(static_cast<size_t>(L));
      for (float& v : x) v = u(rng);
      StftFramingOptions o = Stft(512, 400, 160);
      o.pad_mode = mode;
      // torch.nn.functional.pad(x, (256, 256), mode): reflect excludes the
      // edge sample (x[-1] = x[1]).
      std::vector<float> padded;
      for (int64_t i = -256; i < L + 256; ++i) {
        int64_t j = i < 0 ? -i : i >= L ? 2 * (L - 1) - i : i;
        padded.push_back(
            mode == StftPadMode::kConstant && (i < 0 || i >= L) ? 0.0f : x[static_cast<size_t>(j)]);
      }
      const std::vector<float> w = MakeStftWindow(o);
      StftFramer framer(o);
      const int32_t frames = framer.NumFrames(L, true);
      REQUIRE(frames == 1 + L / 160);
      std::vector<float> out(512);
      for (int32_t t = 0; t < frames; ++t) {
        framer.Extract(x.data(), 0, L, L, t, out.data(), nullptr);
        for (int32_t i = 0; i < 512; ++i) {
          INFO("L=" << L << " frame " << t << " sample " << i);
          REQUIRE(out[static_cast<size_t>(i)] ==
                  padded[static_cast<size_t>(t * 160 + i)] * w[static_cast<size_t>(i)]);
        }
      }
    }
  }
}

TEST_CASE("pre-emphasis applies to the signal before the padding", "[framing]") {
  std::vector<float> x = {0.5f, -0.25f, 0.75f, 0.125f, -0.5f, 0.25f, 0.0f, 1.0f, -1.0f, 0.5f};
  const int64_t L = static_cast<int64_t>(x.size());
  StftFramingOptions o = Stft(8, 8, 2);
  o.window = StftWindow::kRectangular;
  o.preemph_coeff = 0.97f;
  std::vector<float> y(x.size());
  y[0] = x[0];  // NeMo: x[:, 0], then x[:, 1:] - c * x[:, :-1]
  for (size_t i = 1; i < x.size(); ++i) y[i] = x[i] - 0.97f * x[i - 1];
  StftFramer framer(o);
  std::vector<float> out(8);
  for (int32_t t = 0; t < framer.NumFrames(L, true); ++t) {
    framer.Extract(x.data(), 0, L, L, t, out.data(), nullptr);
    for (int32_t i = 0; i < 8; ++i) {
      int64_t j = t * 2 - 4 + i;
      j = j < 0 ? -j : j >= L ? 2 * (L - 1) - j : j;
      CHECK(out[static_cast<size_t>(i)] == y[static_cast<size_t>(j)]);
    }
  }
}

namespace {

FeatureOptions Mel(int32_t n_fft, int32_t win, int32_t hop, StftPadMode mode, StftFrames frames,
                   float preemph) {
  FeatureOptions o = DefaultFeatureOptions(FeatureType::kMelSpectrogram);
  MelSpectrogramOptions& m = o.melspectrogram;
  m.n_fft = n_fft;
  m.win_length = win;
  m.hop_length = hop;
  m.pad_mode = mode;
  m.frames = frames;
  m.preemph_coeff = preemph;
  m.n_mels = 40;
  m.log = MelLog::kLn;
  return o;
}

Matrix Stream(const FeatureOptions& opts, const std::vector<float>& wave,
              const std::function<int64_t()>& next_chunk) {
  OnlineExtractor online(opts);
  const std::unique_ptr<Framer> framer = opts.MakeFramer();
  int64_t pos = 0;
  while (pos < static_cast<int64_t>(wave.size())) {
    const int64_t n = std::min<int64_t>(next_chunk(), static_cast<int64_t>(wave.size()) - pos);
    online.AcceptWaveform(16000.0f, wave.data() + pos, n);
    pos += n;
    REQUIRE(online.NumFramesReady() == framer->NumFrames(pos, false));
    const int32_t ready = online.NumFramesReady();
    // Never a frame that the end of the stream would drop.
    REQUIRE(ready <= framer->NumFrames(pos, true));
    if (ready < framer->NumFrames(pos, true)) REQUIRE(online.SamplesNeededForFrame(ready) > pos);
    if (ready > 0) REQUIRE(online.SamplesNeededForFrame(ready - 1) <= pos);
  }
  online.InputFinished();
  REQUIRE(online.NumFramesReady() == framer->NumFrames(pos, true));
  return online.TakeFrames();
}

}  // namespace

TEST_CASE("melspectrogram: streaming in any chunk size is bit-identical to offline",
          "[framing][melspectrogram]") {
  const std::vector<float> speech = UnitSpeech();
  REQUIRE(speech.size() == 8080);
  struct Case {
    int32_t n_fft, win, hop;
    StftPadMode mode;
    StftFrames frames;
    float preemph;
  };
  const Case cases[] = {
      {400, 0, 0, StftPadMode::kReflect, StftFrames::kAll, 0.0f},             // torchaudio
      {400, 0, 160, StftPadMode::kReflect, StftFrames::kDropLast, 0.0f},      // Whisper
      {512, 400, 160, StftPadMode::kConstant, StftFrames::kDropLast, 0.97f},  // NeMo
      {512, 400, 160, StftPadMode::kReflect, StftFrames::kAll, 0.97f},
      // A hop longer than n_fft/2: the last frame may lie inside the signal
      // before the end is known, and drop-last must not emit it early.
      {256, 256, 200, StftPadMode::kReflect, StftFrames::kDropLast, 0.0f},
      {256, 256, 200, StftPadMode::kConstant, StftFrames::kAll, 0.0f},
      // Pre-emphasis reads the sample before a frame's first.
      {400, 0, 160, StftPadMode::kReflect, StftFrames::kAll, 0.97f},
  };
  // 8000 samples, a multiple of the hop: the last frame is centred on the
  // end and its reflection reads the sample before its first.
  for (int64_t length : {int64_t{8077}, int64_t{8000}})
    for (const Case& c : cases) {
      const std::vector<float> wave(speech.begin(), speech.begin() + length);
      const FeatureOptions opts = Mel(c.n_fft, c.win, c.hop, c.mode, c.frames, c.preemph);
      INFO(length << " samples, n_fft " << c.n_fft << " win " << c.win << " hop " << c.hop
                  << " reflect " << (c.mode == StftPadMode::kReflect) << " drop-last "
                  << (c.frames == StftFrames::kDropLast) << " preemph " << c.preemph);
      const Matrix offline =
          ComputeFeatures(opts, 16000.0f, wave.data(), static_cast<int64_t>(wave.size()));
      REQUIRE(offline.rows() == opts.NumFrames(static_cast<int64_t>(wave.size())));
      for (int64_t chunk : {int64_t{1}, int64_t{7}, int64_t{160}, length}) {
        INFO("chunk " << chunk);
        CHECK(Identical(Stream(opts, wave, [chunk] { return chunk; }).View(), offline.View()));
      }
      std::mt19937 rng(5);
      std::uniform_int_distribution<int64_t> size(0, 700);
      CHECK(Identical(Stream(opts, wave, [&] { return size(rng); }).View(), offline.View()));
      // Short inputs: reflected repeatedly (torch refuses), or zeros.
      for (int64_t n :
           {int64_t{1}, int64_t{2}, int64_t{150}, int64_t{200}, int64_t{201}, int64_t{399}}) {
        INFO(n << " samples");
        const std::vector<float> part(wave.begin(), wave.begin() + n);
        const Matrix short_offline = ComputeFeatures(opts, 16000.0f, part.data(), n);
        CHECK(short_offline.rows() == opts.NumFrames(n));
        CHECK(
            Identical(Stream(opts, part, [] { return int64_t{3}; }).View(), short_offline.View()));
      }
    }
}

TEST_CASE("a centred STFT's latency is n_fft/2 samples of look-ahead", "[framing]") {
  FeatureOptions opts = Mel(400, 0, 160, StftPadMode::kReflect, StftFrames::kAll, 0.0f);
  OnlineExtractor online(opts);
  // Frame t is centred on sample t*hop and needs samples up to t*hop + 199;
  // frame 0 with reflection also reads sample 200 (its mirror of -200).
  CHECK(online.SamplesNeededForFrame(0) == 201);
  CHECK(online.SamplesNeededForFrame(1) == 160 + 200);
  CHECK(online.SamplesNeededForFrame(10) == 1600 + 200);
  opts.melspectrogram.pad_mode = StftPadMode::kConstant;
  OnlineExtractor zeros(opts);
  CHECK(zeros.SamplesNeededForFrame(0) == 200);
}
