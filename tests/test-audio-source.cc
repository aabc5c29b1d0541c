// Audio input: every sample format lands on Kaldi's integer scale, channel
// selection, resampling, and the errors for unusable files (missing, empty,
// truncated, non-finite samples). Expected samples come from
// tests/data/kaldi/samples-*.npy, written by tests/gen-kaldi-fixtures.py from
// the same integers it encoded into each file.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/error.h"
#include "featpool/npy.h"
#include "featpool/online-feature.h"

using namespace featpool;

namespace {

const std::string kDir = std::string(FEATPOOL_TEST_DATA) + "/kaldi/";

std::vector<float> Expected(const std::string& name) {
  const Matrix m = ReadNpy(kDir + "samples-" + name + ".npy");
  return std::vector<float>(m.data(), m.data() + m.rows() * m.cols());
}

std::vector<float> Read(const std::string& file, AudioReadOptions opts = AudioReadOptions()) {
  return ReadAudio(kDir + file, opts);
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    d = std::max(d, std::fabs(static_cast<double>(a[i]) - b[i]));
  }
  return d;
}

std::string ErrorOf(const std::string& path, AudioReadOptions opts = AudioReadOptions()) {
  try {
    ReadAudio(path, opts);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A scratch directory removed at the end of the test.
struct TempDir {
  std::string path;
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/featpool-audio-XXXXXX";
    path = mkdtemp(&pattern[0]) != nullptr ? pattern : "";
    REQUIRE(!path.empty());
  }
  ~TempDir() {
    for (const std::string& f : files) std::remove(f.c_str());
    rmdir(path.c_str());
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string file = path + "/" + name;
    std::ofstream(file, std::ios::binary) << bytes;
    files.push_back(file);
    return file;
  }
  std::vector<std::string> files;
};

void PutLe32(std::string* bytes, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i)
    (*bytes)[at + static_cast<size_t>(i)] = static_cast<char>(v >> (8 * i));
}

}  // namespace

TEST_CASE("every PCM width, float and double read to Kaldi's integer scale", "[audio-source]") {
  // Exact: 8-bit (x 256), 16-bit, 24-bit (/ 256), float and double (x 32768),
  // 24-bit FLAC.
  const std::pair<const char*, const char*> exact[] = {
      {"short-u8.wav", "short-u8"},   {"short-s16.wav", "short-s16"},
      {"short-s24.wav", "short-s24"}, {"short-f32.wav", "short-f32"},
      {"short-f64.wav", "short-f64"}, {"short-s24.flac", "short-s24"},
  };
  for (const auto& [file, samples] : exact) {
    INFO(file);
    const std::vector<float> got = Read(file);
    const std::vector<float> want = Expected(samples);
    REQUIRE(got.size() == want.size());
    CHECK(MaxAbsDiff(got, want) == 0.0);
  }
  // 32-bit PCM passes through float (24-bit mantissa): relative 2^-24.
  const std::vector<float> s32 = Read("short-s32.wav");
  const std::vector<float> want32 = Expected("short-s32");
  REQUIRE(s32.size() == want32.size());
  for (size_t i = 0; i < s32.size(); ++i) {
    REQUIRE(std::fabs(s32[i] - want32[i]) <= std::fabs(want32[i]) * 0x1p-23 + 1e-6);
  }
  // The 16-bit scale, not [-1, 1]: this speech peaks above 13000.
  const std::vector<float> s16 = Read("short-s16.wav");
  CHECK(*std::max_element(s16.begin(), s16.end()) > 13000.0f);
  // 16-bit FLAC of the fixture speech equals its WAV.
  CHECK(Read("speech-16k.flac") == Read("speech-16k.wav"));
}

TEST_CASE("OGG/Vorbis decodes to Kaldi's scale", "[audio-source]") {
  // The reference is sox's decoding of the same file, which libvorbis
  // rounds to 16-bit integers; featpool keeps libvorbis's float output, so
  // the two differ by at most half a step (plus float noise).
  const std::vector<float> got = Read("short.ogg");
  const std::vector<float> want = Expected("short-ogg");
  REQUIRE(got.size() == want.size());
  CHECK(MaxAbsDiff(got, want) <= 0.5 + 1e-3);
  const AudioInfo info = ReadAudioInfo(kDir + "short.ogg");
  CHECK(info.frames == 4000);
  CHECK(info.sample_rate == 16000);
}

