// Pooling of a feature matrix [T, F] (time by frequency) over windows, with
// PyTorch's exact semantics: the result equals
// torch.nn.functional.<op>(x[None, None], ...)[0, 0] for a float32 x.
//
// Modes (PoolMode, spelled as in the command's --mode):
//   max           max_pool2d: kernel, stride (default = kernel), padding (acts
//                 as -inf, never selected), dilation, ceil_mode, indices.
//                 Scan order is row-major; a value replaces the running maximum
//                 when it is greater or NaN, so ties give the first maximum
//                 (its bits, e.g. -0.0 before +0.0) and a window holding NaN
//                 gives the last NaN. Indices are flat t * F + f into the
//                 input. A dilated window whose taps all fall in the padding
//                 gives -inf with index (first tap >= 0 on each axis), as
//                 torch's CPU kernel does.
//   avg           avg_pool2d: kernel, stride, padding (zeros), ceil_mode,
//                 count_include_pad, divisor_override. The divisor is the
//                 override, else the window clipped to the padded input
//                 [-p, in + p) (count_include_pad; the ceil_mode overhang past
//                 the padding is not counted), else the number of input
//                 elements in the window.
//   lp            lp_pool2d: avg_pool2d(x^p, kernel, stride, 0, ceil_mode)
//                 times kT * kF, then sign(v) * relu(|v|), raised to 1/p. It
//                 uses x^p, not |x|^p (odd p and negative inputs can give NaN),
//                 and a partial ceil_mode window is scaled by the full kernel
//                 area over its element count. No padding, no dilation.
//   adaptive-max, adaptive-avg
//                 adaptive_{max,avg}_pool2d to output_size [T', F']: cell i of
//                 an axis covers [floor(i * in / out), ceil((i + 1) * in / out))
//                 (integers; cells may overlap; out > in is allowed; 0 gives an
//                 empty axis); kKeep (torch's None) keeps that axis' size.
//   stats         x-vector statistics pooling over time: [1, 2F], per column
//                 the mean then the population standard deviation (divide by
//                 T). Sums are taken in double around a shift (the column's
//                 first value), so a column with mean 1000 and deviation 1 in
//                 float32 comes out right.
//   stack         low-frame-rate stacking as FunASR's apply_lfr (Paraformer:
//                 m = 7, n = 6): the front is padded with (m - 1) / 2 copies of
//                 frame 0, the output has ceil(T / n) rows, and row i is the
//                 concatenation of padded frames i*n ... i*n + m - 1, copies of
//                 the last frame standing in past the end. Equivalently,
//                 block j of row i is input frame
//                 clamp(i*n + j - (m - 1) / 2, 0, T - 1). Output [ceil(T/n), m*F].
//
// Numerics: max, stack and adaptive-max copy input values (bit-identical to
// torch, NaN payloads and signed zeros included). avg and adaptive-avg sum in
// double and round once, so they agree with torch run in float64 to about
// 1e-7 relative; lp does too (integer powers x^p in double, others with
// powf, whose terms share a sign; the final root in float as torch). torch
// in float32 rounds every partial sum (and every x^p), which with cancelling
// signs moves its own result by up to ~1e-4 (avg) or ~1e-3 (lp, odd p), and
// a window whose float32 sum overflows in torch stays finite here.
// Cost per output does not grow with the kernel: along time, windows much
// larger than the stride use van Herk / Gil-Werman prefix and suffix blocks;
// along frequency (a short row), power-of-two doubling (log2 of the kernel,
// at most 7 vector passes for 80 columns). Both keep the exact scan-order
// semantics of max (the selection is associative) and never subtract, so
// inf and NaN stay local. The adaptive modes sum each cell directly (the
// cells together cover the input about once per axis, twice where they
// overlap). Apply() allocates a few rows of scratch per call, nothing per
// output row.
//
// Thread safety: a Pooler is immutable after construction; Apply() may be
// called from several threads at once.
#ifndef FEATPOOL_POOLER_H_
#define FEATPOOL_POOLER_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "featpool/matrix.h"

