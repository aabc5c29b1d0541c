#include <catch2/catch.hpp>
#include <climits>
#include <limits>

#include "featpool/error.h"
#include "featpool/frame-extractor.h"
#include "featpool/options.h"

using namespace featpool;

TEST_CASE("frame geometry follows Kaldi NumFrames/FirstSampleOfFrame", "[frame-extractor]") {
  FrameExtractionOptions opts;  // 16 kHz, 400-sample window, 160 shift
  REQUIRE(opts.WindowSize() == 400);
  REQUIRE(opts.WindowShift() == 160);
  REQUIRE(opts.PaddedWindowSize() == 512);
  CHECK(NumFrames(399, opts) == 0);
  CHECK(NumFrames(400, opts) == 1);
  CHECK(NumFrames(559, opts) == 1);
  CHECK(NumFrames(560, opts) == 2);
  CHECK(FirstSampleOfFrame(3, opts) == 480);

  opts.snip_edges = false;
  CHECK(NumFrames(0, opts) == 0);
  CHECK(NumFrames(79, opts) == 0);
  CHECK(NumFrames(80, opts) == 1);
  CHECK(NumFrames(16000, opts) == 100);
  CHECK(FirstSampleOfFrame(0, opts) == 80 - 200);
  // Streaming: frame 0 spans [-120, 280) and needs 280 samples.
  CHECK(NumFrames(279, opts, false) == 0);
  CHECK(NumFrames(280, opts, false) == 1);
}

TEST_CASE("frame options reject nonsense with the option's name", "[frame-extractor]") {
  FrameExtractionOptions opts;
  opts.frame_length_ms = 0;
  CHECK_THROWS_WITH(opts.Validate(), Catch::Contains("frame_length"));
  opts = FrameExtractionOptions();
  opts.frame_shift_ms = -10;
  CHECK_THROWS_WITH(opts.Validate(), Catch::Contains("frame_shift"));
  opts = FrameExtractionOptions();
  opts.round_to_power_of_two = false;
  opts.frame_length_ms = 25.0625f;  // 401 samples: odd FFT size
  CHECK_THROWS_WITH(opts.Validate(), Catch::Contains("odd"));
  CHECK_THROWS_WITH(ParseWindowType("hann"), Catch::Contains("window_type"));
  CHECK(ParseWindowType("blackman") == WindowType::kBlackman);
}

TEST_CASE("sizes in samples saturate instead of overflowing the int32 cast", "[frame-extractor]") {
  using Catch::Contains;
  FrameExtractionOptions opts;
  opts.frame_length_ms = 1e30f;
  CHECK(opts.WindowSize() == INT32_MAX);
  CHECK(opts.PaddedWindowSize() == INT32_MAX);
  CHECK_THROWS_WITH(opts.Validate(), Contains("frame_length=1e+30") && Contains("2^24"));
  opts.frame_length_ms = 3e8f;  // was "shorter than two samples" through the overflowed cast
  CHECK_THROWS_WITH(opts.Validate(), Contains("frame_length") && Contains("longer than"));
  opts = FrameExtractionOptions();
  opts.samp_freq = 1e38f;
  CHECK(opts.WindowShift() == INT32_MAX);
  CHECK_THROWS_WITH(opts.Validate(), Contains("frame_length") && Contains("1e+38 Hz"));
  // The limit itself is accepted: 1048.576 s at 16 kHz is 2^24 samples.
  opts = FrameExtractionOptions();
  opts.samp_freq = 1000.0f;
  opts.frame_length_ms = 16777216.0f;
  CHECK(opts.WindowSize() == kMaxWindowSamples);
  CHECK_NOTHROW(opts.Validate());
  opts.frame_length_ms = 16777218.0f;
  CHECK_THROWS_WITH(opts.Validate(), Contains("frame_length"));
  // FrameExtractor validates before it builds the window (a negative size
  // used to reach std::vector first).
  opts = FrameExtractionOptions();
  opts.frame_length_ms = -25.0f;
  CHECK_THROWS_WITH(FrameExtractor(opts), Contains("frame_length"));
}

TEST_CASE("options that make every feature inf or NaN are rejected", "[frame-extractor]") {
  using Catch::Contains;
  FrameExtractionOptions opts;
  opts.dither = 1e38f;
  CHECK_THROWS_WITH(opts.Validate(), Contains("dither=1e+38") && Contains("overflows"));
  opts.dither = 1e6f;  // loud, but finite
  CHECK_NOTHROW(opts.Validate());
  opts = FrameExtractionOptions();
  opts.window_type = WindowType::kBlackman;
  opts.blackman_coeff = 1e38f;
  CHECK_THROWS_WITH(opts.Validate(), Contains("blackman_coeff=1e+38") && Contains("overflows"));
  opts.blackman_coeff = 0.42f;
  CHECK_NOTHROW(opts.Validate());
  // Only the blackman window uses the coefficient.
  opts.window_type = WindowType::kPovey;
  opts.blackman_coeff = 1e38f;
  CHECK_NOTHROW(opts.Validate());
  opts.blackman_coeff = std::numeric_limits<float>::infinity();
  CHECK_THROWS_WITH(opts.Validate(), Contains("blackman_coeff"));
}

TEST_CASE("frame option errors carry the key, spelled by each frontend", "[frame-extractor]") {
  FrameExtractionOptions opts;
  opts.frame_length_ms = 0;
  try {
    opts.Validate();
    FAIL("no error");
  } catch (const OptionError& e) {
    CHECK(e.key() == "frame_length");
    CHECK(std::string(e.what()) == "frame_length=0: must be positive");
    CHECK(e.Render(FlagName) == "--frame-length=0: must be positive");
  }
  opts = FrameExtractionOptions();
  opts.round_to_power_of_two = false;
  opts.frame_length_ms = 25.0625f;  // 401 samples
  try {
    opts.Validate();
    FAIL("no error");
  } catch (const OptionError& e) {
    CHECK_THAT(e.Render(FlagName), Catch::Contains("--round-to-power-of-two=false"));
  }
  CHECK_THROWS_AS(ParseWindowType("hann"), OptionError);
}
