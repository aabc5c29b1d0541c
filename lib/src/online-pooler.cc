#include "featpool/online-pooler.h"

#include <algorithm>
#include <string>

#include "featpool/error.h"
#include "pool-engine.h"

namespace featpool {

OnlinePooler::OnlinePooler(const PoolOptions& opts, int64_t input_dim)
    : opts_(opts), input_dim_(input_dim) {
  opts_.Validate();
  if (opts_.mode == PoolMode::kAdaptiveMax || opts_.mode == PoolMode::kAdaptiveAvg) {
    throw OptionError("mode", PoolModeName(opts_.mode),
                      "cannot stream: adaptive pooling needs the whole input's length "
                      "(use the offline Pooler)");
  }
  engine_ = internal::MakeRowPoolEngine(opts_, input_dim, opts_.return_indices);
  dim_ = engine_->OutputCols();
}

OnlinePooler::~OnlinePooler() = default;

int64_t OnlinePooler::NumFramesAccepted() const { return engine_->RowsAccepted(); }

void OnlinePooler::AcceptFrames(MatrixView frames) {
  if (frames.rows == 0) return;
  if (frames.cols != input_dim_) {
    throw Error("OnlinePooler: frames have " + std::to_string(frames.cols) + " columns, expected " +
                std::to_string(input_dim_));
  }
  if (finished_) throw Error("OnlinePooler: frames given after InputFinished()");
  ReserveFor(frames.rows);
  for (int64_t r = 0; r < frames.rows; ++r) AcceptFrame(frames.Row(r));
}

void OnlinePooler::ReserveFor(int64_t frames) {
  const int64_t have = engine_->RowsAccepted() + frames;
  int64_t rows = num_rows_;
  for (;;) {
    const int64_t need = engine_->FramesNeededForRow(rows);
    if (need < 0 || need > have) break;
    ++rows;
  }
  const size_t size = static_cast<size_t>((rows - stored_first_) * dim_);
  if (size > rows_.capacity()) rows_.reserve(std::max(size, 2 * rows_.capacity()));
  if (opts_.return_indices && size > indices_.capacity()) {
    indices_.reserve(std::max(size, 2 * indices_.capacity()));
  }
}

void OnlinePooler::AcceptFrame(const float* frame) {
  if (finished_) throw Error("OnlinePooler: frames given after InputFinished()");
  engine_->AcceptRow(frame);
  Drain();
}

void OnlinePooler::InputFinished() {
  if (finished_) return;
  finished_ = true;
  // An empty stream gives no rows in every mode, as the offline Pooler does
  // for stack and rejects for the others; the padding alone must not make a
  // window.
  if (NumFramesAccepted() == 0) return;
  engine_->Finish();
  Drain();
}

void OnlinePooler::Drain() {
  while (engine_->OutputReady()) {
    const size_t at = static_cast<size_t>((num_rows_ - stored_first_) * dim_);
    rows_.resize(at + static_cast<size_t>(dim_));
    int64_t* index = nullptr;
    if (opts_.return_indices) {
      indices_.resize(at + static_cast<size_t>(dim_));
      index = indices_.data() + at;
    }
    engine_->EmitNext(rows_.data() + at, index);
    ++num_rows_;
  }
}

void OnlinePooler::Check(int64_t row) const {
  if (row < first_row_ || row >= num_rows_) {
    throw Error("OnlinePooler: row " + std::to_string(row) + " is not available (rows [" +
                std::to_string(first_row_) + ", " + std::to_string(num_rows_) + ") are)");
  }
}

const float* OnlinePooler::Row(int64_t row) const {
  Check(row);
  return rows_.data() + (row - stored_first_) * dim_;
}

const int64_t* OnlinePooler::RowIndices(int64_t row) const {
  if (!opts_.return_indices) {
    throw Error("OnlinePooler: indices need PoolOptions::return_indices");
  }
  Check(row);
  return indices_.data() + (row - stored_first_) * dim_;
}

MatrixView OnlinePooler::ReadyRows() const {
  return {rows_.data() + (first_row_ - stored_first_) * dim_, num_rows_ - first_row_, dim_};
}

void OnlinePooler::ReleaseRowsBefore(int64_t row) {
  first_row_ = std::max(first_row_, std::min(row, num_rows_));
  // Compact once the released rows are at least half of the storage, so a
  // caller releasing row by row costs amortised O(1) per row.
  const int64_t released = first_row_ - stored_first_;
  if (released > 0 && released >= num_rows_ - first_row_) {
    const auto cut = static_cast<std::ptrdiff_t>(released * dim_);
    rows_.erase(rows_.begin(), rows_.begin() + cut);
    if (opts_.return_indices) indices_.erase(indices_.begin(), indices_.begin() + cut);
    stored_first_ = first_row_;
  }
}

Matrix OnlinePooler::TakeRows() {
  const MatrixView ready = ReadyRows();
  Matrix out(ready.rows, ready.cols);
  std::copy(ready.data, ready.data + ready.rows * ready.cols, out.data());
  ReleaseRowsBefore(num_rows_);
  return out;
}

void OnlinePooler::MoveReadyRowsTo(RowQueue* out) {
  const int64_t rows = num_rows_ - first_row_;
  if (rows > 0 && first_row_ == stored_first_ && out->NumHeld() == 0) {
    out->AppendSwapping(&rows_, rows);
    indices_.clear();
    first_row_ = stored_first_ = num_rows_;
    return;
  }
  out->Append(ReadyRows());
  ReleaseRowsBefore(num_rows_);
}

int64_t OnlinePooler::FramesNeededForRow(int64_t row) const {
  // Rows far past any input would overflow row * stride.
  int64_t stride = 1;
  if (opts_.mode == PoolMode::kStack) stride = opts_.stack_stride;
  if (opts_.mode == PoolMode::kMax || opts_.mode == PoolMode::kAvg || opts_.mode == PoolMode::kLp) {
    stride = opts_.EffectiveStride().time;
  }
  if (row < 0 || row > (int64_t{1} << 62) / stride) {
    throw Error("OnlinePooler: row " + std::to_string(row) + " is out of range");
  }
  return engine_->FramesNeededForRow(row);
}

int64_t OnlinePooler::FrameLag() const {
  if (opts_.mode == PoolMode::kStats) return -1;
  // Row r waits for frame r*stride + lag, the same lag for every r; row 0's
  // first stride frame is 0.
  return FramesNeededForRow(0) - 1;
}

bool OnlinePooler::RunningStats(float* out) const { return engine_->RunningResult(out); }

}  // namespace featpool
