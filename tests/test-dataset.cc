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
  CHECK_THROWS_WITH(FindUtterances({dir}, flac), Catch::Contains("--ext"));
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

  std::ofstream(dir + "/piped.scp") << "k1 a.wav\nk2 sox b.wav -t wav - |\n";
  CHECK_THROWS_WITH(FindUtterances({"scp:" + dir + "/piped.scp"}, DatasetOptions()),
                    Catch::Contains("line 2") && Catch::Contains("piped"));
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
    CHECK_THROWS_WITH(ShardSpec::Parse(bad), Catch::Contains("--shard"));
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
