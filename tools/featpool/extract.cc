// featpool extract: audio file in, feature matrix out (.npy, float32).
#include <iostream>

#include "featpool/command.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-flags.h"
#include "featpool/npy.h"

namespace featpool {
namespace cli {

RunFunction AddExtractCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "extract", "Compute Kaldi-compatible fbank, MFCC or spectrogram features of an audio file");
  struct State {
    FeatureFlags flags;
    std::string input;
    std::string output;
  };
  auto state = std::make_shared<State>();
  sub->add_option("INPUT", state->input, "Audio file (WAV, FLAC, OGG, ...)")->required();
  sub->add_option("-o,--output", state->output, "Output .npy file (float32, [frames, dims])")
      ->required();
  AddFeatureFlags(sub, &state->flags);
  return [state]() {
    const FeatureOptions opts = state->flags.ToOptions();
    const AudioReadOptions audio = state->flags.ToAudioOptions();
    FileFeatures result = ExtractFile(state->input, opts, audio);
    if (!result.warning.empty()) std::cerr << "featpool: warning: " << result.warning << "\n";
    if (result.features.rows() == 0) {
      throw Error(ShortInputMessage(state->input, result.num_samples, opts.frame_opts()));
    }
    WriteNpy(state->output, result.features.View());
    return 0;
  };
}

}  // namespace cli
}  // namespace featpool
