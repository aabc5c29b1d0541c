// Features of one audio file, read in blocks so that only one block of
// samples and the features are in memory at once.
#ifndef FEATPOOL_EXTRACT_FILE_H_
#define FEATPOOL_EXTRACT_FILE_H_

#include <cstdint>
#include <string>

#include "featpool/audio-source.h"
#include "featpool/feature-options.h"
#include "featpool/matrix.h"

namespace featpool {

struct FileFeatures {
  Matrix features;          // [frames, Dim()]; empty when streamed to a FrameSink
  int64_t num_frames = 0;   // frames computed
  int64_t dim = 0;          // columns of a frame
  AudioInfo info;           // the file's header
  int64_t num_samples = 0;  // samples at the feature sample rate
  std::string warning;      // e.g. which channel of several was used
  bool resampled = false;   // the audio was resampled from info.sample_rate
};

// Reads the audio at the type's rate and sample scale (audio_opts'
// target_sample_rate and full_scale are replaced). Throws Error naming the
// file for unreadable audio, and (CheckFinite) for a
// feature value that is NaN or infinite. A file shorter than one
// frame gives 0 frames, as Kaldi does; callers that need features treat
// that as an error (see ShortInputMessage()).
FileFeatures ExtractFile(const AudioInput& input, const FeatureOptions& feature_opts,
                         const AudioReadOptions& audio_opts);

// Throws Error "'<source>': feature value nan (row 12, column 3) ..." for
// the first NaN or infinity in `features` (NaN or inf samples in the audio,
// or options that overflow float32); a bad file must not pass as features.
// Rows are counted from `first_row` (the view's first frame in the file).
void CheckFinite(MatrixView features, const std::string& source, int64_t first_row = 0);

// Receives the frames of a streamed ExtractFile() as they are computed.
class FrameSink {
 public:
  virtual ~FrameSink() = default;
  // Once, before any frames: the file as opened (info, warning and dim set,
  // no frames yet) and the frame count its header promises (-1 if unknown;
  // only a hint: a corrupt header may claim anything).
  virtual void Begin(const FileFeatures& /*file*/, int64_t /*expected_frames*/) {}
  // The next frames, in order (valid during the call only).
  virtual void Frames(MatrixView frames) = 0;
};

// The same extraction, streamed: after each block of audio the frames it
// completed go to `sink` and are released, so memory holds one block of
// samples and its frames whatever the file's length. The result's
// `features` stays empty. Each block is checked (CheckFinite) before it goes
// to `sink`. Exceptions from `sink` pass through.
FileFeatures ExtractFile(const AudioInput& input, const FeatureOptions& feature_opts,
                         const AudioReadOptions& audio_opts, FrameSink* sink);

// "'x.wav': 0.010 s (160 samples) is shorter than one frame (400 samples)"
std::string ShortInputMessage(const std::string& path, int64_t num_samples,
                              const FrameExtractionOptions& opts);

}  // namespace featpool

#endif  // FEATPOOL_EXTRACT_FILE_H_
