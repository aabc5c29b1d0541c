#include <catch2/catch.hpp>

#include "featpool/error.h"
#include "featpool/frame-extractor.h"

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
  CHECK_THROWS_WITH(opts.Validate(), Catch::Contains("--frame-length"));
  opts = FrameExtractionOptions();
  opts.frame_shift_ms = -10;
  CHECK_THROWS_WITH(opts.Validate(), Catch::Contains("--frame-shift"));
  opts = FrameExtractionOptions();
  opts.round_to_power_of_two = false;
  opts.frame_length_ms = 25.0625f;  // 401 samples: odd FFT size
  CHECK_THROWS_WITH(opts.Validate(), Catch::Contains("odd"));
  CHECK_THROWS_WITH(ParseWindowType("hann"), Catch::Contains("--window-type"));
  CHECK(ParseWindowType("blackman") == WindowType::kBlackman);
}
