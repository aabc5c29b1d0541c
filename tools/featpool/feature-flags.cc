#include "featpool/feature-flags.h"

#include "featpool/error.h"
#include "featpool/feature-registry.h"

namespace featpool {
namespace cli {

namespace {

// A flag's help with its default (the bound value before parsing), as the
// generated flags show theirs (option-flags.cc).
std::string WithDefault(const std::string& help, bool value) {
  return help + " [default: " + (value ? "true" : "false") + "]";
}

}  // namespace

void AddFeatureFlags(CLI::App* app, FeatureFlags* f) {
  f->features.Add(app);
  const char* audio = "Audio input";
  app->add_option("--channel", f->channel,
                  "Channel of a multi-channel file: -1 = channel 0 with a warning, N, or mix")
      ->capture_default_str()
      ->group(audio);
  app->add_flag("--no-resample", f->no_resample,
                WithDefault("Reject files whose rate differs from --sample-frequency instead of "
                            "resampling them (libsoxr, high quality)",
                            f->no_resample))
      ->group(audio);
  app->add_flag("--allow-downsample", f->allow_downsample,
                WithDefault("As in Kaldi: =false makes a file above --sample-frequency an error "
                            "(true: resampled)",
                            f->allow_downsample))
      ->group(audio);
  app->add_flag("--allow-upsample", f->allow_upsample,
                WithDefault("As in Kaldi: =false makes a file below --sample-frequency an error "
                            "(true: resampled)",
                            f->allow_upsample))
      ->group(audio);
}

AudioReadOptions FeatureFlags::ToAudioOptions() const {
  AudioReadOptions opts;
  opts.target_sample_rate = features.SampleFrequency();
  opts.resample = !no_resample;
  opts.allow_downsample = allow_downsample;
  opts.allow_upsample = allow_upsample;
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
