// Framing: how a waveform is cut into overlapping windows and prepared for the
// FFT, exactly as Kaldi's feature-window.h/.cc does it.
//
// Thread safety: FrameExtractionOptions and the free functions are pure.
// A FrameExtractor holds the window table (immutable) and the dither
// generator (mutable): use one per stream.
#ifndef FEATPOOL_FRAME_EXTRACTOR_H_
#define FEATPOOL_FRAME_EXTRACTOR_H_

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace featpool {

class OptionVisitor;  // options.h

enum class WindowType { kHanning, kHamming, kPovey, kRectangular, kBlackman, kSine };

// "povey" -> kPovey etc.; throws OptionError("window_type", ...) for anything else.
WindowType ParseWindowType(const std::string& name);
std::string WindowTypeName(WindowType type);

// The longest window: 2^24 samples (17.5 minutes at 16 kHz), far beyond any
// use of framed features, and small enough that window, FFT plan and one
// spectrogram row stay in the hundreds of megabytes.
constexpr int32_t kMaxWindowSamples = 1 << 24;

// Kaldi FrameExtractionOptions, same names and defaults except `dither`
// (Kaldi 1.0) which is 0 so that results are reproducible by default.
struct FrameExtractionOptions {
  float samp_freq = 16000.0f;     // Hz
  float frame_shift_ms = 10.0f;   // ms
  float frame_length_ms = 25.0f;  // ms
  float dither = 0.0f;            // Gaussian noise stddev, 0 = off (Kaldi: 1.0)
  float preemph_coeff = 0.97f;    // 0 = off
  bool remove_dc_offset = true;   // subtract each frame's mean
  WindowType window_type = WindowType::kPovey;
  bool round_to_power_of_two = true;  // zero-pad each frame to a power of two
  float blackman_coeff = 0.42f;
  bool snip_edges = true;    // false: frames centred on multiples of the shift
  uint32_t dither_seed = 0;  // seeds the dither generator of each stream

  // Sizes in samples; an out-of-range product saturates (Validate() rejects it).
  int32_t WindowShift() const;
  int32_t WindowSize() const;
  int32_t PaddedWindowSize() const;
  // Throws OptionError naming the option for values Kaldi rejects, for an odd
  // padded size (a real FFT needs an even length), for a window longer than
  // kMaxWindowSamples, and for dither or a blackman coefficient so large that
  // float32 power spectra overflow (every feature would be inf or NaN).
  void Validate() const;
  // The field table (options.h).
  void VisitOptions(OptionVisitor& v);
};

// Kaldi feature-window.cc NumFrames(). With flush = false (streaming, more
// input may follow), only frames whose samples have all arrived are counted.
int32_t NumFrames(int64_t num_samples, const FrameExtractionOptions& opts, bool flush = true);

// Kaldi feature-window.cc FirstSampleOfFrame(); negative with snip_edges=false.
int64_t FirstSampleOfFrame(int32_t frame, const FrameExtractionOptions& opts);

// Kaldi's window functions, computed in double and stored as float.
std::vector<float> MakeWindow(const FrameExtractionOptions& opts);

class FrameExtractor {
 public:
  explicit FrameExtractor(const FrameExtractionOptions& opts);

  const FrameExtractionOptions& options() const { return opts_; }

  // Copies frame `frame` of a waveform whose samples [wave_offset,
  // wave_offset + wave_size) are in `wave`, reflecting at the stream edges
  // as Kaldi does (sample -1 -> 0, N -> N-1), where N = `total_samples` is
  // the number of samples the stream has so far. Then dither, DC removal,
  // raw log energy, pre-emphasis and the window, in Kaldi's order. `out`
  // has PaddedWindowSize() floats; the tail beyond WindowSize() is zeroed.
  // `raw_log_energy` (may be null) receives ln(max(sum x^2, FLT_EPSILON))
  // taken before pre-emphasis and the window.
  void Extract(const float* wave, int64_t wave_offset, int64_t wave_size, int64_t total_samples,
               int32_t frame, float* out, float* raw_log_energy);

 private:
  FrameExtractionOptions opts_;
  std::vector<float> window_;
  std::mt19937 rng_;
  std::normal_distribution<float> gauss_;
};

}  // namespace featpool

#endif  // FEATPOOL_FRAME_EXTRACTOR_H_
