#include "featpool/melspectrogram.h"

#include <cfloat>
#include <cmath>
#include <limits>
#include <string>

#include "featpool/error.h"
#include "featpool/options.h"
#include "fast-log.h"
#include "number-text.h"

namespace featpool {
namespace {

constexpr double kInt32Max = 2147483647.0;

const std::vector<std::string> kWindowNames = {"hann", "hamming", "blackman", "rectangular",
                                               "povey"};
const std::vector<std::string> kPadModeNames = {"reflect", "constant"};
const std::vector<std::string> kFramesNames = {"all", "drop-last"};
const std::vector<std::string> kScaleNames = {"htk", "slaney"};
const std::vector<std::string> kNormNames = {"none", "slaney"};
const std::vector<std::string> kShapeNames = {"triangle", "symmetric"};
const std::vector<std::string> kLogNames = {"none", "ln", "log10", "db"};

}  // namespace

// Keys and defaults of torchaudio.transforms.MelSpectrogram (0.13.1); the
// rate shares Kaldi's key, as does the pre-emphasis coefficient.
void MelSpectrogramOptions::VisitOptions(OptionVisitor& v) {
  VisitSpectrumOptions(v);
  v.Visit(OptionInfo::Range("log", "", "Log step: none, ln, log10 or db (10 log10 of power)"),
          OptionRef::Choice(&log, &kLogNames));
  v.Visit(OptionInfo::Range("log_floor", "", "The log's clamp: log(max(x, floor))", 0.0,
                            std::numeric_limits<double>::infinity(), true),
          OptionRef::Of(&log_floor));
  v.Visit(OptionInfo::Range("log_offset", "",
                            "> 0: log(x + offset) instead of the clamp (NeMo: 2^-24)", 0.0),
          OptionRef::Of(&log_offset));
}

void MelSpectrogramOptions::VisitSpectrumOptions(OptionVisitor& v) {
  v.Visit(OptionInfo::Range("sample_frequency", "Hz",
                            "Sample rate the features are computed at; other rates are resampled",
                            0.0, std::numeric_limits<double>::infinity(), true),
          OptionRef::Of(&samp_freq));
  v.Visit(OptionInfo::Range("n_fft", "samples", "FFT size (even)", 2.0, 1 << 24),
          OptionRef::Of(&n_fft));
  v.Visit(OptionInfo::Range("win_length", "samples", "Window length, centred in n_fft; 0 = n_fft",
                            0.0, kInt32Max),
          OptionRef::Of(&win_length));
  v.Visit(OptionInfo::Range("hop_length", "samples", "Hop between frames; 0 = win_length / 2", 0.0,
                            kInt32Max),
          OptionRef::Of(&hop_length));
  v.Visit(OptionInfo::Range("window", "",
                            "Window: hann, hamming, blackman, rectangular or povey (hann^0.85)"),
          OptionRef::Choice(&window, &kWindowNames));
  v.Visit(OptionInfo::Range("periodic", "", "Periodic window (torch's default; false: symmetric)"),
          OptionRef::Of(&periodic));
  v.Visit(OptionInfo::Range("center", "", "Pad n_fft/2 samples each side, frames centred on t*hop"),
          OptionRef::Of(&center));
  v.Visit(OptionInfo::Range("pad_mode", "",
                            "Centre padding: reflect (torch) or constant (zeros, librosa)"),
          OptionRef::Choice(&pad_mode, &kPadModeNames));
  v.Visit(
      OptionInfo::Range("frames", "",
                        "all: 1 + L/hop frames (torch.stft); drop-last: one fewer (Whisper, NeMo)"),
      OptionRef::Choice(&frames, &kFramesNames));
  v.Visit(OptionInfo::Range("power", "", "Exponent of |X|: 2 = power, 1 = magnitude", 0.0,
                            std::numeric_limits<double>::infinity(), true),
          OptionRef::Of(&power));
  v.Visit(OptionInfo::Range("f_min", "Hz", "Lowest frequency of the mel bank", 0.0),
          OptionRef::Of(&f_min));
  v.Visit(OptionInfo::Range("f_max", "Hz",
                            "Highest frequency of the mel bank; 0 = sample_frequency // 2", 0.0),
          OptionRef::Of(&f_max));
  v.Visit(OptionInfo::Range("n_mels", "", "Number of mel filters", 1.0, kInt32Max),
          OptionRef::Of(&n_mels));
  v.Visit(OptionInfo::Range("mel_scale", "", "Mel scale: htk (torchaudio) or slaney (librosa)"),
          OptionRef::Choice(&mel_scale, &kScaleNames));
  v.Visit(OptionInfo::Range("norm", "", "Filter normalisation: none (peak 1) or slaney (area)"),
          OptionRef::Choice(&norm, &kNormNames));
  v.Visit(OptionInfo::Range(
              "mel_shape", "",
              "Filter shape: triangle (edge m to m+2, torchaudio, librosa) or symmetric "
              "(SpeechBrain: symmetric in Hz about edge m+1, half-width the left spacing)"),
          OptionRef::Choice(&mel_shape, &kShapeNames));
  v.Visit(OptionInfo::Range("preemphasis_coefficient", "", "Pre-emphasis coefficient; 0 = off", 0.0,
                            1.0),
          OptionRef::Of(&preemph_coeff));
}

StftFramingOptions MelSpectrogramOptions::Framing() const {
  StftFramingOptions f;
  f.n_fft = n_fft;
  f.win_length = WinLength();
  f.hop_length = HopLength();
  f.window = window;
  f.periodic = periodic;
  f.center = center;
  f.pad_mode = pad_mode;
  f.frames = frames;
  f.preemph_coeff = preemph_coeff;
  return f;
}

FrameExtractionOptions MelSpectrogramOptions::FrameEquivalent() const {
  FrameExtractionOptions f;
  f.samp_freq = samp_freq;
  f.frame_shift_ms = static_cast<float>(1000.0 * HopLength() / samp_freq);
  f.frame_length_ms = static_cast<float>(1000.0 * n_fft / samp_freq);
  f.preemph_coeff = preemph_coeff;
  f.remove_dc_offset = false;
  f.round_to_power_of_two = false;
  f.snip_edges = !center;
  return f;
}

void MelSpectrogramOptions::Validate() const {
  MelSpectrogramOptions copy = *this;
  OptionLambda range([](const OptionInfo& info, const OptionRef& ref) { ref.CheckRange(info); });
  copy.VisitOptions(range);
  if (n_fft % 2 != 0) {
    throw OptionError("n_fft", std::to_string(n_fft), "must be even (the real FFT)");
  }
  if (win_length > n_fft) {
    throw OptionError("win_length", std::to_string(win_length),
                      "cannot exceed {n_fft}=" + std::to_string(n_fft));
  }
  if (HopLength() < 1) {
    throw OptionError("hop_length", std::to_string(hop_length),
                      "the default, {win_length} / 2, is 0 here: give a hop of at least 1");
  }
  if (!(f_min < FMax())) {
    throw OptionError("f_min", NumberText(f_min),
                      "must be below {f_max} (" + NumberText(FMax()) + " Hz)");
  }
}

MelSpectrogramComputer::MelSpectrogramComputer(const MelSpectrogramOptions& opts)
    : opts_((opts.Validate(), opts)),
      frame_equivalent_(opts.FrameEquivalent()),
      filters_([&] {
        MelFilterOptions m;
        m.sample_rate = opts.samp_freq;
        m.n_fft = opts.n_fft;
        m.n_mels = opts.n_mels;
        m.f_min = opts.f_min;
        m.f_max = opts.FMax();
        m.scale = opts.mel_scale;
        m.norm = opts.norm;
        m.shape = opts.mel_shape;
        return m;
      }()),
      fft_(opts.n_fft),
      spectrum_(static_cast<size_t>(opts.n_fft / 2 + 1)) {}

std::unique_ptr<Framer> MelSpectrogramComputer::MakeFramer() const {
  return std::make_unique<StftFramer>(opts_.Framing());
}

// torchaudio functional.spectrogram(): |X| for power 1, |X|^power
// otherwise; then the mel matrix and (not torchaudio's) the log step.
void MelSpectrogramComputer::Compute(float /*raw_log_energy*/, float* window, float* feature) {
  fft_.PowerSpectrum(window, spectrum_.data());
  const float p = opts_.power;
  if (p == 1.0f) {
    for (float& v : spectrum_) v = std::sqrt(v);
  } else if (p != 2.0f) {
    for (float& v : spectrum_) v = std::pow(v, 0.5f * p);
  }
  filters_.Compute(spectrum_.data(), feature);
  const int32_t n = opts_.n_mels;
  const float floor = opts_.log_floor;
  const float offset = opts_.log_offset;
  auto guard = [&](float x) { return offset > 0 ? x + offset : std::max(x, floor); };
  if (opts_.log != MelLog::kNone && (offset > 0 ? offset : floor) >= FLT_MIN) {
    // The guarded value is a normal float (or NaN, inf): the vectorised ln
    // (fast-log.h, within 2^-23 relative of glibc's), then for log10 and dB
    // one product in double.
    for (int32_t i = 0; i < n; ++i) feature[i] = guard(feature[i]);
    LogOfNormalInPlace(feature, n);
    if (opts_.log != MelLog::kLn) {
      const double scale = (opts_.log == MelLog::kDb ? 20.0 / p : 1.0) / std::log(10.0);
      for (int32_t i = 0; i < n; ++i) feature[i] = static_cast<float>(feature[i] * scale);
    }
    return;
  }
  switch (opts_.log) {
    case MelLog::kNone:
      break;
    case MelLog::kLn:
      for (int32_t i = 0; i < n; ++i) feature[i] = std::log(guard(feature[i]));
      break;
    case MelLog::kLog10:
      for (int32_t i = 0; i < n; ++i) feature[i] = std::log10(guard(feature[i]));
      break;
    case MelLog::kDb: {
      const float scale = 20.0f / p;
      for (int32_t i = 0; i < n; ++i) feature[i] = scale * std::log10(guard(feature[i]));
      break;
    }
  }
}

}  // namespace featpool
