// Kaldi log power spectrogram (feature-spectrogram.h/.cc): padded/2 + 1
// columns of ln(max(|X_k|^2, FLT_EPSILON)), column 0 replaced by log energy.
#ifndef FEATPOOL_SPECTROGRAM_H_
#define FEATPOOL_SPECTROGRAM_H_

#include <vector>

#include "featpool/feature-computer.h"
#include "featpool/rfft.h"

namespace featpool {

class OptionVisitor;  // options.h

// Kaldi SpectrogramOptions (its defaults; frame_opts.dither is 0 here).
// Kaldi's return_raw_fft is not supported.
struct SpectrogramOptions {
  FrameExtractionOptions frame_opts;
  float energy_floor = 0.0f;  // floor on the energy (absolute, not log); 0 = off
  bool raw_energy = true;     // energy before pre-emphasis and window

  void VisitOptions(OptionVisitor& v);  // the field table (options.h)
};

class SpectrogramComputer : public FeatureComputer {
 public:
  explicit SpectrogramComputer(const SpectrogramOptions& opts);  // validates

  const FrameExtractionOptions& frame_options() const override { return opts_.frame_opts; }
  int32_t Dim() const override { return opts_.frame_opts.PaddedWindowSize() / 2 + 1; }
  bool NeedRawLogEnergy() const override { return opts_.raw_energy; }
  void Compute(float raw_log_energy, float* window, float* feature) override;

 private:
  SpectrogramOptions opts_;
  Rfft fft_;
  float log_energy_floor_;
};

}  // namespace featpool

#endif  // FEATPOOL_SPECTROGRAM_H_
