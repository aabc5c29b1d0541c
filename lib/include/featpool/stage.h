// The steps after feature extraction, as one chain of frame stages (Kaldi's
// online feature chain: a source, then CMVN, deltas, splicing on top; here
// pooling is one more stage). Each stage says its output dim for its input
// dim, how many input frames an output row needs (its look-ahead), and
// whether it can stream; if not, the reason names the stage's option.
//
// A stage is driven one way only: Accept() rows as they come, then Flush()
// at the end of the utterance; ready output rows are appended to a RowQueue.
// The offline result (Process(), ApplyStages()) is that same code fed the
// whole utterance at once, so streaming equals offline bit for bit. A stage
// that needs the whole utterance (utterance CMVN, the normalisations,
// adaptive pooling) holds its rows until Flush(); OnlineStageChain refuses
// it when asked to stream, naming it.
//
// Order: normalize, cmvn, deltas, splice, pool, or as --stages lists them
// (FunASR's Paraformer front end is pool,cmvn: LFR stacking, then am.mvn on
// the stacked rows). Kaldi's --subtract-mean, when on, runs before all of
// them (Order() names it "subtract_mean").
//
// Thread safety: StageChain is immutable and shareable (the batch workers
// share one); FrameStage and OnlineStageChain are one per stream.
#ifndef FEATPOOL_STAGE_H_
#define FEATPOOL_STAGE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "featpool/cmvn.h"
#include "featpool/deltas.h"
#include "featpool/error.h"
#include "featpool/feature-options.h"
#include "featpool/matrix.h"
#include "featpool/normalize.h"
#include "featpool/pooler.h"
#include "featpool/row-queue.h"
#include "featpool/splice.h"

namespace featpool {

class OptionVisitor;  // options.h

class FrameStage {
 public:
  virtual ~FrameStage() = default;

  // "normalize", "cmvn", "deltas", "splice" or "pool": the --stages name.
  virtual const char* Name() const = 0;
  virtual int64_t InputDim() const = 0;
  virtual int64_t OutputDim() const = 0;
  // "" if the stage streams; otherwise why not, as an OptionError's reason
  // about CannotStreamKey() ("needs the whole utterance's mean ...").
  virtual std::string CannotStreamReason() const { return ""; }
  // The option whose value makes it unstreamable, and that value.
  virtual std::string CannotStreamKey() const { return Name(); }
  virtual std::string CannotStreamValue() const { return ""; }
  bool CanStream() const { return CannotStreamReason().empty(); }

  // Latency: input rows [0, n) must have arrived before output row `row` is
  // ready without Flush(); -1 if it only comes at the end (unstreamable
  // stages, statistics pooling).
  virtual int64_t FramesNeededForRow(int64_t row) const = 0;
  // Steady-state look-ahead of a 1:1 stage: frames past row t that row t
  // needs (sliding CMN 0, deltas order * window, splice right context); for
  // pooling its FrameLag(); -1 for the end only.
  virtual int64_t LookAhead() const = 0;

  // The next input rows (InputDim() columns); appends the rows they make
  // ready to `out` (OutputDim() columns).
  virtual void Accept(MatrixView rows, RowQueue* out) = 0;
  // The same for rows the caller gives up: every row `in` holds (InputDim()
  // columns), which the stage may change in place or take over; `in` is
  // left with no held row. The whole-utterance stages take the storage and
  // the row-wise ones (global CMVN) work in place, so a chain run on a
  // matrix it is handed copies nothing they keep. Default: Accept(in's
  // rows), then in's rows released.
  virtual void AcceptQueue(RowQueue* in, RowQueue* out);
  // End of the utterance: appends the remaining rows. Throws Error where
  // the utterance does not fit the stage (too short for a pooling kernel).
  virtual void Flush(RowQueue* out) = 0;
  // Ready for the next utterance (same options and dim).
  virtual void Reset() = 0;

  // Offline: Reset(), Accept(in), Flush(), the rows as a matrix.
  Matrix Process(MatrixView in);
};

// The --stages names, in the default order.
const std::vector<std::string>& StageNames();

// Every option of the stages other than pooling (PoolOptions has its own
// table and flags), with the order of the stages.
struct StageOptions {
  // Comma-separated stage names in the order they run; "" = the default
  // order of the stages that are on. Every stage on must be listed, and
  // every stage listed must be on.
  std::string stages;
  // Kaldi compute-fbank-feats / compute-mfcc-feats --subtract-mean: each
  // column's mean over the utterance is subtracted from the features before
  // every other stage (it is part of feature extraction there); not a
  // --stages name. Needs the whole utterance: refused when streaming.
  bool subtract_mean = false;
  NormalizeOptions normalize;
  CmvnOptions cmvn;
  DeltaOptions deltas;
  SpliceOptions splice;
  std::optional<PoolOptions> pool;  // pooling on; not in this table

  // stages, subtract_mean, then the tables of normalize, cmvn, deltas and
  // splice.
  void VisitOptions(OptionVisitor& v);
  // Whether any stage is on.
  bool Any() const;
};

// An immutable, validated chain for one input dim: builds the per-stream
// stages. Throws OptionError naming the option for invalid options or
// --stages, Error naming the file for an unreadable or mismatched
// --cmvn-stats file (read once, here).
class StageChain {
 public:
  StageChain(const StageOptions& opts, int64_t input_dim);
  ~StageChain();