TEST_CASE("channel selection: -1 warns and takes channel 0, N, mix", "[audio-source]") {
  const std::vector<float> left = Expected("short-s16");
  const std::vector<float> right = Expected("short-other");
  AudioReadOptions opts;
  {
    AudioSource source(kDir + "short-stereo.wav", opts);
    CHECK(source.info().channels == 2);
    CHECK_THAT(source.warning(), Catch::Contains("2 channels") && Catch::Contains("channel 0") &&
                                     Catch::Contains("the channel option"));
  }
  CHECK(Read("short-stereo.wav", opts) == left);
  opts.channel = 0;
  CHECK(AudioSource(kDir + "short-stereo.wav", opts).warning().empty());
  CHECK(Read("short-stereo.wav", opts) == left);
  opts.channel = 1;
  CHECK(Read("short-stereo.wav", opts) == right);
  opts.channel = AudioReadOptions::kMixChannels;
  const std::vector<float> mix = Read("short-stereo.wav", opts);
  REQUIRE(mix.size() == left.size());
  for (size_t i = 0; i < mix.size(); ++i) REQUIRE(mix[i] == (left[i] + right[i]) / 2);
  opts.channel = 2;
  CHECK_THAT(ErrorOf(kDir + "short-stereo.wav", opts),
             Catch::Contains("channel=2: ") && Catch::Contains("2 channel"));
  // Mono files: no warning with the default.
  CHECK(AudioSource(kDir + "short-s16.wav", AudioReadOptions()).warning().empty());
}

TEST_CASE("reading in small blocks gives the same samples", "[audio-source]") {
  AudioReadOptions opts;
  opts.block_frames = 7;
  CHECK(Read("short-s24.flac", opts) == Expected("short-s24"));
  opts.channel = AudioReadOptions::kMixChannels;
  AudioReadOptions whole = opts;
  whole.block_frames = 1 << 16;
  CHECK(Read("short-stereo.wav", opts) == Read("short-stereo.wav", whole));
}

TEST_CASE("48 kHz is resampled to 16 kHz with libsoxr", "[audio-source]") {
  // short-48k.wav is short-s16.wav (4000 samples at 16 kHz) resampled to
  // 48 kHz by sox; back at 16 kHz it must have the original length and,
  // below the resamplers' transition bands, the original spectrum.
  AudioReadOptions opts;
  AudioSource source(kDir + "short-48k.wav", opts);
  CHECK(source.info().sample_rate == 48000);
  CHECK(source.sample_rate() == 16000.0f);
  CHECK(source.ExpectedSamples() == 4000);
  const std::vector<float> back = Read("short-48k.wav", opts);
  const std::vector<float> original = Expected("short-s16");
  REQUIRE(back.size() == original.size());
  // No delay and little error: linear-phase filters both ways.
  double err = 0, energy = 0;
  for (size_t i = 100; i + 100 < back.size(); ++i) {
    err += (back[i] - original[i]) * (back[i] - original[i]);
    energy += original[i] * original[i];
  }
  INFO("relative error energy " << err / energy);
  CHECK(err / energy < 1e-3);
  // Log-mel bands up to 7 kHz agree where the speech is loud.
  FeatureOptions fo;
  fo.fbank.mel_opts.high_freq = 7000;
  fo.fbank.use_energy = true;
  const Matrix a = ComputeFeatures(fo, 16000, back.data(), static_cast<int64_t>(back.size()));
  const Matrix b =
      ComputeFeatures(fo, 16000, original.data(), static_cast<int64_t>(original.size()));
  REQUIRE(a.rows() == b.rows());
  double worst = 0;
  int loud = 0;
  for (int64_t t = 0; t < a.rows(); ++t) {
    if (b(t, 0) < 20) continue;  // log energy: skip near-silent frames
    ++loud;
    for (int64_t j = 1; j < a.cols(); ++j) {
      if (b(t, j) > 10) worst = std::max(worst, std::fabs(double{a(t, j)} - b(t, j)));
    }
  }
  INFO("loud frames " << loud << ", largest log-mel difference " << worst);
  CHECK(loud > 5);
  CHECK(worst < 0.02);

  // The 1.43 s sample in data/: 68545 samples at 48 kHz -> 22848 at 16 kHz.
  const std::string sample48 = std::string(FEATPOOL_SAMPLE_DATA) + "/speech-48k.wav";
  AudioSource real(sample48, opts);
  CHECK(real.ExpectedSamples() == 22848);
  CHECK(ReadAudio(sample48, opts).size() == 22848);
}

TEST_CASE("resample = false (--no-resample) makes a rate mismatch an error", "[audio-source]") {
  AudioReadOptions opts;
  opts.resample = false;
  CHECK_THAT(ErrorOf(kDir + "short-48k.wav", opts), Catch::Contains("short-48k.wav") &&
                                                        Catch::Contains("48000") &&
                                                        Catch::Contains("resample=false: "));
  CHECK(ErrorOf(kDir + "short-s16.wav", opts).empty());
}

TEST_CASE("non-finite float samples are an error naming the sample", "[audio-source]") {
  CHECK_THAT(ErrorOf(kDir + "nan-f32.wav"), Catch::Contains("nan-f32.wav") &&
                                                Catch::Contains("non-finite") &&
                                                Catch::Contains("sample 500"));
  CHECK_THAT(ErrorOf(kDir + "inf-f32.wav"),
             Catch::Contains("inf-f32.wav") && Catch::Contains("sample 700"));
}

