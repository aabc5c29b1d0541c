// Internal: the reductions of window pooling (max, max with indices, sums
// for avg and lp), independent of the axis they run along. A policy P has a
// value type V, Load (an input value, with its flat index for indices),
// Combine (written for the vectoriser: loops over rows), CombineScalar (one
// fold at a time) and Empty (a window with every tap in the padding). The
// row helpers apply Combine elementwise; OutputStage turns a combined row
// into output values (max as is, avg divided by its count, lp's root).
//
// The passes (freq-pass.h, time-pass.h) combine disjoint pieces in scan
// order, which keeps max exact (see pool-window.cc for why the order
// matters); sums are taken in double.
#ifndef FEATPOOL_SRC_POOL_REDUCE_H_
#define FEATPOOL_SRC_POOL_REDUCE_H_

#include <cmath>
#include <cstdint>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "cpu-dispatch.h"
#include "featpool/pooler.h"
#include "pool-select.h"

namespace featpool {
namespace internal {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

// max without indices: torch's `(val > maxval) || std::isnan(val)`.
// Combine is written for the vectoriser (loops over rows); CombineScalar is
// the same selection without a branch, for one fold at a time (a compare
// that random data makes unpredictable would cost a misprediction per tap).
struct MaxPolicy {
  using V = float;
  static V Load(const float* x, int64_t pos, int64_t /*base*/) { return x[pos]; }
  // `b > a ? b : a` is x86 maxps(b, a) (ties keep a); only a NaN b differs.
  static V Combine(V a, V b) { return b != b ? b : (b > a ? b : a); }
  static V CombineScalar(V a, V b) { return SelectMax(a, b); }
  static V Empty(int64_t /*index*/) { return kMinusInf; }
};

#ifdef __SSE2__

// The max of n >= 8 contiguous floats, as torch's in-order scan gives it.
// Any order of comparisons yields the maximum's value, and its bits are
// unique unless it is a zero (-0.0 and +0.0 tie) or a NaN (payloads): only
// then does the scan order matter, and the window is folded again in order.
inline float MaxOfContiguous(const float* w, int64_t n) {
  __m128 acc = _mm_loadu_ps(w);
  int64_t j = 4;
  for (; j + 4 <= n; j += 4) acc = SelectMax4(acc, _mm_loadu_ps(w + j));
  acc = SelectMax4(acc, _mm_movehl_ps(acc, acc));
  acc = SelectMax4(acc, _mm_shuffle_ps(acc, acc, 1));
  float m = _mm_cvtss_f32(acc);
  for (; j < n; ++j) m = MaxPolicy::CombineScalar(m, w[j]);
  if (m != 0.0f && m == m) return m;
  m = w[0];
  for (j = 1; j < n; ++j) m = MaxPolicy::CombineScalar(m, w[j]);
  return m;
}
#endif

struct MaxIndexPolicy {
  struct V {
    float v;
    int64_t i;
  };
  static V Load(const float* x, int64_t pos, int64_t base) { return {x[pos], base + pos}; }
  static V Combine(V a, V b) {
    SelectMaxIndexed(&a.v, &a.i, b.v, b.i);
    return a;
  }
  static V CombineScalar(V a, V b) { return Combine(a, b); }
  static V Empty(int64_t index) { return {kMinusInf, index}; }
};

struct SumPolicy {
  using V = double;
  template <class In>
  static V Load(const In* x, int64_t pos, int64_t /*base*/) {
    return x[pos];
  }
  static V Combine(V a, V b) { return a + b; }
  static V CombineScalar(V a, V b) { return a + b; }
  static V Empty(int64_t /*index*/) { return 0.0; }
};

template <class P>
constexpr bool kWithIndices = std::is_same<P, MaxIndexPolicy>::value;

// lp_pool2d's powers. torch computes x.pow(p) and the final .pow(1 / p) in
// float32 (PyTorch ATen PowKernel.cpp, with fast paths for 0.5, -0.5, -1, 2,
// 3, -2). The x^p terms are summed, and with an odd integer p and mixed
// signs that sum cancels: torch's float32 result then strays from the
// float64 one by up to ~1e-3 relative. featpool follows the float64 result:
// integer powers (the only ones defined for negative x) are products in
// double; other powers have terms of one sign, where powf's 1-ulp error
// stays 1-ulp in the sum. The root is taken in float as torch does.
class LpPowers {
 public:
  LpPowers() = default;
  explicit LpPowers(double p)
      : p_(p), pf_(static_cast<float>(p)), root_(static_cast<float>(1.0 / p)) {
    if (p == 2.0) {
      kind_ = Kind::kSquare;
    } else if (p == 1.0) {
      kind_ = Kind::kIdentity;
    } else if (p == 0.5) {
      kind_ = Kind::kSqrt;
    } else if (p == std::floor(p) && std::fabs(p) <= 64.0) {
      kind_ = Kind::kInteger;
      exponent_ = static_cast<int>(std::fabs(p));
    }
  }

