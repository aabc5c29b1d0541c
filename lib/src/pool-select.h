// Internal: torch's max selection, `(val > maxval) || std::isnan(val)`
// (PyTorch ATen MaxPoolKernel.cpp, AdaptiveMaxPoolKernel.cpp), without
// branches: on real-valued data the compare is close to a coin flip, and a
// mispredicted branch per element would cost more than the selection.
#ifndef FEATPOOL_SRC_POOL_SELECT_H_
#define FEATPOOL_SRC_POOL_SELECT_H_

#include <cstdint>
#include <cstring>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace featpool {
namespace internal {

// b if b > a or b is NaN, else a (a comes first in scan order).
inline float SelectMax(float a, float b) {
#ifdef __SSE2__
  const __m128 va = _mm_set_ss(a);
  const __m128 vb = _mm_set_ss(b);
  const __m128 take = _mm_or_ps(_mm_cmplt_ss(va, vb), _mm_cmpunord_ss(vb, vb));
  return _mm_cvtss_f32(_mm_or_ps(_mm_and_ps(take, vb), _mm_andnot_ps(take, va)));
#else
  return (b > a || b != b) ? b : a;
#endif
}

// The same selection carrying an index along.
inline void SelectMaxIndexed(float* a, int64_t* a_index, float b, int64_t b_index) {
  const int64_t take = -static_cast<int64_t>((b > *a) | (b != b));
  uint32_t av, bv;
  std::memcpy(&av, a, sizeof av);
  std::memcpy(&bv, &b, sizeof bv);
  const uint32_t bits = (bv & static_cast<uint32_t>(take)) | (av & ~static_cast<uint32_t>(take));
  std::memcpy(a, &bits, sizeof bits);
  *a_index = (b_index & take) | (*a_index & ~take);
}

#ifdef __SSE2__
// SelectMax on four lanes. maxps(b, a) is `b > a ? b : a`, which is the
// selection except where b is NaN; that lane is masked in.
inline __m128 SelectMax4(__m128 a, __m128 b) {
  const __m128 nan = _mm_cmpunord_ps(b, b);
  return _mm_or_ps(_mm_and_ps(nan, b), _mm_andnot_ps(nan, _mm_max_ps(b, a)));
}
#endif

// acc[i] = SelectMax(acc[i], b[i]).
inline void SelectMaxRows(float* __restrict acc, const float* __restrict b, int64_t n) {
  int64_t i = 0;
#ifdef __SSE2__
  for (; i + 4 <= n; i += 4) {
    _mm_storeu_ps(acc + i, SelectMax4(_mm_loadu_ps(acc + i), _mm_loadu_ps(b + i)));
  }
#endif
  for (; i < n; ++i) acc[i] = SelectMax(acc[i], b[i]);
}

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_POOL_SELECT_H_
