#include <catch2/catch.hpp>
#include <set>

#include "featpool/fbank.h"
#include "featpool/mfcc.h"
#include "featpool/options.h"
#include "featpool/pooler.h"
#include "featpool/spectrogram.h"

namespace featpool {
namespace {

template <class Options>
std::vector<std::string> Keys(Options opts) {
  std::vector<std::string> keys;
  OptionLambda v([&](const OptionInfo& info, const OptionRef&) { keys.push_back(info.key); });
  opts.VisitOptions(v);
  return keys;
}

std::string Dashed(const std::string& key) { return FlagName(key); }

}  // namespace

TEST_CASE("every key is listed once per struct, in snake_case", "[options]") {
  for (const auto& keys : {Keys(FbankOptions{}), Keys(MfccOptions{}), Keys(SpectrogramOptions{}),
                           Keys(PoolOptions{})}) {
    std::set<std::string> unique(keys.begin(), keys.end());
    CHECK(unique.size() == keys.size());
    for (const std::string& key : keys) {
      CHECK(key.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_") == std::string::npos);
    }
  }
  const auto fbank = Keys(FbankOptions{});
  CHECK(std::count(fbank.begin(), fbank.end(), "num_mel_bins") == 1);
  const auto spec = Keys(SpectrogramOptions{});
  CHECK(std::count(spec.begin(), spec.end(), "num_mel_bins") == 0);
}

TEST_CASE("the canonical text reads back to the same options", "[options]") {
  FbankOptions a;
  REQUIRE(SetOptionText(&a, "frame_length", "20.5"));
  REQUIRE(SetOptionText(&a, "num_mel_bins", "80"));
  REQUIRE(SetOptionText(&a, "window_type", "hamming"));
  REQUIRE(SetOptionText(&a, "snip_edges", "false"));
  REQUIRE(SetOptionText(&a, "preemphasis_coefficient", "0.1"));
  CHECK(a.frame_opts.frame_length_ms == 20.5f);
  CHECK(a.mel_opts.num_bins == 80);
  CHECK(a.frame_opts.window_type == WindowType::kHamming);
  CHECK(!a.frame_opts.snip_edges);
  CHECK(a.frame_opts.preemph_coeff == 0.1f);
  const std::string text = OptionsText(a);
  CHECK(text.find("num_mel_bins=80\n") != std::string::npos);
  CHECK(text.find("preemphasis_coefficient=0.1\n") != std::string::npos);

  FbankOptions b;
  size_t at = 0;
  while (at < text.size()) {
    const size_t eq = text.find('=', at);
    const size_t nl = text.find('\n', eq);
    REQUIRE(SetOptionText(&b, text.substr(at, eq - at), text.substr(eq + 1, nl - eq - 1)));
    at = nl + 1;
  }
  CHECK(OptionsText(b) == text);
  CHECK_FALSE(SetOptionText(&b, "num_ceps", "5"));  // an MFCC option
}

TEST_CASE("bad values are OptionErrors carrying the key", "[options]") {
  FbankOptions o;
  auto error_of = [&](const std::string& key, const std::string& value) -> std::string {
    try {
      SetOptionText(&o, key, value);
    } catch (const OptionError& e) {
      CHECK(e.key() == key);
      return e.Render(Dashed);
    }
    return "no error";
  };
  CHECK(error_of("frame_length", "0") == "--frame-length=0: must be > 0");
  CHECK(error_of("frame_length", "abc") == "--frame-length=abc: expected a number");
  CHECK(error_of("frame_length", "") == "--frame-length=: expected a number");
  CHECK(error_of("frame_length", "nan") == "--frame-length=nan: must be > 0");
  CHECK(error_of("frame_length", "1e39") == "--frame-length=1e39: out of range for a 32-bit float");
  CHECK(error_of("dither", "-1") == "--dither=-1: must be >= 0");
  CHECK(error_of("num_mel_bins", "2") == "--num-mel-bins=2: must be >= 3");
  CHECK(error_of("num_mel_bins", "99999999999") ==
        "--num-mel-bins=99999999999: out of range for a 32-bit integer");
  CHECK(error_of("num_mel_bins", "8.5") == "--num-mel-bins=8.5: expected an integer");
  CHECK(error_of("snip_edges", "maybe") == "--snip-edges=maybe: expected true or false");
  CHECK(error_of("window_type", "") ==
        "--window-type=: expected hanning, hamming, povey, rectangular, blackman or sine");
  CHECK(error_of("preemphasis_coefficient", "2") ==
        "--preemphasis-coefficient=2: must be in [0, 1]");
}

TEST_CASE("Kaldi's booleans: true/false/t/f/1/0, and no value means true", "[options]") {
  FbankOptions o;
  for (const char* yes : {"true", "t", "1", "", "True"}) {
    o.frame_opts.snip_edges = false;
    SetOptionText(&o, "snip_edges", yes);
    CHECK(o.frame_opts.snip_edges);
  }
  for (const char* no : {"false", "f", "0", "FALSE"}) {
    o.frame_opts.snip_edges = true;
    SetOptionText(&o, "snip_edges", no);
    CHECK(!o.frame_opts.snip_edges);
  }
}

TEST_CASE("pool sizes: T, TxF, keep, unset", "[options]") {
  PoolOptions p;
  SetOptionText(&p, "kernel", "3x2");
  CHECK(p.kernel == PoolSize{3, 2});
  SetOptionText(&p, "kernel", "4");
  CHECK(p.kernel == PoolSize{4, 4});
  SetOptionText(&p, "stride", "2x1");
  REQUIRE(p.stride);
  CHECK(*p.stride == PoolSize{2, 1});
  SetOptionText(&p, "stride", "");
  CHECK(!p.stride);
  SetOptionText(&p, "output_size", "1xkeep");
  REQUIRE(p.output_size);
  CHECK(*p.output_size == PoolSize{1, kKeep});
  CHECK_THROWS_AS(SetOptionText(&p, "kernel", "keep"), OptionError);
  CHECK_THROWS_AS(SetOptionText(&p, "kernel", "-1"), OptionError);
  CHECK_THROWS_AS(SetOptionText(&p, "kernel", "2x"), OptionError);
  CHECK_THROWS_AS(SetOptionText(&p, "kernel", "99999999999999999999"), OptionError);
  SetOptionText(&p, "mode", "adaptive-avg");
  CHECK(p.mode == PoolMode::kAdaptiveAvg);
  const std::string text = OptionsText(p);
  CHECK(text.find("mode=adaptive-avg\nkernel=4\nstride=\n") == 0);
  CHECK(text.find("output_size=1xkeep\n") != std::string::npos);
}

TEST_CASE("typed setters check type and range as text does", "[options]") {
  MfccOptions o;
  OptionInfo info;
  OptionRef ref = OptionRef::Of(&o.num_ceps);
  info.key = "num_ceps";
  info.min = 1;
  ref.SetInt(info, 20);
  CHECK(o.num_ceps == 20);
  CHECK_THROWS_AS(ref.SetInt(info, 0), OptionError);
  CHECK_THROWS_AS(ref.SetDouble(info, 2.5), OptionError);
  ref.SetDouble(info, 3.0);
  CHECK(o.num_ceps == 3);
  CHECK_THROWS_AS(ref.SetBool(info, true), OptionError);
  // An int64 beyond 2^53 is still an integer: its range is what is wrong.
  int64_t big = 1;
  OptionInfo stack = info;
  stack.key = "stack_frames";
  stack.max = 2147483647.0;
  CHECK_THROWS_WITH(OptionRef::Of(&big).SetInt(stack, INT64_MAX),
                    Catch::Contains("stack_frames=9223372036854775807: must be in"));
  stack.max = std::numeric_limits<double>::infinity();
  OptionRef::Of(&big).SetInt(stack, INT64_MAX);
  CHECK(big == INT64_MAX);
}

TEST_CASE("OptionError renders keys and cross-references in each spelling", "[options]") {
  const OptionError e("padding", std::string("3x0"), "is more than half of {kernel}=4x1",
                      "'x.npy'");
  CHECK(std::string(e.what()) == "'x.npy': padding=3x0: is more than half of kernel=4x1");
  CHECK(e.Render([](const std::string& k) { return "--pool-" + k; }) ==
        "'x.npy': --pool-padding=3x0: is more than half of --pool-kernel=4x1");
  const OptionError required("output_size", std::nullopt, "is required for adaptive-max pooling");
  CHECK(required.Render(Dashed) == "--output-size is required for adaptive-max pooling");
  CHECK(std::string(required.WithContext("'a.wav'").what()) ==
        "'a.wav': output_size is required for adaptive-max pooling");
}

TEST_CASE("flag names and keys convert both ways", "[options]") {
  CHECK(FlagName("num_mel_bins") == "--num-mel-bins");
  CHECK(KeyFromFlag("num-mel-bins") == "num_mel_bins");
  CHECK(KeyFromFlag("num_mel_bins") == "num_mel_bins");
  CHECK(FloatText(0.97f) == "0.97");
  CHECK(FloatText(25.0f) == "25");
  CHECK(DoubleText(0.1) == "0.1");
}

}  // namespace featpool
