// Golden fixtures: featpool's melspectrogram (and mel-mfcc, torchaudio's
// MFCC without top_db, with librosa's lifter) against torchaudio 0.13.1's
// MelSpectrogram (with NeMo's pre-emphasis, Whisper's dropped frame and the
// log steps) computed in float64 on real speech, across mel scale x norm x
// centring x padding x power x log (tests/gen-dialect-fixtures.py wrote
// tests/data/dialects/: cases.txt, the float64 reference and torch's
// float32 result of the same rule). Each case's options go through the
// command's flag parsing (featpool::cli::FeatureFlags); the audio is read on
// the type's unit scale and cut to the generator's length.
//
// Frame counts must be exact. Tolerances (featpool computes in float32: a
// float32 KissFFT, float32 spectra, float32 mel weights summed in double):
//  * STRONG values, at most 50 dB (in power) below the frame's peak mel
//    value: within 1e-4 relative in the power (or magnitude) domain; in a
//    log domain the same bound, 1e-4 for ln, 1e-4 / ln 10 for log10, and
//    (20 / power) 1e-4 / ln 10 for dB. float32 rounding of a 400-point FFT
//    and a mel sum is ~1e-6 relative for such values, so 1e-4 leaves room
//    without hiding a wrong rule (a wrong window, padding or mel edge moves
//    strong values by far more than 1e-3).
//  * WEAK values (the rest): float32 rounding noise there is set by the
//    frame's strong bins, not by the value, so errors are normalised to the
//    frame's peak, r = |error in the linear domain| / peak, and per case the
//    largest r of featpool must not exceed 3 times the largest r of torch's
//    own float32 run of the same rule (its error is what any float32
//    implementation has).
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/error.h"
#include "featpool/feature-flags.h"
#include "featpool/feature-registry.h"
#include "featpool/npy.h"
#include "featpool/online-feature.h"
#include "featpool/options.h"

using namespace featpool;

namespace {

const std::string kDir = std::string(FEATPOOL_TEST_DATA) + "/dialects/";
constexpr double kStrongTol = 1e-4;
constexpr double kStrongDb = 50.0;
constexpr double kWeakFactor = 3.0;

struct Case {
  std::string name, input;
  int64_t samples = 0;
  std::vector<std::string> flags;  // --key=value
  std::string feature = "melspectrogram";
  std::string log = "none";
  double power = 2.0;
  double log_offset = 0.0;
};

std::vector<Case> ReadCases() {
  std::ifstream in(kDir + "cases.txt");
  if (!in) throw Error("cannot open " + kDir + "cases.txt");
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    Case c;
    ss >> c.name;
    for (std::string field; ss >> field;) {
      const size_t eq = field.find('=');
      const std::string key = field.substr(0, eq);
      const std::string value = field.substr(eq + 1);
      if (key == "input") {
        c.input = value;
      } else if (key == "samples") {
        c.samples = std::stoll(value);
      } else {
        c.flags.push_back(FlagName(key) + "=" + value);
        if (key == "log") c.log = value;
        if (key == "feature") c.feature = value;
        if (key == "power") c.power = std::stod(value);
        if (key == "log_offset") c.log_offset = std::stod(value);
      }
    }
    cases.push_back(c);
  }
  return cases;
}

// The command's flag parsing, on a fresh CLI11 app.
void ParseFlags(const Case& c, FeatureOptions* features, AudioReadOptions* audio) {
  CLI::App app;
  cli::FeatureFlags flags;
  cli::AddFeatureFlags(&app, &flags);
  std::vector<std::string> args = c.flags;
  if (c.feature == "melspectrogram") args.push_back("--feature=melspectrogram");
  std::reverse(args.begin(), args.end());
  app.parse(args);
  *features = flags.ToOptions();
  *audio = flags.ToAudioOptions();
}

// A value of the case's output in the linear (power or magnitude) domain.
double Linear(const Case& c, double v) {
  if (c.log == "ln") return std::exp(v);
  if (c.log == "log10") return std::pow(10.0, v);
  if (c.log == "db") return std::pow(10.0, v * c.power / 20.0);
  return v;
}

// 1e-4 relative in the linear domain, in the output's domain.
double StrongTolerance(const Case& c, double ref) {
  if (c.log == "ln") return kStrongTol;
  if (c.log == "log10") return kStrongTol / std::log(10.0);
  if (c.log == "db") return 20.0 / c.power * kStrongTol / std::log(10.0);
  return kStrongTol * std::fabs(ref);
}

struct Errors {
  double strong_rel = 0.0;  // largest strong error / its tolerance x 1e-4
  double weak = 0.0;        // largest weak r
  int64_t strong_count = 0;
};

