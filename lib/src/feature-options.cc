#include "featpool/feature-options.h"

namespace featpool {

FeatureOptions CommonFeatureOptions::For(FeatureType type) const {
  frame.Validate();
  FeatureOptions opts;
  opts.type = type;

  opts.fbank.frame_opts = frame;
  opts.fbank.mel_opts = mel;
  opts.fbank.use_energy = use_energy.value_or(false);
  opts.fbank.energy_floor = energy_floor;
  opts.fbank.raw_energy = raw_energy;
  opts.fbank.htk_compat = htk_compat;
  opts.fbank.use_log_fbank = use_log_fbank;
  opts.fbank.use_power = use_power;

  opts.mfcc.frame_opts = frame;
  opts.mfcc.mel_opts = mel;
  opts.mfcc.num_ceps = num_ceps;
  opts.mfcc.use_energy = use_energy.value_or(true);
  opts.mfcc.energy_floor = energy_floor;
  opts.mfcc.raw_energy = raw_energy;
  opts.mfcc.cepstral_lifter = cepstral_lifter;
  opts.mfcc.htk_compat = htk_compat;

  opts.spectrogram.frame_opts = frame;
  opts.spectrogram.energy_floor = energy_floor;
  opts.spectrogram.raw_energy = raw_energy;

  MakeFeatureComputer(opts);  // validates the chosen type's options now
  return opts;
}

}  // namespace featpool
