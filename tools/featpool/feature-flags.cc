#include "featpool/feature-flags.h"

#include "featpool/error.h"
#include "featpool/feature-registry.h"

namespace featpool {
namespace cli {

void AddFeatureFlags(CLI::App* app, FeatureFlags* f) {
  f->features.Add(app);
  f->audio.Add(app, "Audio input");
}

AudioReadOptions FeatureFlags::ToAudioOptions() const {
  AudioReadOptions opts;
  opts.target_sample_rate = features.SampleFrequency();
  audio.ApplyTo(&opts);
  opts.full_scale = FullScaleSample(features.Type());
  return opts;
}

}  // namespace cli
}  // namespace featpool
