// Feature extraction over a stream of samples that arrive in chunks of any
// size. The offline path (ComputeFeatures) is this same code fed the whole
// waveform at once, so streaming and offline results are bit-identical by
// construction. Kaldi's online-feature.h plays the same role.
//
// Memory: the extractor keeps only the samples still needed by frames not yet
// computed (less than one window plus one chunk) and the frames the caller
// has not released with ReleaseFramesBefore().
//
// Thread safety: one OnlineExtractor per stream; it is not shareable.
#ifndef FEATPOOL_ONLINE_FEATURE_H_
#define FEATPOOL_ONLINE_FEATURE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "featpool/feature-computer.h"
#include "featpool/feature-options.h"
#include "featpool/frame-extractor.h"
#include "featpool/framing.h"
#include "featpool/matrix.h"

namespace featpool {

class OnlineExtractor {
 public:
  explicit OnlineExtractor(const FeatureOptions& opts);
  // Frames with computer->MakeFramer().
  explicit OnlineExtractor(std::unique_ptr<FeatureComputer> computer);

  int32_t Dim() const { return computer_->Dim(); }
  // Kaldi's frame options of the computer (or their nearest equivalent).
  const FrameExtractionOptions& frame_options() const { return computer_->frame_options(); }
  const Framer& framer() const { return *framer_; }

  // Appends samples, on the feature type's scale (Kaldi's integer scale for
  // the Kaldi types, [-1, 1] for the "unit" ones; feature-registry.h).
  // `sample_rate` must equal the
  // configured sample frequency; throws Error otherwise, or after
  // InputFinished().
  void AcceptWaveform(float sample_rate, const float* samples, int64_t count);
  // Marks the end of the stream; this makes the last frames (which reflect
  // around the end or read its padding) ready.
  void InputFinished();
  bool IsFinished() const { return finished_; }

  int64_t NumSamplesAccepted() const { return num_samples_; }
  // Frames [0, NumFramesReady()) have been computed; those before
  // FirstAvailableFrame() were released.
  int32_t NumFramesReady() const { return num_frames_; }
  int32_t FirstAvailableFrame() const { return first_frame_; }
  // Row of frame `frame`; valid until the next call of a non-const method.
  // Throws Error if the frame is released or not ready.
  const float* Frame(int32_t frame) const;
  // Frames [FirstAvailableFrame(), NumFramesReady()) as one matrix view.
  MatrixView ReadyFrames() const;
  // Lets the extractor free frames before `frame` (bounded memory on an
  // endless stream).
  void ReleaseFramesBefore(int32_t frame);
  // Moves out every frame not yet released and releases them.
  Matrix TakeFrames();

  // Preallocates room for frames up to `num_frames` (e.g. from the file's
  // length), so a long offline run does not regrow its storage.
  void Reserve(int32_t num_frames);

  // Latency: how many samples must have arrived before frame `frame` is ready
  // without InputFinished() (a centred STFT looks n_fft/2 samples ahead).
  int64_t SamplesNeededForFrame(int32_t frame) const;

 private:
  // Computes every frame that is ready; `wave` holds samples from wave_offset_.
  void ComputeReadyFrames(bool flush, const float* wave, int64_t wave_size);
  int64_t KeepFrom() const;
  void DropUnneededSamples();

  std::unique_ptr<FeatureComputer> computer_;
  std::unique_ptr<Framer> framer_;
  bool need_raw_energy_;
  std::vector<float> window_;  // scratch: one padded frame
  std::vector<float> wave_;    // samples [wave_offset_, num_samples_)
  int64_t wave_offset_ = 0;
  int64_t num_samples_ = 0;
  bool finished_ = false;
  Matrix frames_;             // frames from stored_first_ on
  int32_t num_frames_ = 0;    // frames computed
  int32_t first_frame_ = 0;   // first frame not released
  int32_t stored_first_ = 0;  // frame held in frames_ row 0
};

// Offline feature extraction of a whole waveform (the type's sample scale):
// the same computation as OnlineExtractor fed everything at once.
Matrix ComputeFeatures(const FeatureOptions& opts, float sample_rate, const float* samples,
                       int64_t count);

}  // namespace featpool

#endif  // FEATPOOL_ONLINE_FEATURE_H_
