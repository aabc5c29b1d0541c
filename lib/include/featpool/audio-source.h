// Reads audio files through libsndfile in blocks (WAV PCM/float/double, FLAC,
// OGG Vorbis/Opus and whatever else the installed libsndfile reads), picks or
// mixes channels, resamples with libsoxr when the file's rate differs from
// the target, and scales samples to Kaldi's 16-bit integer range (a
// full-scale sample is +-32768 whatever the file's bit depth) or, with
// full_scale = 1, leaves them in [-1, 1] as torchaudio.load does.
//
// Thread safety: one AudioSource per file; distinct sources are independent.
#ifndef FEATPOOL_AUDIO_SOURCE_H_
#define FEATPOOL_AUDIO_SOURCE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "featpool/options.h"
#include "featpool/pipe-command.h"

namespace featpool {

struct AudioReadOptions {
  // Rate delivered to the caller; 0 keeps the file's own rate.
  float target_sample_rate = 16000.0f;
  // -1: channel 0, with a warning if the file has several (Kaldi's default);
  // N >= 0: that channel; kMixChannels: the average of all channels.
  int32_t channel = -1;
  static constexpr int32_t kMixChannels = -2;
  // false: a rate other than target_sample_rate is an error.
  bool resample = true;
  // Kaldi's --allow-downsample / --allow-upsample: false makes a file whose
  // rate is above (below) target_sample_rate an error; featpool resamples
  // either way by default.
  bool allow_downsample = true;
  bool allow_upsample = true;
  // For piped inputs (AudioInput::Command).
  PipeOptions pipe;
  // The value of a full-scale sample: 32768 (Kaldi's scale) or 1 (the unit
  // scale; FullScaleSample() in feature-registry.h gives a type's). A power
  // of two, so both scales hold the same float values.
  float full_scale = 32768.0f;
  // Frames read from the file per block.
  int64_t block_frames = 8192;

  // The table (options.h) of what a user sets about reading: channel
  // (-1, N, or "mix" = kMixChannels), resample, allow_downsample,
  // allow_upsample. The command's flags and Python's keywords come from it;
  // the caller sets the rest.
  void VisitOptions(OptionVisitor& v);
};

// What the file's header says.
struct AudioInfo {
  std::string path;
  std::string format;    // e.g. "WAV (Microsoft)"
  std::string encoding;  // e.g. "Signed 16 bit PCM"
  int32_t sample_rate = 0;
  int32_t channels = 0;
  int64_t frames = 0;  // samples per channel at the file's rate; -1 if unknown
  // Seconds; 0 if unknown (never negative).
  double Duration() const {
    return sample_rate > 0 && frames > 0 ? double(frames) / sample_rate : 0.0;
  }
};

// Reads the header only. Throws Error naming the file.
AudioInfo ReadAudioInfo(const std::string& path);

// Audio decoded once and kept, to be cut into segments (Kaldi's
// extract-segments): one channel (as AudioReadOptions::channel chose), at the
// Kaldi scale, at the file's own rate.
struct DecodedAudio {
  AudioInfo info;  // of the file it came from (info.frames: samples.size())
  std::vector<float> samples;
  std::string warning;
};

// Where audio comes from: a file (the implicit conversion from a path), the
// standard output of a command (a piped wav.scp entry), or part of decoded
// audio (a segment).
struct AudioInput {
  AudioInput(const std::string& file) : path(file) {}  // NOLINT: a path is an input
  AudioInput(const char* file) : path(file) {}         // NOLINT
  // `name` (e.g. the wav.scp entry "sox a.sph -t wav - |") is used in messages.
  static AudioInput Command(const std::string& command, const std::string& name);
  // Samples [begin, end) of `audio`, at its rate; `name` for messages.
  static AudioInput Part(std::shared_ptr<const DecodedAudio> audio, int64_t begin, int64_t end,
                         const std::string& name);

  std::string path;     // the file; for the others the name used in messages
  std::string command;  // non-empty: run with /bin/sh -c (RunPipeCommand)
  std::shared_ptr<const DecodedAudio> decoded;
  int64_t begin = 0;
  int64_t end = 0;
};

// Decodes all of `input` (a file or a command) at its own rate, one channel
// as `opts` chooses (opts.target_sample_rate is ignored). Throws Error naming
// the input, also when it has more than `max_samples` samples (checked before
// they are stored).
std::shared_ptr<DecodedAudio> DecodeAudio(const AudioInput& input, const AudioReadOptions& opts,
                                          int64_t max_samples);

class AudioSource {
 public:
  // Opens and checks the file; throws Error naming the file and the problem
  // (missing, a directory, empty, unknown format, corrupt or truncated,
  // channel out of range, rate mismatch with resample = false).
  AudioSource(const AudioInput& input, const AudioReadOptions& opts);
  ~AudioSource();
  AudioSource(const AudioSource&) = delete;
  AudioSource& operator=(const AudioSource&) = delete;

  // The header; once Read() has returned 0, frames is the decoded length
  // if the header did not say (-1).
  const AudioInfo& info() const { return info_; }
  float sample_rate() const { return out_rate_; }
  // True if the samples are resampled from info().sample_rate.
  bool resampled() const;
  // A note for the user (e.g. "using channel 0 of 2"), empty if none. The
  // library never prints; the caller decides.
  const std::string& warning() const { return warning_; }
  // Number of samples Read() will deliver in total, at the output rate; -1
  // if the header does not say (e.g. a pipe).
  int64_t ExpectedSamples() const;

  // Reads up to `max_samples` mono samples at the output rate into `out`;
  // returns how many, 0 at the end. Throws Error on a read error, a
  // truncated or damaged file (for Ogg: every page passes its CRC, no page
  // is missing, every stream ends with its end-of-stream page, and the
  // decoded length is the one the last page declares) or a non-finite sample.
  int64_t Read(float* out, int64_t max_samples);

 private:
  int64_t ReadMono(float* out, int64_t max_frames);
  void CheckLength();
  void SetUpResampling();

  struct Impl;
  std::unique_ptr<Impl> impl_;
  AudioInfo info_;
  AudioReadOptions opts_;
  float out_rate_ = 0;
  std::string warning_;
};

// Reads a whole file (for tests and tools; the command streams instead).
std::vector<float> ReadAudio(const AudioInput& input, const AudioReadOptions& opts,
                             float* sample_rate = nullptr);

}  // namespace featpool

#endif  // FEATPOOL_AUDIO_SOURCE_H_