// Errors of `got` (rows x cols, float) against `ref`.
Errors Compare(const Case& c, const Matrix& ref, const float* got, bool check_strong) {
  Errors e;
  const double strong_ratio = std::pow(10.0, -kStrongDb / 10.0 * c.power / 2.0);
  for (int64_t r = 0; r < ref.rows(); ++r) {
    double peak = 0.0;
    for (int64_t k = 0; k < ref.cols(); ++k) peak = std::max(peak, Linear(c, ref.Row(r)[k]));
    for (int64_t k = 0; k < ref.cols(); ++k) {
      const double want = ref.Row(r)[k];
      const double have = got[r * ref.cols() + k];
      const double level = Linear(c, want);
      const double err = std::fabs(have - want);
      if (level >= strong_ratio * peak && level > c.log_offset * 1e3) {
        ++e.strong_count;
        const double tol = StrongTolerance(c, want);
        e.strong_rel = std::max(e.strong_rel, err / tol * kStrongTol);
        if (check_strong && err > tol) {
          FAIL_CHECK(c.name << " frame " << r << " bin " << k << ": " << have << " vs " << want
                            << " (strong, tolerance " << tol << ")");
        }
      } else if (peak > 0) {
        // The error in the linear domain: the log's derivative times the
        // level for the log outputs.
        const double linear_err = c.log == "none"
                                      ? err
                                      : err * level /
                                            (c.log == "ln"      ? 1.0
                                             : c.log == "log10" ? 1 / std::log(10.0)
                                                                : 20 / c.power / std::log(10.0));
        e.weak = std::max(e.weak, linear_err / peak);
      }
    }
  }
  return e;
}

}  // namespace

TEST_CASE("melspectrogram matches torchaudio's float64 reference on real speech",
          "[dialect-fixtures][melspectrogram]") {
  const std::vector<Case> cases = ReadCases();
  REQUIRE(cases.size() >= 12);
  const bool report = std::getenv("FEATPOOL_FIXTURE_REPORT") != nullptr;
  for (const Case& c : cases) {
    INFO("case " << c.name);
    FeatureOptions opts;
    AudioReadOptions audio;
    ParseFlags(c, &opts, &audio);
    CHECK(opts.type == FindFeatureType(c.feature).type);
    CHECK(audio.full_scale == 1.0f);  // the unit scale: torchaudio.load's values
    audio.target_sample_rate = opts.frame_opts().samp_freq;
    std::vector<float> wave =
        ReadAudio(std::string(FEATPOOL_TEST_DATA) + "/../../" + c.input, audio);
    REQUIRE(static_cast<int64_t>(wave.size()) >= c.samples);
    wave.resize(static_cast<size_t>(c.samples));
    const Matrix got = ComputeFeatures(opts, opts.frame_opts().samp_freq, wave.data(), c.samples);
    const Matrix ref = ReadNpy(kDir + c.name + ".f64.npy");  // float64 rounded to float32
    const Matrix f32 = ReadNpy(kDir + c.name + ".f32.npy");
    REQUIRE(got.rows() == ref.rows());
    REQUIRE(got.cols() == ref.cols());
    REQUIRE(f32.rows() == ref.rows());
    if (c.feature == "mel-mfcc") {
      // Cepstra sum every mel bin's dB value, weak ones included, so
      // float32 noise in the weak bins sets their error: no more than 3x
      // torch's float32 run, and in any case 1e-4 of the largest cepstrum.
      double ours = 0, torch32 = 0, peak = 0;
      for (int64_t i = 0; i < ref.rows() * ref.cols(); ++i) {
        ours = std::max(ours, std::fabs(double{got.data()[i]} - ref.data()[i]));
        torch32 = std::max(torch32, std::fabs(double{f32.data()[i]} - ref.data()[i]));
        peak = std::max(peak, std::fabs(double{ref.data()[i]}));
      }
      CHECK(ours <= kWeakFactor * torch32);
      CHECK(ours <= 1e-4 * peak);
      if (report) {
        std::printf("%-24s frames %3lld x %3lld  max abs %.2e of %.0f (torch f32 %.2e)\n",
                    c.name.c_str(), static_cast<long long>(ref.rows()),
                    static_cast<long long>(ref.cols()), ours, peak, torch32);
      }
      continue;
    }
    const Errors ours = Compare(c, ref, got.data(), true);
    const Errors torch32 = Compare(c, ref, f32.data(), false);
    CHECK(ours.strong_count > ref.rows());  // every frame has strong values
    CHECK(ours.weak <= kWeakFactor * torch32.weak + 1e-12);
    if (report) {
      std::printf(
          "%-24s frames %3lld x %3lld  strong max rel %.2e (torch f32 %.2e)  weak max r "
          "%.2e (torch f32 %.2e)\n",
          c.name.c_str(), static_cast<long long>(ref.rows()), static_cast<long long>(ref.cols()),
          ours.strong_rel, torch32.strong_rel, ours.weak, torch32.weak);
    }
  }
}
