#include "featpool/extract-file.h"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "featpool/error.h"
#include "featpool/feature-registry.h"
#include "featpool/online-feature.h"

namespace featpool {

FileFeatures ExtractFile(const AudioInput& input, const FeatureOptions& feature_opts,
                         const AudioReadOptions& audio_opts) {
  OnlineExtractor extractor(feature_opts);
  AudioReadOptions read_opts = audio_opts;
  read_opts.target_sample_rate = feature_opts.frame_opts().samp_freq;
  read_opts.full_scale = FullScaleSample(feature_opts.type);
  const std::string& path = input.path;
  AudioSource source(input, read_opts);
  FileFeatures result;
  // The header's length is only a hint: unknown (-1) for a pipe, and a
  // corrupt header may claim anything, so reserve at most an hour of frames.
  const int64_t hint = std::min<int64_t>(source.ExpectedSamples(),
                                         static_cast<int64_t>(3600 * read_opts.target_sample_rate));
  if (hint > 0) extractor.Reserve(feature_opts.NumFrames(hint) + 1);
  std::vector<float> block(static_cast<size_t>(read_opts.block_frames));
  while (true) {
    const int64_t got = source.Read(block.data(), static_cast<int64_t>(block.size()));
    if (got == 0) break;
    extractor.AcceptWaveform(source.sample_rate(), block.data(), got);
  }
  extractor.InputFinished();
  // After the end of the input: a header that did not know the length (a
  // pipe) now has the decoded one.
  result.info = source.info();
  result.warning = source.warning();
  result.resampled = source.resampled();
  result.num_samples = extractor.NumSamplesAccepted();
  result.num_frames = extractor.NumFramesReady();
  result.dim = extractor.Dim();
  result.features = extractor.TakeFrames();
  CheckFinite(result.features.View(), path);
  return result;
}

FileFeatures ExtractFile(const AudioInput& input, const FeatureOptions& feature_opts,
                         const AudioReadOptions& audio_opts, FrameSink* sink) {
  OnlineExtractor extractor(feature_opts);
  AudioReadOptions read_opts = audio_opts;
  read_opts.target_sample_rate = feature_opts.frame_opts().samp_freq;
  read_opts.full_scale = FullScaleSample(feature_opts.type);
  const std::string& path = input.path;
  AudioSource source(input, read_opts);
  FileFeatures result;
  result.info = source.info();
  result.warning = source.warning();
  result.resampled = source.resampled();
  // Capped (at 100 hours) so that a corrupt header's count fits the frame
  // count's type; it stays a hint.
  const int64_t expected = std::min<int64_t>(
      source.ExpectedSamples(), static_cast<int64_t>(360000 * read_opts.target_sample_rate));
  result.dim = extractor.Dim();
  sink->Begin(result, expected < 0 ? -1 : feature_opts.NumFrames(expected));
  auto pass_on = [&]() {
    const MatrixView ready = extractor.ReadyFrames();
    CheckFinite(ready, path, extractor.FirstAvailableFrame());
    if (ready.rows > 0) sink->Frames(ready);
    extractor.ReleaseFramesBefore(extractor.NumFramesReady());
  };
  std::vector<float> block(static_cast<size_t>(read_opts.block_frames));
  while (true) {
    const int64_t got = source.Read(block.data(), static_cast<int64_t>(block.size()));
    if (got == 0) break;
    extractor.AcceptWaveform(source.sample_rate(), block.data(), got);
    pass_on();
  }
  extractor.InputFinished();
  pass_on();
  // A header that did not know the length (a pipe) now has the decoded one.
  result.info = source.info();
  result.warning = source.warning();
  result.resampled = source.resampled();
  result.num_samples = extractor.NumSamplesAccepted();
  result.num_frames = extractor.NumFramesReady();
  return result;
}

void CheckFinite(MatrixView features, const std::string& source, int64_t first_row) {
  const int64_t at = FirstNonFinite(features);
  if (at < 0) return;
  const float value = features.data[at];
  const char* text = value != value ? "nan" : (value > 0 ? "inf" : "-inf");
  throw Error("'" + source + "': feature value " + text + " (row " +
              std::to_string(first_row + at / features.cols) + ", column " +
              std::to_string(at % features.cols) +
              ") is not finite (NaN or inf samples in the audio, or options that overflow "
              "float32)");
}

std::string ShortInputMessage(const std::string& path, int64_t num_samples,
                              const FrameExtractionOptions& opts) {
  char seconds[32];
  std::snprintf(seconds, sizeof(seconds), "%.3f",
                num_samples / static_cast<double>(opts.samp_freq));
  return "'" + path + "': " + seconds + " s (" + std::to_string(num_samples) +
         " samples) is shorter than one frame (" + std::to_string(opts.WindowSize()) +
         " samples); no features";
}

}  // namespace featpool
