// Kaldi log-mel filterbank features (feature-fbank.h/.cc).
#ifndef FEATPOOL_FBANK_H_
#define FEATPOOL_FBANK_H_

#include <vector>

#include "featpool/feature-computer.h"
#include "featpool/mel-bank.h"
#include "featpool/rfft.h"

namespace featpool {

class OptionVisitor;  // options.h

// Kaldi FbankOptions (its defaults; frame_opts.dither is 0 here).
struct FbankOptions {
  FrameExtractionOptions frame_opts;
  MelBanksOptions mel_opts = MakeMelOptions();
  bool use_energy = false;     // add log energy as column 0 (last with htk_compat)
  float energy_floor = 0.0f;   // floor on the energy (absolute, not log); 0 = off
  bool raw_energy = true;      // energy before pre-emphasis and window
  bool htk_compat = false;     // energy last instead of first
  bool use_log_fbank = true;   // ln(max(mel, FLT_EPSILON)); false = linear mel
  bool use_power = true;       // power spectrum; false = magnitude

  void VisitOptions(OptionVisitor& v);  // the field table (options.h)

  static MelBanksOptions MakeMelOptions() {
    MelBanksOptions mel;
    mel.num_bins = 23;
    return mel;
  }
};

class FbankComputer : public FeatureComputer {
 public:
  explicit FbankComputer(const FbankOptions& opts);  // validates; throws Error

  const FrameExtractionOptions& frame_options() const override { return opts_.frame_opts; }
  int32_t Dim() const override;
  bool NeedRawLogEnergy() const override { return opts_.use_energy && opts_.raw_energy; }
  void Compute(float raw_log_energy, float* window, float* feature) override;

 private:
  FbankOptions opts_;
  MelBank mel_bank_;
  Rfft fft_;
  std::vector<float> spectrum_;
  float log_energy_floor_;
};

}  // namespace featpool

#endif  // FEATPOOL_FBANK_H_
