#include "featpool/audio-source.h"

#include <sndfile.h>
#include <soxr.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "featpool/error.h"
#include "ogg-pages.h"
#include "printable.h"

namespace featpool {
namespace {

// libsndfile delivers integer PCM normalised to [-1, 1); Kaldi works on the
// 16-bit integer scale.

// Paths come from scp files too: control bytes are shown escaped.
std::string Quote(const std::string& path) { return "'" + internal::Printable(path) + "'"; }

// Returns true for a regular file (not a pipe or device).
bool CheckPathIsReadableFile(const std::string& path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    throw Error(Quote(path) + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) throw Error(Quote(path) + " is a directory, not an audio file");
  // Only a regular file's size is meaningful: a pipe (e.g. /dev/stdin) reports 0.
  if (S_ISREG(st.st_mode) && st.st_size == 0) {
    throw Error(Quote(path) + " is empty (0 bytes)");
  }
  return S_ISREG(st.st_mode);
}

std::string FormatName(int format) {
  SF_FORMAT_INFO info;
  info.format = format;
  info.name = nullptr;
  if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof(info)) != 0 || info.name == nullptr) {
    return "unknown";
  }
  return info.name;
}

// One "<chunk> : <size>" or "<chunk> : <size> (should be <actual>)" line of
// libsndfile's log; actual is -1 without the note.
struct LoggedSize {
  std::string name;
  long long declared = 0;
  long long actual = -1;
};

std::vector<LoggedSize> LoggedSizes(const std::string& log) {
  std::vector<LoggedSize> sizes;
  size_t begin = 0;
  while (begin < log.size()) {
    size_t end = log.find('\n', begin);
    if (end == std::string::npos) end = log.size();
    const std::string text = log.substr(begin, end - begin);
    begin = end + 1;
    const size_t colon = text.find(':');
    const size_t name_begin = text.find_first_not_of(" \t");
    if (colon == std::string::npos || colon == 0 || name_begin >= colon) continue;
    const char* number = text.c_str() + colon + 1;
    char* number_end = nullptr;
    const long long declared = std::strtoll(number, &number_end, 10);
    if (number_end == number) continue;
    LoggedSize size;
    size.name = text.substr(name_begin, text.find_last_not_of(" \t", colon - 1) + 1 - name_begin);
    size.declared = declared;
    const size_t should = text.find("(should be ", colon);
    if (should != std::string::npos)
      size.actual = std::strtoll(text.c_str() + should + 11, nullptr, 10);
    sizes.push_back(size);
  }
  return sizes;
}

std::string Log(SNDFILE* file) {
  char log[16384];
  log[0] = '\0';
  sf_command(file, SFC_GET_LOG_INFO, log, sizeof(log));
  return log;
}

// The placeholder sizes of streamed WAVs (0xFFFFFFFF, or 0x7FFFF000 as sox
// writes to a pipe) mean "read to the end".
constexpr long long kStreamedSize = 0x7FFFF000LL;

bool IsContainerSize(const std::string& name) {
  return name == "RIFF" || name == "RIFX" || name == "FORM";
}

// libsndfile opens a file whose audio data is shorter than its header says,
// lowers the frame count to what is there and only notes the mismatch in its
// log, as "<chunk> : <declared> (should be <actual>)": WAV and CAF "data",
// AIFF "SSND", AU "Data Size", W64 "riff". A truncated OGG is noted as
// "File ended unexpectedly". Returns what is missing, or "" for a whole file.
//
// Not truncation: container sizes of WAV and AIFF ("RIFF", "FORM"), which
// some writers get wrong and Kaldi only warns about, and streaming
// placeholders.
std::string TruncationNote(const std::string& log) {
  if (log.find("ended unexpectedly") != std::string::npos) return "the stream ends unexpectedly";
  for (const LoggedSize& size : LoggedSizes(log)) {
    if (IsContainerSize(size.name) || size.actual < 0) continue;
    if (size.declared >= kStreamedSize || size.declared <= size.actual) continue;
    return "the header says " + std::to_string(size.declared) + " bytes of audio data (" +
           size.name + "), the file holds " + std::to_string(size.actual);
  }
  return "";
}

