#include "featpool/fbank.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "featpool/error.h"
#include "fast-log.h"
#include "log-energy.h"

namespace featpool {

FbankComputer::FbankComputer(const FbankOptions& opts)
    : opts_(opts),
      mel_bank_((opts.frame_opts.Validate(), opts.mel_opts), opts.frame_opts),
      fft_(opts.frame_opts.PaddedWindowSize()),
      spectrum_(static_cast<size_t>(opts.frame_opts.PaddedWindowSize() / 2 + 1)),
      log_energy_floor_(LogEnergyFloor(opts.energy_floor)) {}

int32_t FbankComputer::Dim() const { return mel_bank_.NumBins() + (opts_.use_energy ? 1 : 0); }

// Kaldi feature-fbank.cc FbankComputer::Compute()
void FbankComputer::Compute(float raw_log_energy, float* window, float* feature) {
  float log_energy = raw_log_energy;
  if (opts_.use_energy && !opts_.raw_energy) {
    log_energy = WindowedLogEnergy(window, opts_.frame_opts.PaddedWindowSize());
  }
  fft_.PowerSpectrum(window, spectrum_.data());
  if (!opts_.use_power) {
    for (float& v : spectrum_) v = std::sqrt(v);
  }
  const int32_t bins = mel_bank_.NumBins();
  float* mel = feature + ((opts_.use_energy && !opts_.htk_compat) ? 1 : 0);
  mel_bank_.Compute(spectrum_.data(), mel);
  if (opts_.use_log_fbank) {
    LogFlooredInPlace(mel, bins);
  }
  if (opts_.use_energy) {
    if (opts_.energy_floor > 0 && log_energy < log_energy_floor_) log_energy = log_energy_floor_;
    feature[opts_.htk_compat ? bins : 0] = log_energy;
  }
}

}  // namespace featpool
