// The field tables of Kaldi's feature options and of the pooling options:
// each option's key, help, unit and range, written once (options.h).
// Keys and help follow Kaldi's Register() functions (feature-window.h,
// mel-computations.h, feature-fbank.h, feature-mfcc.h,
// feature-spectrogram.h) and torch's pooling arguments.
#include <limits>

#include "featpool/fbank.h"
#include "featpool/frame-extractor.h"
#include "featpool/mel-bank.h"
#include "featpool/mfcc.h"
#include "featpool/options.h"
#include "featpool/pooler.h"
#include "featpool/spectrogram.h"

namespace featpool {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

OptionInfo Info(const char* key, const char* unit, const char* help, double min = -kInf,
                double max = kInf, bool min_open = false) {
  OptionInfo info;
  info.key = key;
  info.unit = unit;
  info.help = help;
  info.min = min;
  info.max = max;
  info.min_open = min_open;
  return info;
}

OptionInfo Positive(const char* key, const char* unit, const char* help, double max = kInf) {
  return Info(key, unit, help, 0.0, max, true);
}

OptionInfo Size(const char* key, const char* help, bool allow_keep = false) {
  OptionInfo info = Info(key, "", help);
  info.allow_keep = allow_keep;
  return info;
}

const std::vector<std::string> kWindowTypeNames = {"hanning",     "hamming",  "povey",
                                                   "rectangular", "blackman", "sine"};
const std::vector<std::string> kPoolModeNames = {"max",          "avg",   "lp",   "adaptive-max",
                                                 "adaptive-avg", "stats", "stack"};

// Kaldi's energy options, shared by fbank, MFCC and spectrogram.
void VisitEnergy(float* energy_floor, bool* raw_energy, OptionVisitor& v) {
  v.Visit(Info("energy_floor", "", "Floor on the energy (absolute, not log); 0 = no floor", 0.0),
          OptionRef::Of(energy_floor));
  v.Visit(
      Info("raw_energy", "", "Energy before pre-emphasis and the window (false: after the window)"),
      OptionRef::Of(raw_energy));
}

}  // namespace

void FrameExtractionOptions::VisitOptions(OptionVisitor& v) {
  v.Visit(Positive("sample_frequency", "Hz",
                   "Sample rate the features are computed at; other rates are resampled", 1e7),
          OptionRef::Of(&samp_freq));
  v.Visit(Positive("frame_length", "ms", "Frame length"), OptionRef::Of(&frame_length_ms));
  v.Visit(Positive("frame_shift", "ms", "Frame shift"), OptionRef::Of(&frame_shift_ms));
  v.Visit(
      Info("dither", "", "Gaussian dither standard deviation; 0 = off (Kaldi's default is 1)", 0.0),
      OptionRef::Of(&dither));
  v.Visit(Info("dither_seed", "", "Seed of the dither generator of each stream"),
          OptionRef::Of(&dither_seed));
  v.Visit(Info("preemphasis_coefficient", "", "Pre-emphasis coefficient; 0 = off", 0.0, 1.0),
          OptionRef::Of(&preemph_coeff));
  v.Visit(Info("remove_dc_offset", "", "Subtract each frame's mean"),
          OptionRef::Of(&remove_dc_offset));
  v.Visit(Info("window_type", "", "Window: hanning, hamming, povey, rectangular, blackman or sine"),
          OptionRef::Choice(&window_type, &kWindowTypeNames));
  v.Visit(Info("blackman_coeff", "", "Blackman window coefficient"),
          OptionRef::Of(&blackman_coeff));
  v.Visit(Info("round_to_power_of_two", "", "Zero-pad frames to a power of two for the FFT"),
          OptionRef::Of(&round_to_power_of_two));
  v.Visit(Info("snip_edges", "",
               "true: only whole frames inside the signal; false: frames centred on multiples "
               "of the shift, edges reflected (count = (N + shift/2) / shift)"),
          OptionRef::Of(&snip_edges));
}

