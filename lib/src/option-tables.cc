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
constexpr double kInt32Max = 2147483647.0;

OptionInfo Positive(const char* key, const char* unit, const char* help, double max = kInf) {
  return OptionInfo::Range(key, unit, help, 0.0, max, true);
}

OptionInfo Size(const char* key, const char* help, bool allow_keep = false) {
  OptionInfo info = OptionInfo::Range(key, "", help);
  info.allow_keep = allow_keep;
  return info;
}

const std::vector<std::string> kWindowTypeNames = {"hanning",     "hamming",  "povey",
                                                   "rectangular", "blackman", "sine"};
const std::vector<std::string> kPoolModeNames = {"max",          "avg",   "lp",   "adaptive-max",
                                                 "adaptive-avg", "stats", "stack"};

const char kUseEnergyHelp[] =
    "Add the log energy (fbank: an extra column 0, last with htk_compat; mfcc: replaces C0)";

// Kaldi's energy options, shared by fbank, MFCC and spectrogram.
void VisitEnergy(float* energy_floor, bool* raw_energy, OptionVisitor& v) {
  v.Visit(OptionInfo::Range("energy_floor", "",
                            "Floor on the energy (absolute, not log); 0 = no floor", 0.0),
          OptionRef::Of(energy_floor));
  v.Visit(OptionInfo::Range("raw_energy", "",
                            "Energy before pre-emphasis and the window (false: after the window)"),
          OptionRef::Of(raw_energy));
}

}  // namespace

void FrameExtractionOptions::VisitOptions(OptionVisitor& v) {
  v.Visit(Positive("sample_frequency", "Hz",
                   "Sample rate the features are computed at; other rates are resampled"),
          OptionRef::Of(&samp_freq));
  v.Visit(Positive("frame_length", "ms", "Frame length"), OptionRef::Of(&frame_length_ms));
  v.Visit(Positive("frame_shift", "ms", "Frame shift"), OptionRef::Of(&frame_shift_ms));
  v.Visit(
      OptionInfo::Range("dither", "",
                        "Gaussian dither standard deviation; 0 = off (Kaldi's default is 1)", 0.0),
      OptionRef::Of(&dither));
  v.Visit(OptionInfo::Range("dither_seed", "", "Seed of the dither generator of each stream"),
          OptionRef::Of(&dither_seed));
  v.Visit(OptionInfo::Range("preemphasis_coefficient", "", "Pre-emphasis coefficient; 0 = off", 0.0,
                            1.0),
          OptionRef::Of(&preemph_coeff));
  v.Visit(OptionInfo::Range("remove_dc_offset", "", "Subtract each frame's mean"),
          OptionRef::Of(&remove_dc_offset));
  v.Visit(OptionInfo::Range("window_type", "",
                            "Window: hanning, hamming, povey, rectangular, blackman or sine"),
          OptionRef::Choice(&window_type, &kWindowTypeNames));
  v.Visit(OptionInfo::Range("blackman_coeff", "", "Blackman window coefficient"),
          OptionRef::Of(&blackman_coeff));
  v.Visit(OptionInfo::Range("round_to_power_of_two", "",
                            "Zero-pad frames to a power of two for the FFT"),
          OptionRef::Of(&round_to_power_of_two));
  v.Visit(OptionInfo::Range(
              "snip_edges", "",
              "true: only whole frames inside the signal; false: frames centred on multiples "
              "of the shift, edges reflected (count = (N + shift/2) / shift)"),
          OptionRef::Of(&snip_edges));
}

void MelBanksOptions::VisitOptions(OptionVisitor& v) {
  v.Visit(OptionInfo::Range("num_mel_bins", "", "Number of triangular mel bins", 3.0),
          OptionRef::Of(&num_bins));
  v.Visit(OptionInfo::Range("low_freq", "Hz", "Low cutoff of the mel bins", 0.0),
          OptionRef::Of(&low_freq));
  v.Visit(OptionInfo::Range("high_freq", "Hz",
                            "High cutoff of the mel bins; <= 0 is an offset from Nyquist"),
          OptionRef::Of(&high_freq));
  // Kaldi MelBanksOptions::Register() (vtln-low, vtln-high) and
  // compute-fbank-feats / compute-mfcc-feats (vtln-warp).
  v.Visit(Positive("vtln_warp", "", "VTLN warp factor; 1 = off"), OptionRef::Of(&vtln_warp));
  v.Visit(
      OptionInfo::Range("vtln_low", "Hz", "Low inflection point of the VTLN warp (above low_freq)"),
      OptionRef::Of(&vtln_low));
  v.Visit(OptionInfo::Range(
              "vtln_high", "Hz",
              "High inflection point of the VTLN warp (below high_freq); < 0 is an offset "
              "from Nyquist"),
          OptionRef::Of(&vtln_high));
}

