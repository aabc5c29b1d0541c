// Golden fixtures: featpool's fbank / MFCC / spectrogram against Kaldi as
// reproduced by torchaudio.compliance.kaldi in float64, on real speech.
//
// tests/gen-kaldi-fixtures.py wrote tests/data/kaldi/cases.txt: per case an
// audio file, featpool flags, the float64 reference and torchaudio's float32
// result of the same call. Each case goes through the command's own flag
// parsing (featpool::cli::FeatureFlags) and ExtractFile(), as `featpool
// extract` does.
//
// Tolerances (the "float32 noise"):
//  * log energy (fbank/MFCC energy column, spectrogram column 0): 1e-4 abs.
//  * MFCC coefficient i: 1e-3 x lifter_i (lifter_i = 1 + Q/2 sin(pi i / Q),
//    1 without liftering; x sqrt(2) for the HTK-scaled C0).
//  * spectral columns (log-mel bands, linear mel bands taken as
//    ln(max(x, FLT_EPSILON)), log-spectrogram bins k >= 1). A value is STRONG
//    when the reference is at most 50 dB (power) below the frame's peak column
//    of the same kind: peak - ref <= 5 ln 10 for power, 2.5 ln 10 for
//    magnitude (--use-power=false). Strong values must be within 1e-3 abs
//    (mel) or 1e-4 abs (spectrogram). All other values are WEAK: float32
//    rounding there grows with the distance from the peak, so each error is
//    normalised to the frame's peak amplitude, r = |err| * 10^(-dB/20) with dB
//    the level below the peak, and for every case the largest r of featpool
//    must not exceed kWeakFactor (3) times the largest r of torchaudio's own
//    float32 result.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-flags.h"

using namespace featpool;

namespace {

const std::string kDir = std::string(FEATPOOL_TEST_DATA) + "/kaldi/";
constexpr double kEnergyTol = 1e-4;
constexpr double kMelTol = 1e-3;
constexpr double kSpectrumTol = 1e-4;
constexpr double kCepstrumTol = 1e-3;  // times the lifter coefficient
constexpr double kStrongDb = 50.0;
constexpr double kWeakFactor = 3.0;

struct Array {
  int64_t rows = 0;
  int64_t cols = 0;
  std::vector<double> data;
  double operator()(int64_t r, int64_t c) const { return data[static_cast<size_t>(r * cols + c)]; }
};

// A 2-D little-endian float32/float64 .npy (what numpy.save writes).
Array ReadArray(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path + "'");
  char pre[10];
  in.read(pre, 10);
  if (!in || std::string(pre, 6) != "\x93NUMPY" || pre[6] != 1) {
    throw Error("'" + path + "' is not a version 1 .npy file");
  }
  const size_t len = static_cast<unsigned char>(pre[8]) | (static_cast<unsigned char>(pre[9]) << 8);
  std::string dict(len, '\0');
  in.read(&dict[0], static_cast<std::streamsize>(len));
  const bool f8 = dict.find("'<f8'") != std::string::npos;
  if (!f8 && dict.find("'<f4'") == std::string::npos) throw Error("'" + path + "': not <f4/<f8");
  if (dict.find("'fortran_order': False") == std::string::npos)
    throw Error("'" + path + "': F order");
  Array a;
  const size_t shape = dict.find("'shape': (");
  if (shape == std::string::npos || std::sscanf(dict.c_str() + shape, "'shape': (%lld, %lld)",
                                                reinterpret_cast<long long*>(&a.rows),
                                                reinterpret_cast<long long*>(&a.cols)) != 2) {
    throw Error("'" + path + "': not a 2-D array");
  }
  const size_t n = static_cast<size_t>(a.rows * a.cols);
  a.data.resize(n);
  if (f8) {
    in.read(reinterpret_cast<char*>(a.data.data()), static_cast<std::streamsize>(n * 8));
  } else {
    std::vector<float> v(n);
    in.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(n * 4));
    std::copy(v.begin(), v.end(), a.data.begin());
  }
  if (!in) throw Error("'" + path + "' is truncated");
  return a;
}

struct Case {
  std::string name, input, flags, reference, float32;
};

