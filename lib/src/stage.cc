#include "featpool/stage.h"

#include <algorithm>
#include <set>

#include "featpool/error.h"
#include "featpool/feature-registry.h"
#include "featpool/online-pooler.h"
#include "featpool/options.h"
#include "stages.h"

namespace featpool {

Matrix FrameStage::Process(MatrixView in) {
  Reset();
  RowQueue out(OutputDim());
  Accept(in, &out);
  Flush(&out);
  const MatrixView rows = out.Held();
  Matrix m(rows.rows, rows.cols);
  std::copy_n(rows.data, rows.rows * rows.cols, m.data());
  Reset();
  return m;
}

void FrameStage::AcceptQueue(RowQueue* in, RowQueue* out) {
  Accept(in->Held(), out);
  in->ReleaseBefore(in->NumRows());
}

const std::vector<std::string>& StageNames() {
  static const std::vector<std::string> kNames = {"normalize", "cmvn", "deltas", "splice", "pool"};
  return kNames;
}

void StageOptions::VisitOptions(OptionVisitor& v) {
  OptionInfo info;
  info.key = "stages";
  info.help =
      "Order of the stages after the features, comma-separated (e.g. pool,cmvn); default "
      "normalize,cmvn,deltas,splice,pool, of those that are on";
  v.Visit(info, OptionRef::Of(&stages));
  v.Visit(OptionInfo::Range("subtract_mean", "",
                            "Subtract each column's mean over the utterance from the features, "
                            "before every other stage (Kaldi compute-fbank-feats "
                            "--subtract-mean); needs the whole utterance"),
          OptionRef::Of(&subtract_mean));
  normalize.VisitOptions(v);
  cmvn.VisitOptions(v);
  deltas.VisitOptions(v);
  splice.VisitOptions(v);
}

bool StageOptions::Any() const {
  return subtract_mean || normalize.mode != NormalizeMode::kNone || cmvn.mode != CmvnMode::kNone ||
         deltas.order > 0 || splice.On() || pool.has_value();
}

namespace internal {

void WholeUtteranceStage::Flush(RowQueue* out) {
  // An empty stream has nothing to normalise (utterance CMVN would find a
  // count of 0).
  if (held_.NumHeld() > 0) {
    ProcessWhole(held_.MutableRow(held_.FirstRow()), held_.NumHeld(), held_.Dim());
    out->AppendFrom(&held_);
  }
  held_.Reset();
}

namespace {

bool Streams(PoolMode mode) {
  return mode != PoolMode::kAdaptiveMax && mode != PoolMode::kAdaptiveAvg;
}

// Pooling as a stage: OnlinePooler where it streams; otherwise the whole
// input pooled by Pooler::Apply() at Flush(). Either way the rows and errors
// are those of Pooler::Apply() on the whole matrix (a stream too short for
// the kernel fails at Flush() with the offline error).
class PoolStage : public FrameStage {
 public:
  PoolStage(std::shared_ptr<const Pooler> pooler, int64_t dim)
      : pooler_(std::move(pooler)), dim_(dim), held_(dim) {
    const PoolOptions& o = pooler_->options();
    if (Streams(o.mode)) {
      try {
        online_ = std::make_unique<OnlinePooler>(o, dim);
      } catch (const Error& e) {
        // Pooler::Apply() reports it, with its own message, at the end.
        reason_ = std::string("cannot stream: ") + e.what();
      }
    } else {
      reason_ = "cannot stream: adaptive pooling needs the whole input's length";
    }
    if (online_) {
      out_dim_ = online_->Dim();
    } else if (o.output_size && Streams(o.mode) == false) {
      out_dim_ = o.output_size->freq == kKeep ? dim : o.output_size->freq;
    } else {
      // Pooler::Apply() rejects it at Flush(), with the offline error.
      out_dim_ = std::max<int64_t>(0, PoolOutputSize(dim, o.kernel.freq, o.EffectiveStride().freq,
                                                     o.padding.freq, o.dilation.freq, o.ceil_mode));
    }
  }
  const char* Name() const override { return "pool"; }
  int64_t InputDim() const override { return dim_; }
  int64_t OutputDim() const override { return out_dim_; }
  std::string CannotStreamReason() const override { return reason_; }
  std::string CannotStreamKey() const override { return "mode"; }
  std::string CannotStreamValue() const override { return PoolModeName(pooler_->options().mode); }
  int64_t FramesNeededForRow(int64_t row) const override {
    return online_ ? online_->FramesNeededForRow(row) : -1;
  }
  int64_t LookAhead() const override { return online_ ? online_->FrameLag() : -1; }