// On a pipe libsndfile cannot measure the data, so it turns a streaming
// placeholder into a frame count (2147483647 for 16-bit mono): the length
// is unknown.
bool HasStreamingPlaceholder(const std::string& log) {
  for (const LoggedSize& size : LoggedSizes(log)) {
    if (!IsContainerSize(size.name) && size.actual < 0 && size.declared >= kStreamedSize) {
      return true;
    }
  }
  return false;
}

// A file held in memory (a command's output), read through libsndfile's
// virtual I/O: seekable, so every format libsndfile reads works, also those
// that cannot be decoded from a pipe.
struct MemoryFile {
  std::string bytes;
  sf_count_t pos = 0;

  static MemoryFile* Of(void* user) { return static_cast<MemoryFile*>(user); }
  static sf_count_t Length(void* user) { return static_cast<sf_count_t>(Of(user)->bytes.size()); }
  static sf_count_t Seek(sf_count_t offset, int whence, void* user) {
    MemoryFile* m = Of(user);
    const sf_count_t size = static_cast<sf_count_t>(m->bytes.size());
    sf_count_t to = offset;
    if (whence == SEEK_CUR) to = m->pos + offset;
    if (whence == SEEK_END) to = size + offset;
    if (to < 0 || to > size) return -1;
    m->pos = to;
    return m->pos;
  }
  static sf_count_t Read(void* ptr, sf_count_t count, void* user) {
    MemoryFile* m = Of(user);
    const sf_count_t left = static_cast<sf_count_t>(m->bytes.size()) - m->pos;
    const sf_count_t n = std::max<sf_count_t>(0, std::min(count, left));
    std::memcpy(ptr, m->bytes.data() + m->pos, static_cast<size_t>(n));
    m->pos += n;
    return n;
  }
  static sf_count_t Write(const void*, sf_count_t, void*) { return 0; }
  static sf_count_t Tell(void* user) { return Of(user)->pos; }
};

SNDFILE* OpenOrThrow(const std::string& path, SF_INFO* sf_info, MemoryFile* memory = nullptr) {
  std::memset(sf_info, 0, sizeof(*sf_info));
  // libsndfile reports why an open failed through one global error, so
  // concurrent opens (batch workers) would read each other's reason.
  static std::mutex open_mutex;
  std::unique_lock<std::mutex> lock(open_mutex);
  SF_VIRTUAL_IO io = {MemoryFile::Length, MemoryFile::Seek, MemoryFile::Read, MemoryFile::Write,
                      MemoryFile::Tell};
  SNDFILE* file = memory != nullptr ? sf_open_virtual(&io, SFM_READ, sf_info, memory)
                                    : sf_open(path.c_str(), SFM_READ, sf_info);
  if (file == nullptr) {
    throw Error(Quote(path) + ": not a readable audio file (" + sf_strerror(nullptr) + ")");
  }
  if (sf_info->channels < 1 || sf_info->samplerate < 1) {
    sf_close(file);
    throw Error(Quote(path) + ": corrupt header (" + std::to_string(sf_info->channels) +
                " channels at " + std::to_string(sf_info->samplerate) + " Hz)");
  }
  return file;
}

AudioInfo MakeInfo(const std::string& path, const SF_INFO& sf_info) {
  AudioInfo info;
  info.path = path;
  info.format = FormatName(sf_info.format & SF_FORMAT_TYPEMASK);
  info.encoding = FormatName(sf_info.format & SF_FORMAT_SUBMASK);
  info.sample_rate = sf_info.samplerate;
  info.channels = sf_info.channels;
  // libsndfile says SF_COUNT_MAX when the length is unknown (e.g. a pipe).
  info.frames = sf_info.frames == SF_COUNT_MAX ? -1 : sf_info.frames;
  return info;
}

}  // namespace

