// Statistics pooling (x-vector): per column the mean and the population
// standard deviation over all rows, [1, 2F].
//
// Stability: each column is summed in double around a shift, its first value
// K: S1 = sum(x - K), S2 = sum((x - K)^2), mean = K + S1/T,
// var = S2/T - (S1/T)^2. The cancellation in var is at most about
// (mean - K)^2 / var, and since K is one of the samples var >= (K - mean)^2 / T,
// so the relative error stays near T * 2^-53 (a column with mean 1000 and
// deviation 1 comes out right, unlike a float sum of squares). The same sums
// serve the running result while streaming. A non-finite first value makes
// the shift 0, so inf and NaN propagate as numpy's mean/std would.
#include <cmath>
#include <vector>

#include "pool-engine.h"

namespace featpool {
namespace internal {
namespace {

class StatsEngine final : public RowPoolEngine {
 public:
  explicit StatsEngine(int64_t cols)
      : shift_(static_cast<size_t>(cols)),
        s1_(static_cast<size_t>(cols)),
        s2_(static_cast<size_t>(cols)) {
    in_cols_ = cols;
    out_cols_ = 2 * cols;
  }

  void AcceptRow(const float* row) override {
    const int64_t n = in_cols_;
    if (rows_in_ == 0) {
      for (int64_t f = 0; f < n; ++f) shift_[f] = std::isfinite(row[f]) ? row[f] : 0.0;
    }
    double* __restrict s1 = s1_.data();
    double* __restrict s2 = s2_.data();
    const double* __restrict shift = shift_.data();
    for (int64_t f = 0; f < n; ++f) {
      const double d = static_cast<double>(row[f]) - shift[f];
      s1[f] += d;
      s2[f] += d * d;
    }
    ++rows_in_;
  }

  void Finish() override { finished_ = true; }
  bool OutputReady() const override { return finished_ && next_out_ == 0 && rows_in_ > 0; }

  void EmitNext(float* out, int64_t* /*indices*/) override {
    Compute(out);
    ++next_out_;
  }

  int64_t FramesNeededForRow(int64_t /*row*/) const override { return -1; }

  bool RunningResult(float* out) const override {
    if (rows_in_ == 0) return false;
    Compute(out);
    return true;
  }

 private:
  void Compute(float* out) const {
    const double count = static_cast<double>(rows_in_);
    for (int64_t f = 0; f < in_cols_; ++f) {
      const double m1 = s1_[f] / count;
      double var = s2_[f] / count - m1 * m1;
      if (var < 0.0) var = 0.0;  // rounding; keeps NaN
      out[f] = static_cast<float>(shift_[f] + m1);
      out[in_cols_ + f] = static_cast<float>(std::sqrt(var));
    }
  }

  std::vector<double> shift_, s1_, s2_;
};

}  // namespace

std::unique_ptr<RowPoolEngine> MakeStatsEngine(int64_t cols) {
  return std::make_unique<StatsEngine>(cols);
}

}  // namespace internal
}  // namespace featpool
