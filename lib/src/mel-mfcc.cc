#include "featpool/mel-mfcc.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "featpool/error.h"
#include "featpool/options.h"
#include "fast-log.h"
#include "number-text.h"

namespace featpool {
namespace {

MelSpectrogramOptions WithoutLog(MelSpectrogramOptions mel) {
  mel.log = MelLog::kNone;
  return mel;
}

}  // namespace

// torchaudio 0.13.1 transforms.MFCC: n_mfcc=40, log_mels=False; librosa's
// lifter (feature/spectral.py mfcc).
void MelMfccOptions::VisitOptions(OptionVisitor& v) {
  mel.VisitSpectrumOptions(v);
  v.Visit(OptionInfo::Range("n_mfcc", "", "Number of cepstra, at most n_mels", 1.0, 2147483647.0),
          OptionRef::Of(&n_mfcc));
  v.Visit(OptionInfo::Range(
              "log_mels", "", "ln(mel + 1e-6) instead of dB (10 log10(max(mel, 1e-10)))",
              -std::numeric_limits<double>::infinity(), std::numeric_limits<double>::infinity()),
          OptionRef::Of(&log_mels));
  v.Visit(
      OptionInfo::Range("lifter", "", "librosa's lifter: 1 + (L/2) sin(pi (n + 1) / L); 0 = off",
                        0.0, std::numeric_limits<double>::infinity()),
      OptionRef::Of(&lifter));
}

void MelMfccOptions::Validate() const {
  CheckOptionRanges(*this);
  mel.Validate();
  if (n_mfcc > mel.n_mels) {
    throw OptionError("n_mfcc", std::to_string(n_mfcc),
                      "cannot exceed {n_mels}=" + std::to_string(mel.n_mels));
  }
}

// torchaudio functional.create_dct(n_mfcc, n_mels, "ortho"): dct[n][k] =
// cos(pi / N (n + 1/2) k) x sqrt(2 / N), x 1/sqrt(2) for k = 0; the MFCC is
// mel_db @ dct. The lifter multiplies cepstrum k.
MelMfccComputer::MelMfccComputer(const MelMfccOptions& opts)
    : opts_((opts.Validate(), opts)),
      mel_(WithoutLog(opts.mel)),
      dct_(static_cast<size_t>(opts.n_mfcc) * static_cast<size_t>(opts.mel.n_mels)),
      mels_(static_cast<size_t>(opts.mel.n_mels)),
      wide_mels_(mels_.size()) {
  const int32_t n = opts.mel.n_mels;
  for (int32_t k = 0; k < opts.n_mfcc; ++k) {
    const double lift =
        opts.lifter > 0 ? 1.0 + 0.5 * opts.lifter * std::sin(M_PI * (k + 1) / opts.lifter) : 1.0;
    for (int32_t i = 0; i < n; ++i) {
      double d = std::cos(M_PI / n * (i + 0.5) * k) * std::sqrt(2.0 / n);
      if (k == 0) d *= M_SQRT1_2;
      dct_[static_cast<size_t>(k) * static_cast<size_t>(n) + static_cast<size_t>(i)] = d * lift;
    }
  }
}

void MelMfccComputer::Compute(float raw_log_energy, float* window, float* feature) {
  mel_.Compute(raw_log_energy, window, mels_.data());
  const int32_t n = opts_.mel.n_mels;
  // torchaudio AmplitudeToDB("power"): 10 log10(clamp(x, 1e-10)); or
  // ln(x + 1e-6). Both guards give normal floats: the vectorised ln
  // (fast-log.h), then one product in double for the dB.
  float* mels = mels_.data();
  if (opts_.log_mels) {
    for (int32_t i = 0; i < n; ++i) mels[i] += 1e-6f;
    LogOfNormalInPlace(mels, n);
  } else {
    for (int32_t i = 0; i < n; ++i) mels[i] = std::max(mels[i], 1e-10f);
    LogOfNormalInPlace(mels, n);
    const double db = 10.0 / std::log(10.0);
    for (int32_t i = 0; i < n; ++i) mels[i] = static_cast<float>(mels[i] * db);
  }
  double* x = wide_mels_.data();
  for (int32_t i = 0; i < n; ++i) x[i] = mels[i];
  // Each coefficient is one sum in double over i in order; four sums run
  // side by side (independent chains), each in its own order.
  const size_t stride = static_cast<size_t>(n);
  int32_t k = 0;
  for (; k + 4 <= opts_.n_mfcc; k += 4) {
    const double* r0 = dct_.data() + static_cast<size_t>(k) * stride;
    const double* r1 = r0 + stride;
    const double* r2 = r1 + stride;
    const double* r3 = r2 + stride;
    double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    for (int32_t i = 0; i < n; ++i) {
      s0 += r0[i] * x[i];
      s1 += r1[i] * x[i];
      s2 += r2[i] * x[i];
      s3 += r3[i] * x[i];
    }
    feature[k] = static_cast<float>(s0);
    feature[k + 1] = static_cast<float>(s1);
    feature[k + 2] = static_cast<float>(s2);
    feature[k + 3] = static_cast<float>(s3);
  }
  for (; k < opts_.n_mfcc; ++k) {
    const double* row = dct_.data() + static_cast<size_t>(k) * stride;
    double sum = 0.0;
    for (int32_t i = 0; i < n; ++i) sum += row[i] * x[i];
    feature[k] = static_cast<float>(sum);
  }
}

}  // namespace featpool
