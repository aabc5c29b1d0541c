// adaptive_max_pool2d / adaptive_avg_pool2d over the whole input.
// PyTorch ATen AdaptivePooling.h: cell i of an axis covers
// [start_index(i), end_index(i)) with start = floor(i * in / out) and
// end = ceil((i + 1) * in / out), computed in integers. Cells may overlap, so
// the work is at most a few times the input whatever the output size.
#include <algorithm>
#include <limits>
#include <vector>

#include "pool-engine.h"

namespace featpool {
namespace internal {
namespace {

int64_t StartIndex(int64_t i, int64_t out, int64_t in) {
  return (i / out) * in + ((i % out) * in) / out;
}
int64_t EndIndex(int64_t i, int64_t out, int64_t in) { return 1 + ((i + 1) * in - 1) / out; }

}  // namespace

void AdaptivePool(const PoolOptions& opts, MatrixView in, int64_t out_rows, int64_t out_cols,
                  float* out, int64_t* indices) {
  const bool is_max = opts.mode == PoolMode::kAdaptiveMax;
  std::vector<int64_t> col_begin(static_cast<size_t>(out_cols));
  std::vector<int64_t> col_end(static_cast<size_t>(out_cols));
  for (int64_t j = 0; j < out_cols; ++j) {
    col_begin[j] = StartIndex(j, out_cols, in.cols);
    col_end[j] = EndIndex(j, out_cols, in.cols);
  }
  for (int64_t i = 0; i < out_rows; ++i) {
    const int64_t r0 = StartIndex(i, out_rows, in.rows);
    const int64_t r1 = EndIndex(i, out_rows, in.rows);
    float* out_row = out + i * out_cols;
    for (int64_t j = 0; j < out_cols; ++j) {
      const int64_t c0 = col_begin[j];
      const int64_t c1 = col_end[j];
      if (is_max) {
        // cpu_adaptive_max_pool: row-major scan, replace when greater or NaN.
        float best = -std::numeric_limits<float>::infinity();
        int64_t best_index = r0 * in.cols + c0;
        for (int64_t r = r0; r < r1; ++r) {
          const float* row = in.Row(r);
          for (int64_t c = c0; c < c1; ++c) {
            const float v = row[c];
            if (v > best || v != v) {
              best = v;
              best_index = r * in.cols + c;
            }
          }
        }
        out_row[j] = best;
        if (indices) indices[i * out_cols + j] = best_index;
      } else {
        double sum = 0.0;
        for (int64_t r = r0; r < r1; ++r) {
          const float* row = in.Row(r);
          for (int64_t c = c0; c < c1; ++c) sum += row[c];
        }
        out_row[j] = static_cast<float>(sum / static_cast<double>((r1 - r0) * (c1 - c0)));
      }
    }
  }
}

}  // namespace internal
}  // namespace featpool
