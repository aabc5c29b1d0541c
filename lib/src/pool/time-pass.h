// Internal: the time axis of window pooling, for any reduction policy P
// (reduce.h). Rows of partial results (each input row already pooled along
// frequency, freq-pass.h) arrive in order and are kept in a ring; an output
// combines the rows under its time window.
//
// Cost per output does not grow with the kernel: with kernel >
// 2 * stride + 2, van Herk / Gil-Werman blocks. The rows of one dilation
// class are cut into blocks of `kernel` rows, each with a running prefix and
// suffix, and a window is suffix(first) combined with prefix(last): three
// row operations per input row, whatever the kernel. Smaller kernels fold
// their rows directly, in time order.
#ifndef FEATPOOL_SRC_POOL_TIME_PASS_H_
#define FEATPOOL_SRC_POOL_TIME_PASS_H_

#include <algorithm>
#include <cstdint>
#include <vector>

#include "checked-math.h"
#include "pool/axis.h"
#include "pool/reduce.h"

namespace featpool {
namespace internal {

template <class P>
class TimePass {
 public:
  using V = typename P::V;

  TimePass() = default;
  // `cols`: the width of a row of partial results.
  TimePass(const Axis& axis, int64_t cols) : time_(axis), cols_(cols) {
    blocks_ = time_.UseBlocks();
    // Rows the time axis keeps: a window's span, or two blocks of
    // kernel * dilation rows (saturated; the options fit in int32 so the
    // products fit in int64, but a ring is never made that large: it starts
    // small and doubles while the rows arrive, so memory follows the input,
    // not the kernel, dilation or padding).
    int64_t need = 0;
    if (MulOverflows(time_.kernel, time_.dilation, &need) || need > kMaxRingRows / 2) {
      need = kMaxRingRows;
    } else {
      need = blocks_ ? 2 * need + 1 : need - time_.dilation + 1;
    }
    // A power of two, so a row's slot is a mask, not a division.
    cap_full_ = 1;
    while (cap_full_ < need) cap_full_ *= 2;
    cap_ = std::min<int64_t>(cap_full_, kInitialRingRows);
    // Rows between windows (stride > span) are skipped: row t can be a tap
    // only if some j*dilation = t + padding (mod stride), 0 <= j < kernel.
    // (Near the start, where the window would have o < 0, this may keep a row
    // no window uses.) With g = gcd(dilation, stride), j exists iff g divides
    // r = (t + padding) mod stride, and the least j is (r / g) times the
    // inverse of dilation / g modulo stride / g: O(1) per row, whatever the
    // kernel and stride.
    const int64_t g = Gcd(time_.dilation, time_.stride);
    phase_gcd_ = g;
    phase_modulus_ = time_.stride / g;
    phase_inverse_ = InverseMod((time_.dilation / g) % phase_modulus_, phase_modulus_);
    phase_ = time_.padding % time_.stride;
    // With g = 1 the least j is below stride, so when stride <= kernel
    // every row is a tap and the test (two integer divisions a row) is
    // skipped. The blocks keep every row too.
    every_row_ = blocks_ || (g == 1 && time_.stride <= time_.kernel);
    const size_t ring = static_cast<size_t>(cap_ * cols_);
    h_.resize(ring);
    if (blocks_) {
      p_.resize(ring);
      s_.resize(ring);
    }
  }

  const Axis& axis() const { return time_; }

  // Row t arrives (t = 0, 1, ... in order): the slot its partial row is to
  // be written to, then EndRow(t); nullptr if no window uses the row.
  V* BeginRow(int64_t t) {
    if (t >= cap_ && cap_ < cap_full_) GrowRing(t);
    const bool needed = every_row_ || RowIsTap(phase_);
    if (++phase_ == time_.stride) phase_ = 0;
    return needed ? Ring(h_, t) : nullptr;
  }
  void EndRow(int64_t t) {
    if (blocks_) UpdateBlocks(t);
  }

  // No more rows after the first `rows`.
  void Finish(int64_t rows) {
    if (!blocks_) return;
    // Suffixes of the last, incomplete block of each dilation class.
    const int64_t d = time_.dilation;
    const int64_t k = time_.kernel;
    for (int64_t c = 0; c < d && c < rows; ++c) {
      const int64_t last = c + (rows - 1 - c) / d * d;
      const int64_t r = (last / d) % k;
      if (r != k - 1) ComputeSuffix(last, r + 1);
    }
  }

