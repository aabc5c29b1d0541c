// Kaldi conf files and presets in the library (config-file.h, presets.h):
// the arguments of a file with their FILE:LINE, nesting, the errors named
// by file and line, the size and NUL limits, and the shipped presets.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "featpool/config-file.h"
#include "featpool/error.h"
#include "featpool/presets.h"

using namespace featpool;

namespace {

// A scratch directory, removed with what it holds at the end of the test.
class ScratchDir {
 public:
  ScratchDir() {
    char name[] = "/tmp/featpool-config-XXXXXX";
    REQUIRE(mkdtemp(name) != nullptr);
    path_ = name;
  }
  ~ScratchDir() { std::filesystem::remove_all(path_); }
  operator std::string() const { return path_; }

 private:
  std::string path_;
};

void Write(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

std::string ErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

const std::string kPresets = std::string(FEATPOOL_SAMPLE_DATA) + "/conf/presets";

}  // namespace

TEST_CASE("a config file's arguments carry FILE:LINE, nested files expanded in place") {
  const ScratchDir scratch;
  const std::string dir = scratch;
  Write(dir + "/inner.conf", "--num-mel-bins=40\n");
  Write(dir + "/a.conf",
        "# comment\n\n  --feature=fbank   # trailing\n--config=" + dir +
            "/inner.conf\n--dither=0\r\n");
  const std::vector<ConfigArgument> args = ReadConfigFile(dir + "/a.conf", nullptr);
  REQUIRE(args.size() == 3);
  CHECK(args[0].text == "--feature=fbank");
  CHECK(args[0].origin == dir + "/a.conf:3");
  CHECK(args[1].text == "--num-mel-bins=40");
  CHECK(args[1].origin == dir + "/inner.conf:1");
  CHECK(args[2].text == "--dither=0");
  CHECK(args[2].origin == dir + "/a.conf:5");
}

TEST_CASE("config file errors name the file, or FILE:LINE") {
  const ScratchDir scratch;
  const std::string dir = scratch;
  Write(dir + "/bad.conf", "--a=1\nnum-mel-bins=40\n");
  CHECK(ErrorOf([&] { ReadConfigFile(dir + "/bad.conf", nullptr); }) ==
        dir + "/bad.conf:2: expected --name=value, got 'num-mel-bins=40'");
  Write(dir + "/nul.conf", std::string("--a=1\n\0", 7));
  CHECK(ErrorOf([&] { ReadConfigFile(dir + "/nul.conf", nullptr); }) ==
        "--config file '" + dir + "/nul.conf' is not a text config file (it contains a NUL byte)");
  Write(dir + "/long.conf", "--a=" + std::string(kMaxConfigLine, 'x') + "\n");
  CHECK(ErrorOf([&] { ReadConfigFile(dir + "/long.conf", nullptr); }) ==
        dir + "/long.conf:1: line longer than 64 KiB");
  std::string big;
  while (big.size() <= kMaxConfigBytes) big += "--a=" + std::string(1000, 'x') + "\n";
  Write(dir + "/big.conf", big);
  CHECK(ErrorOf([&] { ReadConfigFile(dir + "/big.conf", nullptr); }) ==
        "--config file '" + dir + "/big.conf' is larger than 1 MiB; not a config file");
  CHECK(ErrorOf([&] { ReadConfigFile(dir, nullptr); }) ==
        "--config file '" + dir + "' is a directory");
  CHECK(ErrorOf([&] { ReadConfigFile(dir + "/missing.conf", nullptr); }) ==
        "cannot read --config file '" + dir + "/missing.conf': No such file or directory");
  Write(dir + "/self.conf", "--config=" + dir + "/self.conf\n");
  CHECK(ErrorOf([&] { ReadConfigFile(dir + "/self.conf", nullptr); })
            .rfind("--config files nest too deeply at '", 0) == 0);
  Write(dir + "/preset.conf", "--preset=whisper\n");
  CHECK(ErrorOf([&] { ReadConfigFile(dir + "/preset.conf", nullptr); }) ==
        "--preset=whisper: no preset directory is known here");
}

TEST_CASE("ExpandConfigFiles puts the files' arguments after the subcommand, in order") {
  const ScratchDir scratch;
  const std::string dir = scratch;
  Write(dir + "/a.conf", "--dither=0\n");
  const PresetResolver presets = [](const std::string& name) {
    const auto p = FindPreset(kPresets, name);
    if (!p) throw Error("unknown preset " + name);
    return p->path;
  };
  const std::vector<ConfigArgument> out = ExpandConfigFiles(
      {{"extract", ""}, {"x.wav", ""}, {"--preset", ""}, {"kaldi-fbank-80", ""},
       {"--num-mel-bins=23", ""}, {"--config=" + dir + "/a.conf", ""}, {"--", ""},
       {"--config=positional", ""}},
      presets);
  std::vector<std::string> texts;
  for (const ConfigArgument& a : out) texts.push_back(a.text);
  const std::vector<std::string> expected = {
      "extract", "--feature=fbank", "--sample-frequency=16000", "--frame-length=25",
      "--frame-shift=10", "--num-mel-bins=80", "--dither=0", "--dither=0", "x.wav",
      "--num-mel-bins=23", "--", "--config=positional"};
  CHECK(texts == expected);
  CHECK(out[1].origin == kPresets + "/kaldi-fbank-80.conf:4");
  CHECK(ErrorOf([&] { ExpandConfigFiles({{"extract", ""}, {"--preset", ""}}, presets); }) ==
        "--preset needs a name (--preset=NAME; --list-presets)");
  CHECK(ErrorOf([&] { ExpandConfigFiles({{"--preset=nope", ""}}, presets); }) ==
        "unknown preset nope");
}

TEST_CASE("the shipped presets are listed with their descriptions") {
  const std::vector<PresetInfo> presets = ListPresets(kPresets);
  std::vector<std::string> names;
  for (const PresetInfo& p : presets) {
    names.push_back(p.name);
    CHECK(!p.description.empty());
    CHECK(p.path == kPresets + "/" + p.name + ".conf");
  }
  CHECK(names == std::vector<std::string>{"espnet", "funasr-paraformer", "kaldi-fbank-80",
                                          "kaldi-mfcc-13", "kaldi-mfcc-hires", "nemo-128",
                                          "nemo-80", "speechbrain", "whisper", "whisper-128"});
  CHECK(FindPreset(kPresets, "whisper")->path == kPresets + "/whisper.conf");
  CHECK(!FindPreset(kPresets, "nope"));
  CHECK(!FindPreset(kPresets, "../presets/whisper"));
  CHECK(!IsPresetName(".hidden"));
  CHECK(IsPresetName("a-b_c.d"));
  CHECK(ErrorOf([] { ListPresets("/nonexistent-dir"); }) ==
        "cannot read the preset directory '/nonexistent-dir'");
}

TEST_CASE("FindPresetDirectory: FEATPOOL_PRESET_DIR first, then the first candidate that exists") {
  unsetenv("FEATPOOL_PRESET_DIR");
  CHECK(FindPresetDirectory({"/nonexistent-dir", kPresets}) == kPresets);
  CHECK(FindPresetDirectory({"/nonexistent-dir"}).empty());
  setenv("FEATPOOL_PRESET_DIR", "/tmp", 1);
  CHECK(FindPresetDirectory({kPresets}) == "/tmp");
  setenv("FEATPOOL_PRESET_DIR", "/nonexistent-dir", 1);
  CHECK(ErrorOf([] { FindPresetDirectory({kPresets}); }) ==
        "FEATPOOL_PRESET_DIR='/nonexistent-dir' is not a directory");
  unsetenv("FEATPOOL_PRESET_DIR");
  CHECK(PresetDirectoryBesideExecutable().find("/../share/featpool/conf/presets") !=
        std::string::npos);
}