void MelBanksOptions::VisitOptions(OptionVisitor& v) {
  v.Visit(Info("num_mel_bins", "", "Number of triangular mel bins", 3.0), OptionRef::Of(&num_bins));
  v.Visit(Info("low_freq", "Hz", "Low cutoff of the mel bins", 0.0), OptionRef::Of(&low_freq));
  v.Visit(Info("high_freq", "Hz", "High cutoff of the mel bins; <= 0 is an offset from Nyquist"),
          OptionRef::Of(&high_freq));
}

void FbankOptions::VisitOptions(OptionVisitor& v) {
  frame_opts.VisitOptions(v);
  mel_opts.VisitOptions(v);
  v.Visit(Info("use_energy", "", "Add the log energy as an extra column 0 (last with htk_compat)"),
          OptionRef::Of(&use_energy));
  VisitEnergy(&energy_floor, &raw_energy, v);
  v.Visit(Info("htk_compat", "", "HTK order: the energy last"), OptionRef::Of(&htk_compat));
  v.Visit(Info("use_log_fbank", "", "Log of the mel energies (false: linear)"),
          OptionRef::Of(&use_log_fbank));
  v.Visit(Info("use_power", "", "Power spectrum (false: magnitude)"), OptionRef::Of(&use_power));
}

void MfccOptions::VisitOptions(OptionVisitor& v) {
  frame_opts.VisitOptions(v);
  mel_opts.VisitOptions(v);
  v.Visit(Info("num_ceps", "", "Number of cepstra, C0 included", 1.0), OptionRef::Of(&num_ceps));
  v.Visit(Info("use_energy", "", "Replace C0 by the log energy"), OptionRef::Of(&use_energy));
  VisitEnergy(&energy_floor, &raw_energy, v);
  v.Visit(Info("cepstral_lifter", "", "Lifter coefficient; 0 = off", 0.0),
          OptionRef::Of(&cepstral_lifter));
  v.Visit(Info("htk_compat", "", "HTK order: C0 or the energy last; without energy C0 * sqrt(2)"),
          OptionRef::Of(&htk_compat));
}

void SpectrogramOptions::VisitOptions(OptionVisitor& v) {
  frame_opts.VisitOptions(v);
  VisitEnergy(&energy_floor, &raw_energy, v);
}

void PoolOptions::VisitOptions(OptionVisitor& v) {
  v.Visit(Info("mode", "", "max, avg, lp, adaptive-max, adaptive-avg, stats or stack"),
          OptionRef::Choice(&mode, &kPoolModeNames));
  v.Visit(Size("kernel", "max/avg/lp window, T or TxF (time x freq); Kx1 pools time only"),
          OptionRef::OfSize(&kernel));
  v.Visit(Size("stride", "max/avg/lp stride, T or TxF; default: the kernel"),
          OptionRef::OfOptSize(&stride));
  v.Visit(Size("padding", "max/avg implicit padding, T or TxF, at most half the kernel"),
          OptionRef::OfSize(&padding));
  v.Visit(Size("dilation", "max dilation, T or TxF"), OptionRef::OfSize(&dilation));
  v.Visit(Info("ceil_mode", "", "max/avg/lp: ceil instead of floor in the output size"),
          OptionRef::Of(&ceil_mode));
  v.Visit(Info("count_include_pad", "", "avg: count the padding in the divisor"),
          OptionRef::Of(&count_include_pad));
  v.Visit(
      Info("divisor_override", "", "avg: divide every window by this non-zero integer; 0 = none"),
      OptionRef::Of(&divisor_override));
  v.Visit(Info("norm_type", "", "lp: the power p (non-zero)"), OptionRef::Of(&norm_type));
  v.Visit(Size("output_size", "adaptive-max/avg output T'xF'; 'keep' keeps an axis (e.g. 1xkeep)",
               true),
          OptionRef::OfOptSize(&output_size));
  v.Visit(Info("stack_frames", "", "stack: frames m concatenated per row (FunASR LFR)", 1.0),
          OptionRef::Of(&stack_frames));
  v.Visit(Info("stack_stride", "", "stack: frame step n between rows", 1.0),
          OptionRef::Of(&stack_stride));
  v.Visit(Info("return_indices", "",
               "max/adaptive-max: also compute the flat input index of "
               "each output"),
          OptionRef::Of(&return_indices));
}

}  // namespace featpool
