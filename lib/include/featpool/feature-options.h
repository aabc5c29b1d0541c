// Options for every feature type in one place, and the factory that turns
// them into a FeatureComputer. The command fills all three option sets from
// the same flags and the chosen `type` picks which one is used.
#ifndef FEATPOOL_FEATURE_OPTIONS_H_
#define FEATPOOL_FEATURE_OPTIONS_H_

#include <memory>

#include "featpool/fbank.h"
#include "featpool/feature-computer.h"
#include "featpool/mfcc.h"
#include "featpool/spectrogram.h"

namespace featpool {

struct FeatureOptions {
  FeatureType type = FeatureType::kFbank;
  FbankOptions fbank;
  MfccOptions mfcc;
  SpectrogramOptions spectrogram;

  const FrameExtractionOptions& frame_opts() const;
};

// Validates the options of the chosen type; throws Error naming the option.
std::unique_ptr<FeatureComputer> MakeFeatureComputer(const FeatureOptions& opts);

}  // namespace featpool

#endif  // FEATPOOL_FEATURE_OPTIONS_H_
