// Bytes -> a .npy file -> ReadNpy -> pooling (max with indices, avg, stats,
// stack; the input of `featpool pool`). Any result but a matrix of the
// header's shape or featpool::Error is a finding.
#include <cstdint>
#include <vector>

#include "featpool/error.h"
#include "featpool/npy.h"
#include "featpool/pooler.h"
#include "fuzz-common.h"

using namespace featpool;

namespace {

std::vector<Pooler> MakePoolers() {
  std::vector<Pooler> poolers;
  PoolOptions max;
  max.kernel = {3, 3};
  max.stride = PoolSize{2, 2};
  max.padding = {1, 1};
  max.return_indices = true;
  poolers.emplace_back(max);
  PoolOptions avg;
  avg.mode = PoolMode::kAvg;
  avg.kernel = {2, 2};
  avg.ceil_mode = true;
  poolers.emplace_back(avg);
  PoolOptions stats;
  stats.mode = PoolMode::kStats;
  poolers.emplace_back(stats);
  PoolOptions stack;
  stack.mode = PoolMode::kStack;
  poolers.emplace_back(stack);
  return poolers;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<Pooler> poolers = MakePoolers();
  const std::string path = featpool_fuzz::WriteScratch("input.npy", data, size);
  Matrix in;
  try {
    in = ReadNpy(path);
  } catch (const Error&) {
    return 0;
  }
  if (in.rows() < 0 || in.cols() < 0) featpool_fuzz::Fail("negative shape");
  // The data must have come from the file: 4 or 8 bytes per element.
  if (in.rows() > 0 && in.cols() > 0 &&
      static_cast<uint64_t>(in.rows()) * static_cast<uint64_t>(in.cols()) > size / 4) {
    featpool_fuzz::Fail("more elements than the file holds");
  }
  for (const Pooler& pooler : poolers) {
    Matrix out;
    std::vector<int64_t> indices;
    try {
      pooler.Apply(in.View(), &out, pooler.HasIndices() ? &indices : nullptr);
    } catch (const Error&) {
      continue;
    }
    const PoolSize shape = pooler.OutputShape(in.rows(), in.cols());
    if (out.rows() != shape.time || out.cols() != shape.freq) featpool_fuzz::Fail("output shape");
    for (int64_t i : indices) {
      if (i < 0 || i >= in.rows() * in.cols()) featpool_fuzz::Fail("index outside the input");
    }
  }
  return 0;
}
