// The stage implementations behind StageChain (stage.h), one factory per
// stage file. Internal: not installed.
#ifndef FEATPOOL_SRC_STAGES_H_
#define FEATPOOL_SRC_STAGES_H_

#include <algorithm>
#include <cstdint>
#include <memory>

#include "featpool/stage.h"

namespace featpool {
namespace internal {

std::unique_ptr<FrameStage> MakeCmvnStage(const CmvnOptions& opts, int64_t dim,
                                          std::shared_ptr<const GlobalCmvn> global);
// Kaldi's --subtract-mean (cmvn.cc).
std::unique_ptr<FrameStage> MakeSubtractMeanStage(int64_t dim);
std::unique_ptr<FrameStage> MakeDeltaStage(const DeltaOptions& opts, int64_t dim);
std::unique_ptr<FrameStage> MakeSpliceStage(const SpliceOptions& opts, int64_t dim);
std::unique_ptr<FrameStage> MakeNormalizeStage(const NormalizeOptions& opts, int64_t dim);
std::unique_ptr<FrameStage> MakePoolStage(std::shared_ptr<const Pooler> pooler, int64_t dim);

// A stage that holds the utterance until Flush() and then processes it
// whole, in place, keeping the dimension (the unstreamable stages); the
// processed rows are handed to the output queue without a copy when it is
// empty.
class WholeUtteranceStage : public FrameStage {
 public:
  explicit WholeUtteranceStage(int64_t dim) : held_(dim) {}
  int64_t InputDim() const override { return held_.Dim(); }
  int64_t OutputDim() const override { return held_.Dim(); }
  int64_t FramesNeededForRow(int64_t) const override { return -1; }
  int64_t LookAhead() const override { return -1; }
  void Accept(MatrixView rows, RowQueue*) override { held_.Append(rows); }
  // Takes the rows' storage while nothing is held (an utterance handed over
  // whole is never copied).
  void AcceptQueue(RowQueue* in, RowQueue*) override { held_.AppendFrom(in); }
  void Flush(RowQueue* out) override;
  void Reset() override { held_.Reset(); }

 protected:
  // The whole utterance (`rows` rows of `dim` floats), in place.
  virtual void ProcessWhole(float* data, int64_t rows, int64_t dim) = 0;

 private:
  RowQueue held_;
};

// Frames clamped to the utterance, as Kaldi's DeltaFeatures::Process() and
// SpliceFrames(): row t needs [t - left, t + right]; it is made once frame
// t + right has arrived, or at Flush() with the last frame standing in.
class ContextStage : public FrameStage {
 public:
  ContextStage(int64_t dim, int64_t out_dim, int64_t left, int64_t right)
      : dim_(dim), out_dim_(out_dim), left_(left), right_(right), held_(dim) {}
  int64_t InputDim() const override { return dim_; }
  int64_t OutputDim() const override { return out_dim_; }
  int64_t FramesNeededForRow(int64_t row) const override { return row + 1 + right_; }
  int64_t LookAhead() const override { return right_; }
  void Accept(MatrixView rows, RowQueue* out) override {
    held_.Append(rows);
    Emit(false, out);
  }
  void Flush(RowQueue* out) override { Emit(true, out); }
  void Reset() override {
    held_.Reset();
    next_ = 0;
  }

 protected:
  // Row t of the output from the held frames; frame(t') clamps t'.
  virtual void Make(int64_t t, float* out) const = 0;
  const float* Frame(int64_t t) const {
    return held_.Row(std::min(std::max<int64_t>(t, 0), last_));
  }
  int64_t dim_;

 private:
  void Emit(bool flush, RowQueue* out) {
    const int64_t have = held_.NumRows();
    last_ = have - 1;
    for (; next_ < have && (flush || next_ + right_ < have); ++next_) {
      Make(next_, out->AppendRow());
      held_.ReleaseBefore(next_ + 1 - left_);
    }
  }

  int64_t out_dim_;
  int64_t left_;
  int64_t right_;
  RowQueue held_;
  int64_t next_ = 0;
  int64_t last_ = -1;
};

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_STAGES_H_
