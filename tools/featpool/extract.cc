// featpool extract: audio in, feature matrices out. One file to one .npy
// (float32, [frames, dims]); or a dataset (files, directories, wav.scp) to
// one .npy per utterance or a Kaldi ark/scp, in parallel (featpool/batch.h,
// batch-report.h).
#include <sys/stat.h>

#include <cmath>
#include <iostream>
#include <optional>
#include <set>
#include <sstream>

#include "../../lib/src/fused-extract.h"
#include "featpool/batch-report.h"
#include "featpool/batch.h"
#include "featpool/command.h"
#include "featpool/dataset.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-flags.h"
#include "featpool/npy.h"
#include "featpool/option-flags.h"
#include "featpool/plot-file.h"
#include "featpool/pooler.h"
#include "featpool/single-output.h"
#include "featpool/std-streams.h"

namespace featpool {
namespace cli {

using internal::ExtractFused;
using internal::FusedResult;
using internal::MatrixRowSink;
using internal::NpyRowSink;

namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The single .npy, written as its rows become final. While its temporary
// file exists SIGINT, SIGTERM and SIGHUP only set a flag, seen between blocks
// of rows (a second one kills as usual), so a kill leaves no temporary file;
// before the first rows nothing is written and a signal acts at once.
class SingleNpySink : public NpyRowSink {
 public:
  struct Interrupted {
    int signal;
  };
  using NpyRowSink::NpyRowSink;
  // The temporary file goes first; then a signal that came ends the process.
  ~SingleNpySink() override {
    Discard();
    catcher_.reset();
  }
  void Rows(MatrixView rows) override {
    if (!catcher_) catcher_.emplace();
    StopIfInterrupted();
    NpyRowSink::Rows(rows);
  }
  void Commit() {
    StopIfInterrupted();
    NpyRowSink::Commit();
  }

 private:
  static void StopIfInterrupted() {
    if (const int signal = InterruptCatcher::Interrupted()) throw Interrupted{signal};
  }

