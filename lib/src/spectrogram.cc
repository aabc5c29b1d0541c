#include "featpool/spectrogram.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "featpool/error.h"
#include "fast-log.h"
#include "log-energy.h"

namespace featpool {

// Kaldi feature-spectrogram.cc SpectrogramComputer
SpectrogramComputer::SpectrogramComputer(const SpectrogramOptions& opts)
    : opts_(opts),
      fft_((opts.frame_opts.Validate(), opts.frame_opts.PaddedWindowSize())),
      log_energy_floor_(LogEnergyFloor(opts.energy_floor)) {}

void SpectrogramComputer::Compute(float raw_log_energy, float* window, float* feature) {
  float log_energy = raw_log_energy;
  if (!opts_.raw_energy) {
    log_energy = WindowedLogEnergy(window, opts_.frame_opts.PaddedWindowSize());
  }
  fft_.PowerSpectrum(window, feature);
  const int32_t dim = Dim();
  LogFlooredInPlace(feature, dim);
  if (opts_.energy_floor > 0 && log_energy < log_energy_floor_) log_energy = log_energy_floor_;
  feature[0] = log_energy;
}

}  // namespace featpool
