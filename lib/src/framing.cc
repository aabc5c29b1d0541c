#include "featpool/framing.h"

#include <algorithm>
#include <cmath>

#include "featpool/feature-computer.h"

namespace featpool {

std::unique_ptr<Framer> FeatureComputer::MakeFramer() const {
  return std::make_unique<KaldiFramer>(frame_options());
}

KaldiFramer::KaldiFramer(const FrameExtractionOptions& opts) : extractor_(opts) {}

int32_t KaldiFramer::NumFrames(int64_t num_samples, bool flush) const {
  return featpool::NumFrames(num_samples, extractor_.options(), flush);
}

int64_t KaldiFramer::FirstSampleOfFrame(int32_t frame) const {
  return featpool::FirstSampleOfFrame(frame, extractor_.options());
}

// Samples before the next frame's first sample are never needed again, with
// one exception. With snip_edges = false only frames starting below 0 reflect
// at the left edge, and they come before any sample is dropped. A frame that
// reflects at the right edge N reads down to sample 2N - start - size; since
// its midpoint start + size / 2 is at most N, that is >= start for an even
// window but start - 1 for an odd one (e.g. 319 samples, N = 8080, shift 160:
// the last frame starts at 7921 and reads sample 7920).
int64_t KaldiFramer::KeepFrom(int32_t next_frame, int64_t num_samples) const {
  const FrameExtractionOptions& opts = extractor_.options();
  const int64_t reach_back = opts.snip_edges ? 0 : opts.WindowSize() % 2;
  return std::min(FirstSampleOfFrame(next_frame) - reach_back, num_samples);
}

int64_t KaldiFramer::SamplesNeededForFrame(int32_t frame) const {
  return std::max<int64_t>(FirstSampleOfFrame(frame) + FrameLength(), 0);
}

void KaldiFramer::Extract(const float* wave, int64_t wave_offset, int64_t wave_size,
                          int64_t total_samples, int32_t frame, float* out, float* raw_log_energy) {
  extractor_.Extract(wave, wave_offset, wave_size, total_samples, frame, out, raw_log_energy);
}

// torch 1.13 aten/src/ATen/native/TensorFactories.cc (hann_window,
// hamming_window, blackman_window): N = length for periodic windows and
// length - 1 for symmetric ones; povey is Kaldi's hann^0.85.
std::vector<float> MakeStftWindow(const StftFramingOptions& opts) {
  std::vector<float> window(static_cast<size_t>(opts.n_fft), 0.0f);
  const int32_t length = opts.win_length;
  const int32_t left = (opts.n_fft - length) / 2;  // torch.stft: window padded centred
  const double n = opts.periodic ? length : length - 1;
  for (int32_t i = 0; i < length; ++i) {
    // A window of one sample is [1] in torch, whatever the type.
    const double c = n > 0 ? std::cos(2.0 * M_PI * i / n) : 1.0;
    double w = 1.0;
    switch (opts.window) {
      case StftWindow::kHann:
        w = 0.5 - 0.5 * c;
        break;
      case StftWindow::kHamming:
        w = 0.54 - 0.46 * c;
        break;
      case StftWindow::kBlackman:
        w = n > 0 ? 0.42 - 0.5 * c + 0.08 * std::cos(4.0 * M_PI * i / n) : 1.0;
        break;
      case StftWindow::kRectangular:
        w = 1.0;
        break;
      case StftWindow::kPovey:
        w = std::pow(0.5 - 0.5 * c, 0.85);
        break;
    }
    if (length == 1) w = 1.0;
    window[static_cast<size_t>(left + i)] = static_cast<float>(w);
  }
  return window;
}

namespace {

int64_t Pad(const StftFramingOptions& opts) { return opts.center ? opts.n_fft / 2 : 0; }

// 1 + (span - n_fft) / hop frames fit in `span` samples.
int64_t FramesIn(int64_t span, const StftFramingOptions& opts) {
  return span < opts.n_fft ? 0 : 1 + (span - opts.n_fft) / opts.hop_length;
}

// Sample `index` of the padded signal, as an index into the signal of
// `total` samples (numpy.pad's reflect, repeated when the signal is shorter
// than the padding, where torch.stft refuses), or -1 for a zero.
int64_t SourceIndex(int64_t index, int64_t total, StftPadMode mode) {
  if (index >= 0 && index < total) return index;
  if (mode == StftPadMode::kConstant) return -1;
  if (total == 1) return 0;
  while (index < 0 || index >= total) index = index < 0 ? -index : 2 * (total - 1) - index;
  return index;
}

}  // namespace

// torch 1.13 torch/functional.py stft(): centring pads n_fft // 2 on both
// sides, then frames of n_fft every hop_length.
int32_t StftNumFrames(int64_t num_samples, const StftFramingOptions& opts, bool flush) {
  if (num_samples <= 0) return 0;
  const int64_t pad = Pad(opts);
  int64_t total = FramesIn(num_samples + 2 * pad, opts);
  if (opts.frames == StftFrames::kDropLast) total = std::max<int64_t>(total - 1, 0);
  if (flush) return static_cast<int32_t>(total);
  // Streaming: frames whose samples have all arrived (frame t reads up to
  // sample t*hop - pad + n_fft - 1, and with reflection frame 0 reads sample
  // pad), and only frames that exist whatever follows (the count only grows
  // with the input, so frames below the count so far).
  int64_t ready = FramesIn(num_samples + pad, opts);
  if (opts.center && opts.pad_mode == StftPadMode::kReflect && num_samples <= pad) ready = 0;
  return static_cast<int32_t>(std::min(ready, total));
}

int64_t StftFirstSampleOfFrame(int32_t frame, const StftFramingOptions& opts) {
  return static_cast<int64_t>(frame) * opts.hop_length - Pad(opts);
}

StftFramer::StftFramer(const StftFramingOptions& opts)
    : opts_(opts), window_(MakeStftWindow(opts)) {}

// A frame that reflects at the right edge N reads down to 2(N-1) - (start +
// n_fft - 1), which is start - 1 at the lowest (the last frame of a stream
// whose length is a multiple of the hop, centred on N); pre-emphasis reads
// one sample before that.
int64_t StftFramer::KeepFrom(int32_t next_frame, int64_t num_samples) const {
  return std::min(FirstSampleOfFrame(next_frame) - 2, num_samples);
}

int64_t StftFramer::SamplesNeededForFrame(int32_t frame) const {
  const int64_t start = FirstSampleOfFrame(frame);
  int64_t needed = start + opts_.n_fft;
  if (start < 0 && opts_.pad_mode == StftPadMode::kReflect) needed = std::max(needed, 1 - start);
  return std::max<int64_t>(needed, 0);
}

void StftFramer::Extract(const float* wave, int64_t wave_offset, int64_t wave_size,
                         int64_t total_samples, int32_t frame, float* out, float* raw_log_energy) {
  if (raw_log_energy != nullptr) *raw_log_energy = 0.0f;
  const int32_t n = opts_.n_fft;
  const int32_t left = (n - opts_.win_length) / 2;
  const int32_t right = left + opts_.win_length;
  const int64_t start = FirstSampleOfFrame(frame);
  const float c = opts_.preemph_coeff;
  const float* w = window_.data();
  std::fill(out, out + left, 0.0f);
  std::fill(out + right, out + n, 0.0f);
  const int64_t first = start + left;
  const int64_t end = start + right;
  const int64_t lowest = c != 0.0f ? first - 1 : first;  // pre-emphasis reads one before
  if (lowest >= std::max<int64_t>(wave_offset, 0) &&
      end <= std::min(wave_offset + wave_size, total_samples)) {
    // Common case: every sample (and the one before, for pre-emphasis) is
    // in the stream.
    const float* x = wave + (first - wave_offset);
    if (c == 0.0f) {
      for (int32_t i = left; i < right; ++i) out[i] = x[i - left] * w[i];
    } else {
      for (int32_t i = left; i < right; ++i) out[i] = (x[i - left] - c * x[i - left - 1]) * w[i];
    }
    return;
  }
  // Edge frames: the padding, reflected or zero. The padding holds the
  // pre-emphasised signal (NeMo pre-emphasises before torch.stft pads).
  for (int32_t i = left; i < right; ++i) {
    const int64_t index = SourceIndex(start + i, total_samples, opts_.pad_mode);
    if (index < 0) {
      out[i] = 0.0f;
      continue;
    }
    float v = wave[index - wave_offset];
    if (c != 0.0f && index > 0) v -= c * wave[index - 1 - wave_offset];
    out[i] = v * w[i];
  }
}

}  // namespace featpool