AudioInfo ReadAudioInfo(const std::string& path) {
  CheckPathIsReadableFile(path);
  SF_INFO sf_info;
  SNDFILE* file = OpenOrThrow(path, &sf_info);
  AudioInfo info = MakeInfo(path, sf_info);
  sf_close(file);
  return info;
}

AudioInput AudioInput::Command(const std::string& command, const std::string& name) {
  AudioInput input(name);
  input.command = command;
  return input;
}

AudioInput AudioInput::Part(std::shared_ptr<const DecodedAudio> audio, int64_t begin, int64_t end,
                            const std::string& name) {
  AudioInput input(name);
  input.decoded = std::move(audio);
  input.begin = begin;
  input.end = end;
  return input;
}

struct AudioSource::Impl {
  MemoryFile memory;  // a command's output
  // A part of decoded audio: samples [pos, end) still to deliver.
  std::shared_ptr<const DecodedAudio> decoded;
  int64_t decoded_pos = 0;
  int64_t decoded_end = 0;
  SNDFILE* file = nullptr;
  soxr_t resampler = nullptr;
  std::vector<float> interleaved;  // one block of file frames
  std::vector<float> mono;         // resampler input not yet consumed
  size_t mono_pos = 0;
  int64_t frames_read = 0;
  // For an Ogg file: the lengths its granule positions allow, at the file's
  // rate (max < 0: not an Ogg file, or unknown).
  internal::FrameRange ogg_frames;
  bool file_done = false;
  bool flushed = false;

  ~Impl() {
    if (resampler != nullptr) soxr_delete(resampler);
    if (file != nullptr) sf_close(file);
  }
};

void AudioReadOptions::VisitOptions(OptionVisitor& v) {
  OptionInfo channel_info =
      OptionInfo::Range("channel", "",
                        "Channel of a multi-channel file: -1 = channel 0 with a warning (Kaldi's "
                        "default), N, or mix (their average)",
                        kMixChannels);
  channel_info.word = "mix";
  channel_info.word_value = kMixChannels;
  v.Visit(channel_info, OptionRef::Of(&channel));
  v.Visit(OptionInfo::Range("resample", "",
                            "Resample files whose rate differs from the sample frequency (libsoxr, "
                            "high quality); false: reject them"),
          OptionRef::Of(&resample));
  v.Visit(OptionInfo::Range("allow_downsample", "",
                            "As in Kaldi: false makes a file above the sample frequency an error "
                            "(true: resampled)"),
          OptionRef::Of(&allow_downsample));
  v.Visit(OptionInfo::Range("allow_upsample", "",
                            "As in Kaldi: false makes a file below the sample frequency an error "
                            "(true: resampled)"),
          OptionRef::Of(&allow_upsample));
}

