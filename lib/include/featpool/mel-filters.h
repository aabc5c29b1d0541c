// The mel filter banks of torchaudio and librosa (HTK or Slaney scale, no
// or Slaney area normalisation), as torchaudio.functional.melscale_fbanks
// builds them; Kaldi's own bank is mel-bank.h. Stored as one contiguous
// range of non-zero weights per filter, not a dense matrix.
//
// Thread safety: immutable after construction; share freely.
#ifndef FEATPOOL_MEL_FILTERS_H_
#define FEATPOOL_MEL_FILTERS_H_

#include <cstddef>
#include <cstdint>
#include <vector>

namespace featpool {

enum class MelScaleType { kHtk, kSlaney };
enum class MelNorm { kNone, kSlaney };
// kTriangle: torchaudio/librosa's triangle from edge m to edge m + 2 with its
// peak at edge m + 1; kSymmetric: SpeechBrain's Filterbank (processing/
// features.py, filter_shape "triangular"), a triangle symmetric in Hz about
// edge m + 1 with half-width edge[m + 1] - edge[m] (the left spacing).
enum class MelShape { kTriangle, kSymmetric };

// HTK: 2595 log10(1 + f/700). Slaney: f / (200/3) below 1 kHz, then
// 15 + ln(f/1000) / (ln(6.4)/27) (torchaudio functional.py _hz_to_mel).
double HzToMel(double hz, MelScaleType scale);
double MelToHz(double mel, MelScaleType scale);

struct MelFilterOptions {
  double sample_rate = 16000.0;
  int32_t n_fft = 400;  // n_fft/2 + 1 frequency bins
  int32_t n_mels = 128;
  double f_min = 0.0;     // Hz
  double f_max = 8000.0;  // Hz
  MelScaleType scale = MelScaleType::kHtk;
  MelNorm norm = MelNorm::kNone;
  MelShape shape = MelShape::kTriangle;
};

class MelFilters {
 public:
  // The caller validates (n_fft >= 2, n_mels >= 1, 0 <= f_min < f_max).
  // Filters that cover no frequency bin are kept, all zero, as torchaudio
  // keeps them (it only warns).
  explicit MelFilters(const MelFilterOptions& opts);

  int32_t NumFilters() const { return static_cast<int32_t>(first_.size()); }
  int32_t FirstIndex(int32_t m) const { return first_[static_cast<size_t>(m)]; }
  int32_t Length(int32_t m) const { return length_[static_cast<size_t>(m)]; }
  const float* Weights(int32_t m) const {
    return weights_.data() + offset_[static_cast<size_t>(m)];
  }

  // mel[m] = sum_k weight[m][k] * spectrum[k] over the n_fft/2 + 1 bins,
  // in float, term after term in order of k over the filter's range (what
  // a plain float loop gives; every term is >= 0 for a power or magnitude
  // spectrum, so within Length(m) * 2^-24 relative of the exact sum, as
  // torch's float32 matmul). Eight filters run side by side, one vector
  // lane each, over the bins any of them covers (zero weights elsewhere
  // add exact zeros): the same bits with or without AVX2.
  void Compute(const float* spectrum, float* mel) const;
  // The same sums in double, rounded once to float: a reference.
  void Compute(const double* spectrum, float* mel) const;

 private:
  std::vector<int32_t> first_;
  std::vector<int32_t> length_;
  std::vector<size_t> offset_;
  std::vector<float> weights_;
  // Filters 8g to 8g + 7 as one dense block: bins group_first_[g] to
  // group_first_[g] + group_bins_[g] - 1, eight weights a bin (zero where
  // a filter does not reach, or past the last filter).
  std::vector<int32_t> group_first_;
  std::vector<int32_t> group_bins_;
  std::vector<float> group_weights_;
};

}  // namespace featpool

#endif  // FEATPOOL_MEL_FILTERS_H_
