// Kaldi mel banks (mel-computations.cc MelBanks): bin ranges, the excluded
// Nyquist bin, and the option checks. The weights are compared with a dense
// re-derivation of Kaldi's triangle (torchaudio's get_mel_banks formula:
// max(0, min(up-slope, down-slope)) in mel), written out here independently.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/error.h"
#include "featpool/mel-bank.h"
#include "featpool/mel-filters.h"
#include "featpool/options.h"
#include "featpool/rfft.h"

using namespace featpool;

namespace {

struct Config {
  float rate;
  float frame_length_ms;
  bool round_to_power_of_two;
  int32_t bins;
  float low;
  float high;
};

FrameExtractionOptions Frame(const Config& c) {
  FrameExtractionOptions f;
  f.samp_freq = c.rate;
  f.frame_length_ms = c.frame_length_ms;
  f.round_to_power_of_two = c.round_to_power_of_two;
  return f;
}

MelBanksOptions Mel(const Config& c) {
  MelBanksOptions m;
  m.num_bins = c.bins;
  m.low_freq = c.low;
  m.high_freq = c.high;
  return m;
}

// Dense weights [bins][padded / 2 + 1], Nyquist column included (always 0).
std::vector<std::vector<double>> DenseWeights(const Config& c) {
  const FrameExtractionOptions f = Frame(c);
  const int32_t padded = f.PaddedWindowSize();
  const double nyquist = c.rate / 2.0;
  const double high = c.high > 0 ? c.high : nyquist + c.high;
  auto mel = [](double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); };
  const double lo_mel = mel(c.low), hi_mel = mel(high);
  const double delta = (hi_mel - lo_mel) / (c.bins + 1);
  std::vector<std::vector<double>> w(static_cast<size_t>(c.bins),
                                     std::vector<double>(static_cast<size_t>(padded / 2 + 1)));
  for (int32_t b = 0; b < c.bins; ++b) {
    const double left = lo_mel + b * delta, center = left + delta, right = center + delta;
    for (int32_t k = 0; k < padded / 2; ++k) {  // Kaldi: k < num_fft_bins = padded / 2
      const double m = mel(static_cast<double>(c.rate) / padded * k);
      const double up = (m - left) / (center - left), down = (right - m) / (right - center);
      w[static_cast<size_t>(b)][static_cast<size_t>(k)] = std::max(0.0, std::min(up, down));
    }
  }
  return w;
}

const Config kConfigs[] = {
    {16000, 25, true, 23, 20, 0},     {16000, 25, true, 40, 20, 0},    {16000, 25, true, 80, 20, 0},
    {16000, 50, true, 128, 20, 0},    {16000, 20, false, 23, 20, 0},   {16000, 25, true, 23, 0, 0},
    {16000, 25, true, 40, 100, 7000}, {16000, 25, true, 40, 20, -400}, {8000, 25, true, 23, 20, 0},
    {8000, 25, true, 80, 20, 0},      {8000, 30, false, 40, 64, 3700}, {44100, 25, true, 64, 0, 0},
};

}  // namespace

TEST_CASE("mel bins are contiguous ranges matching Kaldi's triangles", "[mel-bank]") {
  for (const Config& c : kConfigs) {
    const FrameExtractionOptions f = Frame(c);
    const MelBank bank(Mel(c), f);
    const auto dense = DenseWeights(c);
    const int32_t padded = f.PaddedWindowSize();
    INFO(c.rate << " Hz, " << padded << "-point FFT, " << c.bins << " bins, " << c.low << "-"
                << c.high << " Hz");
    REQUIRE(bank.NumBins() == c.bins);
    for (int32_t b = 0; b < c.bins; ++b) {
      INFO("bin " << b);
      const int32_t first = bank.FirstIndex(b), length = bank.Length(b);
      REQUIRE(first >= 0);
      REQUIRE(length >= 1);
      // The Nyquist bin (index padded / 2) is never part of a range.
      CHECK(first + length <= padded / 2);
      // Every weight inside the range is positive, and the range is exactly
      // the set of FFT bins whose (dense) weight is non-zero.
      const float* w = bank.Weights(b);
      for (int32_t k = 0; k <= padded / 2; ++k) {
        const double expected = dense[static_cast<size_t>(b)][static_cast<size_t>(k)];
        if (k >= first && k < first + length) {
          CHECK(w[k - first] > 0.0f);
          CHECK(w[k - first] == Approx(expected).margin(1e-6));
        } else {
          CHECK(expected == 0.0);
        }
      }
      if (b > 0) CHECK(first >= bank.FirstIndex(b - 1));  // bins move up in frequency
    }
  }
}

