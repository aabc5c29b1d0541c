// Internal: the geometry of one axis of a window pool (max, avg, lp), shared
// by the time and the frequency pass, as ATen shares pooling_output_shape
// between its kernels. Pure functions of the options; no state.
#ifndef FEATPOOL_SRC_POOL_AXIS_H_
#define FEATPOOL_SRC_POOL_AXIS_H_

#include <algorithm>
#include <cstdint>

#include "pool-engine.h"

namespace featpool {
namespace internal {

inline int64_t Gcd(int64_t a, int64_t b) {
  while (b != 0) {
    const int64_t r = a % b;
    a = b;
    b = r;
  }
  return a;
}

// x with a * x = 1 (mod m), for coprime a and m >= 1 (0 when m == 1).
inline int64_t InverseMod(int64_t a, int64_t m) {
  int64_t old_r = a, r = m, old_x = 1, x = 0;
  while (r != 0) {
    const int64_t q = old_r / r;
    int64_t next = old_r - q * r;
    old_r = r;
    r = next;
    next = old_x - q * x;
    old_x = x;
    x = next;
  }
  const int64_t inverse = old_x % m;
  return inverse < 0 ? inverse + m : inverse;
}

// One axis of a window pool; positions are input rows or columns.
struct Axis {
  int64_t kernel = 1;
  int64_t stride = 1;
  int64_t padding = 0;
  int64_t dilation = 1;
  bool ceil_mode = false;

  int64_t Start(int64_t o) const { return o * stride - padding; }
  int64_t Last(int64_t o) const { return Start(o) + (kernel - 1) * dilation; }
  // First tap at or after position 0, as torch's `while (ih0 < 0) ih0 += d`;
  // may lie at or past the end when every tap is padding.
  int64_t FirstPos(int64_t o) const {
    const int64_t start = Start(o);
    return start >= 0 ? start : start + CeilDiv(-start, dilation) * dilation;
  }
  // Taps inside [0, size).
  int64_t ValidTaps(int64_t o, int64_t size) const {
    const int64_t first = FirstPos(o);
    const int64_t last = std::min(Last(o), size - 1);
    return last < first ? 0 : (last - first) / dilation + 1;
  }
  // avg with count_include_pad: the window clipped to [-p, size + p).
  // PyTorch ATen AvgPoolKernel.cpp cpu_avg_pool: pool_size.
  int64_t PaddedCount(int64_t o, int64_t size) const {
    return std::min(Start(o) + kernel, size + padding) - Start(o);
  }
  int64_t OutputSize(int64_t size) const {
    return PoolOutputSize(size, kernel, stride, padding, dilation, ceil_mode);
  }
  bool UseBlocks() const { return kernel > 2 * stride + 2; }
};

// How an output combines the block prefix (`p`) and suffix (`s`) arrays:
// a window [a, b] of one dilation class is p[b] if a starts a block, s[a] if
// it ends with its class (or a block), else s[a] then p[b].
enum class BlockPick : uint8_t { kPrefix, kSuffix, kBoth };

inline BlockPick PickBlocks(int64_t first, int64_t last, const Axis& axis) {
  const int64_t ua = first / axis.dilation;
  const int64_t ub = last / axis.dilation;
  if (ua / axis.kernel != ub / axis.kernel) return BlockPick::kBoth;
  return ua % axis.kernel == 0 ? BlockPick::kPrefix : BlockPick::kSuffix;
}

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_POOL_AXIS_H_
