// Internal: pooling one input row along frequency into a row of partial
// results (one per output column), for any reduction policy P (reduce.h) on
// input values In (float, or double for lp's x^p).
//
// Cost per output does not grow with the kernel:
// - A row of ~80 values with kernel >= 5 and overlapping windows: doubling.
//   Level a holds the fold of 2^a consecutive taps; a window folds the
//   levels of its kernel's binary digits. About log2(k) vector passes over
//   the row (at most 7 for 80 columns), which beats the sequential
//   prefix/suffix scans of van Herk on rows this short.
// - Disjoint windows (stride >= kernel) visit every value once.
// - Otherwise tap-major folds over the outputs, which vectorise.
// The plan (per column: first tap, valid and padded tap counts, the interior
// whose taps are all inside the row) is made once; Pool() allocates nothing.
#ifndef FEATPOOL_SRC_POOL_FREQ_PASS_H_
#define FEATPOOL_SRC_POOL_FREQ_PASS_H_

#include <algorithm>
#include <cstdint>
#include <type_traits>
#include <vector>

#include "pool/axis.h"
#include "pool/reduce.h"

namespace featpool {
namespace internal {

template <class P, class In>
class FreqPass {
 public:
  using V = typename P::V;

  FreqPass() = default;
  // `axis.OutputSize(in_cols)` must be >= 1.
  FreqPass(const Axis& axis, int64_t in_cols) : freq_(axis), in_cols_(in_cols) { Plan(); }

  int64_t OutputCols() const { return out_cols_; }
  // Per output column: the first tap inside the row, the taps inside the
  // row, and avg's count with count_include_pad.
  const std::vector<int64_t>& FirstTaps() const { return f_first_; }
  const std::vector<int64_t>& Taps() const { return f_taps_; }
  const std::vector<int64_t>& PaddedCounts() const { return f_padded_; }

  // Pools one input row along frequency into y (OutputCols() entries);
  // `base` is the flat index of x[0] (for indices).
  void Pool(const In* x, int64_t base, V* y) {
    if (f_levels_ > 0) {
      PoolDoubling(x, base, y);
      return;
    }
    for (int64_t o = 0; o < f_begin_; ++o) y[o] = PoolOne(x, base, o);
    for (int64_t o = f_end_; o < out_cols_; ++o) y[o] = PoolOne(x, base, o);
    if (f_begin_ >= f_end_) return;
    switch (freq_.stride) {
      case 1:
        PoolInterior<1>(x, base, y);
        break;
      case 2:
        PoolInterior<2>(x, base, y);
        break;
      default:
        PoolInterior<0>(x, base, y);
        break;
    }
  }

 private:
  static constexpr bool kIndex = kWithIndices<P>;

  void Plan() {
    const int64_t n = freq_.OutputSize(in_cols_);
    out_cols_ = n;
    f_first_.resize(static_cast<size_t>(n));
    f_taps_.resize(static_cast<size_t>(n));
    f_padded_.resize(static_cast<size_t>(n));
    f_begin_ = n;
    f_end_ = n;
    for (int64_t o = 0; o < n; ++o) {
      f_first_[o] = freq_.FirstPos(o);
      f_taps_[o] = freq_.ValidTaps(o, in_cols_);
      f_padded_[o] = freq_.PaddedCount(o, in_cols_);
      const bool inside = freq_.Start(o) >= 0 && freq_.Last(o) < in_cols_;
      if (inside && f_begin_ == n) f_begin_ = o;
      if (inside) f_end_ = o + 1;
    }
    if (f_begin_ == n) f_end_ = n;
    // Doubling pays once windows have more than a few taps and overlap.
    const int64_t k = freq_.kernel;
    if (k >= 5 && freq_.stride < k) {
      while ((int64_t{2} << f_levels_) <= k) ++f_levels_;
      level_.resize(static_cast<size_t>(f_levels_ * in_cols_));
    }
  }