void FbankOptions::VisitOptions(OptionVisitor& v) {
  frame_opts.VisitOptions(v);
  mel_opts.VisitOptions(v);
  v.Visit(OptionInfo::Range("use_energy", "", kUseEnergyHelp), OptionRef::Of(&use_energy));
  VisitEnergy(&energy_floor, &raw_energy, v);
  v.Visit(OptionInfo::Range("htk_compat", "", "HTK order: the energy last"),
          OptionRef::Of(&htk_compat));
  v.Visit(OptionInfo::Range("use_log_fbank", "", "Log of the mel energies (false: linear)"),
          OptionRef::Of(&use_log_fbank));
  v.Visit(OptionInfo::Range("use_power", "", "Power spectrum (false: magnitude)"),
          OptionRef::Of(&use_power));
}

void MfccOptions::VisitOptions(OptionVisitor& v) {
  frame_opts.VisitOptions(v);
  mel_opts.VisitOptions(v);
  v.Visit(OptionInfo::Range("num_ceps", "", "Number of cepstra, C0 included", 1.0),
          OptionRef::Of(&num_ceps));
  v.Visit(OptionInfo::Range("use_energy", "", kUseEnergyHelp), OptionRef::Of(&use_energy));
  VisitEnergy(&energy_floor, &raw_energy, v);
  v.Visit(OptionInfo::Range("cepstral_lifter", "", "Lifter coefficient; 0 = off", 0.0),
          OptionRef::Of(&cepstral_lifter));
  v.Visit(OptionInfo::Range("htk_compat", "",
                            "HTK order: C0 or the energy last; without energy C0 * sqrt(2)"),
          OptionRef::Of(&htk_compat));
}

void SpectrogramOptions::VisitOptions(OptionVisitor& v) {
  frame_opts.VisitOptions(v);
  VisitEnergy(&energy_floor, &raw_energy, v);
}

void PoolOptions::VisitOptions(OptionVisitor& v) {
  auto only = [](OptionInfo info, const char* modes) {
    info.applies_to = modes;
    return info;
  };
  const char* window = "max,avg,lp";
  v.Visit(OptionInfo::Range("mode", "", "max, avg, lp, adaptive-max, adaptive-avg, stats or stack"),
          OptionRef::Choice(&mode, &kPoolModeNames));
  v.Visit(only(Size("kernel", "Window, T or TxF (time x freq); Kx1 pools time only"), window),
          OptionRef::OfSize(&kernel));
  v.Visit(only(Size("stride", "Stride, T or TxF; default: the kernel"), window),
          OptionRef::OfOptSize(&stride));
  v.Visit(only(Size("padding", "Implicit padding, T or TxF, at most half the kernel"), "max,avg"),
          OptionRef::OfSize(&padding));
  v.Visit(only(Size("dilation", "Dilation, T or TxF"), "max"), OptionRef::OfSize(&dilation));
  v.Visit(
      only(OptionInfo::Range("ceil_mode", "", "Ceil instead of floor in the output size"), window),
      OptionRef::Of(&ceil_mode));
  v.Visit(
      only(OptionInfo::Range("count_include_pad", "", "Count the padding in the divisor"), "avg"),
      OptionRef::Of(&count_include_pad));
  OptionInfo divisor =
      only(OptionInfo::Range("divisor_override", "", "Divide every window by this integer"), "avg");
  divisor.zero_means_unset = true;
  v.Visit(divisor, OptionRef::Of(&divisor_override));
  v.Visit(only(OptionInfo::Range("norm_type", "", "The power p (non-zero)"), "lp"),
          OptionRef::Of(&norm_type));
  v.Visit(only(Size("output_size", "Output T'xF'; 'keep' keeps an axis (e.g. 1xkeep)", true),
               "adaptive-max,adaptive-avg"),
          OptionRef::OfOptSize(&output_size));
  v.Visit(only(OptionInfo::Range("stack_frames", "", "Frames m concatenated per row (FunASR LFR)",
                                 1.0, kInt32Max),
               "stack"),
          OptionRef::Of(&stack_frames));
  v.Visit(only(OptionInfo::Range("stack_stride", "", "Frame step n between rows", 1.0, kInt32Max),
               "stack"),
          OptionRef::Of(&stack_stride));
  v.Visit(only(OptionInfo::Range("return_indices", "",
                                 "Also compute the flat input index of each output"),
               "max,adaptive-max"),
          OptionRef::Of(&return_indices));
}

}  // namespace featpool
