#include "filter-blocks.h"

#include <algorithm>
#include <cstring>

#include "cpu-dispatch.h"

namespace featpool {
namespace internal {

void BuildFilterBlocks(const std::vector<int32_t>& first, const std::vector<int32_t>& length,
                       const std::vector<size_t>& offset, const std::vector<float>& weights,
                       std::vector<int32_t>* block_first, std::vector<int32_t>* block_bins,
                       std::vector<float>* block_weights) {
  const int32_t filters = static_cast<int32_t>(first.size());
  block_first->clear();
  block_bins->clear();
  block_weights->clear();
  // Every bin from the lowest first bin to the highest last one of the
  // block, eight weights a bin.
  for (int32_t g = 0; g * 8 < filters; ++g) {
    int32_t lo = 0;
    int32_t hi = 0;
    bool any = false;
    for (int32_t m = 8 * g; m < std::min(8 * g + 8, filters); ++m) {
      const int32_t n = length[static_cast<size_t>(m)];
      if (n == 0) continue;
      const int32_t f = first[static_cast<size_t>(m)];
      lo = any ? std::min(lo, f) : f;
      hi = any ? std::max(hi, f + n) : f + n;
      any = true;
    }
    block_first->push_back(lo);
    block_bins->push_back(hi - lo);
    const size_t at = block_weights->size();
    block_weights->resize(at + static_cast<size_t>(hi - lo) * 8, 0.0f);
    for (int32_t l = 0; l < 8 && 8 * g + l < filters; ++l) {
      const size_t m = static_cast<size_t>(8 * g + l);
      for (int32_t k = 0; k < length[m]; ++k) {
        (*block_weights)[at + static_cast<size_t>(first[m] + k - lo) * 8 + static_cast<size_t>(l)] =
            weights[offset[m] + static_cast<size_t>(k)];
      }
    }
  }
}

namespace {

struct Blocks {
  const int32_t* first;
  const int32_t* bins;
  const float* weights;
  int32_t filters;
};

// Eight floats as one value (GCC's vector extension: one AVX register, or
// two SSE2 ones), so that the loop runs across the filters, not the bins.
typedef float Lanes __attribute__((vector_size(32)));

// Eight filters at a time: lane l sums filter 8g + l over the block's bins
// in order (one float chain per lane, so SSE2 and AVX2 round alike).
__attribute__((always_inline)) inline void BlocksLoop(const Blocks& b, const float* spectrum,
                                                      float* out) {
  const float* w = b.weights;
  for (int32_t g = 0; g * 8 < b.filters; ++g) {
    Lanes sum = {0, 0, 0, 0, 0, 0, 0, 0};
    const float* s = spectrum + b.first[g];
    const int32_t n = b.bins[g];
    // Two bins a turn (the same chain, in order: less loop overhead).
    int32_t k = 0;
    for (; k + 2 <= n; k += 2) {
      Lanes w0, w1;
      std::memcpy(&w0, w + 8 * static_cast<size_t>(k), sizeof(w0));
      std::memcpy(&w1, w + 8 * static_cast<size_t>(k) + 8, sizeof(w1));
      sum += w0 * s[k];
      sum += w1 * s[k + 1];
    }
    if (k < n) {
      Lanes w0;
      std::memcpy(&w0, w + 8 * static_cast<size_t>(k), sizeof(w0));
      sum += w0 * s[k];
    }
    w += 8 * static_cast<size_t>(n);
    const int32_t count = std::min(8, b.filters - 8 * g);
    std::memcpy(out + 8 * g, &sum, sizeof(float) * static_cast<size_t>(count));
  }
}

void BlocksPlain(const Blocks& b, const float* spectrum, float* out) {
  BlocksLoop(b, spectrum, out);
}

#ifdef FEATPOOL_AVX2_DISPATCH
FEATPOOL_TARGET_AVX2 void BlocksAvx2(const Blocks& b, const float* spectrum, float* out) {
  BlocksLoop(b, spectrum, out);
}
#endif

}  // namespace

void ComputeFilterBlocks(const int32_t* block_first, const int32_t* block_bins,
                         const float* block_weights, int32_t filters, const float* spectrum,
                         float* out) {
  const Blocks blocks{block_first, block_bins, block_weights, filters};
#ifdef FEATPOOL_AVX2_DISPATCH
  if (UseAvx2()) {
    BlocksAvx2(blocks, spectrum, out);
    return;
  }
#endif
  BlocksPlain(blocks, spectrum, out);
}

}  // namespace internal
}  // namespace featpool