AudioSource::AudioSource(const AudioInput& input, const AudioReadOptions& opts)
    : impl_(new Impl), opts_(opts) {
  const std::string& path = input.path;
  if (opts_.block_frames < 1) throw Error("block size must be positive");
  if (input.decoded != nullptr) {
    // Already one channel at the Kaldi scale: only resampling is left.
    const DecodedAudio& audio = *input.decoded;
    const int64_t size = static_cast<int64_t>(audio.samples.size());
    if (input.begin < 0 || input.end < input.begin || input.end > size) {
      throw Error(Quote(path) + ": samples " + std::to_string(input.begin) + " to " +
                  std::to_string(input.end) + " are outside the audio (" + std::to_string(size) +
                  " samples)");
    }
    impl_->decoded = input.decoded;
    impl_->decoded_pos = input.begin;
    impl_->decoded_end = input.end;
    info_ = audio.info;
    info_.path = path;
    info_.channels = 1;
    info_.frames = input.end - input.begin;
    SetUpResampling();
    return;
  }
  // libsndfile decodes a truncated or damaged Ogg stream as far as it can
  // and reports success, so the pages are checked first (a regular file
  // only: a pipe cannot be read twice). Damaged files never reach
  // libsndfile's Ogg parser, which leaks memory on some of them.
  bool regular = true;
  internal::OggSummary ogg;
  bool is_ogg = false;
  MemoryFile* memory = nullptr;
  if (!input.command.empty()) {
    // Kaldi reads a piped entry with popen(); its output is held in memory
    // (bounded by opts.pipe.max_bytes) so that formats that need seeking
    // decode too.
    impl_->memory.bytes = RunPipeCommand(input.command, opts_.pipe);
    memory = &impl_->memory;
    is_ogg = internal::LooksLikeOggBytes(memory->bytes);
    if (is_ogg) ogg = internal::CheckOggPagesInMemory(memory->bytes, path);
  } else {
    regular = CheckPathIsReadableFile(path);
    is_ogg = regular && internal::LooksLikeOgg(path);
    if (is_ogg) ogg = internal::CheckOggPages(path);
  }
  SF_INFO sf_info;
  impl_->file = OpenOrThrow(path, &sf_info, memory);
  info_ = MakeInfo(path, sf_info);
  if (is_ogg) impl_->ogg_frames = internal::DeclaredFrames(ogg, info_.sample_rate);
  const std::string log = Log(impl_->file);
  if (!regular && HasStreamingPlaceholder(log)) info_.frames = -1;
  const std::string truncated = TruncationNote(log);
  if (!truncated.empty()) throw Error(Quote(path) + ": truncated file: " + truncated);
  if (!(opts_.full_scale > 0) || !std::isfinite(opts_.full_scale)) {
    throw Error("the full-scale sample value must be positive");
  }
  if (opts_.channel >= info_.channels) {
    throw OptionError("channel", std::to_string(opts_.channel),
                      "the file has " + std::to_string(info_.channels) + " channel(s)", Quote(path));
  }
  if (opts_.channel < AudioReadOptions::kMixChannels) {
    throw OptionError("channel", std::to_string(opts_.channel),
                      "expected -1, a channel number or mix");
  }
  if (opts_.channel == -1 && info_.channels > 1) {
    warning_ = Quote(path) + " has " + std::to_string(info_.channels) +
               " channels; using channel 0 (the channel option chooses another, or mix)";
  }
  SetUpResampling();
  impl_->interleaved.resize(static_cast<size_t>(opts_.block_frames * info_.channels));
}

void AudioSource::SetUpResampling() {
  const std::string& path = info_.path;
  out_rate_ = opts_.target_sample_rate > 0 ? opts_.target_sample_rate
                                           : static_cast<float>(info_.sample_rate);
  if (out_rate_ == static_cast<float>(info_.sample_rate)) return;
  const bool down = out_rate_ < static_cast<float>(info_.sample_rate);
  // An error about the option that refuses this file's rate, the file in
  // front ("'x.wav': --allow-downsample=false: sampled at 48000 Hz, not
  // 16000 Hz (--sample-frequency)"), each frontend spelling the keys.
  const std::string rates = "sampled at " + std::to_string(info_.sample_rate) + " Hz, not " +
                            std::to_string(static_cast<int64_t>(out_rate_)) +
                            " Hz ({sample_frequency})";
  if (!opts_.resample) throw OptionError("resample", "false", rates, Quote(path));
  // Kaldi feat/wave-reader.h and feature-common-inl.h: a rate mismatch is
  // an error unless --allow-downsample / --allow-upsample.
  if (down && !opts_.allow_downsample) {
    throw OptionError("allow_downsample", "false", rates, Quote(path));
  }
  if (!down && !opts_.allow_upsample) throw OptionError("allow_upsample", "false", rates, Quote(path));
  soxr_error_t err = nullptr;
  const soxr_io_spec_t io = soxr_io_spec(SOXR_FLOAT32_I, SOXR_FLOAT32_I);
  const soxr_quality_spec_t quality = soxr_quality_spec(SOXR_HQ, 0);
  impl_->resampler = soxr_create(info_.sample_rate, out_rate_, 1, &err, &io, &quality, nullptr);
  if (err != nullptr) throw Error(Quote(path) + ": cannot resample: " + err);
}

