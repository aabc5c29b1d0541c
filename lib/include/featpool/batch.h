// Dataset runs: many inputs (files, directories, wav.scp, Kaldi data
// directories; dataset.h), one shard of them, worker threads, the stage
// chain per utterance, one .npy per utterance or a Kaldi ark/scp
// (writer.h), manifest.jsonl, --resume and --strict. README.md, "Dataset
// preparation", is the user's view; `featpool extract` and Python's
// featpool.extract_dataset() are thin layers over RunBatch().
//
// Thread safety: RunBatch() may run several times at once on different
// outputs; a BatchObserver is called as documented below.
#ifndef FEATPOOL_BATCH_H_
#define FEATPOOL_BATCH_H_

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
#include "featpool/options.h"
#include "featpool/speakers.h"
#include "featpool/stage.h"

namespace featpool {

// Where a batch writes.
struct BatchOutput {
  enum class Kind { kNpyDir, kArk };
  Kind kind = Kind::kNpyDir;
  std::string dir;    // kNpyDir: the directory
  std::string ark;    // kArk: archive path, "-" for stdout
  std::string scp;    // kArk: scp path or empty
  bool text = false;  // kArk: "t", Kaldi's text matrices (ark,t:)
};

// True if `output` asks for batch output: a Kaldi wspecifier ("ark:...",
// "ark,scp:..."), a path ending in '/', or an existing directory.
bool IsBatchOutput(const std::string& output);

// Parses the output of a batch run. Wspecifiers as in Kaldi
// util/kaldi-table.cc ClassifyWspecifier(): "ark:A", "ark,scp:A,S" (also
// "scp,ark:A,S"), with the options b (binary, the default), f / nf (flush;
// every record is flushed anyway) and t (text matrices) accepted. Throws
// Error naming -o.
BatchOutput ParseBatchOutput(const std::string& output);

// The manifest path used when none is given ("" for ark:- output).
std::string DefaultManifestPath(const BatchOutput& output, ShardSpec shard);

// The most worker threads: beyond any machine featpool is run on, and a
// bound on the threads and result buffers an absurd count would create.
constexpr int32_t kMaxJobs = 1024;

struct BatchConfig {
  std::vector<std::string> inputs;
  std::string output;    // a directory ("DIR/") or a wspecifier (ParseBatchOutput)
  std::string manifest;  // empty: the default place (DefaultManifestPath)
  DatasetOptions dataset;
  ShardSpec shard;
  int32_t jobs = 0;  // worker threads; 0 = every CPU this process may use; at most
                     // kMaxJobs, and never more than the utterances to process
  bool resume = false;
  bool strict = false;
  // Kaldi copy-feats --compress / --compression-method: ark output only.
  bool compress = false;
  CompressionMethod compression_method = CompressionMethod::kAuto;
  FeatureOptions features;
  AudioReadOptions audio;  // audio.pipe: wav.scp commands' timeout and size limit
  // Kaldi --min-duration (seconds): shorter utterances give no output,
  // reported and recorded as "short"; 0: none.
  double min_duration = 0;
  // A Kaldi data directory to leave utt2num_frames, utt2dur, frame_shift
  // and (ark,scp output) feats.scp in, as steps/make_fbank.sh does; empty:
  // none.
  std::string data_dir;
  bool write_utt2num_frames = true;
  bool write_utt2dur = true;
  // A recording cut into segments is decoded into memory once; at most this
  // many samples (4 bytes each): 2^30, 18.6 h at 16 kHz.
  int64_t max_recording_samples = int64_t{1} << 30;
  // The stage chain (CMVN, deltas, splicing, pooling; stage.h), on the
  // worker threads as the frames are produced; null: none. stage_error
  // rewrites the message of a stage's error, or of an OptionError about
  // one input (an audio option refusing its rate or channels), the options
  // as a frontend spells them; empty: what() as it is.
  std::shared_ptr<const StageChain> stages;
  std::function<std::string(const Error&)> stage_error;
  // The speaker maps (speakers.h): each utterance's features and stages
  // (VTLN warp, speaker CMVN) come from FeaturesFor() / StagesFor(); shards
  // keep each speaker whole when it has a speaker map; with speaker CMVN
  // and no table of stats, RunBatch() first accumulates each speaker's
  // stats over the shard (a copy of this; the shared one is never
  // changed). Null: `features` and `stages` for every utterance.
  std::shared_ptr<const SpeakerSettings> speakers;
  // The options that determine the output (features, stages, audio), in a
  // canonical text; its hash tags manifest entries so a resumed run never
  // reuses an output made with different options.
  std::string options_text;
  // Where to write a lhotse FeatureSet manifest of the outputs (lhotse.h;
  // "" = none), and its type, frame_shift and sampling_rate (its storage
  // fields and rows are filled in by RunBatch).
  std::string lhotse_manifest;
  LhotseFeatureSet lhotse;
};

// A dataset run as a frontend asks for it (the command's flags, Python's
// featpool.extract_dataset() keywords). MakeBatchConfig() checks it and
// makes the BatchConfig, so that the same request gives the same run, the
// same outputs and the same manifest tags from either.
struct BatchRequest {
  std::vector<std::string> inputs;
  // DIR/, a wspecifier (ark:A, ark,scp:A,S) or lhotse:DIR: DIR/ plus the
  // lhotse FeatureSet DIR/features.jsonl.gz (features.K-of-N.jsonl.gz for a
  // shard) unless `lhotse` names one.
  std::string output;
  std::string manifest;  // "" = the default place
  std::string lhotse;    // a lhotse FeatureSet manifest to write ("" = none)
  std::string extensions = DefaultExtensionList();  // searched for in directories
  std::string segments;                          // a Kaldi segments file ("" = none)
  // Kaldi speaker maps (kaldi-maps.h; FILE or ark:FILE): utt2spk or spk2utt
  // (one of them) for {cmvn}=speaker and spk2warp; a VTLN warp per
  // utterance (utt2warp) or per speaker (spk2warp), or Kaldi's --vtln-map,
  // which is per speaker with a speaker map and per utterance without, as
  // compute-mfcc-feats reads it. A Kaldi data directory input uses its own
  // spk2warp or utt2warp when there is one (steps/make_fbank.sh), and its
  // spk2utt or utt2spk when speaker CMVN or spk2warp needs a speaker map.
  std::string utt2spk;
  std::string spk2utt;
  std::string utt2warp;
  std::string spk2warp;
  std::string vtln_map;
  std::string shard;                             // "K/N"; "" = everything
  int32_t jobs = 0;                              // 0 = every CPU; at most kMaxJobs
  bool resume = false;
  bool strict = false;
  bool compress = false;
  std::string compression_method = "1";  // Kaldi's 1-7 or its name (ParseCompressionMethod)
  double min_duration = 0;               // seconds, >= 0
  // A Kaldi data directory as the one input: write its utt2num_frames and
  // utt2dur (and feats.scp, frame_shift) as steps/make_fbank.sh does.
  bool write_utt2num_frames = true;
  bool write_utt2dur = true;
  FeatureOptions features;
  StageOptions stages;     // stages.pool set: pooling
  AudioReadOptions audio;  // channel, resampling, wav.scp commands' limits
  // MakeStageChain(features, stages) if the caller made it already; null:
  // made here.
  std::shared_ptr<const StageChain> chain;
  std::function<std::string(const Error&)> stage_error;  // BatchConfig::stage_error

