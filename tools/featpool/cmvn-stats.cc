// featpool cmvn-stats: global CMVN statistics of a dataset's features, as
// Kaldi's `compute-cmvn-stats scp:feats.scp stats.mat` (no --spk2utt)
// accumulates them (transform/cmvn.cc AccCmvnStats): a 2 x (D+1) double
// matrix, row 0 the sums and the frame count, row 1 the sums of squares.
// The result is what `featpool extract --cmvn=global --cmvn-stats=FILE`
// (and Kaldi's apply-cmvn) reads.
#include <sys/stat.h>

#include <iostream>

#include "featpool/cmvn.h"
#include "featpool/command.h"
#include "featpool/dataset.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-flags.h"
#include "featpool/npy.h"
#include "featpool/output-file.h"

namespace featpool {
namespace cli {
namespace {

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

// Accumulates the frames of each file as they are computed.
class StatsSink : public FrameSink {
 public:
  explicit StatsSink(CmvnStats* stats) : stats_(stats) {}
  void Begin(const FileFeatures& file, int64_t) override {
    if (stats_->dim == 0) *stats_ = CmvnStats(file.dim);
  }
  void Frames(MatrixView frames) override { stats_->Accumulate(frames); }

 private:
  CmvnStats* stats_;
};

}  // namespace

RunFunction AddCmvnStatsCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "cmvn-stats",
      "Accumulate global CMVN statistics (Kaldi compute-cmvn-stats: a 2 x (D+1) matrix) of the "
      "features of audio files, directories or scp:wav.scp, or of .npy feature matrices");
  struct State {
    FeatureFlags flags;
    std::vector<std::string> inputs;
    std::string output;
    std::string ext = "wav,flac,ogg,opus";
    bool binary = true;
  };
  auto state = std::make_shared<State>();
  sub->add_option("INPUT", state->inputs, "Audio files, directories, scp:wav.scp, or .npy files")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_option("-o,--output", state->output, "The stats file (Kaldi matrix)")->required();
  sub->add_option("--ext", state->ext, "Extensions searched for in directories")
      ->capture_default_str();
  sub->add_flag("--binary", state->binary,
                "Kaldi binary matrix (false: text) [default: true; --binary=true|false]");
  AddConfigFlags(sub);
  AddFeatureFlags(sub, &state->flags);
  return [state]() {
    return WithOptionSpelling({&state->flags.features}, [&]() -> int {
      const FeatureOptions opts = state->flags.ToOptions();
      const AudioReadOptions audio = state->flags.ToAudioOptions();
      CmvnStats stats;
      std::vector<std::string> audio_inputs;
      for (const std::string& input : state->inputs) {
        if (!EndsWith(input, ".npy")) {
          audio_inputs.push_back(input);
          continue;
        }
        const Matrix m = ReadNpy(input);
        if (stats.dim == 0) stats = CmvnStats(m.cols());
        if (m.cols() != stats.dim) {
          throw Error("'" + input + "': " + std::to_string(m.cols()) + " columns, earlier inputs " +
                      std::to_string(stats.dim));
        }
        stats.Accumulate(m.View());
      }
      if (!audio_inputs.empty()) {
        DatasetOptions dataset;
        dataset.extensions = ParseExtensions(state->ext);
        for (const Utterance& u : FindUtterances(audio_inputs, dataset)) {
          if (stats.dim != 0 && stats.dim != MakeFeatureComputer(opts)->Dim()) {
            throw Error("'" + u.path + "': features of another dim than the .npy inputs");
          }
          StatsSink sink(&stats);
          ExtractFile(u.path, opts, audio, &sink);
        }
      }
      if (stats.dim == 0 || stats.count() < 1) throw Error("no frames to accumulate");
      const std::string bytes = KaldiStatsBytes(stats, state->binary);
      AtomicOutputFile out(state->output);
      out.Write(bytes.data(), bytes.size());
      out.Commit();
      std::cerr << "featpool: " << static_cast<int64_t>(stats.count()) << " frames of " << stats.dim
                << " dimensions -> " << state->output << "\n";
      return 0;
    });
  };
}

}  // namespace cli
}  // namespace featpool
