#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "featpool/dataset.h"
#include "featpool/error.h"

using namespace featpool;

namespace {

std::string TempDir(const std::string& name) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("featpool-test-dataset-" + std::to_string(getpid()) + "-" + name))
                              .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

void Touch(const std::string& path, size_t bytes = 10) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream(path) << std::string(bytes, 'x');
}

std::vector<std::string> Ids(const std::vector<Utterance>& utts) {
  std::vector<std::string> ids;
  for (const Utterance& u : utts) ids.push_back(u.id);
  return ids;
}

}  // namespace

TEST_CASE("directories are searched recursively, sorted, ids relative without extension",
          "[dataset]") {
  const std::string dir = TempDir("walk");
  Touch(dir + "/b/x.WAV");
  Touch(dir + "/a/z.flac", 33);
  Touch(dir + "/a/y.tar.wav");
  Touch(dir + "/a/notes.txt");
  Touch(dir + "/.hidden/h.wav");
  Touch(dir + "/a/.h.wav");
  std::filesystem::create_directory_symlink(dir + "/a", dir + "/b/link");
  std::filesystem::create_directory_symlink(dir, dir + "/a/loop");  // not followed twice
  const auto utts = FindUtterances({dir}, DatasetOptions());
  CHECK(Ids(utts) == std::vector<std::string>{"a/y.tar", "a/z", "b/link/y.tar", "b/link/z", "b/x"});
  CHECK(utts[1].path == dir + "/a/z.flac");
  CHECK(utts[1].bytes == 33);

  DatasetOptions flac;
  flac.extensions = ParseExtensions(".flac");
  CHECK(Ids(FindUtterances({dir + "/a"}, flac)) == std::vector<std::string>{"z"});
  flac.extensions = ParseExtensions("mp3");
  CHECK_THROWS_WITH(FindUtterances({dir}, flac), Catch::Contains("no audio files"));
  flac.extensions = ParseExtensions("wav,");
  CHECK_THROWS_WITH(FindUtterances({dir}, flac), Catch::Contains("extensions"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("file, scp and directory inputs; duplicate ids are an error", "[dataset]") {
  const std::string dir = TempDir("inputs");
  Touch(dir + "/d/s1/u1.wav");
  Touch(dir + "/d/s2/u1.wav");
  Touch(dir + "/one.wav");
  std::ofstream(dir + "/wav.scp") << "k1 " << dir << "/one.wav\nk2 missing.wav\n";
  const auto utts =
      FindUtterances({dir + "/one.wav", "scp:" + dir + "/wav.scp", dir + "/d"}, DatasetOptions());
  CHECK(Ids(utts) == std::vector<std::string>{"one", "k1", "k2", "s1/u1", "s2/u1"});
  CHECK(utts[2].bytes == 0);  // missing: reported when processed

  CHECK_THROWS_WITH(FindUtterances({dir + "/d/s1/u1.wav", dir + "/d/s2/u1.wav"}, DatasetOptions()),
                    Catch::Contains("duplicate utterance ids: 'u1'"));
  CHECK_THROWS_WITH(FindUtterances({dir + "/nothere/"}, DatasetOptions()),
                    Catch::Contains("nothere"));

  std::ofstream(dir + "/piped.scp") << "k1 a.wav\nk2 | sox b.wav -t wav -\n";
  CHECK_THROWS_WITH(FindUtterances({"scp:" + dir + "/piped.scp"}, DatasetOptions()),
                    Catch::Contains("line 2") && Catch::Contains("output pipe"));
  std::ofstream(dir + "/offset.scp") << "k1 data/wav.ark:1234\n";
  CHECK_THROWS_WITH(FindUtterances({dir + "/offset.scp"}, DatasetOptions()),
                    Catch::Contains("offsets"));
  std::ofstream(dir + "/dup.scp") << "k1 a.wav\nk1 b.wav\n";
  CHECK_THROWS_WITH(FindUtterances({dir + "/dup.scp"}, DatasetOptions()), Catch::Contains("'k1'"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("shard specs parse K/N", "[dataset]") {
  CHECK(ShardSpec::Parse("3/8").index == 3);
  CHECK(ShardSpec::Parse("3/8").count == 8);
  for (const char* bad : {"0/4", "5/4", "1", "1/", "/4", "a/b", "1/4x", "-1/4"}) {
    CHECK_THROWS_WITH(ShardSpec::Parse(bad), Catch::StartsWith(std::string("shard=") + bad + ": "));
  }
}

TEST_CASE("shards partition the inputs, keep input order and balance bytes", "[dataset]") {
  std::vector<Utterance> all;
  // One big file, then many small ones of varying sizes.
  all.push_back({"big", "big.wav", 10'000'000});
  for (int i = 0; i < 200; ++i) {
    all.push_back({"u" + std::to_string(i), "u.wav", 20'000 + (i * 7919) % 300'000});
  }
  const int32_t n = 4;
  std::set<std::string> seen;
  std::vector<int64_t> loads;
  for (int32_t k = 1; k <= n; ++k) {
    const auto shard = SelectShard(all, ShardSpec{k, n});
    CHECK(Ids(shard) == Ids(SelectShard(all, ShardSpec{k, n})));  // deterministic
    int64_t load = 0;
    size_t last = 0;
    for (const Utterance& u : shard) {
      CHECK(seen.insert(u.id).second);
      load += u.bytes + kShardFileOverheadBytes;
      // input order is kept
      const size_t index = u.id == "big" ? 0 : std::stoul(u.id.substr(1)) + 1;
      CHECK((index >= last));
      last = index;
    }
    loads.push_back(load);
  }
  CHECK(seen.size() == all.size());
  // The big file's shard gets little else; the others are within one file
  // (at most 320 KB + overhead) of each other.
  std::sort(loads.begin(), loads.end());
  CHECK(loads[2] - loads[0] <= 320'000 + kShardFileOverheadBytes);
  // Many files of size 0 still spread over the shards.
  std::vector<Utterance> empty(8, Utterance{"", "x", 0});
  for (int i = 0; i < 8; ++i) empty[i].id = std::to_string(i);
  for (int32_t k = 1; k <= n; ++k) CHECK(SelectShard(empty, ShardSpec{k, n}).size() == 2);
}

TEST_CASE("more shards than files: one file each in size order, the rest empty", "[dataset]") {
  // Nothing is allocated per shard: N = 2^31 - 1 costs as much as N = 3.
  const std::vector<Utterance> all = {
      {"a", "a.wav", 100}, {"b", "b.wav", 300}, {"c", "c.wav", 200}};
  for (int32_t n : {3, 7, 2147483647}) {
    INFO("N = " << n);
    CHECK(Ids(SelectShard(all, ShardSpec{1, n})) == std::vector<std::string>{"b"});
    CHECK(Ids(SelectShard(all, ShardSpec{2, n})) == std::vector<std::string>{"c"});
    CHECK(Ids(SelectShard(all, ShardSpec{3, n})) == std::vector<std::string>{"a"});
    CHECK(SelectShard(all, ShardSpec{n, n}).size() == (n == 3 ? 1u : 0u));
  }
  CHECK(SelectShard({}, ShardSpec{1, 2147483647}).empty());
  CHECK(ShardSpec::Parse("1/2147483647").count == 2147483647);
}

TEST_CASE("wav.scp commands, rspecifier options and rejected specifiers", "[dataset]") {
  const std::string dir = TempDir("pipes");
  std::ofstream(dir + "/wav.scp") << "k1 a.wav\nk2 sox b.wav -t wav - |\nk3   flac -dc x.flac|  \n";
  for (const std::string spec :
       {"scp:", "scp,p:", "p,scp:", "scp,o,s,cs:", "b,scp,np,ns,ncs,bg:"}) {
    const std::vector<Utterance> utts = FindUtterances({spec + dir + "/wav.scp"}, DatasetOptions());
    REQUIRE(utts.size() == 3);
    CHECK(utts[0].command.empty());
    CHECK(utts[1].command == "sox b.wav -t wav -");
    CHECK(utts[1].path == "sox b.wav -t wav - |");
    CHECK(utts[2].command == "flac -dc x.flac");
  }
  CHECK_THROWS_WITH(FindUtterances({"scp,zz:" + dir + "/wav.scp"}, DatasetOptions()),
                    Catch::Contains("unknown rspecifier option 'zz'"));
  CHECK_THROWS_WITH(FindUtterances({"ark:" + dir + "/wav.scp"}, DatasetOptions()),
                    Catch::Contains("archives of audio"));
  std::ofstream(dir + "/empty.scp") << "k1 |\n";
  CHECK_THROWS_WITH(FindUtterances({dir + "/empty.scp"}, DatasetOptions()),
                    Catch::Contains("empty command"));
}

TEST_CASE("a Kaldi data directory: wav.scp and segments, bad lines fail on their own",
          "[dataset]") {
  const std::string dir = TempDir("datadir");
  std::ofstream(dir + "/wav.scp") << "r1 a.wav\nr2 sox b.wav -t wav - |\nr3 c.wav\n";
  SECTION("without segments: the recordings") {
    CHECK(Ids(FindUtterances({dir}, DatasetOptions())) ==
          std::vector<std::string>{"r1", "r2", "r3"});
    CHECK(IsScpInput(dir));
  }
  SECTION("with segments: in their order, recordings without segments dropped") {
    std::ofstream(dir + "/segments") << "s2 r2 1.5 -1\ns1 r1 0 2.25\ns3 r1 1 0.5\n"
                                        "s4 nosuch 0 1\ns5 r1 x 1\ns6 r1 0 1 1\ns7 r1 0\n";
    const std::vector<Utterance> utts = FindUtterances({dir}, DatasetOptions());
    REQUIRE(Ids(utts) == std::vector<std::string>{"s2", "s1", "s3", "s4", "s5", "s6", "s7"});
    CHECK(utts[0].recording == "r2");
    CHECK(utts[0].command == "sox b.wav -t wav -");
    CHECK(utts[0].start == 1.5);
    CHECK(utts[0].end == -1);
    CHECK(utts[0].error.empty());
    CHECK(utts[1].path == "a.wav");
    CHECK(utts[1].end == 2.25);
    CHECK_THAT(utts[2].error, Catch::Contains("line 3") && Catch::Contains("invalid segment"));
    CHECK_THAT(utts[3].error, Catch::Contains("'nosuch'") && Catch::Contains("not in wav.scp"));
    CHECK_THAT(utts[4].error, Catch::Contains("bad start"));
    CHECK(utts[5].error.empty());
    CHECK(utts[5].channel == 1);
    CHECK_THAT(utts[6].error, Catch::Contains("expected"));
    DatasetOptions both;
    both.segments = dir + "/segments";
    CHECK_THROWS_WITH(FindUtterances({dir}, both), Catch::Contains("its own segments"));
  }
  SECTION("--segments applies to any input's ids") {
    std::ofstream(dir + "/segs") << "x r3 0 1\n";
    DatasetOptions opts;
    opts.segments = dir + "/segs";
    const std::vector<Utterance> utts = FindUtterances({"scp:" + dir + "/wav.scp"}, opts);
    REQUIRE(utts.size() == 1);
    CHECK(utts[0].path == "c.wav");
  }
}

TEST_CASE("segment samples follow Kaldi extract-segments", "[dataset]") {
  Utterance u;
  u.id = "s";
  u.recording = "r";
  auto range = [&](double start, double end, int64_t n) {
    u.start = start;
    u.end = end;
    return SegmentSamples(u, n, 16000.0f);
  };
  // int32(t * rate + 0.5)
  CHECK(range(0.5, 1.5, 160000).begin == 8000);
  CHECK(range(0.5, 1.5, 160000).end == 24000);
  CHECK(range(0.00003, 1.00003, 160000).begin == 0);  // 0.48 rounds down
  CHECK(range(0.0000313, 1, 160000).begin == 1);      // 0.5008 rounds up
  CHECK(range(1, -1, 160000).end == 160000);          // -1: the end
  CHECK(range(9, 10.4, 160000).end == 160000);        // within the 0.5 s overshoot
  CHECK_THROWS_WITH(range(9, 10.6, 160000), Catch::Contains("more than 0.5 s"));
  CHECK_THROWS_WITH(range(10.5, -1, 160000), Catch::Contains("starts after"));
  CHECK_THROWS_WITH(range(9.95, 10.3, 160000), Catch::Contains("shorter than 0.1 s"));
  // As in Kaldi, 10 - 9.9 in double is below 0.1f: too short.
  CHECK_THROWS_WITH(range(9.9, 10.3, 160000), Catch::Contains("shorter than 0.1 s"));
  CHECK(range(9.8, 10.3, 160000).begin == 156800);
  CHECK(range(9.8, 10.3, 160000).end == 160000);
}