  void Accept(MatrixView rows, RowQueue* out) override {
    frames_ += rows.rows;
    if (!online_) {
      held_.Append(rows);
      return;
    }
    online_->AcceptFrames(rows);
    Move(out);
  }

  void Flush(RowQueue* out) override {
    if (!online_) {
      Matrix pooled;
      pooler_->Apply(held_.Held(), &pooled);
      held_.Reset();
      out->Append(pooled.View());
      return;
    }
    online_->InputFinished();
    if (frames_ > 0) {
      const PoolSize shape = pooler_->OutputShape(frames_, dim_);  // the offline errors
      if (shape.time != online_->NumRowsReady() || shape.freq != online_->Dim()) {
        throw Error("internal: streamed pooling gave " + std::to_string(online_->NumRowsReady()) +
                    "x" + std::to_string(online_->Dim()) + ", offline " +
                    std::to_string(shape.time) + "x" + std::to_string(shape.freq));
      }
    }
    Move(out);
  }

  void Reset() override {
    frames_ = 0;
    held_.Reset();
    if (online_) online_ = std::make_unique<OnlinePooler>(pooler_->options(), dim_);
  }

 private:
  void Move(RowQueue* out) { online_->MoveReadyRowsTo(out); }

  std::shared_ptr<const Pooler> pooler_;
  int64_t dim_;
  int64_t out_dim_ = 0;
  std::unique_ptr<OnlinePooler> online_;
  std::string reason_;
  RowQueue held_;
  int64_t frames_ = 0;
};

}  // namespace

std::unique_ptr<FrameStage> MakePoolStage(std::shared_ptr<const Pooler> pooler, int64_t dim) {
  return std::make_unique<PoolStage>(std::move(pooler), dim);
}

}  // namespace internal

namespace {

bool IsOn(const StageOptions& o, const std::string& name) {
  if (name == "normalize") return o.normalize.mode != NormalizeMode::kNone;
  if (name == "cmvn") return o.cmvn.mode != CmvnMode::kNone;
  if (name == "deltas") return o.deltas.order > 0;
  if (name == "splice") return o.splice.On();
  return o.pool.has_value();
}

// How to turn stage `name` on, for an error message.
std::string HowToTurnOn(const std::string& name) {
  if (name == "normalize") return "{normalize}=MODE";
  if (name == "cmvn") return "{cmvn}=MODE";
  if (name == "deltas") return "{deltas}=ORDER";
  if (name == "splice") return "{left_context} or {right_context}";
  return "{pool}=MODE";
}

// Runs `read` (reading the stats file `value` of the cmvn_stats option);
// its Error becomes an OptionError of cmvn_stats, so each frontend spells
// the option ("--cmvn-stats=x.mat: not a Kaldi matrix ..."). The file's
// name, which the reader puts in front, is the option's value already.
template <class Read>
void StatsOptionError(const std::string& value, Read read) {
  try {
    read();
  } catch (const OptionError&) {
    throw;
  } catch (const Error& e) {
    std::string reason = e.what();
    const std::string named = "'" + value + "': ";
    if (reason.rfind(named, 0) == 0) reason = reason.substr(named.size());
    throw OptionError("cmvn_stats", value, reason);
  }
}

std::vector<std::string> ParseOrder(const StageOptions& o) {
  std::vector<std::string> order;
  if (o.stages.empty()) {
    for (const std::string& name : StageNames()) {
      if (IsOn(o, name)) order.push_back(name);
    }
    return order;
  }
  std::set<std::string> seen;
  size_t start = 0;
  while (start <= o.stages.size()) {
    size_t comma = o.stages.find(',', start);
    if (comma == std::string::npos) comma = o.stages.size();
    const std::string name = o.stages.substr(start, comma - start);
    start = comma + 1;
    if (std::find(StageNames().begin(), StageNames().end(), name) == StageNames().end()) {
      throw OptionError("stages", o.stages,
                        "unknown stage '" + name +
                            "': expected normalize, cmvn, deltas, splice "
                            "or pool");
    }
    if (!seen.insert(name).second) {
      throw OptionError("stages", o.stages, "lists '" + name + "' twice");
    }
    if (!IsOn(o, name)) {
      throw OptionError("stages", o.stages,
                        "lists '" + name + "', which is off (add " + HowToTurnOn(name) + ")");
    }
    order.push_back(name);
  }
  for (const std::string& name : StageNames()) {
    if (IsOn(o, name) && !seen.count(name)) {
      throw OptionError("stages", o.stages, "does not list '" + name + "', which is on");
    }
  }
  return order;
}

}  // namespace

StageChain::StageChain(const StageOptions& opts, int64_t input_dim)
    : opts_(opts), input_dim_(input_dim), dim_(input_dim), pool_input_dim_(input_dim) {
  opts_.normalize.Validate();
  opts_.cmvn.Validate();
  opts_.deltas.Validate();
  CheckOptionRanges(opts_.splice);
  order_ = ParseOrder(opts_);
  if (opts_.subtract_mean) order_.insert(order_.begin(), "subtract_mean");
  if (opts_.pool) pooler_ = std::make_shared<const Pooler>(*opts_.pool);
  // The dims along the chain; the stats file is read once, here.
  for (const std::string& name : order_) {
    input_dims_.push_back(dim_);
    if (name == "cmvn" && opts_.cmvn.mode == CmvnMode::kSpeaker) {
      // Each utterance brings its speaker's stats (WithCmvnStats); a table
      // of them is read once, here. The dim does not change.
      if (!opts_.cmvn.cmvn_stats.empty()) {
        auto table = std::make_shared<std::map<std::string, std::shared_ptr<const GlobalCmvn>>>();
        const std::string& spec = opts_.cmvn.cmvn_stats;
        StatsOptionError(spec, [&] {
          for (const auto& [speaker, stats] : ReadKaldiStatsTable(spec)) {
            const std::string source = "speaker '" + speaker + "'";
            if (stats.dim != dim_) {
              throw Error(source + ": stats of dimension " + std::to_string(stats.dim) +
                          ", but the features reaching cmvn have " + std::to_string(dim_) +
                          " columns");
            }
            (*table)[speaker] = std::make_shared<const GlobalCmvn>(GlobalCmvn::FromKaldiStats(
                stats, opts_.cmvn.norm_means, opts_.cmvn.norm_vars, source));
          }
        });
        speaker_stats_ = std::move(table);
        speaker_stats_source_ = spec;
      }
      continue;
    }
    if (name == "cmvn" && opts_.cmvn.mode == CmvnMode::kGlobal) {
      const std::string& path = opts_.cmvn.cmvn_stats;
      StatsOptionError(path, [&] {
        auto g = std::make_shared<GlobalCmvn>(
            GlobalCmvn::Read(path, opts_.cmvn.norm_means, opts_.cmvn.norm_vars));
        if (g->Dim() != dim_) {
          throw Error("stats of dimension " + std::to_string(g->Dim()) +
                      ", but the features reaching cmvn have " + std::to_string(dim_) +
                      " columns");
        }
        global_cmvn_ = std::move(g);
      });
    }
    std::unique_ptr<FrameStage> stage;
    if (name == "subtract_mean") stage = internal::MakeSubtractMeanStage(dim_);
    if (name == "normalize") stage = internal::MakeNormalizeStage(opts_.normalize, dim_);
    if (name == "cmvn") stage = internal::MakeCmvnStage(opts_.cmvn, dim_, global_cmvn_);
    if (name == "deltas") stage = internal::MakeDeltaStage(opts_.deltas, dim_);
    if (name == "splice") stage = internal::MakeSpliceStage(opts_.splice, dim_);
    if (name == "pool") {
      pool_input_dim_ = dim_;
      stage = internal::MakePoolStage(pooler_, dim_);
    }
    dim_ = stage->OutputDim();
  }
  if (!pooler_) pool_input_dim_ = dim_;
}

int64_t StageChain::OutputRows(int64_t frames) const {
  if (!pooler_) return frames;
  try {
    return pooler_->OutputShape(frames, pool_input_dim_).time;
  } catch (const Error&) {
    return -1;
  }
}

StageChain::~StageChain() = default;

bool StageChain::NeedsSpeakerStats() const {
  return opts_.cmvn.mode == CmvnMode::kSpeaker && !global_cmvn_ &&
         std::find(order_.begin(), order_.end(), "cmvn") != order_.end();
}

std::shared_ptr<const StageChain> StageChain::WithCmvnStats(const CmvnStats& stats,
                                                            const std::string& source) const {
  if (opts_.cmvn.mode != CmvnMode::kSpeaker) {
    throw Error("internal: WithCmvnStats on a chain without {cmvn}=speaker");
  }
  const auto at = std::find(order_.begin(), order_.end(), "cmvn");
  const int64_t dim = input_dims_[static_cast<size_t>(at - order_.begin())];
  if (stats.dim != dim) {
    throw Error(source + ": stats of dimension " + std::to_string(stats.dim) +
                ", but the features reaching cmvn have " + std::to_string(dim) + " columns");
  }
  auto chain = std::make_shared<StageChain>(*this);
  chain->global_cmvn_ = std::make_shared<const GlobalCmvn>(
      GlobalCmvn::FromKaldiStats(stats, opts_.cmvn.norm_means, opts_.cmvn.norm_vars, source));
  return chain;
}

std::shared_ptr<const StageChain> StageChain::ForSpeaker(const std::string& speaker) const {
  if (!speaker_stats_) return nullptr;
  const auto it = speaker_stats_->find(speaker);
  if (it == speaker_stats_->end()) {
    throw OptionError("cmvn_stats", speaker_stats_source_,
                      "no CMVN stats for speaker '" + speaker + "' in it");
  }
  auto chain = std::make_shared<StageChain>(*this);
  chain->global_cmvn_ = it->second;
  return chain;
}

std::shared_ptr<const StageChain> StageChain::StagesBefore(const std::string& name) const {
  auto chain = std::make_shared<StageChain>(*this);
  const auto at = std::find(order_.begin(), order_.end(), name);
  const size_t n = static_cast<size_t>(at - order_.begin());
  chain->order_.resize(n);
  chain->input_dims_.resize(n);
  chain->dim_ = at == order_.end() ? dim_ : input_dims_[n];
  if (std::find(chain->order_.begin(), chain->order_.end(), "pool") == chain->order_.end()) {
    chain->pooler_.reset();
    chain->pool_input_dim_ = chain->dim_;
  }
  return chain;
}

std::vector<std::unique_ptr<FrameStage>> StageChain::MakeStages() const {
  std::vector<std::unique_ptr<FrameStage>> stages;
  int64_t dim = input_dim_;
  for (const std::string& name : order_) {
    std::unique_ptr<FrameStage> stage;
    if (name == "subtract_mean") stage = internal::MakeSubtractMeanStage(dim);
    if (name == "normalize") stage = internal::MakeNormalizeStage(opts_.normalize, dim);
    if (name == "cmvn") stage = internal::MakeCmvnStage(opts_.cmvn, dim, global_cmvn_);
    if (name == "deltas") stage = internal::MakeDeltaStage(opts_.deltas, dim);
    if (name == "splice") stage = internal::MakeSpliceStage(opts_.splice, dim);
    if (name == "pool") stage = internal::MakePoolStage(pooler_, dim);
    dim = stage->OutputDim();
    stages.push_back(std::move(stage));
  }
  return stages;
}

OnlineStageChain::OnlineStageChain(std::shared_ptr<const StageChain> chain, bool streaming)
    : chain_(std::move(chain)), stages_(chain_->MakeStages()), out_(chain_->Dim()) {
  for (size_t i = 0; i + 1 < stages_.size(); ++i) between_.emplace_back(stages_[i]->OutputDim());
  if (streaming) {
    if (std::optional<OptionError> e = CannotStream()) throw *e;
  }
}

OnlineStageChain::OnlineStageChain(const StageOptions& opts, int64_t input_dim, bool streaming)
    : OnlineStageChain(std::make_shared<const StageChain>(opts, input_dim), streaming) {}

OnlineStageChain::~OnlineStageChain() = default;

std::optional<OptionError> OnlineStageChain::CannotStream() const {
  for (const auto& stage : stages_) {
    if (!stage->CanStream()) {
      const std::string key = stage->CannotStreamKey();
      return OptionError(key, stage->CannotStreamValue(),
                         stage->CannotStreamReason() + "; drop {" + key + "} to stream");
    }
  }
  return std::nullopt;
}

void OnlineStageChain::Run(MatrixView frames, RowQueue* owned, bool flush) {
  if (stages_.empty()) {
    if (owned != nullptr) {
      out_.AppendFrom(owned);
    } else {
      out_.Append(frames);
    }
    return;
  }
  for (size_t i = 0; i < stages_.size(); ++i) {
    RowQueue* out = i + 1 == stages_.size() ? &out_ : &between_[i];
    // Stage i > 0 reads the queue the chain owns between the stages; the
    // stage consumes (or takes) its rows.
    RowQueue* in = i > 0 ? &between_[i - 1] : owned;
    if (in != nullptr) {
      stages_[i]->AcceptQueue(in, out);
    } else {
      stages_[i]->Accept(frames, out);
    }
    if (flush) stages_[i]->Flush(out);
  }
}

void OnlineStageChain::CheckFrames(int64_t cols) const {
  if (finished_) throw Error("OnlineStageChain: frames after InputFinished()");
  if (cols != InputDim()) {
    throw Error("OnlineStageChain: frames of " + std::to_string(cols) + " columns, expected " +
                std::to_string(InputDim()));
  }
}

void OnlineStageChain::AcceptFrames(MatrixView frames) {
  if (finished_) throw Error("OnlineStageChain: frames after InputFinished()");
  if (frames.rows == 0) return;
  CheckFrames(frames.cols);
  frames_accepted_ += frames.rows;
  Run(frames, nullptr, false);
}

void OnlineStageChain::AcceptFrames(Matrix&& frames) {
  if (finished_) throw Error("OnlineStageChain: frames after InputFinished()");
  if (frames.rows() == 0) return;
  CheckFrames(frames.cols());
  frames_accepted_ += frames.rows();
  RowQueue owned(InputDim());
  owned.Append(std::move(frames));
  Run(owned.Held(), &owned, false);
}

void OnlineStageChain::InputFinished() {
  if (finished_) return;
  finished_ = true;
  Run(MatrixView{nullptr, 0, InputDim()}, nullptr, true);
}

const float* OnlineStageChain::Row(int64_t row) const {
  if (row < out_.FirstRow() || row >= out_.NumRows()) {
    throw Error("OnlineStageChain: row " + std::to_string(row) + " is not available");
  }
  return out_.Row(row);
}

Matrix OnlineStageChain::TakeRows() { return out_.TakeHeld(); }

int64_t OnlineStageChain::FramesNeededForRow(int64_t row) const {
  int64_t need = row + 1;
  for (size_t i = stages_.size(); i-- > 0;) {
    if (need <= 0) return 0;
    need = stages_[i]->FramesNeededForRow(need - 1);
    if (need < 0) return -1;
  }
  return need;
}

void OnlineStageChain::Reset() {
  for (auto& stage : stages_) stage->Reset();
  for (RowQueue& q : between_) q.Reset();
  out_.Reset();
  finished_ = false;
  frames_accepted_ = 0;
}

Matrix ApplyStages(const StageChain& chain, MatrixView in) {
  OnlineStageChain online(std::make_shared<const StageChain>(chain), false);
  online.AcceptFrames(in);
  online.InputFinished();
  return online.TakeRows();
}

Matrix ApplyStages(const StageChain& chain, Matrix&& in) {
  OnlineStageChain online(std::make_shared<const StageChain>(chain), false);
  online.AcceptFrames(std::move(in));
  online.InputFinished();
  return online.TakeRows();
}

std::shared_ptr<const StageChain> MakeStageChain(const FeatureOptions& features,
                                                 const StageOptions& stages) {
  const int64_t dim = MakeFeatureComputer(features)->Dim();
  auto chain = std::make_shared<const StageChain>(stages, dim);
  return chain->Empty() ? nullptr : chain;
}

}  // namespace featpool