std::vector<Case> ReadCases() {
  std::ifstream in(kDir + "cases.txt");
  if (!in) throw Error("cannot open " + kDir + "cases.txt");
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string f; std::getline(ss, f, '\t');) fields.push_back(f);
    if (fields.size() != 5) throw Error("bad line in cases.txt: " + line);
    cases.push_back({fields[0], fields[1], fields[2], fields[3], fields[4]});
  }
  return cases;
}

// The command's flag parsing, on a fresh CLI11 app.
struct ParsedFlags {
  FeatureOptions features;
  AudioReadOptions audio;
};

ParsedFlags ParseFlags(const std::string& text) {
  CLI::App app;
  cli::FeatureFlags flags;
  cli::AddFeatureFlags(&app, &flags);
  std::vector<std::string> args;
  std::stringstream ss(text);
  for (std::string a; ss >> a;) args.push_back(a);
  std::reverse(args.begin(), args.end());
  app.parse(args);
  return {flags.ToOptions(), flags.ToAudioOptions()};
}

enum class Kind { kEnergy, kCepstrum, kLogMel, kLinearMel, kLogSpectrum };

struct Column {
  Kind kind;
  double tolerance;  // absolute, for energy, cepstra and strong spectral values
};

std::vector<Column> Columns(const FeatureOptions& opts) {
  std::vector<Column> cols;
  switch (opts.type) {
    case FeatureType::kFbank: {
      const FbankOptions& o = opts.fbank;
      const Kind mel = o.use_log_fbank ? Kind::kLogMel : Kind::kLinearMel;
      cols.assign(static_cast<size_t>(o.mel_opts.num_bins), {mel, kMelTol});
      if (o.use_energy) {
        cols.insert(o.htk_compat ? cols.end() : cols.begin(), {Kind::kEnergy, kEnergyTol});
      }
      break;
    }
    case FeatureType::kMfcc: {
      const MfccOptions& o = opts.mfcc;
      for (int32_t i = 0; i < o.num_ceps; ++i) {
        const double q = o.cepstral_lifter;
        const double lifter = q != 0 ? 1.0 + 0.5 * q * std::sin(M_PI * i / q) : 1.0;
        cols.push_back({Kind::kCepstrum, kCepstrumTol * lifter});
      }
      if (o.use_energy) {
        cols[0] = {Kind::kEnergy, kEnergyTol};
      } else if (o.htk_compat) {
        cols[0].tolerance *= std::sqrt(2.0);
      }
      if (o.htk_compat) std::rotate(cols.begin(), cols.begin() + 1, cols.end());
      break;
    }
    case FeatureType::kSpectrogram:
      cols.assign(static_cast<size_t>(opts.spectrogram.frame_opts.PaddedWindowSize() / 2 + 1),
                  {Kind::kLogSpectrum, kSpectrumTol});
      cols[0] = {Kind::kEnergy, kEnergyTol};
      break;
  }
  return cols;
}

bool IsSpectral(Kind k) {
  return k == Kind::kLogMel || k == Kind::kLinearMel || k == Kind::kLogSpectrum;
}

double LogDomain(Kind k, double v) {
  return k == Kind::kLinearMel ? std::log(std::max(v, double{FLT_EPSILON})) : v;
}

struct Stats {
  double strong_max = 0, weak_max = 0;             // featpool vs float64
  double weak_norm_ours = 0, weak_norm_torch = 0;  // normalised weak errors
  double energy_max = 0, cepstrum_max_ratio = 0;   // energy; cepstrum err / tolerance
  double vs_torch32 = 0;                           // featpool vs torchaudio float32
  int64_t strong = 0, weak = 0;
};

bool Report() { return std::getenv("FEATPOOL_FIXTURE_REPORT") != nullptr; }

}  // namespace