bool AudioSource::resampled() const { return impl_->resampler != nullptr; }

AudioSource::~AudioSource() = default;

int64_t AudioSource::ExpectedSamples() const {
  if (impl_->resampler == nullptr || info_.frames < 0) return info_.frames;
  // soxr delivers round(frames * out / in) samples once flushed.
  return static_cast<int64_t>(
      std::llround(static_cast<double>(info_.frames) * out_rate_ / info_.sample_rate));
}

int64_t AudioSource::ReadMono(float* out, int64_t max_frames) {
  const int32_t channels = info_.channels;
  max_frames = std::min(max_frames, opts_.block_frames);
  if (impl_->decoded != nullptr) {
    const int64_t n = std::min(max_frames, impl_->decoded_end - impl_->decoded_pos);
    std::copy_n(impl_->decoded->samples.data() + impl_->decoded_pos, n, out);
    impl_->decoded_pos += n;
    impl_->frames_read += n;
    return n;
  }
  float* block = channels == 1 ? out : impl_->interleaved.data();
  const sf_count_t got = sf_readf_float(impl_->file, block, max_frames);
  if (got < 0 || sf_error(impl_->file) != SF_ERR_NO_ERROR) {
    throw Error(Quote(info_.path) + ": cannot decode the audio data, corrupt or truncated file (" +
                sf_strerror(impl_->file) + ")");
  }
  if (channels > 1) {
    if (opts_.channel == AudioReadOptions::kMixChannels) {
      for (sf_count_t i = 0; i < got; ++i) {
        float sum = 0.0f;
        for (int32_t c = 0; c < channels; ++c) sum += block[i * channels + c];
        out[i] = sum / channels;
      }
    } else {
      const int32_t c = std::max(opts_.channel, 0);
      for (sf_count_t i = 0; i < got; ++i) out[i] = block[i * channels + c];
    }
  }
  for (sf_count_t i = 0; i < got; ++i) {
    if (!std::isfinite(out[i])) {
      throw Error(Quote(info_.path) + ": non-finite sample (NaN or inf) at sample " +
                  std::to_string(impl_->frames_read + i));
    }
    out[i] *= opts_.full_scale;
  }
  impl_->frames_read += got;
  if (got == 0) CheckLength();
  return got;
}

void AudioSource::CheckLength() {
  const internal::FrameRange& ogg = impl_->ogg_frames;
  const int64_t decoded = impl_->frames_read;
  if (ogg.max >= 0) {
    // libsndfile's length is the last page's granule position less the
    // stream's start offset, which only a decoder can tell; the granule
    // positions bound it.
    std::string declared;
    if (info_.frames >= 0 && decoded != info_.frames) {
      declared = "the last page declares " + std::to_string(info_.frames) + " samples";
    } else if (decoded < ogg.min || decoded > ogg.max) {
      declared = "the granule positions declare " + std::to_string(ogg.min) + " to " +
                 std::to_string(ogg.max) + " samples";
    }
    if (!declared.empty()) {
      throw Error(Quote(info_.path) +
                  ": corrupt OGG file: the decoded length differs from the declared one (" +
                  declared + ", decoding gave " + std::to_string(decoded) + ")");
    }
  }
  if (impl_->frames_read < info_.frames) {
    throw Error(Quote(info_.path) + ": truncated file: the header says " +
                std::to_string(info_.frames) + " samples, the file holds " +
                std::to_string(impl_->frames_read));
  }
  // Now the length is known, also for a pipe.
  if (info_.frames < 0) info_.frames = impl_->frames_read;
}

