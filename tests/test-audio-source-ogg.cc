// Damaged Ogg files (Vorbis and Opus, written here by libsndfile) are errors
// naming the file and the reason: truncated anywhere, a 64-byte hole (zeroes
// or bytes removed), a flipped byte in any page, a missing page, a granule
// position going backwards, a last granule position that promises more than
// the stream holds, several audio streams. The intact files decode exactly
// what libsndfile decodes, of the declared length, also when their granule
// positions start later than 0.
#include <ogg/ogg.h>
#include <sndfile.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/error.h"

using namespace featpool;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/featpool-ogg-XXXXXX";
    path = mkdtemp(&pattern[0]) != nullptr ? pattern : "";
    REQUIRE(!path.empty());
  }
  ~TempDir() {
    for (const std::string& f : files) std::remove(f.c_str());
    rmdir(path.c_str());
  }
  std::string Name(const std::string& name) {
    files.push_back(path + "/" + name);
    return files.back();
  }
  std::string Write(const std::string& name, const std::string& bytes) {
    const std::string file = Name(name);
    std::ofstream(file, std::ios::binary) << bytes;
    return file;
  }
  std::vector<std::string> files;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// A tone with a little noise, deterministic.
void WriteOgg(const std::string& path, int subtype, int rate, int64_t frames) {
  SF_INFO info{};
  info.samplerate = rate;
  info.channels = 1;
  info.format = SF_FORMAT_OGG | subtype;
  SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
  REQUIRE(f != nullptr);
  std::vector<float> block(4096);
  uint32_t seed = 1;
  for (int64_t i = 0; i < frames;) {
    const int64_t n = std::min<int64_t>(block.size(), frames - i);
    for (int64_t j = 0; j < n; ++j, ++i) {
      seed = seed * 1664525u + 1013904223u;
      block[j] = 0.3f * std::sin(0.05f * static_cast<float>(i)) +
                 0.05f * (static_cast<float>(seed >> 8) / 16777216.0f - 0.5f);
    }
    REQUIRE(sf_writef_float(f, block.data(), n) == n);
  }
  sf_close(f);
}

// libsndfile's own decoding on Kaldi's scale.
std::vector<float> DecodeDirectly(const std::string& path) {
  SF_INFO info{};
  SNDFILE* f = sf_open(path.c_str(), SFM_READ, &info);
  REQUIRE(f != nullptr);
  std::vector<float> out;
  std::vector<float> block(4096);
  sf_count_t got;
  while ((got = sf_readf_float(f, block.data(), static_cast<sf_count_t>(block.size()))) > 0) {
    for (sf_count_t i = 0; i < got; ++i) out.push_back(block[i] * 32768.0f);
  }
  sf_close(f);
  return out;
}

AudioReadOptions OwnRate() {
  AudioReadOptions opts;
  opts.target_sample_rate = 0;
  return opts;
}

