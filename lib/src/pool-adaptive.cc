// adaptive_max_pool2d / adaptive_avg_pool2d over the whole input.
// PyTorch ATen AdaptivePooling.h: cell i of an axis covers
// [start_index(i), end_index(i)) with start = floor(i * in / out) and
// end = ceil((i + 1) * in / out), computed in integers. Cells may overlap, so
// the work is at most a few times the input whatever the output size.
//
// With indices, all cells of an output row are scanned together, input row
// by input row: each cell still sees its elements in torch's row-major order
// (rows in order, columns in order within a row), and the cells' independent
// chains overlap in the pipeline instead of one long chain per cell.
#include <algorithm>
#include <limits>
#include <vector>

#include "pool-engine.h"
#include "pool-select.h"

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
  std::vector<double> sums(static_cast<size_t>(out_cols));
  std::vector<int64_t> best_index(static_cast<size_t>(out_cols));
  std::vector<float> column_max(static_cast<size_t>(in.cols));
  for (int64_t i = 0; i < out_rows; ++i) {
    const int64_t r0 = StartIndex(i, out_rows, in.rows);
    const int64_t r1 = EndIndex(i, out_rows, in.rows);
    float* best = out + i * out_cols;
    if (is_max) {
      // cpu_adaptive_max_pool: start from -inf with the cell's first index;
      // replace when greater or NaN.
      for (int64_t j = 0; j < out_cols; ++j) {
        best[j] = -std::numeric_limits<float>::infinity();
        best_index[j] = r0 * in.cols + col_begin[j];
      }
      if (indices) {
        for (int64_t r = r0; r < r1; ++r) {
          const float* row = in.Row(r);
          for (int64_t j = 0; j < out_cols; ++j) {
            for (int64_t c = col_begin[j]; c < col_end[j]; ++c) {
              SelectMaxIndexed(&best[j], &best_index[j], row[c], r * in.cols + c);
            }
          }
        }
        std::copy(best_index.begin(), best_index.end(), indices + i * out_cols);
        continue;
      }
      // Values only: any order of comparisons gives the maximum's value, and
      // its bits are unique unless it is a zero (-0.0 and +0.0 tie) or a NaN
      // (payloads). So reduce the rows first (contiguous, vectorised), then
      // each cell's columns, and rescan in torch's order only the cells whose
      // result is a zero or NaN.
      std::copy(in.Row(r0), in.Row(r0) + in.cols, column_max.begin());
      for (int64_t r = r0 + 1; r < r1; ++r) SelectMaxRows(column_max.data(), in.Row(r), in.cols);
      for (int64_t j = 0; j < out_cols; ++j) {
        float m = column_max[col_begin[j]];
        for (int64_t c = col_begin[j] + 1; c < col_end[j]; ++c) m = SelectMax(m, column_max[c]);
        if (m == 0.0f || m != m) {
          m = -std::numeric_limits<float>::infinity();
          for (int64_t r = r0; r < r1; ++r) {
            for (int64_t c = col_begin[j]; c < col_end[j]; ++c) m = SelectMax(m, in(r, c));
          }
        }
        best[j] = m;
      }
    } else {
      std::fill(sums.begin(), sums.end(), 0.0);
      for (int64_t r = r0; r < r1; ++r) {
        const float* row = in.Row(r);
        for (int64_t j = 0; j < out_cols; ++j) {
          double sum = sums[j];
          for (int64_t c = col_begin[j]; c < col_end[j]; ++c) sum += row[c];
          sums[j] = sum;
        }
      }
      const double rows = static_cast<double>(r1 - r0);
      for (int64_t j = 0; j < out_cols; ++j) {
        best[j] =
            static_cast<float>(sums[j] / (rows * static_cast<double>(col_end[j] - col_begin[j])));
      }
    }
  }
}

}  // namespace internal
}  // namespace featpool
