// Pooling over a stream of frames (rows) that arrive in chunks of any size.
// Each pooled row is produced as soon as every frame under its window has
// arrived; the rows whose windows are clipped by the end of the input (with
// padding or ceil_mode), and stacking's last rows, are produced by
// InputFinished(). The offline Pooler runs this same engine over the whole
// matrix, so streaming output is bit-identical to offline output.
//
// Modes: max, avg, lp and stack stream; stats gives one row at
// InputFinished() and a running result at any time (RunningStats); the
// adaptive modes need the input's length and are rejected here.
//
// Latency: row r needs frames [0, FramesNeededForRow(r)). For max/avg/lp that
// is r*stride - padding + (kernel - 1)*dilation + 1 (time axis); for stack,
// r*n + m - (m - 1)/2. FrameLag() is how many frames past its first stride
// frame (r*stride, or r*n for stack) a row waits for: (kernel - 1)*dilation -
// padding, or m - 1 - (m - 1)/2.
//
// Memory: the pooler keeps at most about 2 * kernel * dilation partial rows
// (m frames for stack) plus the pooled rows the caller has not released with
// ReleaseRowsBefore().
//
// Thread safety: one OnlinePooler per stream; it is not shareable.
#ifndef FEATPOOL_ONLINE_POOLER_H_
#define FEATPOOL_ONLINE_POOLER_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "featpool/matrix.h"
#include "featpool/pooler.h"
#include "featpool/row-queue.h"

namespace featpool {

namespace internal {
class RowPoolEngine;
}

class OnlinePooler {
 public:
  // `input_dim`: the columns of every frame. Validates; throws Error for
  // invalid options, adaptive modes, or a frame width giving no output column.
  // With opts.return_indices (max only), RowIndices() gives flat indices
  // t * input_dim + f, t counted from the first frame of the stream.
  OnlinePooler(const PoolOptions& opts, int64_t input_dim);
  ~OnlinePooler();
  OnlinePooler(const OnlinePooler&) = delete;
  OnlinePooler& operator=(const OnlinePooler&) = delete;

  const PoolOptions& options() const { return opts_; }
  int64_t InputDim() const { return input_dim_; }
  // Columns of a pooled row.
  int64_t Dim() const { return dim_; }

  // Appends frames; throws Error after InputFinished() or if a width differs.
  void AcceptFrames(MatrixView frames);
  void AcceptFrame(const float* frame);
  // Marks the end of the stream and produces the remaining rows. A stream too
  // short for any window simply gives no rows (the offline Pooler throws).
  void InputFinished();
  bool IsFinished() const { return finished_; }

  int64_t NumFramesAccepted() const;
  // Rows [0, NumRowsReady()) have been produced; those before
  // FirstAvailableRow() were released.
  int64_t NumRowsReady() const { return num_rows_; }
  int64_t FirstAvailableRow() const { return first_row_; }
  // A ready, unreleased row (Dim() floats), valid until the next non-const
  // call. Throws Error otherwise.
  const float* Row(int64_t row) const;
  // Its indices (Dim() values); throws Error without opts.return_indices.
  const int64_t* RowIndices(int64_t row) const;
  // Rows [FirstAvailableRow(), NumRowsReady()) as one view.
  MatrixView ReadyRows() const;
  void ReleaseRowsBefore(int64_t row);
  // Moves out every unreleased row and releases them.
  Matrix TakeRows();
  // Appends every unreleased row to `out` (Dim() columns) and releases
  // them; without a copy when `out` holds no row and no row was released
  // before them (the two swap storage, each keeping a buffer for reuse).
  void MoveReadyRowsTo(RowQueue* out);

  // Frames that must have arrived before row `row` is ready without
  // InputFinished(); -1 for stats (only at the end).
  int64_t FramesNeededForRow(int64_t row) const;
  // How many frames a row lags behind its first stride frame; -1 for stats.
  int64_t FrameLag() const;
  // stats only: mean and standard deviation over the frames so far (2 *
  // InputDim() floats). False before the first frame or in other modes.
  bool RunningStats(float* out) const;

 private:
  void Drain();
  // Room for the rows that `frames` more frames complete, in one step.
  void ReserveFor(int64_t frames);
  void Check(int64_t row) const;

  PoolOptions opts_;
  int64_t input_dim_;
  int64_t dim_;
  std::unique_ptr<internal::RowPoolEngine> engine_;
  bool finished_ = false;
  std::vector<float> rows_;       // rows from stored_first_ on
  std::vector<int64_t> indices_;  // likewise, with return_indices
  int64_t num_rows_ = 0;
  int64_t first_row_ = 0;
  int64_t stored_first_ = 0;
};

}  // namespace featpool

#endif  // FEATPOOL_ONLINE_POOLER_H_
