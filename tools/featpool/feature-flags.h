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
  FrameExtractionOptions frame;
  std::string window_type = "povey";
  MelBanksOptions mel = FbankOptions::MakeMelOptions();
  bool use_energy = false;  // Kaldi: false for fbank, true for MFCC (see ToOptions)
  CLI::Option* use_energy_flag = nullptr;
  float energy_floor = 0.0f;
  bool raw_energy = true;
  bool htk_compat = false;
  bool use_log_fbank = true;
  bool use_power = true;
  int32_t num_ceps = 13;
  float cepstral_lifter = 22.0f;
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