TEST_CASE("MelBank::Compute is the weighted sum over each range", "[mel-bank]") {
  const Config c{16000, 25, true, 40, 20, 0};
  const MelBank bank(Mel(c), Frame(c));
  const auto dense = DenseWeights(c);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> dist(0.0f, 1000.0f);
  std::vector<float> spectrum(257);
  for (float& v : spectrum) v = dist(rng);
  spectrum[256] = 1e30f;  // Nyquist: must not leak into any bin
  std::vector<float> mel(40);
  bank.Compute(spectrum.data(), mel.data());
  for (int32_t b = 0; b < 40; ++b) {
    double sum = 0.0;
    for (int32_t k = 0; k < 257; ++k) {
      sum +=
          dense[static_cast<size_t>(b)][static_cast<size_t>(k)] * spectrum[static_cast<size_t>(k)];
    }
    CHECK(mel[static_cast<size_t>(b)] == Approx(sum).epsilon(1e-5));
  }
}

TEST_CASE("mel scale is Kaldi's 1127 ln(1 + f / 700)", "[mel-bank]") {
  CHECK(MelScale(700.0) == Approx(1127.0 * std::log(2.0)));
  CHECK(InverseMelScale(MelScale(1234.5)) == Approx(1234.5));
  CHECK(MelScale(0.0) == 0.0);
}