  // y[f] = x[f]^p, the exponent's case chosen once per row.
  void Row(const float* __restrict x, double* __restrict y, int64_t n) const {
    switch (kind_) {
      case Kind::kSquare:
        for (int64_t f = 0; f < n; ++f) y[f] = static_cast<double>(x[f]) * x[f];
        return;
      case Kind::kIdentity:
        for (int64_t f = 0; f < n; ++f) y[f] = x[f];
        return;
      case Kind::kSqrt:
        for (int64_t f = 0; f < n; ++f) y[f] = std::sqrt(static_cast<double>(x[f]));
        return;
      case Kind::kInteger:
        for (int64_t f = 0; f < n; ++f) {
          double power = 1.0;
          for (int e = 0; e < exponent_; ++e) power *= x[f];
          y[f] = p_ < 0 ? 1.0 / power : power;
        }
        return;
      case Kind::kGeneral:
        for (int64_t f = 0; f < n; ++f) y[f] = std::pow(x[f], pf_);
        return;
    }
  }

  // v[f] = v[f].pow(1 / p) on a float tensor, with torch's fast paths.
  void RootRow(float* __restrict v, int64_t n) const {
    const float e = root_;
    if (e == 1.0f) return;
    if (e == 0.5f) {
      for (int64_t f = 0; f < n; ++f) v[f] = std::sqrt(v[f]);
    } else if (e == -0.5f) {
      for (int64_t f = 0; f < n; ++f) v[f] = 1.0f / std::sqrt(v[f]);
    } else if (e == -1.0f) {
      for (int64_t f = 0; f < n; ++f) v[f] = 1.0f / v[f];
    } else if (e == 2.0f) {
      for (int64_t f = 0; f < n; ++f) v[f] = v[f] * v[f];
    } else if (e == 3.0f) {
      for (int64_t f = 0; f < n; ++f) v[f] = v[f] * v[f] * v[f];
    } else if (e == -2.0f) {
      for (int64_t f = 0; f < n; ++f) v[f] = 1.0f / (v[f] * v[f]);
    } else {
      for (int64_t f = 0; f < n; ++f) v[f] = std::pow(v[f], e);
    }
  }

 private:
  enum class Kind { kSquare, kIdentity, kSqrt, kInteger, kGeneral };
  Kind kind_ = Kind::kGeneral;
  double p_ = 1.0;
  float pf_ = 1.0f;
  float root_ = 1.0f;
  int exponent_ = 0;
};

// out[i] = Combine(a[i], b[i]): the elementwise step of every row operation.
template <class P>
void CombineRowsTo(typename P::V* __restrict out, const typename P::V* __restrict a,
                   const typename P::V* __restrict b, int64_t n) {
  int64_t i = 0;
#ifdef __SSE2__
  if constexpr (std::is_same<P, MaxPolicy>::value) {
    for (; i + 4 <= n; i += 4) {
      _mm_storeu_ps(out + i, SelectMax4(_mm_loadu_ps(a + i), _mm_loadu_ps(b + i)));
    }
    for (; i < n; ++i) out[i] = P::CombineScalar(a[i], b[i]);
    return;
  }
#endif
  for (; i < n; ++i) out[i] = P::Combine(a[i], b[i]);
}

// acc[i] = Combine(acc[i], b[i]).
template <class P>
void CombineRowsInto(typename P::V* __restrict acc, const typename P::V* __restrict b, int64_t n) {
  int64_t i = 0;
#ifdef __SSE2__
  if constexpr (std::is_same<P, MaxPolicy>::value) {
    for (; i + 4 <= n; i += 4) {
      _mm_storeu_ps(acc + i, SelectMax4(_mm_loadu_ps(acc + i), _mm_loadu_ps(b + i)));
    }
    for (; i < n; ++i) acc[i] = P::CombineScalar(acc[i], b[i]);
    return;
  }
#endif
  for (; i < n; ++i) acc[i] = P::Combine(acc[i], b[i]);
}

// The two loops of avg pooling with 2x2 windows at stride 2 (the usual
// downsampling): pairs of a row summed along frequency, and an output row
// made from two partial rows. They ran at 4 floats (SSE2) a step and bounded
// the speed; their AVX2 builds (cpu-dispatch.h: same bits) are used when the
// CPU has it. In double, as every sum of window pooling.

// y[o] = x[2o] + x[2o + 1].
[[gnu::always_inline]] inline void SumPairsBody(const float* __restrict x, double* __restrict y,
                                                int64_t n) {
  for (int64_t o = 0; o < n; ++o) {
    y[o] = static_cast<double>(x[2 * o]) + static_cast<double>(x[2 * o + 1]);
  }
}
// out[f] = float((a[f] + b[f]) * scale[f]).
[[gnu::always_inline]] inline void AddScaleBody(const double* __restrict a,
                                                const double* __restrict b,
                                                const double* __restrict scale,
                                                float* __restrict out, int64_t n) {
  for (int64_t f = 0; f < n; ++f) out[f] = static_cast<float>((a[f] + b[f]) * scale[f]);
}
#ifdef FEATPOOL_AVX2_DISPATCH
FEATPOOL_TARGET_AVX2 inline void SumPairsAvx2(const float* x, double* y, int64_t n) {
  SumPairsBody(x, y, n);
}
FEATPOOL_TARGET_AVX2 inline void AddScaleAvx2(const double* a, const double* b, const double* scale,
                                              float* out, int64_t n) {
  AddScaleBody(a, b, scale, out, n);
}
#endif
inline void SumPairs(const float* x, double* y, int64_t n) {
#ifdef FEATPOOL_AVX2_DISPATCH
  if (UseAvx2()) return SumPairsAvx2(x, y, n);
#endif
  SumPairsBody(x, y, n);
}
inline void AddScale(const double* a, const double* b, const double* scale, float* out, int64_t n) {
#ifdef FEATPOOL_AVX2_DISPATCH
  if (UseAvx2()) return AddScaleAvx2(a, b, scale, out, n);
#endif
  AddScaleBody(a, b, scale, out, n);
}

enum class OutputKind { kMax, kAvg, kLp };

// The reduction's ends: lp's powers on the way in, and on the way out the
// values of a combined row (max), divided by the window's count (avg, lp)
// and lp's root. Counts are a time count times a per-column frequency count
// (or divisor_override), both taken from the axes by the caller.
template <class P, OutputKind kKind>
class OutputStage {
 public:
  using V = typename P::V;

