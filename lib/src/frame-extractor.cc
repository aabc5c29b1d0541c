#include "featpool/frame-extractor.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "featpool/error.h"
#include "number-text.h"

namespace featpool {
namespace {

struct WindowName {
  WindowType type;
  const char* name;
};
constexpr WindowName kWindowNames[] = {
    {WindowType::kHanning, "hanning"},   {WindowType::kHamming, "hamming"},
    {WindowType::kPovey, "povey"},       {WindowType::kRectangular, "rectangular"},
    {WindowType::kBlackman, "blackman"}, {WindowType::kSine, "sine"},
};

}  // namespace

WindowType ParseWindowType(const std::string& name) {
  for (const auto& w : kWindowNames) {
    if (name == w.name) return w.type;
  }
  throw OptionError("window_type", name,
                    "expected hamming, hanning, povey, rectangular, sine or blackman");
}

std::string WindowTypeName(WindowType type) {
  for (const auto& w : kWindowNames) {
    if (type == w.type) return w.name;
  }
  return "?";
}

namespace {

// samp_freq * 0.001 * ms in float, as Kaldi computes it, truncated to an
// int32 without the undefined behaviour of casting an out-of-range float:
// NaN gives 0, values past the int32 range saturate. Validate() rejects both.
int32_t SamplesIn(float samp_freq, float ms) {
  const float samples = samp_freq * 0.001f * ms;
  if (!(samples == samples)) return 0;
  if (samples >= 2147483648.0f) return INT32_MAX;
  if (samples <= -2147483648.0f) return INT32_MIN;
  return static_cast<int32_t>(samples);
}

// Largest magnitude of the window function (blackman can exceed 1).
double WindowPeak(const FrameExtractionOptions& o) {
  if (o.window_type != WindowType::kBlackman) return 1.0;
  const double a = o.blackman_coeff;
  return std::fabs(a) + 0.5 + std::fabs(0.5 - a);
}

}  // namespace

int32_t FrameExtractionOptions::WindowShift() const { return SamplesIn(samp_freq, frame_shift_ms); }

int32_t FrameExtractionOptions::WindowSize() const { return SamplesIn(samp_freq, frame_length_ms); }

int32_t FrameExtractionOptions::PaddedWindowSize() const {
  const int32_t size = WindowSize();
  if (!round_to_power_of_two || size > kMaxWindowSamples) return size;
  int32_t padded = 1;
  while (padded < size) padded *= 2;
  return padded;
}

void FrameExtractionOptions::Validate() const {
  if (!(samp_freq > 0) || !std::isfinite(samp_freq)) {
    throw OptionError("sample_frequency", NumberText(samp_freq), "must be positive");
  }
  if (!(frame_shift_ms > 0) || !std::isfinite(frame_shift_ms)) {
    throw OptionError("frame_shift", NumberText(frame_shift_ms), "must be positive");
  }
  if (!(frame_length_ms > 0) || !std::isfinite(frame_length_ms)) {
    throw OptionError("frame_length", NumberText(frame_length_ms), "must be positive");
  }
  const double size_samples = static_cast<double>(samp_freq * 0.001f * frame_length_ms);
  if (!(size_samples <= kMaxWindowSamples)) {
    throw OptionError("frame_length", NumberText(frame_length_ms),
                      "a window of " + NumberText(size_samples) + " samples at " +
                          NumberText(samp_freq) + " Hz is longer than the limit of " +
                          std::to_string(kMaxWindowSamples) + " samples (2^24)");
  }
  if (WindowShift() < 1) {
    throw OptionError("frame_shift", NumberText(frame_shift_ms),
                      "shorter than one sample at " + NumberText(samp_freq) + " Hz");
  }
  if (WindowSize() < 2) {
    throw OptionError("frame_length", NumberText(frame_length_ms),
                      "shorter than two samples at " + NumberText(samp_freq) + " Hz");
  }
  if (PaddedWindowSize() % 2 != 0) {
    throw OptionError("frame_length", NumberText(frame_length_ms),
                      "a window of " + std::to_string(WindowSize()) +
                          " samples is odd and {round_to_power_of_two}=false; the real FFT "
                          "needs an even size");
  }
  if (!(dither >= 0) || !std::isfinite(dither)) {
    throw OptionError("dither", NumberText(dither), "must be >= 0");
  }
  if (!(preemph_coeff >= 0 && preemph_coeff <= 1)) {
    throw OptionError("preemphasis_coefficient", NumberText(preemph_coeff), "must be in [0, 1]");
  }
  if (!std::isfinite(blackman_coeff)) {
    throw OptionError("blackman_coeff", NumberText(blackman_coeff), "must be finite");
  }
  // Values for which no real audio can give finite features: the power
  // spectrum (float32) of a frame is at most (size * peak * (1 + preemph) *
  // max |sample|)^2, and about size * peak^2 * sigma^2 for noise of
  // deviation sigma. A window that overflows it for full-scale 16-bit audio
  // (|x| = 32768, Kaldi's scale), or dither whose noise alone overflows it,
  // turns every frame into inf and NaN.
  const double size = WindowSize();
  const double gain = WindowPeak(*this) * (1.0 + preemph_coeff);
  const double kMaxMagnitude = std::sqrt(static_cast<double>(FLT_MAX));
  if (size * gain * 32768.0 > kMaxMagnitude) {
    throw OptionError("blackman_coeff", NumberText(blackman_coeff),
                      "a window this large overflows float32 power spectra of full-scale audio "
                      "(features would be inf or NaN)");
  }
  if (std::sqrt(size) * gain * dither > kMaxMagnitude) {
    throw OptionError("dither", NumberText(dither),
                      "noise this large overflows float32 power spectra of a " +
                          std::to_string(WindowSize()) +
                          "-sample window (features would be inf or NaN); at most " +
                          NumberText(kMaxMagnitude / (std::sqrt(size) * gain)) + " here");
  }
}

// Kaldi feature-window.cc NumFrames()
int32_t NumFrames(int64_t num_samples, const FrameExtractionOptions& opts, bool flush) {
  const int64_t shift = opts.WindowShift();
  const int64_t size = opts.WindowSize();
  if (opts.snip_edges) {
    if (num_samples < size) return 0;
    return static_cast<int32_t>(1 + (num_samples - size) / shift);
  }
  int64_t num_frames = (num_samples + shift / 2) / shift;
  if (flush) return static_cast<int32_t>(num_frames);
  // Streaming: drop frames that would reach past the samples seen so far.
  int64_t end_of_last = FirstSampleOfFrame(static_cast<int32_t>(num_frames - 1), opts) + size;
  while (num_frames > 0 && end_of_last > num_samples) {
    --num_frames;
    end_of_last -= shift;
  }
  return static_cast<int32_t>(num_frames);
}

// Kaldi feature-window.cc FirstSampleOfFrame()
int64_t FirstSampleOfFrame(int32_t frame, const FrameExtractionOptions& opts) {
  const int64_t shift = opts.WindowShift();
  if (opts.snip_edges) return frame * shift;
  return frame * shift + shift / 2 - opts.WindowSize() / 2;
}

// Kaldi feature-window.cc FeatureWindowFunction
std::vector<float> MakeWindow(const FrameExtractionOptions& opts) {
  const int32_t size = opts.WindowSize();
  std::vector<float> window(static_cast<size_t>(size));
  const double a = 2.0 * M_PI / (size - 1);
  for (int32_t i = 0; i < size; ++i) {
    const double c = std::cos(a * i);
    double w = 1.0;
    switch (opts.window_type) {
      case WindowType::kHanning:
        w = 0.5 - 0.5 * c;
        break;
      case WindowType::kHamming:
        w = 0.54 - 0.46 * c;
        break;
      case WindowType::kPovey:
        w = std::pow(0.5 - 0.5 * c, 0.85);
        break;
      case WindowType::kRectangular:
        w = 1.0;
        break;
      case WindowType::kBlackman:
        w = opts.blackman_coeff - 0.5 * c + (0.5 - opts.blackman_coeff) * std::cos(2 * a * i);
        break;
      // Kaldi's sine window spans half a period over the frame.
      case WindowType::kSine:
        w = std::sin(0.5 * a * i);
        break;
    }
    window[static_cast<size_t>(i)] = static_cast<float>(w);
  }
  return window;
}

FrameExtractor::FrameExtractor(const FrameExtractionOptions& opts)
    : opts_(opts),
      window_((opts.Validate(), MakeWindow(opts))),
      rng_(opts.dither_seed),
      gauss_(0.0f, 1.0f) {}

namespace {

// Sum with eight independent float lanes, so the compiler vectorises it
// without -ffast-math.
float LaneSum(const float* x, int32_t n) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int32_t j = 0; j < 8; ++j) lane[j] += x[i + j];
  }
  float sum = 0.0f;
  for (; i < n; ++i) sum += x[i];
  for (float v : lane) sum += v;
  return sum;
}