namespace {

// The message of the Error that building the bank throws ("" if none).
std::string ErrorOf(const Config& c) {
  try {
    MelBank bank(Mel(c), Frame(c));
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("mel bank options Kaldi rejects are errors naming the option", "[mel-bank]") {
  using Catch::Contains;
  // Kaldi's minimum is 3 bins.
  CHECK_THAT(ErrorOf({16000, 25, true, 2, 20, 0}), Contains("num_mel_bins=2"));
  CHECK(ErrorOf({16000, 25, true, 3, 20, 0}).empty());
  // A bin that covers no FFT bin: 128 bins on a 512-point FFT (Kaldi: "You
  // may have set --num-mel-bins too large").
  CHECK_THAT(ErrorOf({16000, 25, true, 128, 20, 0}),
             Contains("num_mel_bins=128") && Contains("covers no FFT bin"));
  CHECK_THAT(ErrorOf({8000, 25, true, 100, 20, 0}), Contains("num_mel_bins=100"));
  // Frequency range: 0 <= low < high <= Nyquist, high <= 0 is an offset.
  const Config bad_ranges[] = {
      {16000, 25, true, 23, -1, 0},
      {16000, 25, true, 23, 8000, 0},
      {16000, 25, true, 23, 20, 8001},
      {16000, 25, true, 23, 4000, 3000},
      {16000, 25, true, 23, 4000, 4000},
      {16000, 25, true, 23, 20, -7990},  // Nyquist - 7990 = 10 Hz < low
      {16000, 25, true, 23, 20, -8000},  // 0 Hz
  };
  for (const Config& c : bad_ranges) {
    INFO("--low-freq=" << c.low << " --high-freq=" << c.high);
    CHECK_THAT(ErrorOf(c), Contains("low_freq") && Contains("high_freq"));
  }
  CHECK(ErrorOf({16000, 25, true, 23, 20, 8000}).empty());
  CHECK(ErrorOf({16000, 25, true, 23, 0, -7000}).empty());
  // NaN compares false with everything: it used to pass the range check.
  CHECK_THAT(ErrorOf({16000, 25, true, 23, std::nanf(""), 0}), Contains("low_freq"));
  CHECK_THAT(ErrorOf({16000, 25, true, 23, 20, std::nanf("")}), Contains("high_freq"));
  // num_bins + 1 must not overflow int32 on the way to the error.
  CHECK_THAT(ErrorOf({16000, 25, true, 2147483647, 20, 0}),
             Contains("num_mel_bins=2147483647") && Contains("covers no FFT bin"));
}

TEST_CASE("a large mel bank on a long window is built in O(bins + FFT bins)", "[mel-bank]") {
  // 2^23 FFT bins and 20000 mel bins: testing every FFT bin against every
  // mel bin was 1.7e11 steps (minutes); the sweep is a few times 2^23.
  FrameExtractionOptions frame;
  frame.frame_length_ms = 1000000.0f;  // 16e6 samples, padded to 2^24
  MelBanksOptions mel;
  mel.num_bins = 20000;
  const auto start = std::chrono::steady_clock::now();
  const MelBank bank(mel, frame);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  CHECK(bank.NumBins() == 20000);
  CHECK(seconds < 20.0);  // about 0.2 s in Release; sanitizers are slower
  int64_t weights = 0;
  for (int32_t b = 0; b < bank.NumBins(); ++b) weights += bank.Length(b);
  CHECK(weights <= 2 * (int64_t{1} << 23));  // each FFT bin in at most two triangles
}

TEST_CASE("mel bank errors carry the key, cross-references spelled alike", "[mel-bank]") {
  try {
    MelBank bank(Mel({16000, 25, true, 23, 4000, 3000}), Frame({16000, 25, true, 23, 4000, 3000}));
    FAIL("no error");
  } catch (const OptionError& e) {
    CHECK(e.key() == "high_freq");
    const std::string flags = e.Render(FlagName);
    CHECK_THAT(flags, Catch::StartsWith("--high-freq=3000: with --low-freq=4000"));
    CHECK_THAT(flags, !Catch::Contains("{"));
  }
}

TEST_CASE("MelFilters::Compute: float sums in order, within rounding of the double ones", "[mel]") {
  std::mt19937 rng(9);
  std::exponential_distribution<float> power(1e-3f);
  for (const int32_t n_mels : {80, 128, 40}) {
    for (const int32_t n_fft : {512, 400, 32}) {
      featpool::MelFilterOptions o;
      o.n_fft = n_fft;
      o.n_mels = n_fft == 32 ? 4 : n_mels;
      o.scale = featpool::MelScaleType::kSlaney;
      o.norm = featpool::MelNorm::kSlaney;
      const featpool::MelFilters filters(o);
      const int32_t bins = n_fft / 2 + 1;
      std::vector<float> spectrum(static_cast<size_t>(bins));
      std::vector<double> wide(spectrum.size());
      std::vector<float> a(static_cast<size_t>(o.n_mels)), b(a.size());
      for (int trial = 0; trial < 50; ++trial) {
        for (size_t k = 0; k < spectrum.size(); ++k) wide[k] = spectrum[k] = power(rng);
        filters.Compute(spectrum.data(), a.data());
        filters.Compute(wide.data(), b.data());
        for (int32_t m = 0; m < filters.NumFilters(); ++m) {
          INFO("n_fft " << n_fft << " filter " << m);
          const int32_t first = filters.FirstIndex(m);
          const int32_t len = filters.Length(m);
          // A plain float loop, bit for bit (whichever vectors run it).
          float expect = 0.0f;
          for (int32_t k = 0; k < len; ++k) expect += filters.Weights(m)[k] * spectrum[first + k];
          REQUIRE(a[m] == expect);
          // The double overload: the exact sum, term after term.
          double sum = 0.0;
          for (int32_t k = 0; k < len; ++k) {
            sum += static_cast<double>(filters.Weights(m)[k]) * spectrum[first + k];
          }
          REQUIRE(b[m] == static_cast<float>(sum));
          // Positive terms: within len * 2^-24 relative.
          REQUIRE(std::fabs(a[m] - sum) <= (len + 1) * std::ldexp(1.0, -24) * sum);
        }
      }
    }
  }
}

namespace {

// Power spectra of real speech (a Hann window on frames of the file, every
// other sample taken for 8 kHz), and their square roots (fbank's
// use_power=false), `bins` = padded / 2 + 1 values a spectrum.
std::vector<std::vector<float>> SpeechSpectra(int32_t padded, int32_t window, bool half_rate) {
  const std::vector<float> audio =
      ReadAudio(std::string(FEATPOOL_SAMPLE_DATA) + "/speech-16k.wav", AudioReadOptions());
  std::vector<float> samples;
  for (size_t i = 0; i < audio.size(); i += half_rate ? 2 : 1) samples.push_back(audio[i]);
  Rfft fft(padded);
  std::vector<float> frame(static_cast<size_t>(padded));
  std::vector<float> power(static_cast<size_t>(padded / 2 + 1));
  std::vector<std::vector<float>> spectra;
  const size_t hop = static_cast<size_t>(window) / 2;  // a few hundred frames
  for (size_t at = 0; at + static_cast<size_t>(window) <= samples.size(); at += hop) {
    std::fill(frame.begin(), frame.end(), 0.0f);
    for (int32_t i = 0; i < window; ++i) {
      const double hann = 0.5 - 0.5 * std::cos(2.0 * M_PI * i / (window - 1));
      frame[static_cast<size_t>(i)] =
          static_cast<float>(hann * samples[at + static_cast<size_t>(i)]);
    }
    fft.PowerSpectrum(frame.data(), power.data());
    spectra.push_back(power);
    for (float& v : power) v = std::sqrt(v);
    spectra.push_back(power);
  }
  return spectra;
}

}  // namespace

TEST_CASE("MelBank::Compute is a plain float loop per bin, bit for bit", "[mel-bank]") {
  struct Case {
    float rate;
    float frame_length_ms;
    int32_t bins;
    float low;
    float high;
    bool htk_mode;
    float warp;
  };
  const Case cases[] = {
      {16000, 25, 23, 20, 0, false, 1.0f},     {16000, 25, 40, 20, 0, false, 1.0f},
      {16000, 25, 80, 20, 0, false, 1.0f},     {16000, 50, 128, 20, 0, false, 1.0f},
      {16000, 25, 80, 0, 0, false, 1.0f},      {16000, 25, 80, 20, 0, true, 1.0f},
      {16000, 25, 23, 20, 0, true, 1.0f},      {16000, 25, 40, 20, -400, true, 1.0f},
      {16000, 25, 80, 20, 0, false, 0.85f},    {16000, 25, 80, 20, 0, false, 1.15f},
      {16000, 25, 23, 100, 7000, false, 0.9f}, {16000, 25, 40, 64, -200, false, 1.1f},
      {16000, 25, 3, 20, 0, false, 1.0f},      {16000, 25, 17, 300, 3400, false, 1.0f},
      {8000, 25, 23, 20, 0, false, 1.0f},      {8000, 25, 40, 20, 0, false, 1.0f},
      {8000, 50, 80, 20, 0, true, 1.0f},       {8000, 25, 23, 64, 3800, false, 0.88f},
      {8000, 25, 23, 20, -200, true, 1.12f},   {8000, 100, 128, 20, 0, false, 1.0f},
  };
  for (const Case& c : cases) {
    FrameExtractionOptions f;
    f.samp_freq = c.rate;
    f.frame_length_ms = c.frame_length_ms;
    MelBanksOptions m;
    m.num_bins = c.bins;
    m.low_freq = c.low;
    m.high_freq = c.high;
    m.htk_mode = c.htk_mode;
    m.vtln_warp = c.warp;
    m.vtln_low = c.low + 100.0f;
    m.vtln_high = c.high - 500.0f;  // Hz below high_freq (an offset from Nyquist if <= 0)
    const MelBank bank(m, f);
    const int32_t padded = f.PaddedWindowSize();
    INFO(c.rate << " Hz, " << padded << "-point FFT, " << c.bins << " bins, " << c.low << " to "
                << c.high << " Hz, htk " << c.htk_mode << ", warp " << c.warp);
    const auto spectra = SpeechSpectra(padded, f.WindowSize(), c.rate == 8000);
    REQUIRE(spectra.size() > 100);
    std::vector<float> mel(static_cast<size_t>(c.bins)), expect(mel.size());
    // Kaldi's (and this bank's former) sum: one float chain from 0 per bin.
    const auto ScalarSums = [&bank](const std::vector<float>& spectrum, std::vector<float>* out) {
      for (int32_t b = 0; b < bank.NumBins(); ++b) {
        const float* w = bank.Weights(b);
        const float* s = spectrum.data() + bank.FirstIndex(b);
        float sum = 0.0f;
        for (int32_t k = 0; k < bank.Length(b); ++k) sum += w[k] * s[k];
        (*out)[static_cast<size_t>(b)] = sum;
      }
    };
    for (const std::vector<float>& spectrum : spectra) {
      bank.Compute(spectrum.data(), mel.data());
      ScalarSums(spectrum, &expect);
      REQUIRE(std::memcmp(mel.data(), expect.data(), sizeof(float) * mel.size()) == 0);
    }
    // Edge spectra: all zeros (+0 out, not -0), a single loud FFT bin, and
    // magnitudes spanning the float range a power spectrum reaches.
    std::vector<float> spectrum(static_cast<size_t>(padded / 2 + 1), 0.0f);
    std::mt19937 rng(17);
    std::uniform_real_distribution<float> exponent(-40.0f, 30.0f);
    for (int trial = 0; trial < 50; ++trial) {
      if (trial == 1) spectrum[static_cast<size_t>(padded / 8)] = 3e14f;
      if (trial >= 2) {
        for (float& v : spectrum) v = std::pow(10.0f, exponent(rng));
      }
      bank.Compute(spectrum.data(), mel.data());
      ScalarSums(spectrum, &expect);
      REQUIRE(std::memcmp(mel.data(), expect.data(), sizeof(float) * mel.size()) == 0);
    }
  }
}
