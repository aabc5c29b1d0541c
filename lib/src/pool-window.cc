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
#include <algorithm>
#include <cmath>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#include <limits>
#include <type_traits>
#include <vector>

#include "checked-math.h"
#include "cpu-dispatch.h"
#include "featpool/error.h"
#include "pool-engine.h"
#include "pool-select.h"

namespace featpool {
namespace internal {
namespace {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();
constexpr int64_t kInitialRingRows = 64;
constexpr int64_t kMaxRingRows = int64_t{1} << 62;

int64_t Gcd(int64_t a, int64_t b) {
  while (b != 0) {
    const int64_t r = a % b;
    a = b;
    b = r;
  }
  return a;
}

// x with a * x = 1 (mod m), for coprime a and m >= 1 (0 when m == 1).
int64_t InverseMod(int64_t a, int64_t m) {
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
// CPU has it. In double, as every sum of this file.

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
FEATPOOL_TARGET_AVX2 void SumPairsAvx2(const float* x, double* y, int64_t n) {
  SumPairsBody(x, y, n);
}
FEATPOOL_TARGET_AVX2 void AddScaleAvx2(const double* a, const double* b, const double* scale,
                                       float* out, int64_t n) {
  AddScaleBody(a, b, scale, out, n);
}
#endif
void SumPairs(const float* x, double* y, int64_t n) {
#ifdef FEATPOOL_AVX2_DISPATCH
  if (UseAvx2()) return SumPairsAvx2(x, y, n);
#endif
  SumPairsBody(x, y, n);
}
void AddScale(const double* a, const double* b, const double* scale, float* out, int64_t n) {
#ifdef FEATPOOL_AVX2_DISPATCH
  if (UseAvx2()) return AddScaleAvx2(a, b, scale, out, n);
#endif
  AddScaleBody(a, b, scale, out, n);
}

// How an output combines the block prefix (`p`) and suffix (`s`) arrays:
// a window [a, b] of one dilation class is p[b] if a starts a block, s[a] if
// it ends with its class (or a block), else s[a] then p[b].
enum class BlockPick : uint8_t { kPrefix, kSuffix, kBoth };

BlockPick PickBlocks(int64_t first, int64_t last, const Axis& axis) {
  const int64_t ua = first / axis.dilation;
  const int64_t ub = last / axis.dilation;
  if (ua / axis.kernel != ub / axis.kernel) return BlockPick::kBoth;
  return ua % axis.kernel == 0 ? BlockPick::kPrefix : BlockPick::kSuffix;
}

enum class OutputKind { kMax, kAvg, kLp };

template <class P, OutputKind kKind>
class WindowEngine final : public RowPoolEngine {
  using V = typename P::V;
  static constexpr bool kIndex = std::is_same<P, MaxIndexPolicy>::value;
  // lp pools x^p, computed in double.
  using In = std::conditional_t<kKind == OutputKind::kLp, double, float>;

 public:
  WindowEngine(const PoolOptions& opts, int64_t cols) {
    const PoolSize stride = opts.EffectiveStride();
    time_ = {opts.kernel.time, stride.time, opts.padding.time, opts.dilation.time, opts.ceil_mode};
    freq_ = {opts.kernel.freq, stride.freq, opts.padding.freq, opts.dilation.freq, opts.ceil_mode};
    divisor_override_ = opts.divisor_override;
    count_include_pad_ = opts.count_include_pad;
    area_ = static_cast<float>(opts.kernel.time * opts.kernel.freq);
    powers_ = LpPowers(opts.norm_type);
    in_cols_ = cols;
    out_cols_ = freq_.OutputSize(cols);
    if (out_cols_ < 1) {
      throw OptionError("kernel",
                        std::to_string(opts.kernel.time) + "x" + std::to_string(opts.kernel.freq),
                        "on frames of " + std::to_string(cols) +
                            " columns gives no output column (torch: output size is too small)");
    }
    PlanFreq();
    time_blocks_ = time_.UseBlocks();
    // Rows the time axis keeps: a window's span, or two blocks of
    // kernel * dilation rows (saturated; the options fit in int32 so the
    // products fit in int64, but a ring is never made that large: it starts
    // small and doubles while the rows arrive, so memory follows the input,
    // not the kernel, dilation or padding).
    int64_t need = 0;
    if (MulOverflows(time_.kernel, time_.dilation, &need) || need > kMaxRingRows / 2) {
      need = kMaxRingRows;
    } else {
      need = time_blocks_ ? 2 * need + 1 : need - time_.dilation + 1;
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
    const size_t ring = static_cast<size_t>(cap_ * out_cols_);
    h_.resize(ring);
    if (time_blocks_) {
      p_.resize(ring);
      s_.resize(ring);
    }
    acc_.resize(static_cast<size_t>(out_cols_));
    inverse_.resize(static_cast<size_t>(out_cols_));
    if (kKind == OutputKind::kLp) powed_.resize(static_cast<size_t>(cols));
  }

  void AcceptRow(const float* row) override {
    const int64_t t = rows_in_;
    if (t >= cap_ && cap_ < cap_full_) GrowRing();
    const bool needed = time_blocks_ || RowIsTap(phase_);
    if (++phase_ == time_.stride) phase_ = 0;
    if (needed) {
      V* h = Ring(h_, t);
      if constexpr (kKind == OutputKind::kLp) {
        powers_.Row(row, powed_.data(), in_cols_);
        PoolFreq(powed_.data(), t * in_cols_, h);
      } else {
        PoolFreq(row, t * in_cols_, h);
      }
      if (time_blocks_) UpdateBlocks(t);
    }
    ++rows_in_;
  }

  void Finish() override {
    if (finished_) return;
    finished_ = true;
    total_out_ = std::max(time_.OutputSize(rows_in_), next_out_);
    if (!time_blocks_) return;
    // Suffixes of the last, incomplete block of each dilation class.
    const int64_t d = time_.dilation;
    const int64_t k = time_.kernel;
    for (int64_t c = 0; c < d && c < rows_in_; ++c) {
      const int64_t last = c + (rows_in_ - 1 - c) / d * d;
      const int64_t r = (last / d) % k;
      if (r != k - 1) ComputeSuffix(last, r + 1);
    }
  }

  bool OutputReady() const override {
    if (finished_) return next_out_ < total_out_;
    return time_.Last(next_out_) < rows_in_;
  }

  void EmitNext(float* out, int64_t* indices) override {
    const int64_t o = next_out_++;
    const int64_t first = time_.FirstPos(o);
    const int64_t taps = time_.ValidTaps(o, rows_in_);
    if (taps == 0) {  // dilated max window with every row in the padding
      const float empty = kKind == OutputKind::kMax ? kMinusInf : 0.0f;
      for (int64_t f = 0; f < out_cols_; ++f) out[f] = empty;
      if (kIndex && indices) {
        for (int64_t f = 0; f < out_cols_; ++f) indices[f] = first * in_cols_ + f_first_[f];
      }
      return;
    }
    // Max without indices combines straight into the output row.
    V* acc = acc_.data();
    if constexpr (std::is_same<P, MaxPolicy>::value) acc = out;
    const V* src = acc;
    const int64_t d = time_.dilation;
    const int64_t last = first + (taps - 1) * d;
    if (!time_blocks_) {
      if constexpr (kKind == OutputKind::kAvg) {
        if (taps >= 2) {  // the last row's sum fused with the division
          const V* partial = Ring(h_, first);
          if (taps > 2) {
            CombineRowsTo<P>(acc, partial, Ring(h_, first + d), out_cols_);
            for (int64_t j = 2; j + 1 < taps; ++j)
              CombineRowsInto<P>(acc, Ring(h_, first + j * d), out_cols_);
            partial = acc;
          }
          const V* lastrow = Ring(h_, last);
          SetInverse(count_include_pad_ ? time_.PaddedCount(o, rows_in_) : taps,
                     count_include_pad_ ? f_padded_ : f_taps_);
          AddScale(partial, lastrow, inverse_.data(), out, out_cols_);
          return;
        }
      }
      if (taps == 1) {
        src = Ring(h_, first);
      } else {
        CombineRowsTo<P>(acc, Ring(h_, first), Ring(h_, first + d), out_cols_);
        for (int64_t j = 2; j < taps; ++j)
          CombineRowsInto<P>(acc, Ring(h_, first + j * d), out_cols_);
      }
    } else {
      switch (PickBlocks(first, last, time_)) {
        case BlockPick::kPrefix:
          src = Ring(p_, last);
          break;
        case BlockPick::kSuffix:
          src = Ring(s_, first);
          break;
        case BlockPick::kBoth:
          CombineRowsTo<P>(acc, Ring(s_, first), Ring(p_, last), out_cols_);
          break;
      }
    }
    Finalize(src, o, taps, out, indices);
  }

  int64_t FramesNeededForRow(int64_t row) const override { return time_.Last(row) + 1; }

 private:
  V* Ring(std::vector<V>& ring, int64_t t) { return ring.data() + (t & (cap_ - 1)) * out_cols_; }

  // Until the ring is full size, every row t < cap_ sits in slot t, which is
  // its slot in the doubled ring too: growing is a resize.
  void GrowRing() {
    while (cap_ <= rows_in_ && cap_ < cap_full_) cap_ *= 2;
    const size_t ring = static_cast<size_t>(cap_ * out_cols_);
    h_.resize(ring);
    if (time_blocks_) {
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
      std::copy(h, h + out_cols_, p);
    } else {
      CombineRowsTo<P>(p, Ring(p_, t - d), h, out_cols_);
    }
    if (r == k - 1) ComputeSuffix(t, k);
  }

  // Suffixes of the `count` class rows ending at `last`.
  void ComputeSuffix(int64_t last, int64_t count) {
    const int64_t d = time_.dilation;
    const V* h = Ring(h_, last);
    std::copy(h, h + out_cols_, Ring(s_, last));
    for (int64_t i = 1; i < count; ++i) {
      const int64_t t = last - i * d;
      CombineRowsTo<P>(Ring(s_, t), Ring(h_, t), Ring(s_, t + d), out_cols_);
    }
  }

  void PlanFreq() {
    const int64_t n = out_cols_;
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

  // Pools one input row along frequency into y (out_cols_ entries).
  void PoolFreq(const In* x, int64_t base, V* y) {
    if (f_levels_ > 0) {
      PoolFreqDoubling(x, base, y);
      return;
    }
    for (int64_t o = 0; o < f_begin_; ++o) y[o] = PoolFreqOne(x, base, o);
    for (int64_t o = f_end_; o < out_cols_; ++o) y[o] = PoolFreqOne(x, base, o);
    if (f_begin_ >= f_end_) return;
    switch (freq_.stride) {
      case 1:
        PoolFreqInterior<1>(x, base, y);
        break;
      case 2:
        PoolFreqInterior<2>(x, base, y);
        break;
      default:
        PoolFreqInterior<0>(x, base, y);
        break;
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

  V PoolFreqOne(const In* x, int64_t base, int64_t o) const {
    const int64_t taps = f_taps_[o];
    const int64_t first = f_first_[o];
    if (taps == 0) return P::Empty(base + first);
    return FoldTaps(x + first, taps, freq_.dilation, base + first);
  }

  // Outputs whose every tap is inside the row: tap-major loops over outputs,
  // which the compiler vectorises for stride 1 and 2.
  template <int kStride>
  void PoolFreqInterior(const In* x, int64_t base, V* __restrict y) const {
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

  void PoolFreqDoubling(const In* x, int64_t base, V* __restrict y) {
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

  void Finalize(const V* src, int64_t o, int64_t taps, float* out, int64_t* indices) {
    if constexpr (kKind == OutputKind::kMax) {
      if constexpr (kIndex) {
        for (int64_t f = 0; f < out_cols_; ++f) out[f] = src[f].v;
        if (indices) {
          for (int64_t f = 0; f < out_cols_; ++f) indices[f] = src[f].i;
        }
      } else if (src != out) {
        std::memcpy(out, src, sizeof(float) * static_cast<size_t>(out_cols_));
      }
    } else if constexpr (kKind == OutputKind::kAvg) {
      const int64_t time_divisor = count_include_pad_ ? time_.PaddedCount(o, rows_in_) : taps;
      SetInverse(time_divisor, count_include_pad_ ? f_padded_ : f_taps_);
      for (int64_t f = 0; f < out_cols_; ++f) {
        out[f] = static_cast<float>(src[f] * inverse_[f]);
      }
    } else {
      // lp_pool2d's avg_pool2d has no padding: the divisor is the count.
      SetInverse(taps, f_taps_);
      // torch.nn.functional.lp_pool2d after its avg_pool2d (a float v):
      // (sign(v) * relu(|v|)).mul(kw * kh).pow(1 / p), in float. torch.sign
      // gives 0 for NaN and for -0.0; relu(|v|) keeps NaN.
      for (int64_t f = 0; f < out_cols_; ++f) {
        const float v = static_cast<float>(src[f] * inverse_[f]);
        const float sign = static_cast<float>((0.0f < v) - (v < 0.0f));
        out[f] = sign * std::fabs(v) * area_;
      }
      powers_.RootRow(out, out_cols_);
    }
  }

  // inverse_[f] = 1 / divisor of (time_divisor, column f); cached while the
  // time divisor repeats (every interior row).
  void SetInverse(int64_t time_divisor, const std::vector<int64_t>& freq_divisor) {
    if (time_divisor == inverse_for_) return;
    inverse_for_ = time_divisor;
    for (int64_t f = 0; f < out_cols_; ++f) {
      const int64_t divisor =
          divisor_override_ != 0 ? divisor_override_ : time_divisor * freq_divisor[f];
      inverse_[f] = 1.0 / static_cast<double>(divisor);
    }
  }

  Axis time_;
  Axis freq_;
  int64_t divisor_override_ = 0;
  bool count_include_pad_ = true;
  float area_ = 1.0f;  // lp: kT * kF
  LpPowers powers_;
  int64_t total_out_ = 0;

  // Time axis: rings of cap_ rows of partial results (h_), block prefixes
  // (p_) and suffixes (s_); row t lives in slot t & (cap_ - 1).
  bool time_blocks_ = false;
  int64_t cap_ = 1;                 // ring rows, a power of two
  int64_t cap_full_ = 1;            // the most ring rows the windows need
  std::vector<int64_t> block_pos_;  // per dilation class seen: (t / d) % k of its next row
  int64_t block_class_ = 0;         // t % d of the next row
  int64_t phase_ = 0;               // (t + padding) % stride of the next row
  int64_t phase_gcd_ = 1;           // gcd(dilation, stride)
  int64_t phase_modulus_ = 1;       // stride / gcd
  int64_t phase_inverse_ = 0;       // (dilation / gcd)^-1 mod (stride / gcd)
  std::vector<V> h_, p_, s_;
  std::vector<V> acc_;
  std::vector<double> inverse_;
  int64_t inverse_for_ = -1;
  std::vector<double> powed_;  // lp: x^p of the current row

  // Frequency axis plan, per output column.
  std::vector<int64_t> f_first_, f_taps_, f_padded_;
  int64_t f_begin_ = 0, f_end_ = 0;  // outputs with every tap inside the row
  int64_t f_levels_ = 0;             // doubling levels (0: direct loops)
  std::vector<V> level_;             // levels 1..f_levels_, in_cols_ each
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
