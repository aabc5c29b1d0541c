#include "featpool/mfcc.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "fast-log.h"
#include "featpool/error.h"
#include "log-energy.h"
#include "number-text.h"

namespace featpool {

// Kaldi feature-mfcc.cc MfccComputer
MfccComputer::MfccComputer(const MfccOptions& opts)
    : opts_(opts),
      mel_bank_((opts.frame_opts.Validate(), opts.mel_opts), opts.frame_opts),
      fft_(opts.frame_opts.PaddedWindowSize()),
      spectrum_(static_cast<size_t>(opts.frame_opts.PaddedWindowSize() / 2 + 1)),
      mel_(static_cast<size_t>(opts.mel_opts.num_bins)),
      log_energy_floor_(LogEnergyFloor(opts.energy_floor)) {
  const int32_t bins = mel_bank_.NumBins();
  if (opts_.num_ceps < 1) {
    throw OptionError("num_ceps", std::to_string(opts_.num_ceps), "must be >= 1");
  }
  if (opts_.num_ceps > bins) {
    throw OptionError("num_ceps", std::to_string(opts_.num_ceps),
                      "cannot exceed {num_mel_bins}=" + std::to_string(bins));
  }
  if (!std::isfinite(opts_.cepstral_lifter)) {
    throw OptionError("cepstral_lifter", NumberText(opts_.cepstral_lifter), "must be finite");
  }
  // Kaldi ComputeDctMatrix(): orthonormal DCT-II, first num_ceps rows.
  dct_.resize(static_cast<size_t>(opts_.num_ceps) * static_cast<size_t>(bins));
  for (int32_t k = 0; k < opts_.num_ceps; ++k) {
    for (int32_t n = 0; n < bins; ++n) {
      const double value = k == 0 ? std::sqrt(1.0 / bins)
                                  : std::sqrt(2.0 / bins) * std::cos(M_PI / bins * (n + 0.5) * k);
      dct_[static_cast<size_t>(k) * static_cast<size_t>(bins) + static_cast<size_t>(n)] =
          static_cast<float>(value);
    }
  }
  // Kaldi ComputeLifterCoeffs()
  lifter_.assign(static_cast<size_t>(opts_.num_ceps), 1.0f);
  if (opts_.cepstral_lifter != 0) {
    const double q = opts_.cepstral_lifter;
    for (int32_t i = 0; i < opts_.num_ceps; ++i) {
      lifter_[static_cast<size_t>(i)] = static_cast<float>(1.0 + 0.5 * q * std::sin(M_PI * i / q));
    }
  }
}

void MfccComputer::Compute(float raw_log_energy, float* window, float* feature) {
  float log_energy = raw_log_energy;
  if (opts_.use_energy && !opts_.raw_energy) {
    log_energy = WindowedLogEnergy(window, opts_.frame_opts.PaddedWindowSize());
  }
  fft_.PowerSpectrum(window, spectrum_.data());
  mel_bank_.Compute(spectrum_.data(), mel_.data());
  const int32_t bins = mel_bank_.NumBins();
  LogFlooredInPlace(mel_.data(), bins);
  const int32_t ceps = opts_.num_ceps;
  for (int32_t k = 0; k < ceps; ++k) {
    const float* row = dct_.data() + static_cast<size_t>(k) * static_cast<size_t>(bins);
    double sum = 0.0;
    for (int32_t n = 0; n < bins; ++n)
      sum += static_cast<double>(row[n]) * mel_[static_cast<size_t>(n)];
    feature[k] = static_cast<float>(sum) * lifter_[static_cast<size_t>(k)];
  }
  if (opts_.use_energy) {
    if (opts_.energy_floor > 0 && log_energy < log_energy_floor_) log_energy = log_energy_floor_;
    feature[0] = log_energy;
  }
  if (opts_.htk_compat) {
    float c0 = feature[0];
    for (int32_t k = 0; k + 1 < ceps; ++k) feature[k] = feature[k + 1];
    if (!opts_.use_energy) c0 *= static_cast<float>(M_SQRT2);
    feature[ceps - 1] = c0;
  }
}

}  // namespace featpool