std::string ErrorOf(const std::string& path) {
  try {
    ReadAudio(path, OwnRate());
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Where each page starts (RFC 3533: 27 header bytes, the segment table, the
// body), and the file size at the end.
std::vector<size_t> PageStarts(const std::string& ogg) {
  std::vector<size_t> starts;
  size_t at = 0;
  while (at + 27 <= ogg.size()) {
    REQUIRE(ogg.compare(at, 4, "OggS") == 0);
    starts.push_back(at);
    const auto* p = reinterpret_cast<const unsigned char*>(ogg.data() + at);
    size_t length = 27 + p[26];
    for (int i = 0; i < p[26]; ++i) length += p[27 + i];
    at += length;
  }
  REQUIRE(at == ogg.size());
  starts.push_back(at);
  return starts;
}

int64_t Granule(const std::string& ogg, size_t page) {
  int64_t g;
  std::memcpy(&g, ogg.data() + page + 6, 8);  // little-endian on x86-64
  return g;
}

// Sets a page's granule position and recomputes its CRC, so only the
// granule is wrong.
void SetGranule(std::string* ogg, size_t page, size_t next, int64_t granule) {
  auto* p = reinterpret_cast<unsigned char*>(&(*ogg)[page]);
  std::memcpy(p + 6, &granule, 8);
  ogg_page og;
  og.header = p;
  og.header_len = 27 + p[26];
  og.body = p + og.header_len;
  og.body_len = static_cast<long>(next - page) - og.header_len;
  ogg_page_checksum_set(&og);
}

struct Case {
  const char* name;
  int subtype;
  int rate;
  int64_t frames;
  int64_t granule_per_frame;
};

const Case kCases[] = {
    {"vorbis-16k", SF_FORMAT_VORBIS, 16000, 3 * 16000 + 77, 1},
    {"opus-16k", SF_FORMAT_OPUS, 16000, 3 * 16000 + 77, 3},
    {"opus-48k", SF_FORMAT_OPUS, 48000, 2 * 48000 + 5, 1},
};

}  // namespace

TEST_CASE("intact OGG Vorbis and Opus decode exactly, of the declared length", "[audio-source]") {
  TempDir dir;
  for (const Case& c : kCases) {
    INFO(c.name);
    const std::string path = dir.Name(std::string(c.name) + ".ogg");
    WriteOgg(path, c.subtype, c.rate, c.frames);
    const std::vector<float> got = ReadAudio(path, OwnRate());
    CHECK(got.size() == static_cast<size_t>(c.frames));
    CHECK(got == DecodeDirectly(path));
    CHECK(ReadAudioInfo(path).frames == c.frames);
    // Bytes after the end-of-stream page (a tag some tools append) are not
    // audio and not damage.
    const std::string tail = dir.Write(std::string(c.name) + "-tail.ogg",
                                       Slurp(path) + "TAG" + std::string(200, '\x01'));
    CHECK(ReadAudio(tail, OwnRate()) == got);
  }
}

TEST_CASE("truncated OGG files are errors, wherever they are cut", "[audio-source]") {
  TempDir dir;
  for (const Case& c : kCases) {
    INFO(c.name);
    const std::string path = dir.Name(std::string(c.name) + ".ogg");
    WriteOgg(path, c.subtype, c.rate, c.frames);
    const std::string ogg = Slurp(path);
    std::vector<size_t> cuts;
    for (size_t i = 1; i < 20; ++i) cuts.push_back(ogg.size() * i / 20);
    // Every page boundary, and a byte before the end.
    const std::vector<size_t> pages = PageStarts(ogg);
    cuts.insert(cuts.end(), pages.begin() + 1, pages.end() - 1);
    cuts.push_back(ogg.size() - 1);
    for (size_t cut : cuts) {
      INFO("cut at byte " << cut << " of " << ogg.size());
      const std::string file = dir.Write("cut.ogg", ogg.substr(0, cut));
      const std::string error = ErrorOf(file);
      CHECK_THAT(error,
                 Catch::StartsWith("'" + file + "': truncated OGG file: no end-of-stream page"));
    }
  }
}

TEST_CASE("a hole, a flipped byte or a missing page in an OGG file is an error", "[audio-source]") {
  TempDir dir;
  for (const Case& c : kCases) {
    INFO(c.name);
    const std::string path = dir.Name(std::string(c.name) + ".ogg");
    WriteOgg(path, c.subtype, c.rate, c.frames);
    const std::string ogg = Slurp(path);
    const std::vector<size_t> pages = PageStarts(ogg);
    REQUIRE(pages.size() > 5);
    const std::string file = dir.Name("damaged.ogg");
    auto error_of = [&](const std::string& bytes) {
      dir.Write("damaged.ogg", bytes);
      return ErrorOf(file);
    };
    const std::string prefix = "'" + file + "': corrupt OGG file: ";
    // A byte flipped in the middle of every page: that page fails its CRC.
    for (size_t p = 0; p + 1 < pages.size(); ++p) {
      std::string bytes = ogg;
      const size_t at = (pages[p] + pages[p + 1]) / 2;
      bytes[at] = static_cast<char>(bytes[at] ^ 0x10);
      INFO("byte " << at << " flipped");
      CHECK(error_of(bytes) ==
            prefix + "the page at byte " + std::to_string(pages[p]) + " fails its CRC check");
    }
    // 64-byte holes at every tenth of the file, zeroed or removed.
    int inside_a_body = 0;
    for (size_t i = 1; i < 10; ++i) {
      const size_t at = ogg.size() * i / 10;
      INFO("64 bytes at byte " << at);
      const std::string zeroed = ogg.substr(0, at) + std::string(64, '\0') + ogg.substr(at + 64);
      const std::string removed = ogg.substr(0, at) + ogg.substr(at + 64);
      for (const std::string& bytes : {zeroed, removed}) {
        const std::string error = error_of(bytes);
        CHECK_THAT(error, Catch::StartsWith(prefix) ||
                              Catch::StartsWith("'" + file + "': truncated OGG file"));
        CHECK_THAT(error, Catch::Contains("fails its CRC check") ||
                              Catch::Contains("are not an Ogg page") ||
                              Catch::Contains("no end-of-stream page"));
      }
      // Inside one page's body (its header intact, the bytes it spans still
      // in the file): that page fails its CRC.
      size_t page = 0;
      while (pages[page + 1] <= at) ++page;
      const size_t body = pages[page] + 27 + static_cast<unsigned char>(ogg[pages[page] + 26]);
      if (at >= body && at + 64 < pages[page + 1] && pages[page + 1] + 64 <= ogg.size()) {
        ++inside_a_body;
        CHECK(error_of(zeroed) ==
              prefix + "the page at byte " + std::to_string(pages[page]) + " fails its CRC check");
        CHECK(error_of(removed) ==
              prefix + "the page at byte " + std::to_string(pages[page]) + " fails its CRC check");
      }
    }
    CHECK(inside_a_body >= 5);
    // Garbage between two pages.
    const size_t mid = pages[pages.size() / 2];
    CHECK(error_of(ogg.substr(0, mid) + std::string(64, 'x') + ogg.substr(mid)) ==
          prefix + "64 bytes at byte " + std::to_string(mid) + " are not an Ogg page");
    // A whole page missing: a gap in the page sequence.
    const size_t after = pages[pages.size() / 2 + 1];
    CHECK_THAT(
        error_of(ogg.substr(0, mid) + ogg.substr(after)),
        Catch::StartsWith(prefix + "gap in the page sequence at byte " + std::to_string(mid)) &&
            Catch::Contains("pages are missing"));
  }
}

TEST_CASE("OGG granule positions: backwards, promising more than the stream holds, or late",
          "[audio-source]") {
  TempDir dir;
  for (const Case& c : kCases) {
    INFO(c.name);
    const std::string path = dir.Name(std::string(c.name) + ".ogg");
    WriteOgg(path, c.subtype, c.rate, c.frames);
    const std::string ogg = Slurp(path);
    const std::vector<size_t> pages = PageStarts(ogg);
    const std::string file = dir.Name("granule.ogg");
    const std::string prefix = "'" + file + "': corrupt OGG file: ";
    const size_t mid = pages.size() / 2;
    // A middle page's granule position below its predecessor's.
    std::string backwards = ogg;
    SetGranule(&backwards, pages[mid], pages[mid + 1], Granule(ogg, pages[mid - 1]) - 1);
    dir.Write("granule.ogg", backwards);
    CHECK_THAT(ErrorOf(file), Catch::StartsWith(prefix +
                                                "the granule position goes backwards at "
                                                "byte " +
                                                std::to_string(pages[mid])));
    // Every granule position moved on by a second: a stream that starts
    // later than 0 (e.g. cut from a broadcast) is whole.
    std::string later = ogg;
    for (size_t p = 0; p + 1 < pages.size(); ++p) {
      const int64_t g = Granule(ogg, pages[p]);
      if (g > 0) SetGranule(&later, pages[p], pages[p + 1], g + c.rate * c.granule_per_frame);
    }
    dir.Write("granule.ogg", later);
    const std::vector<float> got = ReadAudio(file, OwnRate());
    CHECK(got.size() == static_cast<size_t>(c.frames));
    CHECK(got == DecodeDirectly(file));
    // The last page declares 1000 frames more than were written.
    const size_t last = pages[pages.size() - 2];
    std::string longer = ogg;
    SetGranule(&longer, last, ogg.size(), Granule(ogg, last) + 1000 * c.granule_per_frame);
    dir.Write("granule.ogg", longer);
    CHECK_THAT(ErrorOf(file),
               Catch::StartsWith(prefix +
                                 "the decoded length differs from the declared one (the "
                                 "last page declares " +
                                 std::to_string(c.frames + 1000) + " samples, decoding gave "));
  }
}

TEST_CASE("a chained OGG file is an error, not its first part", "[audio-source]") {
  // libsndfile decodes the first link only.
  TempDir dir;
  const std::string a = dir.Name("a.ogg");
  const std::string b = dir.Name("b.ogg");
  WriteOgg(a, SF_FORMAT_VORBIS, 16000, 16000);
  WriteOgg(b, SF_FORMAT_VORBIS, 16000, 32000);
  const std::string chained = dir.Write("chained.ogg", Slurp(a) + Slurp(b));
  CHECK(ErrorOf(chained) == "'" + chained +
                                "': OGG file with 2 audio streams (chained or multiplexed); only "
                                "single-stream files are read");
}

TEST_CASE("a damaged short OGG file reports the damage", "[audio-source]") {
  // Cut after a few hundred samples' worth, libsndfile decoded less than one
  // frame and the command said "shorter than one frame".
  TempDir dir;
  const std::string path = dir.Name("one-second.ogg");
  WriteOgg(path, SF_FORMAT_VORBIS, 16000, 16000);
  const std::string ogg = Slurp(path);
  const std::vector<size_t> pages = PageStarts(ogg);
  for (size_t cut : {pages[2] + 10, ogg.size() / 2}) {
    const std::string file = dir.Write("cut.ogg", ogg.substr(0, cut));
    CHECK_THAT(ErrorOf(file), Catch::StartsWith("'" + file + "': truncated OGG file"));
  }
}
