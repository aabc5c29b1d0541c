// MFCC of the generic mel spectrogram (torchaudio 0.13.1
// transforms.MFCC, librosa feature.mfcc): the orthonormal DCT-II of the dB
// mel spectrogram (10 log10(max(x, 1e-10)), without torchaudio's top_db,
// which needs the whole utterance) or, with log_mels, of ln(x + 1e-6);
// optional librosa liftering. Kaldi's MFCC is mfcc.h.
//
// Thread safety: a computer holds an FFT plan and scratch: one per stream.
#ifndef FEATPOOL_MEL_MFCC_H_
#define FEATPOOL_MEL_MFCC_H_

#include <memory>
#include <vector>

#include "featpool/melspectrogram.h"

namespace featpool {

class OptionVisitor;  // options.h

struct MelMfccOptions {
  MelSpectrogramOptions mel;  // its log step is not used
  int32_t n_mfcc = 40;
  bool log_mels = false;  // ln(x + 1e-6) instead of dB
  float lifter = 0.0f;    // librosa: x 1 + (L/2) sin(pi (n + 1) / L); 0 = off

  void Validate() const;                // throws OptionError
  void VisitOptions(OptionVisitor& v);  // the field table (options.h)
};

class MelMfccComputer : public FeatureComputer {
 public:
  explicit MelMfccComputer(const MelMfccOptions& opts);  // validates

  const FrameExtractionOptions& frame_options() const override { return mel_.frame_options(); }
  std::unique_ptr<Framer> MakeFramer() const override { return mel_.MakeFramer(); }
  int32_t Dim() const override { return opts_.n_mfcc; }
  bool NeedRawLogEnergy() const override { return false; }
  void Compute(float raw_log_energy, float* window, float* feature) override;

 private:
  MelMfccOptions opts_;
  MelSpectrogramComputer mel_;
  std::vector<double> dct_;  // n_mfcc x n_mels, lifter folded in
  std::vector<float> mels_;
  std::vector<double> wide_mels_;  // the log mels in double, for the DCT
};

}  // namespace featpool

#endif  // FEATPOOL_MEL_MFCC_H_
