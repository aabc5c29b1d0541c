// Kaldi's triangular mel filter bank (mel-computations.h/.cc), stored as one
// contiguous range of non-zero weights per bin rather than a dense matrix.
//
// Thread safety: immutable after construction; share freely.
#ifndef FEATPOOL_MEL_BANK_H_
#define FEATPOOL_MEL_BANK_H_

#include <cstdint>
#include <vector>

#include "featpool/frame-extractor.h"

namespace featpool {

class OptionVisitor;  // options.h

// Kaldi MelBanksOptions. Kaldi's struct defaults num_bins to 25; its fbank and
// MFCC options set 23, as FbankOptions and MfccOptions here do.
struct MelBanksOptions {
  int32_t num_bins = 25;
  float low_freq = 20.0f;  // Hz
  float high_freq = 0.0f;  // Hz; <= 0 means Nyquist + high_freq
  bool htk_mode = false;   // replicate HTK's zeroed first weight of bin 0
  // VTLN (Kaldi MelBanksOptions vtln_low/vtln_high; the warp factor is
  // compute-fbank-feats' --vtln-warp, passed to MelBanks' constructor).
  float vtln_warp = 1.0f;     // 1 = no warping
  float vtln_low = 100.0f;    // Hz, lower inflection point of the warp
  float vtln_high = -500.0f;  // Hz; < 0 means Nyquist + vtln_high

  void VisitOptions(OptionVisitor& v);  // the field table (options.h)
};

// 1127 ln(1 + f / 700)
double MelScale(double hz);
double InverseMelScale(double mel);

// Kaldi mel-computations.cc MelBanks::VtlnWarpFreq(): the piecewise linear
// warp F with F(low_freq) = low_freq, F(high_freq) = high_freq, F(f) = f / warp
// between the inflection points l = vtln_low * max(1, warp) and
// h = vtln_high * min(1, warp). Frequencies outside [low_freq, high_freq] are
// returned unchanged. Throws Error unless low_freq < vtln_low and
// vtln_high < high_freq (vtln_high already resolved against Nyquist).
double VtlnWarpFreq(double vtln_low, double vtln_high, double low_freq, double high_freq,
                    double warp, double freq);
// Kaldi MelBanks::VtlnWarpMelFreq(): VtlnWarpFreq on the mel scale.
double VtlnWarpMelFreq(double vtln_low, double vtln_high, double low_freq, double high_freq,
                       double warp, double mel);

class MelBank {
 public:
  // Throws OptionError (num_mel_bins, high_freq, vtln_low, vtln_high,
  // vtln_warp) for fewer than 3 bins, a bad frequency range, bad VTLN cutoffs
  // with a warp other than 1, or a bin that covers no FFT bin (too many bins
  // for the FFT size).
  MelBank(const MelBanksOptions& opts, const FrameExtractionOptions& frame_opts);

  int32_t NumBins() const { return static_cast<int32_t>(first_.size()); }
  // First FFT bin and weights of bin `b`.
  int32_t FirstIndex(int32_t b) const { return first_[static_cast<size_t>(b)]; }
  int32_t Length(int32_t b) const { return length_[static_cast<size_t>(b)]; }
  const float* Weights(int32_t b) const {
    return weights_.data() + offset_[static_cast<size_t>(b)];
  }

  // mel[b] = sum_k weight[b][k] * spectrum[k]; `spectrum` holds the
  // padded/2 + 1 FFT bins (the last, Nyquist, is never used). Each sum is
  // in float, term after term in order of k over the bin's range, as a
  // plain float loop (Kaldi's), bit for bit; eight bins run side by side,
  // one vector lane each, over the FFT bins any of them covers (zero
  // weights elsewhere add exact zeros to a spectrum that is finite and
  // >= 0): the same bits with or without AVX2.
  void Compute(const float* spectrum, float* mel) const;

 private:
  std::vector<int32_t> first_;
  std::vector<int32_t> length_;
  std::vector<size_t> offset_;
  std::vector<float> weights_;
  // Bins 8g to 8g + 7 as one dense block: FFT bins block_first_[g] to
  // block_first_[g] + block_bins_[g] - 1, eight weights an FFT bin (zero
  // where a mel bin does not reach, or past the last one).
  std::vector<int32_t> block_first_;
  std::vector<int32_t> block_bins_;
  std::vector<float> block_weights_;
};

}  // namespace featpool

#endif  // FEATPOOL_MEL_BANK_H_