  // The table of the run's own options (options.h): manifest, lhotse,
  // extensions, segments, utt2spk, spk2utt, utt2warp, spk2warp, vtln_map,
  // shard, jobs, resume, strict, compress, compression_method,
  // min_duration, write_utt2num_frames, write_utt2dur, resample,
  // allow_downsample, allow_upsample, pipe_timeout and pipe_max_bytes
  // (audio.pipe). Python's keywords come from it.
  void VisitOptions(OptionVisitor& v);
};

// The BatchConfig of `request`: the options tag (the canonical text of the
// feature, pooling, stage and audio options, compression, min_duration and
// what the speaker maps say), the stage chain, the speaker settings (the
// maps read here) and the lhotse description. Throws OptionError (jobs,
// min_duration, the maps' options) or Error (lhotse output, shard,
// compression method, a bad map file).
BatchConfig MakeBatchConfig(const BatchRequest& request);

// How far a run is: what a progress display shows.
struct BatchProgress {
  int64_t files_total = 0;   // utterances in the shard
  int64_t files_done = 0;    // finished (ok, failed or short), already_done included
  int64_t files_failed = 0;  // failed, in this run or (recorded) in an earlier one
  int64_t already_done = 0;  // finished by an earlier run (resume)
  int64_t bytes_total = 0;   // input bytes to do at the start (for an ETA)
  int64_t bytes_done = 0;    // of those, done
  double audio_seconds = 0;  // audio processed in this run
  // Speaker CMVN without a stats table reads the shard's speakers'
  // utterances once for their stats before any output: of those, how many
  // (0 without that pass) and how many are read.
  int64_t stats_total = 0;
  int64_t stats_done = 0;
};

// What a run did.
struct BatchSummary {
  int64_t ok = 0;                  // utterances processed in this run
  int64_t failed = 0;              // failed in this run
  int64_t already_done = 0;        // finished by an earlier run (resume), failed_before included
  int64_t failed_before = 0;       // recorded as failed by an earlier run
  int64_t short_now = 0;           // shorter than min_duration (no output), in this run
  int64_t short_before = 0;        // ... recorded so by an earlier run
  int64_t resampled = 0;           // of `ok`, resampled to the features' rate
  int64_t segments = 0;            // of `ok`, cut from recordings
  int64_t recordings_decoded = 0;  // recordings those segments were cut from
  double audio_seconds = 0;        // audio processed in this run
  double wall_seconds = 0;         // from the start of RunBatch
  bool stopped = false;            // strict: stopped at the first failure, outputs not finalised
  int interrupted = 0;             // BatchObserver::StopRequested()'s value if it stopped the
                                   // run (outputs not finalised), else 0
  // 0: every utterance done; 1: some failed, or stopped; (interrupted:
  // 128 + interrupted, a signal's convention).
  int exit_status = 0;
};

// What a run reports while it runs. Every call but StopRequested() comes
// from the thread that called RunBatch(); utterances are reported in input
// order. Messages name the file (and the utterance id when it is not the
// file's name).
class BatchObserver {
 public:
  virtual ~BatchObserver() = default;
  // Once, before any utterance, with the totals.
  virtual void Started(const BatchProgress& /*progress*/) {}
  // An utterance that an earlier run recorded as failed (resume).
  virtual void FailedBefore(const Utterance& /*u*/, const std::string& /*message*/) {}
  // An utterance done now; `warning` is "" or about its audio (it is also in
  // the manifest).
  virtual void Done(const Utterance& /*u*/, const std::string& /*warning*/) {}
  // An utterance that failed now (with strict, the run stops after it).
  virtual void Failed(const Utterance& /*u*/, const std::string& /*message*/) {}
  // An utterance shorter than min_duration: no output.
  virtual void Skipped(const Utterance& /*u*/, const std::string& /*message*/) {}
  // After each utterance (`ticked`: processed in this run, not taken from
  // an earlier one), and about every 100 ms while waiting (`ticked` true,
  // the counts unchanged).
  virtual void Progress(const BatchProgress& /*progress*/, bool /*ticked*/) {}
  // Once, when no utterance is left to process, before the outputs are put
  // in place (summary.wall_seconds is the time so far).
  virtual void Finished(const BatchSummary& /*summary*/) {}
  // Polled from any thread: nonzero (a signal number, say) stops the run: no
  // new output is started, those being written are finished or dropped and
  // the journal keeps every finished utterance, so a resumed run continues
  // from there.
  virtual int StopRequested() { return 0; }
  // Once the run has stopped for StopRequested(), outputs not finalised,
  // with `summary` so far. An observer may end the process here (inputs
  // still being read are then not waited for); if it returns, RunBatch()
  // waits for the workers and returns the summary.
  virtual void Interrupted(const BatchSummary& /*summary*/) {}
};

// Runs the batch (observer may be null). Throws Error for problems that
// stop the whole run (bad output, duplicate ids, unwritable output, a
// second run on the same output, ...); a bad input is a failed utterance.
BatchSummary RunBatch(const BatchConfig& config, BatchObserver* observer = nullptr);

}  // namespace featpool

#endif  // FEATPOOL_BATCH_H_
