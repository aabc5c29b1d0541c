// Batch extraction for dataset preparation: many inputs, -j worker threads,
// .npy-per-utterance or Kaldi ark/scp output, manifest.jsonl, progress,
// sharding, --resume and --strict. README.md, "Dataset preparation", is the user's view.
#ifndef FEATPOOL_TOOLS_BATCH_H_
#define FEATPOOL_TOOLS_BATCH_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/compressed-matrix.h"
#include "featpool/dataset.h"
#include "featpool/error.h"
#include "featpool/feature-options.h"
#include "featpool/lhotse.h"
#include "featpool/matrix.h"
#include "featpool/pooler.h"
#include "featpool/stage.h"
#include "featpool/progress.h"

namespace featpool {
namespace cli {

// Where a batch writes.
struct BatchOutput {
  enum class Kind { kNpyDir, kArk };
  Kind kind = Kind::kNpyDir;
  std::string dir;  // kNpyDir: the directory
  std::string ark;  // kArk: archive path, "-" for stdout
  std::string scp;  // kArk: scp path or empty
  bool text = false;  // kArk: "t", Kaldi's text matrices (ark,t:)
};

// True if `output` asks for batch output: a Kaldi wspecifier ("ark:...",
// "ark,scp:..."), a path ending in '/', or an existing directory.
bool IsBatchOutput(const std::string& output);

// Parses the -o value of a batch run. Wspecifiers as in Kaldi
// util/kaldi-table.cc ClassifyWspecifier(): "ark:A", "ark,scp:A,S" (also
// "scp,ark:A,S"), with the options b (binary, the default), f / nf (flush;
// every record is flushed anyway) and t (text matrices) accepted. Throws
// Error naming -o.
BatchOutput ParseBatchOutput(const std::string& output);

// The most worker threads (-j): beyond any machine featpool is run on, and a
// bound on the threads and result buffers an absurd -j would create.
constexpr int32_t kMaxJobs = 1024;

struct BatchConfig {
  std::vector<std::string> inputs;
  std::string output;
  std::string manifest;  // empty: the default place (see README.md, "Manifest and summary")
  DatasetOptions dataset;
  ShardSpec shard;
  int32_t jobs = 0;  // worker threads; 0 = every CPU this process may use; at most
                     // kMaxJobs, and never more than the utterances to process
  bool resume = false;
  bool strict = false;
  // Kaldi copy-feats --compress / --compression-method: ark output only.
  bool compress = false;
  CompressionMethod compression_method = CompressionMethod::kAuto;
  ProgressMode progress = ProgressMode::kAuto;
  FeatureOptions features;
  AudioReadOptions audio;  // audio.pipe: --pipe-timeout, --pipe-max-bytes
  // Kaldi --min-duration (seconds): shorter utterances give no output,
  // reported and recorded as "short"; 0: none.
  double min_duration = 0;
  // A Kaldi data directory to leave utt2num_frames, utt2dur, frame_shift
  // and (ark,scp output) feats.scp in, as steps/make_fbank.sh does; empty:
  // none. The command sets it when the one input is a data directory.
  std::string data_dir;
  bool write_utt2num_frames = true;
  bool write_utt2dur = true;
  // A recording cut into segments is decoded into memory once; at most this
  // many samples (4 bytes each): 2^30, 18.6 h at 16 kHz.
  int64_t max_recording_samples = int64_t{1} << 30;
  // The stage chain (CMVN, deltas, splicing, pooling; stage.h), on the
  // worker threads as the frames are produced (fused-extract.h); null: none.
  // pool_error rewrites a stage error's message (the flags as the command
  // spells them).
  std::shared_ptr<const StageChain> stages;
  std::function<std::string(const Error&)> pool_error;
  // The options that determine the output (features, pooling, audio), in a
  // canonical text; its hash tags manifest entries so --resume never reuses
  // an output made with different options.
  std::string options_text;
  // --lhotse: where to write a lhotse FeatureSet manifest of the outputs
  // (lhotse.h; "" = none), and its type, frame_shift and sampling_rate (its
  // storage fields and rows are filled in by RunBatch).
  std::string lhotse_manifest;
  LhotseFeatureSet lhotse;
};

// Runs the batch; returns the exit status (0: all done, 1: some failed).
// Throws Error for problems that stop the whole run (bad -o, duplicate ids,
// unwritable output, a second run on the same output, ...).
int RunBatch(const BatchConfig& config);

// The manifest path used when --manifest is not given ("" for ark:- output).
std::string DefaultManifestPath(const BatchOutput& output, ShardSpec shard);

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_BATCH_H_