  const StageOptions& options() const { return opts_; }
  int64_t InputDim() const { return input_dim_; }
  int64_t Dim() const { return dim_; }
  // The stage names in running order.
  const std::vector<std::string>& Order() const { return order_; }
  bool Empty() const { return order_.empty(); }
  // Fresh stages for one stream, in order.
  std::vector<std::unique_ptr<FrameStage>> MakeStages() const;
  // The pooler of the pool stage (nullptr without pooling).
  const Pooler* pooler() const { return pooler_.get(); }
  // Columns of the rows reaching the pool stage (Dim() without pooling).
  int64_t PoolInputDim() const { return pool_input_dim_; }
  // Output rows for an utterance of `frames` frames, -1 if the pooling
  // rejects it (every other stage keeps the row count).
  int64_t OutputRows(int64_t frames) const;

  // {cmvn}=speaker: whether the chain still needs an utterance's stats
  // (WithCmvnStats / ForSpeaker) before it can make stages; MakeStages()
  // throws OptionError(cmvn) until then.
  bool NeedsSpeakerStats() const;
  // The same chain with the speaker CMVN stage normalising by `stats` (Kaldi
  // ApplyCmvn()'s parameters, norm_means / norm_vars as given). Throws Error
  // (with `source` in front) for stats of another dim or a count below 1.
  std::shared_ptr<const StageChain> WithCmvnStats(const CmvnStats& stats,
                                                  const std::string& source) const;
  // With a table of per-speaker stats ({cmvn_stats} for speaker, read once
  // when the chain is built): the chain for `speaker`'s stats; throws Error
  // naming the speaker and the table if it has none. Null without a table.
  bool HasSpeakerStatsTable() const { return speaker_stats_ != nullptr; }
  std::shared_ptr<const StageChain> ForSpeaker(const std::string& speaker) const;
  // The stages that run before `name` ("cmvn"), as a chain of their own (an
  // empty chain if `name` is first): what speaker stats are accumulated on.
  std::shared_ptr<const StageChain> StagesBefore(const std::string& name) const;

 private:
  StageOptions opts_;
  int64_t input_dim_;
  int64_t dim_;
  int64_t pool_input_dim_;
  std::vector<std::string> order_;
  std::vector<int64_t> input_dims_;  // of each stage in order_
  std::shared_ptr<const GlobalCmvn> global_cmvn_;
  std::shared_ptr<const std::map<std::string, std::shared_ptr<const GlobalCmvn>>> speaker_stats_;
  std::string speaker_stats_source_;
  std::shared_ptr<const Pooler> pooler_;
};

// The chain over a stream of frames arriving in chunks of any size, with
// the OnlinePooler's row interface. With `streaming`, a stage that cannot
// stream is refused: OptionError(key, value, "cannot stream: ...").
// Without it, such a stage holds its input until InputFinished() (what the
// command does for a file).
class OnlineStageChain {
 public:
  OnlineStageChain(std::shared_ptr<const StageChain> chain, bool streaming);
  // Convenience: builds the chain too.
  OnlineStageChain(const StageOptions& opts, int64_t input_dim, bool streaming);
  ~OnlineStageChain();
  OnlineStageChain(const OnlineStageChain&) = delete;
  OnlineStageChain& operator=(const OnlineStageChain&) = delete;

  const StageChain& chain() const { return *chain_; }
  int64_t InputDim() const { return chain_->InputDim(); }
  int64_t Dim() const { return chain_->Dim(); }

  // Appends frames (InputDim() columns); throws Error after InputFinished()
  // or for another width.
  void AcceptFrames(MatrixView frames);
  // The same for frames the caller gives up: the stages may work on their
  // storage in place instead of copying them.
  void AcceptFrames(Matrix&& frames);
  // End of the stream: the remaining rows.
  void InputFinished();
  bool IsFinished() const { return finished_; }
  int64_t NumFramesAccepted() const { return frames_accepted_; }

  int64_t NumRowsReady() const { return out_.NumRows(); }
  int64_t FirstAvailableRow() const { return out_.FirstRow(); }
  // A ready, unreleased row; throws Error otherwise.
  const float* Row(int64_t row) const;
  MatrixView ReadyRows() const { return out_.Held(); }
  void ReleaseRowsBefore(int64_t row) { out_.ReleaseBefore(row); }
  Matrix TakeRows();

  // Frames that must have arrived before output row `row` is ready without
  // InputFinished(), composed over the stages; -1 if it only comes at the
  // end. The one place streaming latency comes from.
  int64_t FramesNeededForRow(int64_t row) const;
  // The first stage that cannot stream, as the OptionError it would throw
  // with `streaming` (its key, value and reason, then "; drop {key} to
  // stream"); nullopt if every stage streams.
  std::optional<OptionError> CannotStream() const;

  // Ready for the next utterance.
  void Reset();

 private:
  // `owned`: the frames in a queue the first stage may take (null: `frames`
  // are the caller's).
  void Run(MatrixView frames, RowQueue* owned, bool flush);
  void CheckFrames(int64_t cols) const;

  std::shared_ptr<const StageChain> chain_;
  std::vector<std::unique_ptr<FrameStage>> stages_;
  std::vector<RowQueue> between_;  // output of stage i, input of stage i + 1
  RowQueue out_;
  bool finished_ = false;
  int64_t frames_accepted_ = 0;
};

// Offline: the chain over a whole utterance.
Matrix ApplyStages(const StageChain& chain, MatrixView in);
// The same on a matrix the caller gives up: the same rows, without copying
// the utterance where the stages can work on it in place (the
// whole-utterance stages, global CMVN).
Matrix ApplyStages(const StageChain& chain, Matrix&& in);

// The chain for the features of `features` (its computer gives the dim);
// null when no stage is on. Built, so validated, even then: cmn_window
// without cmvn=sliding is an error. Throws OptionError / Error (stats file).
std::shared_ptr<const StageChain> MakeStageChain(const FeatureOptions& features,
                                                 const StageOptions& stages);

}  // namespace featpool

#endif  // FEATPOOL_STAGE_H_