namespace featpool {

class OptionVisitor;  // options.h

enum class PoolMode { kMax, kAvg, kLp, kAdaptiveMax, kAdaptiveAvg, kStats, kStack };

// "max", "avg", "lp", "adaptive-max", "adaptive-avg", "stats", "stack";
// throws Error naming --mode otherwise.
PoolMode ParsePoolMode(const std::string& name);
std::string PoolModeName(PoolMode mode);

// A size along (time, freq): rows and columns of the matrix.
struct PoolSize {
  int64_t time = 0;
  int64_t freq = 0;
};
inline bool operator==(const PoolSize& a, const PoolSize& b) {
  return a.time == b.time && a.freq == b.freq;
}
inline bool operator!=(const PoolSize& a, const PoolSize& b) { return !(a == b); }

// An output_size entry that keeps the input's size (torch's None).
constexpr int64_t kKeep = -1;

// Pooling reduces its input, or enlarges it moderately (stacking m frames
// every n rows, adaptive cells smaller than an element). An output of more
// than kMaxPoolGrowthFactor times the input's elements, and more than
// kMaxPoolGrowthElements (64 MiB of float32), is refused: it comes from a
// mistyped option and would take memory out of all proportion to the input.
// Streaming stacking applies the same bound to one output row against one
// frame.
constexpr int64_t kMaxPoolGrowthFactor = 16;
constexpr int64_t kMaxPoolGrowthElements = int64_t{1} << 24;

struct PoolOptions {
  PoolMode mode = PoolMode::kMax;
  PoolSize kernel{0, 0};                // max, avg, lp: required, > 0
  std::optional<PoolSize> stride;       // unset = kernel (torch stride=None); > 0
  PoolSize padding{0, 0};               // max, avg: 0 <= padding <= kernel / 2
  PoolSize dilation{1, 1};              // max only; > 0
  bool ceil_mode = false;               // max, avg, lp
  bool count_include_pad = true;        // avg only (torch's default)
  int64_t divisor_override = 0;         // avg only; 0 = none (torch None; torch rejects 0)
  double norm_type = 2.0;               // lp: p, non-zero (1/p must exist)
  std::optional<PoolSize> output_size;  // adaptive modes: required, >= 0 or kKeep
  int64_t stack_frames = 7;             // stack: m in [1, 2^31) (Paraformer 7)
  int64_t stack_stride = 6;             // stack: n in [1, 2^31) (Paraformer 6)
  bool return_indices = false;          // max, adaptive-max: the pooler computes indices

  PoolSize EffectiveStride() const { return stride ? *stride : kernel; }
  void VisitOptions(OptionVisitor& v);  // the field table (options.h)

  // Throws Error, naming the option as the command spells it (--kernel,
  // --padding, ...), for everything torch rejects before seeing the input
  // and for options the mode does not take.
  void Validate() const;
};

// PyTorch ATen Pool.h pooling_output_shape(): output length along one axis.
// floor((in + 2p - d(k - 1) - 1 + (ceil ? s - 1 : 0)) / s) + 1, and with
// ceil_mode one less if the last window would start past in + p. May be <= 0
// (torch then rejects the input); does not validate its arguments.
int64_t PoolOutputSize(int64_t input_size, int64_t kernel, int64_t stride, int64_t padding,
                       int64_t dilation, bool ceil_mode);

class Pooler {
 public:
  // Validates; throws Error.
  explicit Pooler(const PoolOptions& opts);

  const PoolOptions& options() const { return opts_; }
  // Whether the mode has indices (max, adaptive-max).
  bool HasIndices() const;

  // Output shape for an input of rows x cols. Throws Error where torch
  // rejects the input: an empty input (stack accepts T = 0 and gives no
  // rows) or an output with a zero-size axis in the window modes; and,
  // naming the options, for an output of more than kMaxPoolGrowthFactor
  // times the input's elements and more than kMaxPoolGrowthElements (an
  // adaptive output_size or stack_frames far beyond the input).
  PoolSize OutputShape(int64_t rows, int64_t cols) const;

  // Pools `in` into `out` (resized). With `indices` (max and adaptive-max
  // only; Error otherwise), also the flat input index of every output.
  void Apply(MatrixView in, Matrix* out, std::vector<int64_t>* indices = nullptr) const;
  // Same, into caller storage of OutputShape() elements (row-major);
  // `indices` may be null.
  void Apply(MatrixView in, float* out, int64_t* indices) const;

 private:
  void CheckOutputSize(const PoolSize& shape, int64_t rows, int64_t cols, const std::string& key,
                       const std::string& value) const;

  PoolOptions opts_;
};

}  // namespace featpool

#endif  // FEATPOOL_POOLER_H_
