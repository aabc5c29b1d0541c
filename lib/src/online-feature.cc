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
      framer_(computer_->MakeFramer()),
      need_raw_energy_(computer_->NeedRawLogEnergy()),
      window_(static_cast<size_t>(framer_->OutputSize())),
      frames_(0, computer_->Dim()) {}

void OnlineExtractor::AcceptWaveform(float sample_rate, const float* samples, int64_t count) {
  if (finished_) throw Error("AcceptWaveform() called after InputFinished()");
  if (sample_rate != frame_options().samp_freq) {
    throw Error("waveform at " + std::to_string(sample_rate) + " Hz given to an extractor for " +
                std::to_string(frame_options().samp_freq) + " Hz");
  }
  if (count <= 0) return;
  if (wave_.empty()) {
    // Nothing held back: compute straight from the caller's samples and keep
    // only the tail later frames need (no copy of a long offline waveform).
    wave_offset_ = num_samples_;
    num_samples_ += count;
    ComputeReadyFrames(false, samples, count);
    const int64_t keep_from = std::max(wave_offset_, KeepFrom());
    wave_.assign(samples + (keep_from - wave_offset_), samples + count);
    wave_offset_ = keep_from;
    return;
  }
  wave_.insert(wave_.end(), samples, samples + count);
  num_samples_ += count;
  ComputeReadyFrames(false, wave_.data(), static_cast<int64_t>(wave_.size()));
  DropUnneededSamples();
}

void OnlineExtractor::InputFinished() {
  if (finished_) return;
  finished_ = true;
  ComputeReadyFrames(true, wave_.data(), static_cast<int64_t>(wave_.size()));
  DropUnneededSamples();
}

void OnlineExtractor::Reserve(int32_t num_frames) {
  frames_.Reserve(std::max(num_frames - stored_first_, 0));
}

void OnlineExtractor::ComputeReadyFrames(bool flush, const float* wave, int64_t wave_size) {
  const int32_t ready = framer_->NumFrames(num_samples_, flush);
  float energy = 0.0f;
  for (int32_t f = num_frames_; f < ready; ++f) {
    framer_->Extract(wave, wave_offset_, wave_size, num_samples_, f, window_.data(),
                     need_raw_energy_ ? &energy : nullptr);
    computer_->Compute(energy, window_.data(), frames_.AppendRow());
  }
  num_frames_ = std::max(num_frames_, ready);
}

// What frames not yet computed may read (Framer::KeepFrom).
int64_t OnlineExtractor::KeepFrom() const { return framer_->KeepFrom(num_frames_, num_samples_); }

void OnlineExtractor::DropUnneededSamples() {
  const int64_t keep_from = KeepFrom();
  if (keep_from > wave_offset_) {
    wave_.erase(wave_.begin(), wave_.begin() + (keep_from - wave_offset_));
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
    std::memcpy(out.data(), ready.data,
                sizeof(float) * static_cast<size_t>(ready.rows * ready.cols));
  }
  frames_ = Matrix(0, computer_->Dim());
  first_frame_ = stored_first_ = num_frames_;
  return out;
}

int64_t OnlineExtractor::SamplesNeededForFrame(int32_t frame) const {
  return framer_->SamplesNeededForFrame(frame);
}

Matrix ComputeFeatures(const FeatureOptions& opts, float sample_rate, const float* samples,
                       int64_t count) {
  OnlineExtractor extractor(opts);
  extractor.Reserve(extractor.framer().NumFrames(count, true));
  extractor.AcceptWaveform(sample_rate, samples, count);
  extractor.InputFinished();
  return extractor.TakeFrames();
}

}  // namespace featpool
