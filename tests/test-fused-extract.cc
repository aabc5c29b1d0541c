// Streamed extraction + pooling (lib/src/fused-extract.h) and the
// row-by-row .npy writer behind it: the bytes written as rows become final
// are those of the offline path (ExtractFile, Pooler::Apply, WriteNpy), for
// pooling configurations with padding, ceil_mode and dilation, for the modes
// that cannot stream (adaptive, pooled offline instead) and for the errors.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <thread>
#include <vector>

#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "../lib/src/fused-extract.h"
#include "featpool/npy.h"
#include "featpool/output-file.h"
#include "featpool/pooler.h"
#include "featpool/stage.h"

using namespace featpool;
using namespace featpool::internal;

namespace {

const std::string kSpeech = FEATPOOL_SAMPLE_DATA "/speech-16k.wav";

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Scratch {
  std::string dir;
  Scratch() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/featpool-fused-XXXXXX";
    dir = mkdtemp(&pattern[0]) != nullptr ? pattern : "";
    REQUIRE(!dir.empty());
  }
  ~Scratch() {
    for (const std::string& f : files) std::remove(f.c_str());
    rmdir(dir.c_str());
  }
  std::string File(const std::string& name) {
    files.push_back(dir + "/" + name);
    return files.back();
  }
  std::vector<std::string> files;
};

// A 16 kHz mono 16-bit WAV of `count` samples of a ramp.
void WriteWav(const std::string& path, int32_t count) {
  std::string bytes = "RIFF";
  auto u32 = [&bytes](uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto u16 = [&bytes](uint16_t v) {
    bytes.push_back(static_cast<char>(v & 0xff));
    bytes.push_back(static_cast<char>(v >> 8));
  };
  u32(36 + 2 * static_cast<uint32_t>(count));
  bytes += "WAVEfmt ";
  u32(16);
  u16(1);
  u16(1);
  u32(16000);
  u32(32000);
  u16(2);
  u16(16);
  bytes += "data";
  u32(2 * static_cast<uint32_t>(count));
  for (int32_t i = 0; i < count; ++i) u16(static_cast<uint16_t>((i * 37) % 2000));
  std::ofstream(path, std::ios::binary) << bytes;
}

std::string Passthrough(const Error& e) { return "[" + std::string(e.what()) + "]"; }

struct Config {
  const char* name;
  PoolOptions opts;
};

std::vector<Config> Configs() {
  std::vector<Config> configs;
  PoolOptions o;
  o.mode = PoolMode::kMax;
  o.kernel = {2, 2};
  configs.push_back({"max 2x2", o});
  o.kernel = {3, 3};
  o.stride = PoolSize{2, 2};
  o.padding = {1, 1};
  o.ceil_mode = true;
  configs.push_back({"max 3x3 stride 2 padding 1 ceil", o});
  o = PoolOptions();
  o.kernel = {3, 2};
  o.dilation = {2, 1};
  o.stride = PoolSize{1, 2};
  configs.push_back({"max 3x2 dilation 2x1 stride 1x2", o});
  o = PoolOptions();
  o.mode = PoolMode::kAvg;
  o.kernel = {5, 3};
  o.stride = PoolSize{3, 2};
  o.padding = {2, 1};
  o.ceil_mode = true;
  o.count_include_pad = false;
  configs.push_back({"avg 5x3 stride 3x2 padding 2x1 ceil, no pad count", o});
  o.count_include_pad = true;
  o.ceil_mode = false;
  configs.push_back({"avg 5x3 stride 3x2 padding 2x1", o});
  o = PoolOptions();
  o.mode = PoolMode::kLp;
  o.kernel = {4, 2};
  o.stride = PoolSize{3, 2};
  o.ceil_mode = true;
  o.norm_type = 2.0;  // odd p gives NaN on negative features: an error
  configs.push_back({"lp p=2 4x2 stride 3x2 ceil", o});
  o = PoolOptions();
  o.mode = PoolMode::kStats;
  configs.push_back({"stats", o});
  o = PoolOptions();
  o.mode = PoolMode::kStack;
  configs.push_back({"stack 7/6", o});
  o = PoolOptions();
  o.mode = PoolMode::kAdaptiveAvg;
  o.output_size = PoolSize{100, 20};
  configs.push_back({"adaptive-avg 100x20 (offline fallback)", o});
  o.mode = PoolMode::kAdaptiveMax;
  o.output_size = PoolSize{kKeep, 7};
  configs.push_back({"adaptive-max keep x 7 (offline fallback)", o});
  return configs;
}

FeatureOptions Fbank(bool snip_edges) {
  FeatureOptions f;
  f.type = FeatureType::kFbank;
  f.fbank.frame_opts.snip_edges = snip_edges;
  return f;
}

// Pooling alone as the stage chain.
StageChain PoolChain(const PoolOptions& opts, const FeatureOptions& features) {
  StageOptions stages;
  stages.pool = opts;
  return StageChain(stages, MakeFeatureComputer(features)->Dim());
}

}  // namespace