TEST_CASE("missing, directory and empty inputs are errors naming the path", "[audio-source]") {
  TempDir dir;
  CHECK_THAT(ErrorOf(dir.path + "/missing.wav"),
             Catch::Contains("missing.wav") && Catch::Contains("No such file"));
  CHECK_THAT(ErrorOf(dir.path), Catch::Contains(dir.path) && Catch::Contains("directory"));
  CHECK_THAT(ErrorOf(dir.Write("empty.wav", "")),
             Catch::Contains("empty.wav") && Catch::Contains("empty"));
  CHECK_THAT(ErrorOf(dir.Write("noise.wav", std::string(5000, '\x5a'))),
             Catch::Contains("noise.wav") && Catch::Contains("not a readable audio file"));
  CHECK_THAT(ErrorOf(dir.Write("head.wav", Slurp(kDir + "short-s16.wav").substr(0, 30))),
             Catch::Contains("head.wav"));
}

TEST_CASE("truncated files are detected, whole ones with odd headers are not", "[audio-source]") {
  TempDir dir;
  const std::string wav = Slurp(kDir + "short-s16.wav");  // 44-byte header, 8000 data bytes
  REQUIRE(wav.size() == 44 + 8000);
  for (size_t cut : {size_t{1}, size_t{2}, size_t{1000}, size_t{7999}}) {
    INFO("WAV without its last " << cut << " bytes");
    CHECK_THAT(ErrorOf(dir.Write("cut.wav", wav.substr(0, wav.size() - cut))),
               Catch::Contains("cut.wav") && Catch::Contains("truncated"));
  }
  const std::string wav24 = Slurp(kDir + "short-s24.wav");
  CHECK_THAT(ErrorOf(dir.Write("cut24.wav", wav24.substr(0, wav24.size() - 1))),
             Catch::Contains("truncated"));
  const std::string flac = Slurp(kDir + "short-s24.flac");
  for (size_t cut : {size_t{1}, size_t{100}, flac.size() / 2}) {
    INFO("FLAC without its last " << cut << " bytes");
    CHECK_THAT(ErrorOf(dir.Write("cut.flac", flac.substr(0, flac.size() - cut))),
               Catch::Contains("cut.flac") && Catch::Contains("truncated"));
  }
  // (Cut deeper, libsndfile refuses to open the file as malformed, and
  // leaks its vorbis_info doing so: LeakSanitizer would flag libsndfile.)
  const std::string ogg = Slurp(kDir + "short.ogg");
  for (size_t cut : {size_t{1}, size_t{200}}) {
    INFO("OGG without its last " << cut << " bytes");
    CHECK_THAT(ErrorOf(dir.Write("cut.ogg", ogg.substr(0, ogg.size() - cut))),
               Catch::Contains("cut.ogg"));
  }

  // Whole files that libsndfile notes oddities about: a wrong RIFF size
  // (Kaldi only warns), a streamed WAV (data size 0xFFFFFFFF), trailing
  // bytes after the data chunk.
  const std::vector<float> want = Expected("short-s16");
  std::string riff = wav;
  PutLe32(&riff, 4, 123456);
  CHECK(ReadAudio(dir.Write("riff.wav", riff), AudioReadOptions()) == want);
  std::string streamed = wav;
  PutLe32(&streamed, 4, 0xFFFFFFFF);
  PutLe32(&streamed, 40, 0xFFFFFFFF);
  CHECK(ReadAudio(dir.Write("streamed.wav", streamed), AudioReadOptions()) == want);
  CHECK(ReadAudio(dir.Write("junk.wav", wav + std::string(777, '\0')), AudioReadOptions()) == want);
  // sox writing to a pipe leaves 0x7FFFF000 as the data size.
  std::string piped = wav;
  PutLe32(&piped, 4, 0x7FFFF024);
  PutLe32(&piped, 40, 0x7FFFF000);
  CHECK(ReadAudio(dir.Write("piped.wav", piped), AudioReadOptions()) == want);
}

TEST_CASE("ReadAudioInfo reports the header", "[audio-source]") {
  const AudioInfo info = ReadAudioInfo(kDir + "short-s24.wav");
  CHECK(info.sample_rate == 16000);
  CHECK(info.channels == 1);
  CHECK(info.frames == 4000);
  CHECK(info.Duration() == Approx(0.25));
  CHECK_THAT(info.format, Catch::Contains("WAV"));
  CHECK_THAT(info.encoding, Catch::Contains("24"));
  CHECK(ReadAudioInfo(kDir + "short-stereo.wav").channels == 2);
  CHECK_THAT(ReadAudioInfo(kDir + "short-s24.flac").format, Catch::Contains("FLAC"));
}