  std::optional<InterruptCatcher> catcher_;
};

}  // namespace

RunFunction AddExtractCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "extract",
      "Compute Kaldi-compatible fbank, MFCC or spectrogram features: one audio file to .npy, "
      "or a dataset (files, directories, scp:wav.scp) to one .npy per utterance (-o DIR/) "
      "or a Kaldi archive (-o ark,scp:feats.ark,feats.scp)");
  // The batch flags are bound to the request's fields, so their defaults
  // are the library's (BatchRequest).
  struct State {
    FeatureFlags flags;
    BatchRequest request;
    std::string progress = "auto";
    BatchFlagSet batch;
    PoolFlagSet pool{"pool-"};
    StageFlagSet stages;
  };
  auto state = std::make_shared<State>();
  sub->add_option("INPUT", state->request.inputs,
                  "Audio files, directories (searched recursively for --ext files), "
                  "scp:wav.scp (lines 'utterance-id path' or 'utterance-id command |'; "
                  "scp,p: and Kaldi's other rspecifier options accepted) or a Kaldi data "
                  "directory (its wav.scp and segments)")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_option("-o,--output", state->request.output,
                  "One input file: out.npy, out.txt (text, a row per line), - (Kaldi text "
                  "archive on stdout, as copy-feats ark,t:-) or out.png (the picture of "
                  "`featpool plot`); several: DIR/ (one .npy per utterance, mirroring the "
                  "relative paths), ark,scp:feats.ark,feats.scp or ark:- (Kaldi archive, "
                  "stdout for '-'), lhotse:DIR (DIR/ plus DIR/features.jsonl.gz, a lhotse "
                  "FeatureSet)")
      ->required();
  state->batch.Add(sub);
  sub->add_option("--progress", state->progress,
                  "auto (a bar on a terminal, periodic lines otherwise), always (bar) or never")
      ->capture_default_str()
      ->group("Batch (several inputs, DIR/ or ark output)");
  AddConfigFlags(sub);
  AddFeatureFlags(sub, &state->flags);
  state->stages.Add(sub);
  state->pool.Add(sub);
  return [state, sub]() {
    return WithOptionSpelling({&state->flags.features, &state->stages, &state->pool, &state->batch},
                              [&]() -> int {
    BatchRequest request = state->request;  // a copy: it will hold stage_error, which holds state
    state->batch.ApplyTo(&request);
    state->pool.CheckUnusedWhenDisabled();
    const FeatureOptions opts = state->flags.ToOptions();
    // The stages (--cmvn, --deltas, ..., --pool=MODE): one immutable chain,
    // shared by the workers; built (and its stats file read) before any input.
    const StageOptions stage_opts = state->stages.ToOptions(&state->pool);
    const std::shared_ptr<const StageChain> stages = MakeStageChain(opts, stage_opts);
    // A stage error in the command's spelling (--pool-kernel, not --kernel).
    const auto stage_error = [state](const Error& e) {
      const auto* option = dynamic_cast<const OptionError*>(&e);
      return option != nullptr ? RenderOptionError(*option, {&state->stages, &state->pool,
                                                             &state->flags.features, &state->batch})
                               : std::string(e.what());
    };
    AudioReadOptions audio = state->flags.ToAudioOptions();
    audio.pipe.timeout_seconds = request.audio.pipe.timeout_seconds;
    audio.pipe.max_bytes = request.audio.pipe.max_bytes;
    audio.pipe.Validate();
    const ProgressMode progress = ParseProgressMode(state->progress);
    const bool single_input = request.inputs.size() == 1 && !IsScpInput(request.inputs[0]) &&
                              !IsDirectory(request.inputs[0]);
    // -o lhotse:DIR is -o DIR/ --lhotse=DIR/features.jsonl.gz (BatchRequest).
    if (!IsBatchOutput(request.output) && request.output.rfind("lhotse:", 0) != 0) {
      if (!single_input) {
        throw Error("-o " + request.output +
                    ": with several inputs, a directory or an scp, -o "
                    "must be a directory (ending in '/') or a Kaldi wspecifier such as "
                    "ark,scp:feats.ark,feats.scp");
      }
      const std::vector<std::string> batch_only = state->batch.GivenBatchOnly();
      if (!batch_only.empty()) {
        throw Error(state->batch.Flag(batch_only[0]) +
                    " is for batch output (-o DIR/ or -o ark,scp:...), not for a single .npy");
      }
      if (stages && stages->NeedsSpeakerStats()) {
        throw OptionError("cmvn", "speaker",
                          "is for a dataset (-o DIR/ or -o ark,scp:...) with the utterances' "
                          "speakers ({utt2spk}); for one file, use {cmvn}=utterance");
      }
      const std::string& input = request.inputs[0];
      const SingleOutput format = ClassifySingleOutput(request.output);
      if (format == SingleOutput::kTextStdout) {
        CheckStdout("-o -");
      } else {
        CheckStdoutFor(request.output, "-o " + request.output);
      }
      if (format == SingleOutput::kPng) {  // the picture of `featpool plot`, same stages
        PlotFile(input, state->flags, stage_opts, PlotOptions(), request.output);
        return 0;
      }
      // Rows go to a .npy as they become final (fused-extract.h); a text
      // output is written at the end from the output matrix alone.
      FusedResult result;
      int signal = 0;
      {
        SingleNpySink npy(request.output);  // opened at the first rows
        MatrixRowSink matrix;
        RowSink* sink = format == SingleOutput::kNpy ? static_cast<RowSink*>(&npy) : &matrix;
        try {
          ExtractFused(
              input, opts, audio, stages.get(),
              [&](const Error& e) {
                const std::string message = stage_error(e);
                return message.rfind("'" + input + "'", 0) == 0 ? message
                                                                 : "'" + input + "': " + message;
              },
              sink, &result);
          if (result.file.num_frames == 0) {
            throw Error(ShortInputMessage(input, result.file.num_samples, opts.frame_opts()));
          }
          const SignalsHeldBack held;  // a kill waits until no temporary file exists
          if (format == SingleOutput::kNpy) {
            npy.Commit();
          } else {
            const Matrix out = matrix.Take();
            if (format == SingleOutput::kText) {
              WriteTextMatrix(request.output, out.View());
            } else {
              WriteKaldiTextRecord(stdout, KeyOfPath(input), out.View());
            }
          }
        } catch (const SingleNpySink::Interrupted& stop) {
          signal = stop.signal;
        }
      }  // an interrupted output's temporary file is removed here
      if (signal != 0) InterruptCatcher::Die(signal);
      // Only for a file that gave features: a failure is reported in one
      // line, its reason.
      if (!result.file.warning.empty()) {
        std::cerr << "featpool: warning: " << result.file.warning << "\n";
      }
      return 0;
    }
    request.features = opts;
    request.stages = stage_opts;
    request.audio = audio;
    request.chain = stages;
    request.stage_error = stage_error;
    return RunBatchCommand(MakeBatchConfig(request), progress);
    });
  };
}

}  // namespace cli
}  // namespace featpool