TEST_CASE("features match Kaldi (torchaudio float64) on real speech", "[kaldi][fixtures]") {
  const std::vector<Case> cases = ReadCases();
  REQUIRE(cases.size() >= 50);
  for (const Case& c : cases) {
    DYNAMIC_SECTION(c.name) {
      INFO("case " << c.name << ": " << c.input << " " << c.flags);
      const ParsedFlags parsed = ParseFlags(c.flags);
      const FeatureOptions& opts = parsed.features;
      const FileFeatures got = ExtractFile(kDir + c.input, opts, parsed.audio);
      const Array ref = ReadArray(kDir + c.reference);
      const Array f32 = ReadArray(kDir + c.float32);
      REQUIRE(got.features.rows() == ref.rows);
      REQUIRE(got.features.cols() == ref.cols);
      REQUIRE(f32.rows == ref.rows);
      const std::vector<Column> cols = Columns(opts);
      REQUIRE(static_cast<int64_t>(cols.size()) == ref.cols);
      const bool power = opts.type != FeatureType::kFbank || opts.fbank.use_power;
      const double db_per_nat = (power ? 10.0 : 20.0) / std::log(10.0);

      Stats s;
      int64_t failures = 0;
      for (int64_t t = 0; t < ref.rows; ++t) {
        double peak = -HUGE_VAL;
        for (int64_t j = 0; j < ref.cols; ++j) {
          const Kind k = cols[static_cast<size_t>(j)].kind;
          if (IsSpectral(k)) peak = std::max(peak, LogDomain(k, ref(t, j)));
        }
        for (int64_t j = 0; j < ref.cols; ++j) {
          const Column& col = cols[static_cast<size_t>(j)];
          const double ours = LogDomain(col.kind, got.features(t, j));
          const double truth = LogDomain(col.kind, ref(t, j));
          const double torch = LogDomain(col.kind, f32(t, j));
          const double err = std::fabs(ours - truth);
          s.vs_torch32 = std::max(s.vs_torch32, std::fabs(ours - torch));
          const char* what = nullptr;
          if (col.kind == Kind::kEnergy) {
            s.energy_max = std::max(s.energy_max, err);
            if (err > col.tolerance) what = "log energy";
          } else if (col.kind == Kind::kCepstrum) {
            s.cepstrum_max_ratio = std::max(s.cepstrum_max_ratio, err / col.tolerance);
            if (err > col.tolerance) what = "cepstrum";
          } else {
            const double below_db = (peak - truth) * db_per_nat;
            if (below_db <= kStrongDb) {
              ++s.strong;
              s.strong_max = std::max(s.strong_max, err);
              if (err > col.tolerance) what = "strong spectral value";
            } else {
              ++s.weak;
              s.weak_max = std::max(s.weak_max, err);
              const double scale = std::pow(10.0, -below_db / 20.0);
              s.weak_norm_ours = std::max(s.weak_norm_ours, err * scale);
              s.weak_norm_torch = std::max(s.weak_norm_torch, std::fabs(torch - truth) * scale);
            }
          }
          if (what != nullptr && ++failures <= 5) {
            FAIL_CHECK(what << " at frame " << t << " column " << j << ": featpool " << ours
                            << ", float64 " << truth << ", torchaudio float32 " << torch
                            << " (|err| " << err << " > " << col.tolerance << ")");
          }
        }
      }
      REQUIRE(failures == 0);
      INFO("weak values: " << s.weak << ", largest normalised error featpool " << s.weak_norm_ours
                           << ", torchaudio float32 " << s.weak_norm_torch);
      CHECK(s.weak_norm_ours <= kWeakFactor * s.weak_norm_torch);
      if (Report()) {
        std::printf(
            "%-36s strong %5lld max %.1e | weak %4lld max %.1e norm %.1e (torch %.1e) | energy "
            "%.1e | ceps/tol %.2f | vs torch32 %.1e\n",
            c.name.c_str(), static_cast<long long>(s.strong), s.strong_max,
            static_cast<long long>(s.weak), s.weak_max, s.weak_norm_ours, s.weak_norm_torch,
            s.energy_max, s.cepstrum_max_ratio, s.vs_torch32);
      }
    }
  }
}

TEST_CASE("the fixture grid covers every feature type", "[kaldi][fixtures]") {
  std::map<FeatureType, int> count;
  for (const Case& c : ReadCases()) ++count[ParseFlags(c.flags).features.type];
  CHECK(count[FeatureType::kFbank] >= 20);
  CHECK(count[FeatureType::kMfcc] >= 5);
  CHECK(count[FeatureType::kSpectrogram] >= 5);
}