int64_t AudioSource::Read(float* out, int64_t max_samples) {
  if (max_samples <= 0) return 0;
  if (impl_->resampler == nullptr) return ReadMono(out, max_samples);

  Impl& s = *impl_;
  while (true) {
    if (s.mono_pos == s.mono.size() && !s.file_done) {
      s.mono.resize(static_cast<size_t>(opts_.block_frames));
      const int64_t got = ReadMono(s.mono.data(), opts_.block_frames);
      s.mono.resize(static_cast<size_t>(got));
      s.mono_pos = 0;
      s.file_done = got == 0;
    }
    size_t in_done = 0;
    size_t out_done = 0;
    soxr_error_t err;
    if (s.mono_pos < s.mono.size()) {
      err = soxr_process(s.resampler, s.mono.data() + s.mono_pos, s.mono.size() - s.mono_pos,
                         &in_done, out, static_cast<size_t>(max_samples), &out_done);
    } else if (!s.flushed) {
      // End of input: ask soxr for the tail it holds back.
      err = soxr_process(s.resampler, nullptr, 0, nullptr, out, static_cast<size_t>(max_samples),
                         &out_done);
      if (out_done == 0) s.flushed = true;
    } else {
      return 0;
    }
    if (err != nullptr) throw Error(Quote(info_.path) + ": resampling failed: " + err);
    s.mono_pos += in_done;
    if (out_done > 0) return static_cast<int64_t>(out_done);
  }
}

std::shared_ptr<DecodedAudio> DecodeAudio(const AudioInput& input, const AudioReadOptions& opts,
                                          int64_t max_samples) {
  AudioReadOptions native = opts;
  native.target_sample_rate = 0;
  AudioSource source(input, native);
  auto audio = std::make_shared<DecodedAudio>();
  const int64_t expected = source.ExpectedSamples();
  if (expected > max_samples) {
    throw Error(Quote(input.path) + ": " + std::to_string(expected) +
                " samples are more than featpool holds for cutting segments (" +
                std::to_string(max_samples) + ")");
  }
  if (expected > 0) audio->samples.reserve(static_cast<size_t>(expected));
  std::vector<float> block(static_cast<size_t>(native.block_frames));
  while (true) {
    const int64_t got = source.Read(block.data(), static_cast<int64_t>(block.size()));
    if (got == 0) break;
    if (static_cast<int64_t>(audio->samples.size()) + got > max_samples) {
      throw Error(Quote(input.path) + ": more than " + std::to_string(max_samples) +
                  " samples, more than featpool holds for cutting segments");
    }
    audio->samples.insert(audio->samples.end(), block.begin(), block.begin() + got);
  }
  audio->info = source.info();
  audio->info.frames = static_cast<int64_t>(audio->samples.size());
  audio->warning = source.warning();
  return audio;
}

std::vector<float> ReadAudio(const AudioInput& input, const AudioReadOptions& opts,
                             float* sample_rate) {
  AudioSource source(input, opts);
  std::vector<float> samples;
  // The header's length is a hint only (a corrupt one may claim anything).
  const int64_t hint = std::min<int64_t>(source.ExpectedSamples(), int64_t{1} << 24);
  samples.reserve(static_cast<size_t>(std::max<int64_t>(hint, 0)) + 64);
  std::vector<float> block(static_cast<size_t>(opts.block_frames));
  while (true) {
    const int64_t got = source.Read(block.data(), static_cast<int64_t>(block.size()));
    if (got == 0) break;
    samples.insert(samples.end(), block.begin(), block.begin() + got);
  }
  if (sample_rate != nullptr) *sample_rate = source.sample_rate();
  return samples;
}

}  // namespace featpool
