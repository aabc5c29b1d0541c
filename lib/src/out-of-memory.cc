#include "out-of-memory.h"

#include <cstdio>

namespace featpool {
namespace internal {

std::string FormatBytes(double bytes) {
  static const char* const kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 6) {
    bytes /= 1024;
    ++unit;
  }
  char text[32];
  if (unit == 0) {
    std::snprintf(text, sizeof(text), "%.0f B", bytes);
  } else {
    std::snprintf(text, sizeof(text), "%.1f %s", bytes, kUnits[unit]);
  }
  return text;
}

std::string PooledOutputAllocation(const Pooler& pooler, int64_t rows, int64_t cols) {
  try {
    const PoolSize shape = pooler.OutputShape(rows, cols);
    double bytes = static_cast<double>(shape.time) * static_cast<double>(shape.freq) * 4;
    if (pooler.options().return_indices) bytes *= 3;  // int64 indices beside the floats
    return "allocating " + FormatBytes(bytes) + " for the pooled output (" +
           std::to_string(shape.time) + " x " + std::to_string(shape.freq) +
           (pooler.options().return_indices ? ", with indices" : "") + ")";
  } catch (const std::exception&) {
    return "allocating the pooled output";
  }
}

}  // namespace internal
}  // namespace featpool