  // Direct folds only, taps >= 2: the rows first, first + d, ... but the
  // last combined (a ring row, or `acc`) and the last row, so the caller can
  // fuse the last combine with its output. False otherwise.
  bool SplitLast(int64_t first, int64_t taps, V* acc, const V** partial, const V** last) {
    if (blocks_ || taps < 2) return false;
    const int64_t d = time_.dilation;
    *partial = Ring(h_, first);
    if (taps > 2) {
      CombineRowsTo<P>(acc, *partial, Ring(h_, first + d), cols_);
      for (int64_t j = 2; j + 1 < taps; ++j)
        CombineRowsInto<P>(acc, Ring(h_, first + j * d), cols_);
      *partial = acc;
    }
    *last = Ring(h_, first + (taps - 1) * d);
    return true;
  }

  // The combination of the window's `taps` >= 1 rows first, first + d, ...:
  // a ring row, or `acc` (cols entries) where rows had to be combined.
  const V* Window(int64_t first, int64_t taps, V* acc) {
    const int64_t d = time_.dilation;
    const int64_t last = first + (taps - 1) * d;
    if (!blocks_) {
      if (taps == 1) return Ring(h_, first);
      CombineRowsTo<P>(acc, Ring(h_, first), Ring(h_, first + d), cols_);
      for (int64_t j = 2; j < taps; ++j) CombineRowsInto<P>(acc, Ring(h_, first + j * d), cols_);
      return acc;
    }
    switch (PickBlocks(first, last, time_)) {
      case BlockPick::kPrefix:
        return Ring(p_, last);
      case BlockPick::kSuffix:
        return Ring(s_, first);
      case BlockPick::kBoth:
        break;
    }
    CombineRowsTo<P>(acc, Ring(s_, first), Ring(p_, last), cols_);
    return acc;
  }

 private:
  static constexpr int64_t kInitialRingRows = 64;
  static constexpr int64_t kMaxRingRows = int64_t{1} << 62;

  V* Ring(std::vector<V>& ring, int64_t t) { return ring.data() + (t & (cap_ - 1)) * cols_; }

  // Until the ring is full size, every row t < cap_ sits in slot t, which is
  // its slot in the doubled ring too: growing is a resize.
  void GrowRing(int64_t rows) {
    while (cap_ <= rows && cap_ < cap_full_) cap_ *= 2;
    const size_t ring = static_cast<size_t>(cap_ * cols_);
    h_.resize(ring);
    if (blocks_) {
      p_.resize(ring);
      s_.resize(ring);
    }
  }

  bool RowIsTap(int64_t phase) const {
    if (phase % phase_gcd_ != 0) return false;
    const int64_t least_j = (phase / phase_gcd_) * phase_inverse_ % phase_modulus_;
    return least_j < time_.kernel;
  }

  void UpdateBlocks(int64_t t) {
    const int64_t d = time_.dilation;
    const int64_t k = time_.kernel;
    // r = (t / d) % k, the row's place in its class's block, kept by counters.
    if (block_class_ == static_cast<int64_t>(block_pos_.size())) block_pos_.push_back(0);
    int64_t& pos = block_pos_[static_cast<size_t>(block_class_)];
    const int64_t r = pos;
    if (++pos == k) pos = 0;
    if (++block_class_ == d) block_class_ = 0;
    V* p = Ring(p_, t);
    const V* h = Ring(h_, t);
    if (r == 0) {
      std::copy(h, h + cols_, p);
    } else {
      CombineRowsTo<P>(p, Ring(p_, t - d), h, cols_);
    }
    if (r == k - 1) ComputeSuffix(t, k);
  }

  // Suffixes of the `count` class rows ending at `last`.
  void ComputeSuffix(int64_t last, int64_t count) {
    const int64_t d = time_.dilation;
    const V* h = Ring(h_, last);
    std::copy(h, h + cols_, Ring(s_, last));
    for (int64_t i = 1; i < count; ++i) {
      const int64_t t = last - i * d;
      CombineRowsTo<P>(Ring(s_, t), Ring(h_, t), Ring(s_, t + d), cols_);
    }
  }

  Axis time_;
  int64_t cols_ = 0;
  // Rings of cap_ rows of partial results (h_), block prefixes (p_) and
  // suffixes (s_); row t lives in slot t & (cap_ - 1).
  bool blocks_ = false;
  bool every_row_ = false;          // no row falls between windows
  int64_t cap_ = 1;                 // ring rows, a power of two
  int64_t cap_full_ = 1;            // the most ring rows the windows need
  std::vector<int64_t> block_pos_;  // per dilation class seen: (t / d) % k of its next row
  int64_t block_class_ = 0;         // t % d of the next row
  int64_t phase_ = 0;               // (t + padding) % stride of the next row
  int64_t phase_gcd_ = 1;           // gcd(dilation, stride)
  int64_t phase_modulus_ = 1;       // stride / gcd
  int64_t phase_inverse_ = 0;       // (dilation / gcd)^-1 mod (stride / gcd)
  std::vector<V> h_, p_, s_;
};

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_POOL_TIME_PASS_H_