TEST_CASE("streamed extraction + pooling writes the offline bytes", "[fused-extract]") {
  Scratch scratch;
  const std::string offline_npy = scratch.File("offline.npy");
  const std::string streamed_npy = scratch.File("streamed.npy");
  for (const bool snip : {true, false}) {
    const FeatureOptions features = Fbank(snip);
    const Matrix feats = ExtractFile(kSpeech, features, AudioReadOptions()).features;
    for (const Config& config : Configs()) {
      const Pooler pooler(config.opts);
      const StageChain chain = PoolChain(config.opts, features);
      Matrix pooled;
      pooler.Apply(feats.View(), &pooled);
      WriteNpy(offline_npy, pooled.View());
      const std::string expected = Slurp(offline_npy);
      // Blocks of 8192 samples (the default), and of 37 (rows become final
      // a few at a time, most blocks giving none).
      for (const int64_t block : {int64_t{8192}, int64_t{37}}) {
        INFO(config.name << ", snip_edges " << snip << ", blocks of " << block);
        AudioReadOptions audio;
        audio.block_frames = block;
        NpyRowSink npy(streamed_npy);
        FusedResult result;
        ExtractFused(kSpeech, features, audio, &chain, Passthrough, &npy, &result);
        npy.Commit();
        CHECK(result.extracted);
        CHECK(result.file.num_frames == feats.rows());
        CHECK(result.file.dim == feats.cols());
        CHECK(result.rows == pooled.rows());
        CHECK(result.cols == pooled.cols());
        CHECK(Slurp(streamed_npy) == expected);

        MatrixRowSink matrix;
        FusedResult in_memory;
        ExtractFused(kSpeech, features, audio, &chain, Passthrough, &matrix, &in_memory);
        const Matrix got = matrix.Take();
        REQUIRE(got.rows() == pooled.rows());
        REQUIRE(got.cols() == pooled.cols());
        CHECK(std::memcmp(got.data(), pooled.data(),
                          sizeof(float) * static_cast<size_t>(got.rows() * got.cols())) == 0);
      }
    }
    // No pooling: the features themselves.
    WriteNpy(offline_npy, feats.View());
    NpyRowSink npy(streamed_npy);
    FusedResult result;
    AudioReadOptions audio;
    audio.block_frames = 1000;
    ExtractFused(kSpeech, features, audio, nullptr, Passthrough, &npy, &result);
    npy.Commit();
    CHECK(result.rows == feats.rows());
    CHECK(result.cols == feats.cols());
    CHECK(Slurp(streamed_npy) == Slurp(offline_npy));
  }
}

TEST_CASE("streamed pooling fails as offline pooling does", "[fused-extract]") {
  Scratch scratch;
  const FeatureOptions features = Fbank(true);
  const Matrix feats = ExtractFile(kSpeech, features, AudioReadOptions()).features;
  PoolOptions too_long;  // more frames than the file has: no row
  too_long.kernel = {feats.rows() + 1, 1};
  PoolOptions too_wide;  // more columns than a frame: OnlinePooler refuses it
  too_wide.mode = PoolMode::kAvg;
  too_wide.kernel = {2, feats.cols() + 1};
  for (const PoolOptions& opts : {too_long, too_wide}) {
    const Pooler pooler(opts);
    const StageChain chain = PoolChain(opts, features);
    std::string offline;
    try {
      Matrix pooled;
      pooler.Apply(feats.View(), &pooled);
    } catch (const Error& e) {
      offline = e.what();
    }
    REQUIRE(!offline.empty());
    const std::string path = scratch.File("out.npy");
    NpyRowSink npy(path);
    FusedResult result;
    CHECK_THROWS_WITH(
        ExtractFused(kSpeech, features, AudioReadOptions(), &chain, Passthrough, &npy, &result),
        "[" + offline + "]");
    // The audio was read: callers still report its header and warning.
    CHECK(result.extracted);
    CHECK(result.file.num_frames == feats.rows());
    struct stat st;
    CHECK(stat(path.c_str(), &st) != 0);  // no output, not even a partial one
  }
}

