// Bytes -> an audio file -> libsndfile (whatever format it detects: WAV,
// AIFF, AU, CAF, W64, RF64, FLAC, Ogg Vorbis/Opus, MP3, ...) -> resampling
// -> features. Any result but features or featpool::Error is a finding.
#include <cstdint>
#include <new>

#include "featpool/audio-source.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "fuzz-common.h"

using namespace featpool;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = featpool_fuzz::WriteScratch("input.audio", data, size);
  // The feature type follows the input's length, so every type sees every
  // format without changing the file's bytes.
  FeatureOptions opts;
  opts.type = size % 3 == 0   ? FeatureType::kFbank
              : size % 3 == 1 ? FeatureType::kMfcc
                              : FeatureType::kSpectrogram;
  AudioReadOptions audio;
  audio.block_frames = 1000;  // several blocks even for small files
  audio.channel = size % 2 == 0 ? -1 : AudioReadOptions::kMixChannels;
  try {
    const AudioInfo info = ReadAudioInfo(path);
    // A few header bytes can declare hours of audio (an SDS header claiming
    // 2^21 samples at 476 Hz, resampled to 70M): real work, minutes under
    // the sanitizers, not a finding. The harness stops at 2^22 output
    // samples; long files are the tests' and benchmarks' business.
    const double rate = info.sample_rate > 0 ? info.sample_rate : 1.0;
    if (static_cast<double>(info.frames) * 16000.0 / rate > double(1 << 22)) return 0;
    const FileFeatures f = ExtractFile(path, opts, audio);
    if (f.features.rows() > 0 && f.features.cols() <= 0)
      featpool_fuzz::Fail("rows without columns");
    if (info.sample_rate <= 0) featpool_fuzz::Fail("features from a file with no sample rate");
  } catch (const Error&) {
  }
  return 0;
}
