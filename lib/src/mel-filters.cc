#include "featpool/mel-filters.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "filter-blocks.h"

namespace featpool {
namespace {

constexpr double kSlaneyLinearStep = 200.0 / 3.0;  // Hz per mel below 1 kHz
constexpr double kSlaneyLogHz = 1000.0;
constexpr double kSlaneyLogMel = kSlaneyLogHz / kSlaneyLinearStep;  // 15

double SlaneyLogStep() { return std::log(6.4) / 27.0; }

}  // namespace

// torchaudio 0.13.1 functional/functional.py _hz_to_mel, _mel_to_hz
double HzToMel(double hz, MelScaleType scale) {
  if (scale == MelScaleType::kHtk) return 2595.0 * std::log10(1.0 + hz / 700.0);
  if (hz < kSlaneyLogHz) return hz / kSlaneyLinearStep;
  return kSlaneyLogMel + std::log(hz / kSlaneyLogHz) / SlaneyLogStep();
}

double MelToHz(double mel, MelScaleType scale) {
  if (scale == MelScaleType::kHtk) return 700.0 * (std::pow(10.0, mel / 2595.0) - 1.0);
  if (mel < kSlaneyLogMel) return mel * kSlaneyLinearStep;
  return kSlaneyLogHz * std::exp(SlaneyLogStep() * (mel - kSlaneyLogMel));
}

// torchaudio 0.13.1 functional/functional.py melscale_fbanks() and
// _create_triangular_filterbank(), in double: bin k is at k * (sr // 2) /
// (n_freqs - 1) (linspace up to the integer Nyquist), the n_mels + 2 band
// edges are evenly spaced in mel, filter m is max(0, min(down, up)) with
// down = (f - f[m]) / (f[m+1] - f[m]) and up = (f[m+2] - f) / (f[m+2] -
// f[m+1]); the Slaney norm multiplies it by 2 / (f[m+2] - f[m]). The
// symmetric shape is SpeechBrain's (processing/features.py Filterbank,
// _create_fbank_matrix, "triangular"): band = f[m+1] - f[m], filter m is
// max(0, min(1 + (f - f[m+1]) / band, 1 - (f - f[m+1]) / band)).
MelFilters::MelFilters(const MelFilterOptions& opts) {
  const int32_t n_freqs = opts.n_fft / 2 + 1;
  const double top = std::floor(opts.sample_rate / 2.0);
  const double mel_min = HzToMel(opts.f_min, opts.scale);
  const double mel_max = HzToMel(opts.f_max, opts.scale);
  std::vector<double> edges(static_cast<size_t>(opts.n_mels) + 2);
  for (size_t i = 0; i < edges.size(); ++i) {
    const double mel = mel_min + (mel_max - mel_min) * static_cast<double>(i) / (opts.n_mels + 1.0);
    edges[i] = MelToHz(mel, opts.scale);
  }
  auto freq = [&](int32_t k) { return top * k / (n_freqs - 1); };
  for (int32_t m = 0; m < opts.n_mels; ++m) {
    const double lo = edges[static_cast<size_t>(m)];
    const double mid = edges[static_cast<size_t>(m) + 1];
    const double hi = edges[static_cast<size_t>(m) + 2];
    const double norm = opts.norm == MelNorm::kSlaney ? 2.0 / (hi - lo) : 1.0;
    const size_t offset = weights_.size();
    int32_t first = -1;
    int32_t last = -1;
    for (int32_t k = 0; k < n_freqs; ++k) {
      const double f = freq(k);
      const bool symmetric = opts.shape == MelShape::kSymmetric;
      const double down = symmetric ? 1.0 + (f - mid) / (mid - lo) : (f - lo) / (mid - lo);
      const double up = symmetric ? 1.0 - (f - mid) / (mid - lo) : (hi - f) / (hi - mid);
      const double w = std::max(0.0, std::min(down, up));
      if (w <= 0.0) {
        if (first >= 0) break;  // past the triangle
        continue;
      }
      if (first < 0) first = k;
      last = k;
      weights_.push_back(static_cast<float>(w * norm));
    }
    first_.push_back(first < 0 ? 0 : first);
    length_.push_back(first < 0 ? 0 : last - first + 1);
    offset_.push_back(offset);
  }
  internal::BuildFilterBlocks(first_, length_, offset_, weights_, &group_first_, &group_bins_,
                              &group_weights_);
}

void MelFilters::Compute(const double* spectrum, float* mel) const {
  const int32_t filters = NumFilters();
  for (int32_t m = 0; m < filters; ++m) {
    const float* w = Weights(m);
    const double* s = spectrum + first_[static_cast<size_t>(m)];
    const int32_t n = length_[static_cast<size_t>(m)];
    double sum = 0.0;
    for (int32_t k = 0; k < n; ++k) sum += static_cast<double>(w[k]) * s[k];
    mel[m] = static_cast<float>(sum);
  }
}

void MelFilters::Compute(const float* spectrum, float* mel) const {
  internal::ComputeFilterBlocks(group_first_.data(), group_bins_.data(), group_weights_.data(),
                                NumFilters(), spectrum, mel);
}

}  // namespace featpool