TEST_CASE("a non-finite pooled value fails the file, found while streaming", "[fused-extract]") {
  // lp with odd p takes x^p of negative log-mel values: NaN, as in torch.
  Scratch scratch;
  const FeatureOptions features = Fbank(true);
  const Matrix feats = ExtractFile(kSpeech, features, AudioReadOptions()).features;
  PoolOptions opts;
  opts.mode = PoolMode::kLp;
  opts.kernel = {2, 2};
  opts.norm_type = 3.0;
  const Pooler pooler(opts);
  const StageChain chain = PoolChain(opts, features);
  Matrix pooled;
  pooler.Apply(feats.View(), &pooled);
  const int64_t at = FirstNonFinite(pooled.View());
  REQUIRE(at >= 0);
  REQUIRE(at / pooled.cols() < pooled.rows() - 1);  // rows follow it
  const std::string expected = "[pooled feature value (row " + std::to_string(at / pooled.cols()) +
                               ", column " + std::to_string(at % pooled.cols()) +
                               ") is not finite (float32 overflow)]";
  for (const int64_t block : {int64_t{8192}, int64_t{37}}) {
    AudioReadOptions audio;
    audio.block_frames = block;
    const std::string path = scratch.File("nan.npy");
    NpyRowSink npy(path);
    FusedResult result;
    CHECK_THROWS_WITH(ExtractFused(kSpeech, features, audio, &chain, Passthrough, &npy, &result),
                      expected);
    // Found before the end of the audio, the file's header is still known.
    CHECK(result.extracted);
    CHECK(result.file.info.sample_rate == 16000);
    CHECK(result.file.dim == feats.cols());
    struct stat st;
    CHECK(stat(path.c_str(), &st) != 0);
  }
}

TEST_CASE("a file shorter than a frame gives no rows and no output", "[fused-extract]") {
  Scratch scratch;
  const std::string wav = scratch.File("short.wav");
  WriteWav(wav, 100);  // a frame is 400 samples
  PoolOptions opts;
  opts.kernel = {2, 2};
  const StageChain chain = PoolChain(opts, Fbank(true));
  for (const StageChain* p : {static_cast<const StageChain*>(nullptr), &chain}) {
    const std::string path = scratch.File("short.npy");
    NpyRowSink npy(path);
    FusedResult result;
    ExtractFused(wav, Fbank(true), AudioReadOptions(), p, Passthrough, &npy, &result);
    CHECK(result.extracted);
    CHECK(result.file.num_frames == 0);
    CHECK(result.file.num_samples == 100);
    CHECK(result.rows == 0);
    struct stat st;
    CHECK(stat(path.c_str(), &st) != 0);
  }
}

TEST_CASE("NpyWriter writes WriteNpy's bytes, also to a pipe", "[fused-extract][npy]") {
  Scratch scratch;
  Matrix m(1001, 3);  // header rewritten from 0 rows to 4 digits
  for (int64_t i = 0; i < m.rows() * m.cols(); ++i) m.data()[i] = 0.25f * static_cast<float>(i);
  const std::string whole = scratch.File("whole.npy");
  WriteNpy(whole, m.View());
  const std::string expected = Slurp(whole);
  auto write_in_parts = [&m](const std::string& path) {
    NpyWriter writer(path, m.cols());
    writer.Append({m.data(), 0, 3});
    writer.Append({m.data(), 1, 3});
    writer.Append({m.Row(1), 999, 3});
    writer.Append({m.Row(1000), 1, 3});
    CHECK(writer.rows() == 1001);
    writer.Commit();
  };
  const std::string parts = scratch.File("parts.npy");
  write_in_parts(parts);
  CHECK(Slurp(parts) == expected);

  // A named pipe cannot be rewritten in place: the rows are held until
  // Commit() and the header goes first.
  const std::string fifo = scratch.File("pipe.npy");
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  std::string piped;
  std::thread reader([&] { piped = Slurp(fifo); });
  write_in_parts(fifo);
  reader.join();
  CHECK(piped == expected);

  NpyWriter writer(parts, 3);
  CHECK_THROWS_WITH(writer.Append({m.data(), 1, 2}), Catch::Contains("2 columns"));
}

TEST_CASE("AtomicOutputFile::Rewrite overwrites written bytes only", "[fused-extract]") {
  Scratch scratch;
  const std::string path = scratch.File("rewrite.bin");
  {
    AtomicOutputFile out(path);
    REQUIRE(out.CanRewrite());
    out.Write("abcdef", 6);
    out.Rewrite(1, "XY", 2);
    out.Write("gh", 2);
    CHECK(out.Tell() == 8);
    CHECK_THROWS_AS(out.Rewrite(7, "ZZ", 2), Error);
    out.Commit();
  }
  CHECK(Slurp(path) == "aXYdefgh");
}
