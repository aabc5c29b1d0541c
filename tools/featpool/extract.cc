// featpool extract: audio in, feature matrices out. One file to one .npy
// (float32, [frames, dims]); or a dataset (files, directories, wav.scp) to
// one .npy per utterance or a Kaldi ark/scp, in parallel (batch.h).
#include <sys/stat.h>

#include <iostream>
#include <set>
#include <sstream>

#include "featpool/batch.h"
#include "featpool/command.h"
#include "featpool/dataset.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-flags.h"
#include "featpool/npy.h"
#include "featpool/out-of-memory.h"
#include "featpool/plot-file.h"
#include "featpool/pool-flags.h"
#include "featpool/pooler.h"
#include "featpool/single-output.h"
#include "featpool/std-streams.h"

namespace featpool {
namespace cli {
namespace {

bool IsDirectory(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The flags that decide what an output contains (features, pooling, audio
// reading), one "name=value" per line in CLI11's fixed order, defaults
// included: --resume reuses only outputs made with the same text.
std::string OutputOptionsText(const CLI::App* sub) {
  static const std::set<std::string> kNotOutput = {"INPUT",    "output", "jobs",   "ext",
                                                   "shard",    "resume", "strict", "progress",
                                                   "manifest", "help"};
  std::istringstream all(sub->config_to_str(true, false));
  std::string text;
  std::string line;
  while (std::getline(all, line)) {
    if (kNotOutput.count(line.substr(0, line.find('='))) == 0) text += line + "\n";
  }
  return text;
}

// Features are finite (ExtractFile checks), but lp pooling can overflow
// float32: a NaN or inf must not pass as a result.
void CheckPooledFinite(MatrixView pooled) {
  const int64_t at = FirstNonFinite(pooled);
  if (at < 0) return;
  throw Error("pooled feature value (row " + std::to_string(at / pooled.cols) + ", column " +
              std::to_string(at % pooled.cols) + ") is not finite (float32 overflow)");
}

}  // namespace

RunFunction AddExtractCommand(CLI::App& app) {
  CLI::App* sub = app.add_subcommand(
      "extract",
      "Compute Kaldi-compatible fbank, MFCC or spectrogram features: one audio file to .npy, "
      "or a dataset (files, directories, scp:wav.scp) to one .npy per utterance (-o DIR/) "
      "or a Kaldi archive (-o ark,scp:feats.ark,feats.scp)");
  struct State {
    FeatureFlags flags;
    std::vector<std::string> inputs;
    std::string output;
    int32_t jobs = 0;
    std::string ext = "wav,flac,ogg,opus";
    std::string shard;
    bool resume = false;
    bool strict = false;
    bool compress = false;
    std::string compression_method = "1";
    std::string progress = "auto";
    std::string manifest;
    PoolFlags pool;
  };
  auto state = std::make_shared<State>();
  sub->add_option("INPUT", state->inputs,
                  "Audio files, directories (searched recursively for --ext files) or "
                  "scp:wav.scp (lines 'utterance-id path')")
      ->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sub->add_option("-o,--output", state->output,
                  "One input file: out.npy, out.txt (text, a row per line), - (Kaldi text "
                  "archive on stdout, as copy-feats ark,t:-) or out.png (the picture of "
                  "`featpool plot`); several: DIR/ (one .npy per utterance, mirroring the "
                  "relative paths), ark,scp:feats.ark,feats.scp or ark:- (Kaldi archive, "
                  "stdout for '-')")
      ->required();
  const char* batch = "Batch (several inputs, DIR/ or ark output)";
  sub->add_option("-j,--jobs", state->jobs,
                  "Worker threads; 0 = every available CPU; at most 1024 and at most one per input")
      ->capture_default_str()
      ->group(batch);
  sub->add_option("--ext", state->ext, "Extensions searched for in directories")
      ->capture_default_str()
      ->group(batch);
  sub->add_option("--shard", state->shard,
                  "K/N: process shard K of N (deterministic, balanced by file size)")
      ->group(batch);
  sub->add_flag("--resume", state->resume,
                "Skip utterances an interrupted run with the same options already finished")
      ->group(batch);
  sub->add_flag("--strict", state->strict, "Stop at the first bad input file")->group(batch);
  sub->add_flag("--compress", state->compress,
                "Kaldi archive output: write compressed matrices, byte for byte as Kaldi's "
                "copy-feats --compress=true [default: false]")
      ->group(batch);
  sub->add_option("--compression-method", state->compression_method,
                  "With --compress: Kaldi's CompressionMethod 1-7 or its name: 1 auto "
                  "(speech-feature above 8 rows, else two-byte-auto), 2 speech-feature, "
                  "3 two-byte-auto, 4 two-byte-signed-integer, 5 one-byte-auto, "
                  "6 one-byte-unsigned-integer, 7 one-byte-zero-one")
      ->capture_default_str()->group(batch);
  sub->add_option("--progress", state->progress,
                  "auto (a bar on a terminal, periodic lines otherwise), always (bar) or never")
      ->capture_default_str()
      ->group(batch);
  sub->add_option("--manifest", state->manifest,
                  "manifest.jsonl path (default: in the output directory, or beside the scp "
                  "or archive; manifest.K-of-N.jsonl with --shard)")
      ->group(batch);
  AddFeatureFlags(sub, &state->flags);
  AddPoolFlags(sub, &state->pool, "pool-");
  return [state, sub]() {
    const FeatureOptions opts = state->flags.ToOptions();
    // Fused pooling (--pool=MODE): one immutable Pooler, shared by workers.
    std::shared_ptr<const Pooler> pooler;
    if (state->pool.Enabled()) pooler = std::make_shared<const Pooler>(state->pool.ToOptions());
    const AudioReadOptions audio = state->flags.ToAudioOptions();
    const ProgressMode progress = ParseProgressMode(state->progress);
    const bool single_input = state->inputs.size() == 1 && !IsScpInput(state->inputs[0]) &&
                              !IsDirectory(state->inputs[0]);
    if (!IsBatchOutput(state->output)) {
      if (!single_input) {
        throw Error("-o " + state->output +
                    ": with several inputs, a directory or an scp, -o "
                    "must be a directory (ending in '/') or a Kaldi wspecifier such as "
                    "ark,scp:feats.ark,feats.scp");
      }
      for (const char* flag :
           {"--shard", "--resume", "--manifest", "--compress", "--compression-method"}) {
        if (sub->count(flag) > 0) {
          throw Error(std::string(flag) + " is for batch output (-o DIR/ or -o ark,scp:...), " +
                      "not for a single .npy");
        }
      }
      const std::string& input = state->inputs[0];
      const SingleOutput format = ClassifySingleOutput(state->output);
      if (format == SingleOutput::kTextStdout) {
        CheckStdout("-o -");
      } else {
        CheckStdoutFor(state->output, "-o " + state->output);
      }
      if (format == SingleOutput::kPng) {
        PlotFile(input, state->flags, state->pool, PlotOptions(), state->output);
        return 0;
      }
      FileFeatures result = NamingOutOfMemory(
          input, [] { return std::string("computing its features"); },
          [&] { return ExtractFile(input, opts, audio); });
      if (result.features.rows() == 0) {
        throw Error(ShortInputMessage(input, result.num_samples, opts.frame_opts()));
      }
      if (pooler) {
        Matrix pooled;
        try {
          NamingOutOfMemory(
              input,
              [&] {
                return PooledOutputAllocation(*pooler, result.features.rows(),
                                              result.features.cols());
              },
              [&] { pooler->Apply(result.features.View(), &pooled); });
        } catch (const Error& e) {
          const std::string message = state->pool.Spell(e.what());
          throw Error(message.rfind("'" + input + "'", 0) == 0 ? message
                                                               : "'" + input + "': " + message);
        }
        try {
          CheckPooledFinite(pooled.View());
        } catch (const Error& e) {
          throw Error("'" + input + "': " + e.what());
        }
        result.features = std::move(pooled);
      }
      const SignalsHeldBack held;  // a kill waits until no temporary file exists
      const MatrixView out = result.features.View();
      if (format == SingleOutput::kText) {
        WriteTextMatrix(state->output, out);
      } else if (format == SingleOutput::kTextStdout) {
        WriteKaldiTextRecord(stdout, KeyOfPath(input), out);
      } else {
        WriteNpy(state->output, out);
      }
      // Only for a file that gave features: a failure is reported in one
      // line, its reason.
      if (!result.warning.empty()) std::cerr << "featpool: warning: " << result.warning << "\n";
      return 0;
    }
    BatchConfig config;
    config.inputs = state->inputs;
    config.output = state->output;
    config.manifest = state->manifest;
    config.dataset.extensions = ParseExtensions(state->ext);
    if (!state->shard.empty()) config.shard = ShardSpec::Parse(state->shard);
    if (state->jobs < 0 || state->jobs > kMaxJobs) {
      throw Error("invalid --jobs=" + std::to_string(state->jobs) + ": expected 0 (every CPU) to " +
                  std::to_string(kMaxJobs));
    }
    config.jobs = state->jobs;
    config.resume = state->resume;
    config.strict = state->strict;
    config.compress = state->compress;
    config.compression_method = ParseCompressionMethod(state->compression_method);
    config.progress = progress;
    config.features = opts;
    config.audio = audio;
    if (pooler) {
      config.transform = [pooler, state]() -> UtteranceTransform {
        return [pooler, state](const Matrix& in, Matrix* out) {
          try {
            NamingOutOfMemory(
                "", [&] { return PooledOutputAllocation(*pooler, in.rows(), in.cols()); },
                [&] { pooler->Apply(in.View(), out); });
          } catch (const Error& e) {
            throw Error(state->pool.Spell(e.what()));  // --pool-kernel, not --kernel
          }
          CheckPooledFinite(out->View());
        };
      };
    }
    config.options_text = OutputOptionsText(sub);
    return RunBatch(config);
  };
}

}  // namespace cli
}  // namespace featpool