  // The fold of taps w[0], w[d], ..., w[(n - 1) d] (positions at + j d for
  // indices). Long folds run as four chains over consecutive quarters, joined
  // in order, so the latency of one chain does not bound the speed.
  static V FoldTaps(const In* w, int64_t n, int64_t d, int64_t at) {
#ifdef __SSE2__
    if constexpr (std::is_same<P, MaxPolicy>::value) {
      if (d == 1 && n >= 8) return MaxOfContiguous(w, n);
    }
#endif
    auto load = [&](int64_t j) { return P::Load(w, j * d, at); };
    if (n < 16) {
      V acc = load(0);
      for (int64_t j = 1; j < n; ++j) acc = P::CombineScalar(acc, load(j));
      return acc;
    }
    const int64_t q = n / 4;
    V c0 = load(0), c1 = load(q), c2 = load(2 * q), c3 = load(3 * q);
    for (int64_t j = 1; j < q; ++j) {
      c0 = P::CombineScalar(c0, load(j));
      c1 = P::CombineScalar(c1, load(q + j));
      c2 = P::CombineScalar(c2, load(2 * q + j));
      c3 = P::CombineScalar(c3, load(3 * q + j));
    }
    for (int64_t j = 4 * q; j < n; ++j) c3 = P::CombineScalar(c3, load(j));
    return P::CombineScalar(P::CombineScalar(P::CombineScalar(c0, c1), c2), c3);
  }

  V PoolOne(const In* x, int64_t base, int64_t o) const {
    const int64_t taps = f_taps_[o];
    const int64_t first = f_first_[o];
    if (taps == 0) return P::Empty(base + first);
    return FoldTaps(x + first, taps, freq_.dilation, base + first);
  }

  // Outputs whose every tap is inside the row: tap-major loops over outputs,
  // which the compiler vectorises for stride 1 and 2.
  template <int kStride>
  void PoolInterior(const In* x, int64_t base, V* __restrict y) const {
    const int64_t s = kStride > 0 ? kStride : freq_.stride;
    const int64_t begin = f_begin_;
    const int64_t end = f_end_;
    const int64_t off = -freq_.padding;
    const int64_t d = freq_.dilation;
    if (freq_.kernel == 1) {
      for (int64_t o = begin; o < end; ++o) y[o] = P::Load(x, o * s + off, base);
      return;
    }
    if (s >= freq_.kernel && freq_.kernel > 2) {
      // Disjoint windows: one fold per output.
      for (int64_t o = begin; o < end; ++o) {
        y[o] = FoldTaps(x + o * s + off, freq_.kernel, d, base + o * s + off);
      }
      return;
    }
    if constexpr (kStride == 1 && std::is_same<In, V>::value && !kIndex) {
      // Contiguous taps: whole-row operations.
      CombineRowsTo<P>(y + begin, x + begin + off, x + begin + off + d, end - begin);
      for (int64_t j = 2; j < freq_.kernel; ++j) {
        CombineRowsInto<P>(y + begin, x + begin + off + j * d, end - begin);
      }
      return;
    }
    if constexpr (kStride == 2 && std::is_same<P, SumPolicy>::value &&
                  std::is_same<In, float>::value) {
      if (freq_.kernel == 2 && d == 1) {  // the usual 2x2 stride 2
        SumPairs(x + 2 * begin + off, y + begin, end - begin);
        return;
      }
    }
    for (int64_t o = begin; o < end; ++o) {
      y[o] = P::Combine(P::Load(x, o * s + off, base), P::Load(x, o * s + off + d, base));
    }
    for (int64_t j = 2; j < freq_.kernel; ++j) {
      const int64_t shift = off + j * d;
      for (int64_t o = begin; o < end; ++o)
        y[o] = P::Combine(y[o], P::Load(x, o * s + shift, base));
    }
  }

  // Doubling: level a holds, at position q, the fold of the 2^a taps
  // q, q + d, ..., q + (2^a - 1) d. A window of n taps is the fold of the
  // levels of n's binary digits, highest first, at consecutive positions:
  // disjoint pieces in scan order, so exact for max (order) and sums (no
  // overlap, no subtraction). O(log k) vector passes over the row.
  // Levels 1.. are stored; level 0 is the input row itself.
  V* Level(int64_t a) { return level_.data() + (a - 1) * in_cols_; }

