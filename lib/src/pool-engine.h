// Internal: the row-streaming engines behind Pooler and OnlinePooler. Input
// rows (frames) go in one at a time; an output row is computed as soon as
// every input row under its window has arrived, or at Finish() for windows
// clipped by the end. Offline pooling is the same engine fed the whole
// matrix, so streaming and offline agree bit for bit by construction.
#ifndef FEATPOOL_SRC_POOL_ENGINE_H_
#define FEATPOOL_SRC_POOL_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "featpool/matrix.h"
#include "featpool/pooler.h"

namespace featpool {
namespace internal {

class RowPoolEngine {
 public:
  virtual ~RowPoolEngine() = default;

  int64_t OutputCols() const { return out_cols_; }
  int64_t RowsAccepted() const { return rows_in_; }
  // Index of the output row EmitNext() computes next.
  int64_t NextOutput() const { return next_out_; }
  bool finished() const { return finished_; }

  // Feeds input row RowsAccepted() (InputCols() floats). The caller drains
  // every ready output (OutputReady / EmitNext) before the next row.
  virtual void AcceptRow(const float* row) = 0;
  // No more rows; the rows clipped by the end become ready.
  virtual void Finish() = 0;
  virtual bool OutputReady() const = 0;
  // Computes output row NextOutput() into `out` (OutputCols() floats) and,
  // when the engine was made with indices, `indices`.
  virtual void EmitNext(float* out, int64_t* indices) = 0;
  // Input rows that must have arrived before output row `row` is ready
  // without Finish(); -1 if it is only ready at Finish().
  virtual int64_t FramesNeededForRow(int64_t row) const = 0;
  // Stats only: the result over the rows so far (false if none or not stats).
  virtual bool RunningResult(float* /*out*/) const { return false; }

 protected:
  int64_t in_cols_ = 0;
  int64_t out_cols_ = 0;
  int64_t rows_in_ = 0;
  int64_t next_out_ = 0;
  bool finished_ = false;
};

// Engines for the streamable modes (max, avg, lp, stats, stack); `opts` must
// be valid. Throws Error if `cols` gives no output column, or for the
// adaptive modes, which need the whole input.
std::unique_ptr<RowPoolEngine> MakeRowPoolEngine(const PoolOptions& opts, int64_t cols,
                                                 bool with_indices);
std::unique_ptr<RowPoolEngine> MakeWindowEngine(const PoolOptions& opts, int64_t cols,
                                                bool with_indices);  // pool-window.cc
std::unique_ptr<RowPoolEngine> MakeStatsEngine(int64_t cols);        // pool-stats.cc
std::unique_ptr<RowPoolEngine> MakeStackEngine(const PoolOptions& opts,
                                               int64_t cols);  // pool-stack.cc

// Makes every output of the engine from the whole of `in`, writing row r at
// out + r * OutputCols() (and indices likewise when not null).
void RunEngine(RowPoolEngine* engine, MatrixView in, float* out, int64_t* indices);

// adaptive-max / adaptive-avg over the whole input (offline only).
void AdaptivePool(const PoolOptions& opts, MatrixView in, int64_t out_rows, int64_t out_cols,
                  float* out, int64_t* indices);

// Throws Error "<what> is more than 16 times the input ..." if
// `out_elements` exceeds the bound of pooler.h (kMaxPoolGrowthFactor).
void CheckPoolGrowth(int64_t out_elements, int64_t in_elements, const std::string& key,
                     const std::string& value, const std::string& what);

// Floor and ceiling division for any signs of `a` (b > 0).
inline int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && a < 0) ? q - 1 : q;
}
inline int64_t CeilDiv(int64_t a, int64_t b) { return -FloorDiv(-a, b); }

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_POOL_ENGINE_H_
