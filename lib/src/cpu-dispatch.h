// Run-time choice of AVX2 versions of a few hot loops. The default build
// targets plain x86-64 (SSE2: 4 floats or 2 doubles a vector); a loop whose
// AVX2 build is worth it is compiled a second time in a function marked
// FEATPOOL_TARGET_AVX2 (e.g. around an always-inline body), and callers pick
// that one when UseAvx2().
//
// Same bits either way: target("avx2") enables no FMA, so the compiler can
// only widen the vectors; IEEE add, mul, sub, conversions and integer bit
// operations round the same in SSE2 and AVX2. Each dispatched loop has a test
// comparing it with a scalar reference bit for bit.
#ifndef FEATPOOL_SRC_CPU_DISPATCH_H_
#define FEATPOOL_SRC_CPU_DISPATCH_H_

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__AVX2__)
#define FEATPOOL_AVX2_DISPATCH 1
#define FEATPOOL_TARGET_AVX2 __attribute__((target("avx2")))
#endif

namespace featpool {
namespace internal {

// Whether to run the AVX2 versions: the CPU has AVX2 and the build does not
// already target it (then the plain versions are AVX2 code already).
inline bool UseAvx2() {
#ifdef FEATPOOL_AVX2_DISPATCH
  static const bool avx2 = __builtin_cpu_supports("avx2");
  return avx2;
#else
  return false;
#endif
}

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_CPU_DISPATCH_H_
