#include "featpool/feature-options.h"

namespace featpool {

const FrameExtractionOptions& FeatureOptions::frame_opts() const {
  switch (type) {
    case FeatureType::kMfcc: return mfcc.frame_opts;
    case FeatureType::kSpectrogram: return spectrogram.frame_opts;
    case FeatureType::kFbank: break;
  }
  return fbank.frame_opts;
}

std::unique_ptr<FeatureComputer> MakeFeatureComputer(const FeatureOptions& opts) {
  switch (opts.type) {
    case FeatureType::kMfcc: return std::make_unique<MfccComputer>(opts.mfcc);
    case FeatureType::kSpectrogram: return std::make_unique<SpectrogramComputer>(opts.spectrogram);
    case FeatureType::kFbank: break;
  }
  return std::make_unique<FbankComputer>(opts.fbank);
}

}  // namespace featpool