  void PoolDoubling(const In* x, int64_t base, V* __restrict y) {
    const int64_t d = freq_.dilation;
    const int64_t n = in_cols_;
    {
      const int64_t len = n - d;
      V* __restrict l1 = Level(1);
      if constexpr (std::is_same<In, V>::value && !kIndex) {
        CombineRowsTo<P>(l1, x, x + d, len);
      } else {
        for (int64_t q = 0; q < len; ++q)
          l1[q] = P::Combine(P::Load(x, q, base), P::Load(x, q + d, base));
      }
    }
    for (int64_t a = 2; a <= f_levels_; ++a) {
      const int64_t half = (int64_t{1} << (a - 1)) * d;
      const int64_t len = n - ((int64_t{1} << a) - 1) * d;
      const V* __restrict lower = Level(a - 1);
      V* __restrict upper = Level(a);
      CombineRowsTo<P>(upper, lower, lower + half, len);
    }
    for (int64_t o = 0; o < f_begin_; ++o) y[o] = FoldLevels(x, base, o);
    for (int64_t o = f_end_; o < out_cols_; ++o) y[o] = FoldLevels(x, base, o);
    if (f_begin_ >= f_end_) return;
    // Interior windows all have `kernel` taps: the same pieces for every output.
    const int64_t s = freq_.stride;
    const int64_t k = freq_.kernel;
    int64_t a = f_levels_;
    int64_t off = -freq_.padding;
    bool first = true;
    for (; a >= 0; --a) {
      if (!(k & (int64_t{1} << a))) continue;
      if (a == 0) {  // the last single tap, from the input row
        const int64_t shift = off;
        for (int64_t o = f_begin_; o < f_end_; ++o) {
          const V v = P::Load(x, o * s + shift, base);
          y[o] = first ? v : P::Combine(y[o], v);
        }
        break;
      }
      const V* __restrict level = Level(a);
      if (s == 1) {
        CombineInterior<1>(level, off, first, y);
      } else if (s == 2) {
        CombineInterior<2>(level, off, first, y);
      } else {
        CombineInterior<0>(level, off, first, y);
      }
      first = false;
      off += (int64_t{1} << a) * d;
    }
  }

  template <int kStride>
  void CombineInterior(const V* __restrict level, int64_t off, bool first, V* __restrict y) const {
    const int64_t s = kStride > 0 ? kStride : freq_.stride;
    if constexpr (kStride == 1) {
      if (first) {
        std::copy(level + f_begin_ + off, level + f_end_ + off, y + f_begin_);
      } else {
        CombineRowsInto<P>(y + f_begin_, level + f_begin_ + off, f_end_ - f_begin_);
      }
      return;
    }
    if (first) {
      for (int64_t o = f_begin_; o < f_end_; ++o) y[o] = level[o * s + off];
    } else {
      for (int64_t o = f_begin_; o < f_end_; ++o) y[o] = P::Combine(y[o], level[o * s + off]);
    }
  }

  V FoldLevels(const In* x, int64_t base, int64_t o) {
    const int64_t taps = f_taps_[o];
    int64_t pos = f_first_[o];
    if (taps == 0) return P::Empty(base + pos);
    V acc{};
    bool first = true;
    for (int64_t a = f_levels_; a >= 0; --a) {
      if (!(taps & (int64_t{1} << a))) continue;
      const V v = a == 0 ? P::Load(x, pos, base) : Level(a)[pos];
      acc = first ? v : P::CombineScalar(acc, v);
      first = false;
      pos += (int64_t{1} << a) * freq_.dilation;
    }
    return acc;
  }

  Axis freq_;
  int64_t in_cols_ = 0;
  int64_t out_cols_ = 0;
  // The plan, per output column.
  std::vector<int64_t> f_first_, f_taps_, f_padded_;
  int64_t f_begin_ = 0, f_end_ = 0;  // outputs with every tap inside the row
  int64_t f_levels_ = 0;             // doubling levels (0: direct loops)
  std::vector<V> level_;             // levels 1..f_levels_, in_cols_ each
};

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_POOL_FREQ_PASS_H_
