// A natural log that the compiler can vectorise, for the per-frame
// ln(max(x, FLT_EPSILON)) of every feature type (glibc's logf is a call per
// value and was the largest cost of the spectrogram after the FFT).
// ref: Cephes logf.c (S. Moshier): range reduction to [sqrt(1/2), sqrt(2))
// and a degree-9 polynomial; relative error below 2^-23 on normal inputs.
#ifndef FEATPOOL_SRC_FAST_LOG_H_
#define FEATPOOL_SRC_FAST_LOG_H_

#include <cfloat>
#include <cstdint>
#include <cstring>

#include "cpu-dispatch.h"

namespace featpool {

// ln(max(x, f)) for the positive normal float f whose bits are kFloorBits;
// NaN stays NaN, +inf stays +inf.
template <int32_t kFloorBits>
inline float LogClamped(float x) {
  static_assert(kFloorBits >= 0x00800000 && kFloorBits < 0x7f800000, "a positive normal floor");
  // Every decision is made on the bit pattern with integer operations, so the
  // loop has no float compares and GCC vectorises it under -ftrapping-math.
  constexpr int32_t kEpsilonBits = kFloorBits;
  constexpr int32_t kInfBits = 0x7f800000;
  constexpr int32_t kSqrt2Bits = 0x3fb504f3;     // 1.41421356f
  int32_t bits;
  std::memcpy(&bits, &x, sizeof(bits));
  const int32_t magnitude = bits & 0x7fffffff;
  const int32_t pass_through = (magnitude >= kInfBits) & ((bits > 0) | (magnitude > kInfBits));
  // Below FLT_EPSILON (negative numbers have the sign bit, so bits < 0).
  bits = bits < kEpsilonBits ? kEpsilonBits : bits;
  // x = m * 2^e with m in [1, 2); then fold m into [sqrt(1/2), sqrt(2)).
  int32_t mantissa_bits = (bits & 0x007fffff) | 0x3f800000;
  const int32_t high = mantissa_bits > kSqrt2Bits;
  const int32_t e = ((bits >> 23) & 0xff) - 127 + high;
  mantissa_bits -= high << 23;  // halve m
  float m;
  std::memcpy(&m, &mantissa_bits, sizeof(m));
  const float f = m - 1.0f;
  const float z = f * f;
  float y = 7.0376836292E-2f;
  y = y * f - 1.1514610310E-1f;
  y = y * f + 1.1676998740E-1f;
  y = y * f - 1.2420140846E-1f;
  y = y * f + 1.4249322787E-1f;
  y = y * f - 1.6668057665E-1f;
  y = y * f + 2.0000714765E-1f;
  y = y * f - 2.4999993993E-1f;
  y = y * f + 3.3333331174E-1f;
  y = y * f * z;
  // float(e) without an int-to-float conversion (which GCC treats as
  // possibly trapping and will not vectorise): 1.5 * 2^23 + e, exactly.
  const int32_t e_bits = 0x4b400000 + e;
  float fe;
  std::memcpy(&fe, &e_bits, sizeof(fe));
  fe -= 12582912.0f;
  y += -2.12194440E-4f * fe;
  y += -0.5f * z;
  const float result = f + y + 0.693359375f * fe;
  // NaN and +inf come back unchanged, as std::log gives them.
  int32_t result_bits;
  std::memcpy(&result_bits, &result, sizeof(result_bits));
  int32_t x_bits;
  std::memcpy(&x_bits, &x, sizeof(x_bits));
  const int32_t keep_x = -pass_through;  // all ones or all zeros
  result_bits = (x_bits & keep_x) | (result_bits & ~keep_x);
  float out;
  std::memcpy(&out, &result_bits, sizeof(out));
  return out;
}

// ln(max(x, FLT_EPSILON)): the log of every Kaldi feature type.
inline float LogFloored(float x) { return LogClamped<0x34000000>(x); }
// ln(max(x, FLT_MIN)): ln of any x >= FLT_MIN, within the same error.
inline float LogOfNormal(float x) { return LogClamped<0x00800000>(x); }

namespace internal {

// The loop, and its AVX2 build (8 values a vector instead of 4; see
// cpu-dispatch.h for why both give the same bits).
inline void LogFlooredLoop(float* x, int32_t n) {
  for (int32_t i = 0; i < n; ++i) x[i] = LogFloored(x[i]);
}
inline void LogOfNormalLoop(float* x, int32_t n) {
  for (int32_t i = 0; i < n; ++i) x[i] = LogOfNormal(x[i]);
}
#ifdef FEATPOOL_AVX2_DISPATCH
FEATPOOL_TARGET_AVX2 inline void LogFlooredLoopAvx2(float* x, int32_t n) {
  for (int32_t i = 0; i < n; ++i) x[i] = LogFloored(x[i]);
}
FEATPOOL_TARGET_AVX2 inline void LogOfNormalLoopAvx2(float* x, int32_t n) {
  for (int32_t i = 0; i < n; ++i) x[i] = LogOfNormal(x[i]);
}
#endif

}  // namespace internal

// x[i] = LogFloored(x[i]) for i < n, bit for bit.
inline void LogFlooredInPlace(float* x, int32_t n) {
#ifdef FEATPOOL_AVX2_DISPATCH
  if (internal::UseAvx2()) {
    internal::LogFlooredLoopAvx2(x, n);
    return;
  }
#endif
  internal::LogFlooredLoop(x, n);
}

// x[i] = LogOfNormal(x[i]) for i < n, bit for bit.
inline void LogOfNormalInPlace(float* x, int32_t n) {
#ifdef FEATPOOL_AVX2_DISPATCH
  if (internal::UseAvx2()) {
    internal::LogOfNormalLoopAvx2(x, n);
    return;
  }
#endif
  internal::LogOfNormalLoop(x, n);
}

}  // namespace featpool

#endif  // FEATPOOL_SRC_FAST_LOG_H_
