#include "featpool/online-feature.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "featpool/error.h"

namespace featpool {

OnlineExtractor::OnlineExtractor(const FeatureOptions& opts)
    : OnlineExtractor(MakeFeatureComputer(opts)) {}

OnlineExtractor::OnlineExtractor(std::unique_ptr<FeatureComputer> computer)
    : computer_(std::move(computer)),
      extractor_(computer_->frame_options()),
      need_raw_energy_(computer_->NeedRawLogEnergy()),
      window_(static_cast<size_t>(computer_->frame_options().PaddedWindowSize())),
      frames_(0, computer_->Dim()) {}

void OnlineExtractor::AcceptWaveform(float sample_rate, const float* samples, int64_t count) {
  if (finished_) throw Error("AcceptWaveform() called after InputFinished()");
  if (sample_rate != frame_options().samp_freq) {
    throw Error("waveform at " + std::to_string(sample_rate) + " Hz given to an extractor for " +
                std::to_string(frame_options().samp_freq) + " Hz");
  }
  if (count <= 0) return;
  wave_.insert(wave_.end(), samples, samples + count);
  num_samples_ += count;
  ComputeReadyFrames(false);
}

void OnlineExtractor::InputFinished() {
  if (finished_) return;
  finished_ = true;
  ComputeReadyFrames(true);
}

void OnlineExtractor::ComputeReadyFrames(bool flush) {
  const FrameExtractionOptions& opts = frame_options();
  const int32_t ready = NumFrames(num_samples_, opts, flush);
  float energy = 0.0f;
  for (int32_t f = num_frames_; f < ready; ++f) {
    extractor_.Extract(wave_.data(), wave_offset_, static_cast<int64_t>(wave_.size()),
                       num_samples_, f, window_.data(), need_raw_energy_ ? &energy : nullptr);
    computer_->Compute(energy, window_.data(), frames_.AppendRow());
  }
  num_frames_ = std::max(num_frames_, ready);
  // Samples before the next frame's first sample are never needed again: with
  // snip_edges = false only frames starting below 0 reflect at the left edge,
  // and they come before any sample is dropped.
  const int64_t keep_from = std::min(FirstSampleOfFrame(num_frames_, opts), num_samples_);
  if (keep_from > wave_offset_) {
    const int64_t drop = keep_from - wave_offset_;
    wave_.erase(wave_.begin(), wave_.begin() + drop);
    wave_offset_ = keep_from;
  }
}

const float* OnlineExtractor::Frame(int32_t frame) const {
  if (frame < first_frame_ || frame >= num_frames_) {
    throw Error("frame " + std::to_string(frame) + " is not available (available: " +
                std::to_string(first_frame_) + " to " + std::to_string(num_frames_ - 1) + ")");
  }
  return frames_.Row(frame - stored_first_);
}

MatrixView OnlineExtractor::ReadyFrames() const {
  return {frames_.data() + static_cast<int64_t>(first_frame_ - stored_first_) * frames_.cols(),
          num_frames_ - first_frame_, frames_.cols()};
}

void OnlineExtractor::ReleaseFramesBefore(int32_t frame) {
  frame = std::min(frame, num_frames_);
  if (frame <= first_frame_) return;
  first_frame_ = frame;
  // Compact only when at least half of the storage is released, so each frame
  // is moved at most once on average.
  const int64_t released = first_frame_ - stored_first_;
  if (released * 2 >= frames_.rows()) {
    const int64_t keep = frames_.rows() - released;
    std::memmove(frames_.data(), frames_.Row(released),
                 sizeof(float) * static_cast<size_t>(keep * frames_.cols()));
    frames_.Resize(keep, frames_.cols());
    stored_first_ = first_frame_;
  }
}

Matrix OnlineExtractor::TakeFrames() {
  Matrix out;
  if (first_frame_ == stored_first_) {
    out = std::move(frames_);
  } else {
    const MatrixView ready = ReadyFrames();
    out.Resize(ready.rows, ready.cols);
    std::memcpy(out.data(), ready.data, sizeof(float) * static_cast<size_t>(ready.rows * ready.cols));
  }
  frames_ = Matrix(0, computer_->Dim());
  first_frame_ = stored_first_ = num_frames_;
  return out;
}

int64_t OnlineExtractor::SamplesNeededForFrame(int32_t frame) const {
  return std::max<int64_t>(FirstSampleOfFrame(frame, frame_options()) +
                               frame_options().WindowSize(), 0);
}

Matrix ComputeFeatures(const FeatureOptions& opts, float sample_rate, const float* samples,
                       int64_t count) {
  OnlineExtractor extractor(opts);
  extractor.AcceptWaveform(sample_rate, samples, count);
  extractor.InputFinished();
  return extractor.TakeFrames();
}

}  // namespace featpool
