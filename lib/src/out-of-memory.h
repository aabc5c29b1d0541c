// Out of memory, said with what it was for: featpool wraps the
// allocations whose size depends on an input file or an option (the
// features of a file, a pooled output, a matrix read from .npy) so that a
// std::bad_alloc reaches the user as "'x.wav': out of memory allocating
// 4.1 TiB for the pooled output (49 x 23000000000)", not a bare "out of
// memory" or an abort.
#ifndef FEATPOOL_SRC_OUT_OF_MEMORY_H_
#define FEATPOOL_SRC_OUT_OF_MEMORY_H_

#include <cstdint>
#include <new>
#include <stdexcept>
#include <string>

#include "featpool/error.h"
#include "featpool/pooler.h"

namespace featpool {
namespace internal {

// "512 B", "12.0 MiB", "4.1 TiB".
std::string FormatBytes(double bytes);

// "allocating 4.1 TiB for the pooled output (49 x 23000000000)", from the
// pooler's output shape for an input of rows x cols ("allocating the pooled
// output" if the shape cannot be computed).
std::string PooledOutputAllocation(const Pooler& pooler, int64_t rows, int64_t cols);

// Runs f() and returns its result. std::bad_alloc, and std::length_error (a
// size beyond what a vector can hold), become Error("'<file>': out of memory
// <doing()>") ("out of memory <doing()>" if `file` is empty: the caller
// names it); `doing` is called only then.
template <typename F, typename Doing>
decltype(auto) NamingOutOfMemory(const std::string& file, Doing&& doing, F&& f) {
  const auto message = [&] {
    return (file.empty() ? std::string() : "'" + file + "': ") + "out of memory " + doing();
  };
  try {
    return f();
  } catch (const std::bad_alloc&) {
    throw Error(message());
  } catch (const std::length_error&) {
    throw Error(message());
  }
}

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_OUT_OF_MEMORY_H_
