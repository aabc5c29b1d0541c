#include "featpool/feature-computer.h"

#include "featpool/error.h"

namespace featpool {

FeatureType ParseFeatureType(const std::string& name) {
  if (name == "fbank") return FeatureType::kFbank;
  if (name == "mfcc") return FeatureType::kMfcc;
  if (name == "spectrogram") return FeatureType::kSpectrogram;
  throw Error("invalid --feature '" + name + "': expected fbank, mfcc or spectrogram");
}

std::string FeatureTypeName(FeatureType type) {
  switch (type) {
    case FeatureType::kFbank: return "fbank";
    case FeatureType::kMfcc: return "mfcc";
    case FeatureType::kSpectrogram: return "spectrogram";
  }
  return "?";
}

}  // namespace featpool