// Sum of (x - mean)^2 in eight float lanes.
float LaneEnergy(const float* x, int32_t n, float mean) {
  float lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int32_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int32_t j = 0; j < 8; ++j) {
      const float y = x[i + j] - mean;
      lane[j] += y * y;
    }
  }
  float sum = 0.0f;
  for (; i < n; ++i) sum += (x[i] - mean) * (x[i] - mean);
  for (float v : lane) sum += v;
  return sum;
}

}  // namespace

void FrameExtractor::Extract(const float* wave, int64_t wave_offset, int64_t wave_size,
                             int64_t total_samples, int32_t frame, float* out,
                             float* raw_log_energy) {
  const int32_t size = opts_.WindowSize();
  const int32_t padded = opts_.PaddedWindowSize();
  const int64_t start = FirstSampleOfFrame(frame, opts_);
  const float* x;  // the frame's samples, before any processing
  if (start >= wave_offset && start + size <= wave_offset + wave_size && opts_.dither == 0.0f) {
    x = wave + (start - wave_offset);  // common case: read the stream in place
  } else {
    // Kaldi ExtractWindow(): reflect around the stream's edges, repeatedly if
    // the stream is shorter than a window. Only edge frames come here.
    for (int32_t s = 0; s < size; ++s) {
      int64_t index = start + s;
      while (index < 0 || index >= total_samples) {
        index = index < 0 ? -index - 1 : 2 * total_samples - 1 - index;
      }
      out[s] = wave[index - wave_offset];
    }
    if (opts_.dither != 0.0f) {
      for (int32_t i = 0; i < size; ++i) out[i] += opts_.dither * gauss_(rng_);
    }
    x = out;
  }

  // Kaldi ProcessWindow(): DC removal, raw energy, pre-emphasis, window. The
  // steps are fused into one output pass; each value is computed with the same
  // float operations as the step-by-step version.
  const float mean = opts_.remove_dc_offset ? LaneSum(x, size) / size : 0.0f;
  if (raw_log_energy != nullptr) {
    *raw_log_energy = std::log(std::max(LaneEnergy(x, size, mean), FLT_EPSILON));
  }
  const float c = opts_.preemph_coeff;
  const float* w = window_.data();
  // Backwards, so that x may alias out; x[0] -= c * x[0] as Kaldi does.
  for (int32_t i = size - 1; i > 0; --i) {
    const float y = x[i] - mean;
    const float y_prev = x[i - 1] - mean;
    out[i] = (c != 0.0f ? y - c * y_prev : y) * w[i];
  }
  const float y0 = x[0] - mean;
  out[0] = (c != 0.0f ? y0 - c * y0 : y0) * w[0];
  std::fill(out + size, out + padded, 0.0f);
}

}  // namespace featpool
