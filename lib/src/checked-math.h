// Overflow-checked int64 arithmetic for sizes that come from files or flags
// (rows x cols, rows x cols x item size, offset + length). Each returns true
// if the exact result does not fit in int64_t; otherwise it stores the result
// in *out. Callers turn `true` into an Error naming the file or option.
#ifndef FEATPOOL_SRC_CHECKED_MATH_H_
#define FEATPOOL_SRC_CHECKED_MATH_H_

#include <cstdint>

namespace featpool {
namespace internal {

inline bool MulOverflows(int64_t a, int64_t b, int64_t* out) {
  return __builtin_mul_overflow(a, b, out);
}

inline bool AddOverflows(int64_t a, int64_t b, int64_t* out) {
  return __builtin_add_overflow(a, b, out);
}

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_CHECKED_MATH_H_
