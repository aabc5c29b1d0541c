// The feature flags of every subcommand that extracts features: the option
// tables of every feature type in the registry (option-flags.h) plus
// featpool's audio-reading flags.
#ifndef FEATPOOL_TOOLS_FEATURE_FLAGS_H_
#define FEATPOOL_TOOLS_FEATURE_FLAGS_H_

#include <CLI/CLI.hpp>
#include <string>

#include "featpool/audio-source.h"
#include "featpool/feature-options.h"
#include "featpool/option-flags.h"

namespace featpool {
namespace cli {

struct FeatureFlags {
  FeatureFlagSet features;
  // --channel, --resample (--no-resample), and Kaldi's --allow-downsample /
  // --allow-upsample (conf files carry them): AudioReadOptions' table.
  AudioFlagSet audio;

  // Checks and converts; throws OptionError / Error naming the bad flag.
  FeatureOptions ToOptions() const { return features.ToOptions(); }
  AudioReadOptions ToAudioOptions() const;
};

void AddFeatureFlags(CLI::App* app, FeatureFlags* flags);

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_FEATURE_FLAGS_H_
