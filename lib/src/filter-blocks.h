// Banks of filters, each a contiguous range of float weights, summed eight
// filters side by side (one vector lane per filter) over a dense block of the
// bins any of the eight covers, with zero weights where a filter does not
// reach. Shared by MelFilters (the generic mel spectrogram) and MelBank
// (Kaldi's fbank and MFCC).
//
// Each lane is one float chain in order of the bin, starting at 0: exactly a
// plain `float sum = 0; for k: sum += w[k] * s[k]` over the filter's own
// range, since the padding adds exact zeros (0 * s = +0 for a finite s >= 0,
// and x + 0 = x; every sum of terms >= 0 is >= +0). The same bits with SSE2
// or AVX2 (no FMA either way, cpu-dispatch.h).
#ifndef FEATPOOL_SRC_FILTER_BLOCKS_H_
#define FEATPOOL_SRC_FILTER_BLOCKS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace featpool {
namespace internal {

// The blocks of a bank whose filter m has weights[offset[m]] to
// weights[offset[m] + length[m] - 1] at bins first[m] onwards (length 0: an
// empty filter, whose output is 0). Filters 8g to 8g + 7 become one dense
// block: bins block_first[g] to block_first[g] + block_bins[g] - 1, eight
// weights a bin in block_weights (zero where a filter does not reach, or
// past the last filter).
void BuildFilterBlocks(const std::vector<int32_t>& first, const std::vector<int32_t>& length,
                       const std::vector<size_t>& offset, const std::vector<float>& weights,
                       std::vector<int32_t>* block_first, std::vector<int32_t>* block_bins,
                       std::vector<float>* block_weights);

// out[m] = the float sum of filter m's terms, in order of the bin. The
// spectrum must be finite and >= 0 over the bins the blocks cover.
void ComputeFilterBlocks(const int32_t* block_first, const int32_t* block_bins,
                         const float* block_weights, int32_t filters, const float* spectrum,
                         float* out);

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_FILTER_BLOCKS_H_
