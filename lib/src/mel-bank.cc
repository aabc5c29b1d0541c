#include "featpool/mel-bank.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "featpool/error.h"
#include "filter-blocks.h"
#include "number-text.h"

namespace featpool {
double MelScale(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }
double InverseMelScale(double mel) { return 700.0 * (std::exp(mel / 1127.0) - 1.0); }

// Kaldi mel-computations.cc MelBanks::VtlnWarpFreq() (read for the rule, in
// double here; Kaldi computes in float).
double VtlnWarpFreq(double vtln_low, double vtln_high, double low_freq, double high_freq,
                    double warp, double freq) {
  if (freq < low_freq || freq > high_freq) return freq;
  if (!(vtln_low > low_freq && vtln_high < high_freq)) {
    throw Error("VTLN cutoffs " + NumberText(vtln_low) + " and " + NumberText(vtln_high) +
                " Hz must lie inside the mel range " + NumberText(low_freq) + " to " +
                NumberText(high_freq) + " Hz");
  }
  const double l = vtln_low * std::max(1.0, warp);
  const double h = vtln_high * std::min(1.0, warp);
  const double scale = 1.0 / warp;
  const double fl = scale * l;
  const double fh = scale * h;
  if (!(l > low_freq && h < high_freq)) {
    throw Error("VTLN warp " + NumberText(warp) +
                " moves an inflection point outside the mel range");
  }
  const double scale_left = (fl - low_freq) / (l - low_freq);
  const double scale_right = (high_freq - fh) / (high_freq - h);
  if (freq < l) return low_freq + scale_left * (freq - low_freq);
  if (freq < h) return scale * freq;
  return high_freq + scale_right * (freq - high_freq);
}

// Kaldi mel-computations.cc MelBanks::VtlnWarpMelFreq()
double VtlnWarpMelFreq(double vtln_low, double vtln_high, double low_freq, double high_freq,
                       double warp, double mel) {
  return MelScale(
      VtlnWarpFreq(vtln_low, vtln_high, low_freq, high_freq, warp, InverseMelScale(mel)));
}

// Kaldi mel-computations.cc MelBanks::MelBanks(opts, frame_opts,
// vtln_warp_factor), the warp factor taken from opts.vtln_warp.
MelBank::MelBank(const MelBanksOptions& opts, const FrameExtractionOptions& frame_opts) {
  if (opts.num_bins < 3) {
    throw OptionError("num_mel_bins", std::to_string(opts.num_bins), "must be at least 3");
  }
  const double sample_freq = frame_opts.samp_freq;
  const int32_t padded = frame_opts.PaddedWindowSize();
  const int32_t num_fft_bins = padded / 2;  // the Nyquist bin is never used
  const double nyquist = 0.5 * sample_freq;
  const double low_freq = opts.low_freq;
  const double high_freq = opts.high_freq > 0 ? opts.high_freq : nyquist + opts.high_freq;
  if (!(low_freq >= 0 && low_freq < nyquist && high_freq > 0 && high_freq <= nyquist &&
        high_freq > low_freq)) {
    // Named by high_freq, with low_freq's value in the reason: the pair is
    // wrong, and the command's tests expect the high cutoff to be named.
    throw OptionError("high_freq", NumberText(opts.high_freq),
                      "with {low_freq}=" + NumberText(opts.low_freq) +
                          ": need 0 <= {low_freq} < {high_freq} <= Nyquist (" +
                          NumberText(nyquist) +
                          " Hz); a {high_freq} <= 0 is an offset from Nyquist, here " +
                          NumberText(high_freq) + " Hz");
  }
  // Kaldi MelBanks::MelBanks(): vtln_high < 0 is an offset from Nyquist; the
  // cutoffs are checked only when warping.
  const double warp = opts.vtln_warp;
  const bool warping = warp != 1.0;
  const double vtln_low = opts.vtln_low;
  const double vtln_high = opts.vtln_high < 0 ? nyquist + opts.vtln_high : opts.vtln_high;
  if (warping) {
    if (!(warp > 0) || !std::isfinite(warp)) {
      throw OptionError("vtln_warp", NumberText(opts.vtln_warp), "must be a positive factor");
    }
    const std::string range = "with {low_freq}=" + NumberText(low_freq) +
                              " Hz and {high_freq} resolved to " + NumberText(high_freq) +
                              " Hz: need {low_freq} < {vtln_low} < {vtln_high} < {high_freq}";
    if (!(vtln_low >= 0 && vtln_low > low_freq && vtln_low < high_freq)) {
      throw OptionError("vtln_low", NumberText(opts.vtln_low), range);
    }
    if (!(vtln_high > 0 && vtln_high < high_freq && vtln_high > vtln_low)) {
      throw OptionError("vtln_high", NumberText(opts.vtln_high),
                        range + " (a {vtln_high} < 0 is an offset from Nyquist, here " +
                            NumberText(vtln_high) + " Hz)");
    }
  }
  const double fft_bin_width = sample_freq / padded;
  const double mel_low = MelScale(low_freq);
  const double mel_high = MelScale(high_freq);
  // (num_bins + 1) in double: the same value, without int32 overflow.
  const double mel_delta = (mel_high - mel_low) / (opts.num_bins + 1.0);

  // The bins' left edges increase, and so does the mel of FFT bin i: the
  // first FFT bin above a bin's left edge only moves forward, so the bank is
  // built in O(num_bins + num_fft_bins) (each FFT bin lies in at most two
  // triangles), not by testing every FFT bin against every mel bin.
  int32_t start = 0;
  for (int32_t bin = 0; bin < opts.num_bins; ++bin) {
    double left = mel_low + bin * mel_delta;
    double center = mel_low + (bin + 1.0) * mel_delta;
    double right = mel_low + (bin + 2.0) * mel_delta;
    if (warping) {
      // The warp is increasing, so the warped left edges still increase and
      // the forward scan below stays valid.
      left = VtlnWarpMelFreq(vtln_low, vtln_high, low_freq, high_freq, warp, left);
      center = VtlnWarpMelFreq(vtln_low, vtln_high, low_freq, high_freq, warp, center);
      right = VtlnWarpMelFreq(vtln_low, vtln_high, low_freq, high_freq, warp, right);
    }
    while (start < num_fft_bins && !(MelScale(fft_bin_width * start) > left)) ++start;
    int32_t first = -1;
    int32_t last = -1;
    const size_t offset = weights_.size();
    for (int32_t i = start; i < num_fft_bins; ++i) {
      const double mel = MelScale(fft_bin_width * i);
      if (!(mel < right)) break;
      const double weight =
          mel <= center ? (mel - left) / (center - left) : (right - mel) / (right - center);
      if (first == -1) first = i;
      weights_.push_back(static_cast<float>(weight));
      last = i;
    }
    if (first == -1) {
      throw OptionError("num_mel_bins", std::to_string(opts.num_bins),
                        "mel bin " + std::to_string(bin) +
                            " covers no FFT bin (too many bins for a " + std::to_string(padded) +
                            "-point FFT between " + NumberText(low_freq) + " and " +
                            NumberText(high_freq) + " Hz)");
    }
    // Kaldi replicates an HTK quirk in htk_mode.
    if (opts.htk_mode && bin == 0 && mel_low != 0.0) weights_[offset] = 0.0f;
    first_.push_back(first);
    length_.push_back(last - first + 1);
    offset_.push_back(offset);
  }
  internal::BuildFilterBlocks(first_, length_, offset_, weights_, &block_first_, &block_bins_,
                              &block_weights_);
}

void MelBank::Compute(const float* spectrum, float* mel) const {
  internal::ComputeFilterBlocks(block_first_.data(), block_bins_.data(), block_weights_.data(),
                                NumBins(), spectrum, mel);
}

}  // namespace featpool
