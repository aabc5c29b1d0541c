// Kaldi MFCC features (feature-mfcc.h/.cc): log-mel, orthonormal DCT-II,
// cepstral liftering, optional energy in place of C0.
#ifndef FEATPOOL_MFCC_H_
#define FEATPOOL_MFCC_H_

#include <vector>

#include "featpool/feature-computer.h"
#include "featpool/mel-bank.h"
#include "featpool/rfft.h"

namespace featpool {

class OptionVisitor;  // options.h

// Kaldi MfccOptions (its defaults; frame_opts.dither is 0 here).
struct MfccOptions {
  FrameExtractionOptions frame_opts;
  MelBanksOptions mel_opts = MakeMelOptions();
  int32_t num_ceps = 13;        // number of cepstra, C0 included
  bool use_energy = true;       // replace C0 with the log energy
  float energy_floor = 0.0f;    // floor on the energy (absolute, not log); 0 = off
  bool raw_energy = true;       // energy before pre-emphasis and window
  float cepstral_lifter = 22.0f;  // 0 = no liftering
  bool htk_compat = false;      // C0/energy last; without energy, C0 * sqrt(2)

  void VisitOptions(OptionVisitor& v);  // the field table (options.h)

  static MelBanksOptions MakeMelOptions() {
    MelBanksOptions mel;
    mel.num_bins = 23;
    return mel;
  }
};

class MfccComputer : public FeatureComputer {
 public:
  explicit MfccComputer(const MfccOptions& opts);  // validates; throws Error

  const FrameExtractionOptions& frame_options() const override { return opts_.frame_opts; }
  int32_t Dim() const override { return opts_.num_ceps; }
  bool NeedRawLogEnergy() const override { return opts_.use_energy && opts_.raw_energy; }
  void Compute(float raw_log_energy, float* window, float* feature) override;

 private:
  MfccOptions opts_;
  MelBank mel_bank_;
  Rfft fft_;
  // The DCT transposed, num_bins rows of num_ceps rounded up to 8 (zeros
  // past num_ceps): cepstrum k is a float sum over the bins in order, eight
  // coefficients a vector.
  std::vector<float> dct_;
  int32_t dct_stride_ = 0;
  std::vector<float> cepstrum_;  // dct_stride_ running sums
  std::vector<float> lifter_;  // num_ceps
  std::vector<float> spectrum_;
  std::vector<float> mel_;
  float log_energy_floor_;
};

}  // namespace featpool

#endif  // FEATPOOL_MFCC_H_
