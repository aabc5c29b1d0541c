// featpool info: what an audio file is and how many frames it gives.
#include <cstdio>
#include <iostream>

#include "featpool/audio-source.h"
#include "featpool/command.h"
#include "featpool/feature-flags.h"

namespace featpool {
namespace cli {

RunFunction AddInfoCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "info", "Show an audio file's format, rate, channels, duration and frame count");
  struct State {
    FeatureFlags flags;
    std::string input;
  };
  auto state = std::make_shared<State>();
  sub->add_option("INPUT", state->input, "Audio file")->required();
  AddFeatureFlags(sub, &state->flags);
  return [state]() {
    const FeatureOptions opts = state->flags.ToOptions();
    AudioReadOptions audio = state->flags.ToAudioOptions();
    AudioSource source(state->input, audio);
    const AudioInfo& info = source.info();
    const FrameExtractionOptions& frame = opts.frame_opts();
    const int64_t samples = source.ExpectedSamples();
    std::printf("file:        %s\n", info.path.c_str());
    std::printf("format:      %s, %s\n", info.format.c_str(), info.encoding.c_str());
    std::printf("sample rate: %d Hz\n", info.sample_rate);
    std::printf("channels:    %d\n", info.channels);
    std::printf("duration:    %.3f s (%lld samples)\n", info.Duration(),
                static_cast<long long>(info.frames));
    if (source.sample_rate() != static_cast<float>(info.sample_rate)) {
      std::printf("resampled:   %.0f Hz, %lld samples\n", source.sample_rate(),
                  static_cast<long long>(samples));
    }
    std::printf("frames:      %d (%s, %g ms / %g ms, snip-edges=%s)\n",
                NumFrames(samples, frame), FeatureTypeName(opts.type).c_str(),
                frame.frame_length_ms, frame.frame_shift_ms, frame.snip_edges ? "true" : "false");
    if (!source.warning().empty()) std::cerr << "featpool: warning: " << source.warning() << "\n";
    return 0;
  };
}

}  // namespace cli
}  // namespace featpool
