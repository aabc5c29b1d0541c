// Options for every feature type in one place, and the factory that turns
// them into a FeatureComputer. The command fills all three option sets from
// the same flags and the chosen `type` picks which one is used.
#ifndef FEATPOOL_FEATURE_OPTIONS_H_
#define FEATPOOL_FEATURE_OPTIONS_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "featpool/fbank.h"
#include "featpool/feature-computer.h"
#include "featpool/framing.h"
#include "featpool/mel-mfcc.h"
#include "featpool/melspectrogram.h"
#include "featpool/mfcc.h"
#include "featpool/spectrogram.h"

namespace featpool {

class OptionVisitor;  // options.h

struct FeatureOptions {
  FeatureType type = FeatureType::kFbank;
  FbankOptions fbank;
  MfccOptions mfcc;
  SpectrogramOptions spectrogram;
  MelSpectrogramOptions melspectrogram;
  MelMfccOptions mel_mfcc;

  // The chosen type's Kaldi frame options, or their nearest equivalent
  // (feature-registry.h).
  FrameExtractionOptions frame_opts() const;
  // The chosen type's framer (KaldiFramer or StftFramer), and the frames it
  // gives a whole input of `num_samples`.
  std::unique_ptr<Framer> MakeFramer() const;
  int32_t NumFrames(int64_t num_samples) const;
  // The chosen type's field table (feature-registry.h).
  void VisitOptions(OptionVisitor& v);
};

// Every feature option once, as Kaldi's command-line flags (and featpool's
// Python keywords) give them, with Kaldi's defaults; For() copies them into
// the option set of one feature type. This is the one place that knows which
// option belongs to which type.
struct CommonFeatureOptions {
  FrameExtractionOptions frame;
  MelBanksOptions mel = FbankOptions::MakeMelOptions();  // fbank, MFCC
  std::optional<bool> use_energy;  // unset: Kaldi's default, false for fbank, true for MFCC
  float energy_floor = 0.0f;
  bool raw_energy = true;
  bool htk_compat = false;        // fbank, MFCC
  bool use_log_fbank = true;      // fbank
  bool use_power = true;          // fbank
  int32_t num_ceps = 13;          // MFCC
  float cepstral_lifter = 22.0f;  // MFCC

  // Options of `type` (all three sets are filled); validates the chosen
  // type's options, throwing Error naming the option.
  FeatureOptions For(FeatureType type) const;
};

// Validates the options of the chosen type; throws Error naming the option.
std::unique_ptr<FeatureComputer> MakeFeatureComputer(const FeatureOptions& opts);

}  // namespace featpool

#endif  // FEATPOOL_FEATURE_OPTIONS_H_
