#include "featpool/feature-flags.h"

#include "featpool/error.h"
#include "featpool/feature-registry.h"

namespace featpool {
namespace cli {

void AddFeatureFlags(CLI::App* app, FeatureFlags* f) {
  f->features.Add(app);
  const char* audio = "Audio input";
  app->add_option("--channel", f->channel,
                  "Channel of a multi-channel file: -1 = channel 0 with a warning, N, or mix")
      ->capture_default_str()
      ->group(audio);
  f->audio.Add(app, audio);
}

AudioReadOptions FeatureFlags::ToAudioOptions() const {
  AudioReadOptions opts;
  opts.target_sample_rate = features.SampleFrequency();
  audio.ApplyTo(&opts);
  opts.full_scale = FullScaleSample(features.Type());
  if (channel == "mix") {
    opts.channel = AudioReadOptions::kMixChannels;
  } else {
    size_t used = 0;
    int value = 0;
    try {
      value = std::stoi(channel, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != channel.size() || value < -1) {
      throw Error("invalid --channel='" + channel + "': expected -1, a channel number or mix");
    }
    opts.channel = value;
  }
  return opts;
}

}  // namespace cli
}  // namespace featpool