  OutputStage() = default;
  // `freq_taps` and `freq_padded`: the valid and the padded tap count of
  // each output column (the frequency pass's).
  OutputStage(const PoolOptions& opts, std::vector<int64_t> freq_taps,
              std::vector<int64_t> freq_padded)
      : divisor_override_(opts.divisor_override),
        count_include_pad_(opts.count_include_pad),
        area_(static_cast<float>(opts.kernel.time * opts.kernel.freq)),
        powers_(opts.norm_type),
        freq_taps_(std::move(freq_taps)),
        freq_padded_(std::move(freq_padded)),
        inverse_(freq_taps_.size()) {}

  // lp pools x^p: y[f] = x[f]^p.
  void PowRow(const float* x, double* y, int64_t n) const { powers_.Row(x, y, n); }

  // avg: the output row (a[f] + b[f]) / count, the last row's sum fused with
  // the division; `taps` and `padded` are the window's time counts.
  void FinishSum(const double* a, const double* b, int64_t taps, int64_t padded, float* out) {
    SetInverse(count_include_pad_ ? padded : taps, count_include_pad_ ? freq_padded_ : freq_taps_);
    AddScale(a, b, inverse_.data(), out, Cols());
  }

  // The output row of the combined row `src` (which may be `out` for max
  // without indices).
  void Finish(const V* src, int64_t taps, int64_t padded, float* out, int64_t* indices) {
    const int64_t n = Cols();
    if constexpr (kKind == OutputKind::kMax) {
      if constexpr (kWithIndices<P>) {
        for (int64_t f = 0; f < n; ++f) out[f] = src[f].v;
        if (indices) {
          for (int64_t f = 0; f < n; ++f) indices[f] = src[f].i;
        }
      } else if (src != out) {
        std::memcpy(out, src, sizeof(float) * static_cast<size_t>(n));
      }
    } else if constexpr (kKind == OutputKind::kAvg) {
      SetInverse(count_include_pad_ ? padded : taps,
                 count_include_pad_ ? freq_padded_ : freq_taps_);
      for (int64_t f = 0; f < n; ++f) {
        out[f] = static_cast<float>(src[f] * inverse_[f]);
      }
    } else {
      // lp_pool2d's avg_pool2d has no padding: the divisor is the count.
      SetInverse(taps, freq_taps_);
      // torch.nn.functional.lp_pool2d after its avg_pool2d (a float v):
      // (sign(v) * relu(|v|)).mul(kw * kh).pow(1 / p), in float. torch.sign
      // gives 0 for NaN and for -0.0; relu(|v|) keeps NaN.
      for (int64_t f = 0; f < n; ++f) {
        const float v = static_cast<float>(src[f] * inverse_[f]);
        const float sign = static_cast<float>((0.0f < v) - (v < 0.0f));
        out[f] = sign * std::fabs(v) * area_;
      }
      powers_.RootRow(out, n);
    }
  }

 private:
  int64_t Cols() const { return static_cast<int64_t>(freq_taps_.size()); }

  // inverse_[f] = 1 / divisor of (time_divisor, column f); cached while the
  // time divisor repeats (every interior row).
  void SetInverse(int64_t time_divisor, const std::vector<int64_t>& freq_divisor) {
    if (time_divisor == inverse_for_) return;
    inverse_for_ = time_divisor;
    for (int64_t f = 0; f < Cols(); ++f) {
      const int64_t divisor =
          divisor_override_ != 0 ? divisor_override_ : time_divisor * freq_divisor[f];
      inverse_[f] = 1.0 / static_cast<double>(divisor);
    }
  }

  int64_t divisor_override_ = 0;
  bool count_include_pad_ = true;
  float area_ = 1.0f;  // lp: kT * kF
  LpPowers powers_;
  std::vector<int64_t> freq_taps_, freq_padded_;
  std::vector<double> inverse_;
  int64_t inverse_for_ = -1;
};

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_POOL_REDUCE_H_
