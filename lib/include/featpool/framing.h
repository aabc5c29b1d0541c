// Framing: how a stream of samples is cut into windowed frames for the FFT.
// Two rules exist:
//  - Kaldi's (feature-window.cc): frames of WindowSize() samples every
//    WindowShift(), snipped at the edges or centred with the edges
//    reflected, then DC removal, pre-emphasis and the window per frame
//    (KaldiFramer, a wrapper of FrameExtractor, frame-extractor.h);
//  - torch.stft's (center=True): the signal is padded by n_fft/2 samples on
//    each side (reflected or zeros), frame t covers padded samples
//    [t*hop, t*hop + n_fft), and a window of win_length samples is
//    zero-padded, centred, to n_fft (StftFramer). librosa.stft is the same.
// Each framer's geometry is a pair of pure functions (NumFrames,
// FirstSampleOfFrame) shared by offline, streaming and the command.
//
// Thread safety: the options and the free functions are pure. A Framer
// holds its window (immutable) and possibly a dither generator: use one per
// stream.
#ifndef FEATPOOL_FRAMING_H_
#define FEATPOOL_FRAMING_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "featpool/frame-extractor.h"

namespace featpool {

class Framer {
 public:
  virtual ~Framer() = default;

  // Frames of a stream of `num_samples`; with flush = false (more input may
  // follow), only frames that will exist whatever follows and whose samples
  // have all arrived.
  virtual int32_t NumFrames(int64_t num_samples, bool flush) const = 0;
  // The first sample frame `frame` reads (negative in the left padding).
  virtual int64_t FirstSampleOfFrame(int32_t frame) const = 0;
  // Samples one frame spans.
  virtual int32_t FrameLength() const = 0;
  // Floats Extract() writes (the FFT size).
  virtual int32_t OutputSize() const = 0;
  // The earliest sample that frames from `next_frame` on may read, given
  // `num_samples` so far (right-edge reflection and pre-emphasis read a
  // little before a frame's first sample).
  virtual int64_t KeepFrom(int32_t next_frame, int64_t num_samples) const = 0;
  // Latency: samples that must have arrived before frame `frame` is ready
  // without the end of the stream.
  virtual int64_t SamplesNeededForFrame(int32_t frame) const = 0;

  // Writes frame `frame`, windowed and zero-padded, to `out` (OutputSize()
  // floats). `wave` holds samples [wave_offset, wave_offset + wave_size) of
  // a stream with `total_samples` so far; the frame must be ready
  // (NumFrames). `raw_log_energy` (may be null) receives Kaldi's raw log
  // energy (KaldiFramer only).
  virtual void Extract(const float* wave, int64_t wave_offset, int64_t wave_size,
                       int64_t total_samples, int32_t frame, float* out, float* raw_log_energy) = 0;
};

// Kaldi's framing (FrameExtractor), bit for bit.
class KaldiFramer : public Framer {
 public:
  explicit KaldiFramer(const FrameExtractionOptions& opts);  // validates

  int32_t NumFrames(int64_t num_samples, bool flush) const override;
  int64_t FirstSampleOfFrame(int32_t frame) const override;
  int32_t FrameLength() const override { return extractor_.options().WindowSize(); }
  int32_t OutputSize() const override { return extractor_.options().PaddedWindowSize(); }
  int64_t KeepFrom(int32_t next_frame, int64_t num_samples) const override;
  int64_t SamplesNeededForFrame(int32_t frame) const override;
  void Extract(const float* wave, int64_t wave_offset, int64_t wave_size, int64_t total_samples,
               int32_t frame, float* out, float* raw_log_energy) override;

 private:
  FrameExtractor extractor_;
};

// torch window functions (torch.hann_window etc.) and Kaldi's povey.
enum class StftWindow { kHann, kHamming, kBlackman, kRectangular, kPovey };
enum class StftPadMode { kReflect, kConstant };
// kAll: torch.stft's 1 + L/hop frames; kDropLast: one fewer (Whisper's
// stft[..., :-1]; NeMo's seq_len = L/hop).
enum class StftFrames { kAll, kDropLast };

// The framing of torch.stft / torchaudio.transforms.Spectrogram, in samples.
struct StftFramingOptions {
  int32_t n_fft = 400;
  int32_t win_length = 400;  // <= n_fft
  int32_t hop_length = 200;  // >= 1
  StftWindow window = StftWindow::kHann;
  bool periodic = true;  // torch's default: N in the denominator, not N - 1
  bool center = true;    // false: frames [t*hop, t*hop + n_fft) of the signal
  StftPadMode pad_mode = StftPadMode::kReflect;
  StftFrames frames = StftFrames::kAll;
  // y[0] = x[0], y[t] = x[t] - c x[t-1], on the signal before padding
  // (NeMo's preemph); 0 = off.
  float preemph_coeff = 0.0f;
};

// The window of `win_length` samples, zero-padded centred to n_fft
// ((n_fft - win_length) / 2 zeros on the left, torch.stft's rule), in
// double, stored as float.
std::vector<float> MakeStftWindow(const StftFramingOptions& opts);

// Pure geometry of StftFramer. Frame t starts at t*hop - n_fft/2 (centred)
// or t*hop; with flush the count is 1 + (L + 2*(n_fft/2) - n_fft)/hop
// (centred; torch's 1 + L/hop for even n_fft), minus one with kDropLast;
// no samples give no frames.
int32_t StftNumFrames(int64_t num_samples, const StftFramingOptions& opts, bool flush = true);
int64_t StftFirstSampleOfFrame(int32_t frame, const StftFramingOptions& opts);

class StftFramer : public Framer {
 public:
  // Needs 2 <= n_fft, 1 <= win_length <= n_fft, hop >= 1; the caller
  // validates (MelSpectrogramOptions::Validate names the options).
  explicit StftFramer(const StftFramingOptions& opts);

  int32_t NumFrames(int64_t num_samples, bool flush) const override {
    return StftNumFrames(num_samples, opts_, flush);
  }
  int64_t FirstSampleOfFrame(int32_t frame) const override {
    return StftFirstSampleOfFrame(frame, opts_);
  }
  int32_t FrameLength() const override { return opts_.n_fft; }
  int32_t OutputSize() const override { return opts_.n_fft; }
  int64_t KeepFrom(int32_t next_frame, int64_t num_samples) const override;
  int64_t SamplesNeededForFrame(int32_t frame) const override;
  void Extract(const float* wave, int64_t wave_offset, int64_t wave_size, int64_t total_samples,
               int32_t frame, float* out, float* raw_log_energy) override;

 private:
  StftFramingOptions opts_;
  std::vector<float> window_;
};

}  // namespace featpool

#endif  // FEATPOOL_FRAMING_H_
