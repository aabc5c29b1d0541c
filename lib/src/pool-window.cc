// Window pooling (max, avg, lp) as a row-streaming engine, separable over the
// two axes: every input row is first pooled along frequency into a row of
// partial results, then the partial rows under a time window are combined.
//
// Order matters for max: torch scans a window row by row (time outer,
// frequency inner) and a value replaces the running maximum when it is
// greater or NaN. That selection is associative (it picks the first of the
// largest, or the last NaN), so reducing each row first and then the rows in
// time order gives the same element, with its bits and index, as torch's
// scan. Reducing the time axis first would not: it would pick the first
// maximum in column-major order, which differs for -0.0/+0.0 ties and NaN
// payloads.
//
// Cost per output does not grow with the kernel:
// - Time axis, kernel > 2 * stride + 2: van Herk / Gil-Werman blocks. The
//   rows of one dilation class are cut into blocks of `kernel` rows, each
//   with a running prefix and suffix, and a window is suffix(first) combined
//   with prefix(last): three row operations per input row, whatever the
//   kernel. Smaller kernels fold their rows directly.
// - Frequency axis (a row of ~80 values), kernel >= 5 with overlapping
//   windows: doubling. Level a holds the fold of 2^a consecutive taps; a
//   window folds the levels of its kernel's binary digits. About log2(k)
//   vector passes over the row (at most 7 for 80 columns), which beats the
//   sequential prefix/suffix scans of van Herk on rows this short.
// - Disjoint windows (stride >= kernel) visit every value once.
// Every scheme combines disjoint pieces in scan order, so the associativity
// above keeps max exact, and sums never subtract: an inf or NaN only reaches
// the windows that hold it.
//
// The offline path (Pooler::Apply) and OnlinePooler both feed rows to this
// engine one at a time, so they agree bit for bit.
//
// The three axes live apart and are composed here: pool/axis.h (the shape
// functions both axes share), pool/freq-pass.h (one row along frequency),
// pool/time-pass.h (the ring and the blocks along time) and pool/reduce.h
// (the max, indexed max and sum policies, and avg's and lp's outputs).
#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <vector>

#include "featpool/error.h"
#include "pool-engine.h"
#include "pool/axis.h"
#include "pool/freq-pass.h"
#include "pool/reduce.h"
#include "pool/time-pass.h"

namespace featpool {
namespace internal {
namespace {

template <class P, OutputKind kKind>
class WindowEngine final : public RowPoolEngine {
  using V = typename P::V;
  static constexpr bool kIndex = kWithIndices<P>;
  // lp pools x^p, computed in double.
  using In = std::conditional_t<kKind == OutputKind::kLp, double, float>;

 public:
  WindowEngine(const PoolOptions& opts, int64_t cols) {
    const PoolSize stride = opts.EffectiveStride();
    const Axis time = {opts.kernel.time, stride.time, opts.padding.time, opts.dilation.time,
                       opts.ceil_mode};
    const Axis freq = {opts.kernel.freq, stride.freq, opts.padding.freq, opts.dilation.freq,
                       opts.ceil_mode};
    in_cols_ = cols;
    out_cols_ = freq.OutputSize(cols);
    if (out_cols_ < 1) {
      throw OptionError("kernel",
                        std::to_string(opts.kernel.time) + "x" + std::to_string(opts.kernel.freq),
                        "on frames of " + std::to_string(cols) +
                            " columns gives no output column (torch: output size is too small)");
    }
    freq_ = FreqPass<P, In>(freq, cols);
    time_ = TimePass<P>(time, out_cols_);
    output_ = OutputStage<P, kKind>(opts, freq_.Taps(), freq_.PaddedCounts());
    acc_.resize(static_cast<size_t>(out_cols_));
    if (kKind == OutputKind::kLp) powed_.resize(static_cast<size_t>(cols));
  }

  void AcceptRow(const float* row) override {
    const int64_t t = rows_in_;
    if (V* h = time_.BeginRow(t)) {
      if constexpr (kKind == OutputKind::kLp) {
        output_.PowRow(row, powed_.data(), in_cols_);
        freq_.Pool(powed_.data(), t * in_cols_, h);
      } else {
        freq_.Pool(row, t * in_cols_, h);
      }
      time_.EndRow(t);
    }
    ++rows_in_;
  }

  void Finish() override {
    if (finished_) return;
    finished_ = true;
    total_out_ = std::max(time_.axis().OutputSize(rows_in_), next_out_);
    time_.Finish(rows_in_);
  }

  bool OutputReady() const override {
    if (finished_) return next_out_ < total_out_;
    return time_.axis().Last(next_out_) < rows_in_;
  }

  void EmitNext(float* out, int64_t* indices) override {
    const int64_t o = next_out_++;
    const Axis& time = time_.axis();
    const int64_t first = time.FirstPos(o);
    const int64_t taps = time.ValidTaps(o, rows_in_);
    if (taps == 0) {  // dilated max window with every row in the padding
      const float empty = kKind == OutputKind::kMax ? kMinusInf : 0.0f;
      for (int64_t f = 0; f < out_cols_; ++f) out[f] = empty;
      if (kIndex && indices) {
        const std::vector<int64_t>& f_first = freq_.FirstTaps();
        for (int64_t f = 0; f < out_cols_; ++f) indices[f] = first * in_cols_ + f_first[f];
      }
      return;
    }
    // Max without indices combines straight into the output row.
    V* acc = acc_.data();
    if constexpr (std::is_same<P, MaxPolicy>::value) acc = out;
    if constexpr (kKind == OutputKind::kAvg) {
      const V* partial = nullptr;
      const V* last = nullptr;
      if (time_.SplitLast(first, taps, acc, &partial, &last)) {
        // the last row's sum fused with the division
        output_.FinishSum(partial, last, taps, time.PaddedCount(o, rows_in_), out);
        return;
      }
    }
    const V* src = time_.Window(first, taps, acc);
    output_.Finish(src, taps, time.PaddedCount(o, rows_in_), out, indices);
  }

  int64_t FramesNeededForRow(int64_t row) const override { return time_.axis().Last(row) + 1; }

 private:
  FreqPass<P, In> freq_;
  TimePass<P> time_;
  OutputStage<P, kKind> output_;
  int64_t total_out_ = 0;
  std::vector<V> acc_;
  std::vector<double> powed_;  // lp: x^p of the current row
};

}  // namespace

std::unique_ptr<RowPoolEngine> MakeWindowEngine(const PoolOptions& opts, int64_t cols,
                                                bool with_indices) {
  switch (opts.mode) {
    case PoolMode::kMax:
      if (with_indices) {
        return std::make_unique<WindowEngine<MaxIndexPolicy, OutputKind::kMax>>(opts, cols);
      }
      return std::make_unique<WindowEngine<MaxPolicy, OutputKind::kMax>>(opts, cols);
    case PoolMode::kAvg:
      return std::make_unique<WindowEngine<SumPolicy, OutputKind::kAvg>>(opts, cols);
    case PoolMode::kLp:
      return std::make_unique<WindowEngine<SumPolicy, OutputKind::kLp>>(opts, cols);
    default:
      throw Error("internal: " + PoolModeName(opts.mode) + " is not a window pooling mode");
  }
}

}  // namespace internal
}  // namespace featpool
