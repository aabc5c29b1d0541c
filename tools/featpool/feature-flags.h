// Kaldi's feature flags (compute-fbank-feats, compute-mfcc-feats,
// compute-spectrogram-feats), registered once for every subcommand that
// extracts features, plus featpool's audio-reading flags.
#ifndef FEATPOOL_TOOLS_FEATURE_FLAGS_H_
#define FEATPOOL_TOOLS_FEATURE_FLAGS_H_

#include <CLI/CLI.hpp>
#include <string>

#include "featpool/audio-source.h"
#include "featpool/feature-options.h"

namespace featpool {
namespace cli {

struct FeatureFlags {
  std::string feature = "fbank";
  std::string window_type = "povey";
  CommonFeatureOptions common;  // every other feature flag is bound here
  bool use_energy = false;      // set in `common` only when the flag is given
  CLI::Option* use_energy_flag = nullptr;
  std::string channel = "-1";
  bool no_resample = false;

  // Checks and converts; throws featpool::Error naming the bad flag.
  FeatureOptions ToOptions() const;
  AudioReadOptions ToAudioOptions() const;
};

void AddFeatureFlags(CLI::App* app, FeatureFlags* flags);

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_FEATURE_FLAGS_H_
