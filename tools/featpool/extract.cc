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
  const char* batch = "Batch (several inputs, DIR/ or ark output)";
  sub->add_option("-j,--jobs", state->request.jobs,
                  "Worker threads; 0 = every available CPU; at most 1024 and at most one per input")
      ->capture_default_str()
      ->group(batch);
  sub->add_option("--ext", state->request.extensions, "Extensions searched for in directories")
      ->capture_default_str()
      ->group(batch);
  sub->add_option("--shard", state->request.shard,
                  "K/N: process shard K of N (deterministic, balanced by file size)")
      ->group(batch);
  sub->add_flag("--resume", state->request.resume,
                "Skip utterances an interrupted run with the same options already finished")
      ->group(batch);
  sub->add_flag("--strict", state->request.strict, "Stop at the first bad input file")
      ->group(batch);
  sub->add_flag("--compress", state->request.compress,
                "Kaldi archive output: write compressed matrices, byte for byte as Kaldi's "
                "copy-feats --compress=true [default: false]")
      ->group(batch);
  sub->add_option("--compression-method", state->request.compression_method,
                  "With --compress: Kaldi's CompressionMethod 1-7 or its name: 1 auto "
                  "(speech-feature above 8 rows, else two-byte-auto), 2 speech-feature, "
                  "3 two-byte-auto, 4 two-byte-signed-integer, 5 one-byte-auto, "
                  "6 one-byte-unsigned-integer, 7 one-byte-zero-one")
      ->capture_default_str()->group(batch);
  const char* dataset = "Kaldi data (wav.scp, segments)";
  sub->add_option("--segments", state->request.segments,
                  "Kaldi segments file ('utt-id recording-id start end [channel]'): cut each "
                  "utterance from its recording, decoded once for all its segments")
      ->group(dataset);
  sub->add_option("--utt2spk", state->request.utt2spk,
                  "Kaldi utt2spk (FILE or ark:FILE): each utterance's speaker, for --cmvn=speaker "
                  "(apply-cmvn --utt2spk) and --spk2warp; shards keep speakers whole. Default for "
                  "a data directory: its spk2utt or utt2spk, when needed")
      ->group(dataset);
  sub->add_option("--spk2utt", state->request.spk2utt,
                  "Kaldi spk2utt: as --utt2spk, each speaker's CMVN stats accumulated over its "
                  "utterances in this order (compute-cmvn-stats --spk2utt)")
      ->group(dataset);
  sub->add_option("--utt2warp", state->request.utt2warp,
                  "Kaldi utt2warp: a VTLN warp factor per utterance, replacing --vtln-warp "
                  "(fbank, mfcc). Default for a data directory: its utt2warp if it has one and no "
                  "spk2warp, as make_fbank.sh")
      ->group(dataset);
  sub->add_option("--spk2warp", state->request.spk2warp,
                  "Kaldi spk2warp: a VTLN warp factor per speaker (with --utt2spk or --spk2utt). "
                  "Default for a data directory: its spk2warp, as make_fbank.sh")
      ->group(dataset);
  sub->add_option("--vtln-map", state->request.vtln_map,
                  "As Kaldi's compute-mfcc-feats --vtln-map: warps keyed by speaker with --utt2spk "
                  "(or --spk2utt), by utterance without")
      ->group(dataset);
  sub->add_option("--pipe-timeout", state->request.audio.pipe.timeout_seconds,
                  "Seconds a wav.scp command ('... |') may run before it is killed and its "
                  "utterance fails; 0: no limit")
      ->capture_default_str()
      ->group(dataset);
  sub->add_option("--pipe-max-bytes", state->request.audio.pipe.max_bytes,
                  "Most bytes a wav.scp command may write (its output is held in memory)")
      ->capture_default_str()
      ->group(dataset);
  sub->add_option("--min-duration", state->request.min_duration,
                  "As Kaldi's compute-fbank-feats: utterances shorter than this (seconds) give "
                  "no output (reported, recorded as short in the manifest, not failures)")
      ->capture_default_str()
      ->group(dataset);
  sub->add_flag("--write-utt2num-frames", state->request.write_utt2num_frames,
                "A data directory input: write its utt2num_frames, as make_fbank.sh "
                "[default: true]")
      ->group(dataset);
  sub->add_flag("--write-utt2dur", state->request.write_utt2dur,
                "A data directory input: write its utt2dur, as make_fbank.sh [default: true]")
      ->group(dataset);
  sub->add_option("--progress", state->progress,
                  "auto (a bar on a terminal, periodic lines otherwise), always (bar) or never")
      ->capture_default_str()
      ->group(batch);
  sub->add_option("--manifest", state->request.manifest,
                  "manifest.jsonl path (default: in the output directory, or beside the scp "
                  "or archive; manifest.K-of-N.jsonl with --shard)")
      ->group(batch);
  sub->add_option("--lhotse", state->request.lhotse,
                  "Also write a lhotse FeatureSet manifest (FILE.jsonl.gz or .jsonl) of the "
                  "outputs: numpy_files for -o DIR/, kaldiio for -o ark,scp:A,S")
      ->group(batch);
  AddConfigFlags(sub);
  AddFeatureFlags(sub, &state->flags);
  state->stages.Add(sub);
  state->pool.Add(sub);
  return [state, sub]() {
    return WithOptionSpelling({&state->flags.features, &state->stages, &state->pool}, [&]() -> int {
    BatchRequest request = state->request;  // a copy: it will hold stage_error, which holds state
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
                                                             &state->flags.features})
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
      for (const char* flag :
           {"--shard", "--resume", "--manifest", "--compress", "--compression-method", "--lhotse",
            "--segments", "--min-duration", "--utt2spk", "--spk2utt", "--utt2warp", "--spk2warp",
            "--vtln-map"}) {
        if (sub->count(flag) > 0) {
          throw Error(std::string(flag) + " is for batch output (-o DIR/ or -o ark,scp:...), " +
                      "not for a single .npy");
        }
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
