// VTLN (Kaldi mel-computations.cc MelBanks::VtlnWarpFreq, VtlnWarpMelFreq
// and the vtln_warp_factor branch of MelBanks::MelBanks). The expected
// values are worked out by hand from the rule: l = vtln_low * max(1, w),
// h = vtln_high * min(1, w), F(f) = f / w on [l, h), linear to
// F(low) = low and F(high) = high outside it.
#include <catch2/catch.hpp>
#include <string>

#include "featpool/error.h"
#include "featpool/mel-bank.h"

using namespace featpool;

TEST_CASE("VtlnWarpFreq is Kaldi's three-piece warp", "[vtln]") {
  // 16 kHz: low 20, high 8000, vtln_low 100, vtln_high 8000 - 500 = 7500.
  SECTION("warp 0.9: l = 100, h = 6750, F(l) = 111.1, F(h) = 7500") {
    auto f = [](double x) { return VtlnWarpFreq(100, 7500, 20, 8000, 0.9, x); };
    CHECK(f(20) == Approx(20).margin(1e-9));
    CHECK(f(50) == Approx(20 + (100 / 0.9 - 20) / 80 * 30));  // 54.1667
    CHECK(f(50) == Approx(54.16667).epsilon(1e-6));
    CHECK(f(100) == Approx(111.11111).epsilon(1e-6));
    CHECK(f(1000) == Approx(1111.11111).epsilon(1e-6));
    CHECK(f(6750) == Approx(7500).epsilon(1e-9));
    CHECK(f(7000) == Approx(7600).epsilon(1e-9));  // 8000 + 0.4 (7000 - 8000)
    CHECK(f(8000) == Approx(8000).epsilon(1e-12));
    CHECK(f(10) == 10);  // outside [low, high]: unchanged
    CHECK(f(9000) == 9000);
  }
  SECTION("warp 1.1: l = 110, h = 7500, F(l) = 100, F(h) = 6818.18") {
    auto f = [](double x) { return VtlnWarpFreq(100, 7500, 20, 8000, 1.1, x); };
    CHECK(f(65) == Approx(60).epsilon(1e-9));  // 20 + (80 / 90) 45
    CHECK(f(110) == Approx(100).epsilon(1e-9));
    CHECK(f(1100) == Approx(1000).epsilon(1e-9));
    CHECK(f(7500) == Approx(6818.181818).epsilon(1e-9));
    CHECK(f(7750) == Approx(7409.090909).epsilon(1e-9));  // 8000 - 2.3636 * 250
  }
  SECTION("warp 1 is the identity") {
    for (double x : {20.0, 99.0, 500.0, 7600.0, 8000.0}) {
      CHECK(VtlnWarpFreq(100, 7500, 20, 8000, 1.0, x) == Approx(x).epsilon(1e-12));
    }
  }
  SECTION("the mel form warps the frequency of the mel value") {
    const double mel = MelScale(1000);
    CHECK(VtlnWarpMelFreq(100, 7500, 20, 8000, 0.9, mel) ==
          Approx(MelScale(1000 / 0.9)).epsilon(1e-12));
  }
  SECTION("cutoffs outside the mel range are errors") {
    CHECK_THROWS_AS(VtlnWarpFreq(10, 7500, 20, 8000, 0.9, 500), Error);
    CHECK_THROWS_AS(VtlnWarpFreq(100, 8000, 20, 8000, 0.9, 500), Error);
  }
}

namespace {

FrameExtractionOptions Frame16k() {
  FrameExtractionOptions f;
  f.samp_freq = 16000;
  return f;
}

std::string ErrorKey(const MelBanksOptions& m) {
  try {
    MelBank bank(m, Frame16k());
  } catch (const OptionError& e) {
    return e.key();
  }
  return "";
}

}  // namespace

TEST_CASE("a warped mel bank moves the triangles by the warp", "[vtln]") {
  MelBanksOptions plain;
  plain.num_bins = 23;
  MelBanksOptions warped = plain;
  warped.vtln_warp = 0.9f;
  const MelBank a(plain, Frame16k());
  const MelBank b(warped, Frame16k());
  REQUIRE(a.NumBins() == b.NumBins());
  // The bin edges are warped: a warp below 1 maps them up (F(f) = f / 0.9),
  // so the triangles sit at higher FFT bins in the middle of the range.
  CHECK(b.FirstIndex(11) > a.FirstIndex(11));
  // Bin 11's left edge is 1 + the FFT bin below its warped left edge.
  const double nyquist_mel = MelScale(8000), low_mel = MelScale(20);
  const double left = low_mel + 11 * (nyquist_mel - low_mel) / 24;
  const double warped_left = InverseMelScale(left) / 0.9;  // inside [l, h)
  CHECK(b.FirstIndex(11) == static_cast<int32_t>(warped_left / (16000.0 / 512)) + 1);
  MelBanksOptions one = plain;
  one.vtln_warp = 1.0f;
  one.vtln_low = 5000;  // ignored at warp 1, as in Kaldi
  const MelBank c(one, Frame16k());
  for (int32_t i = 0; i < a.NumBins(); ++i) {
    CHECK(c.FirstIndex(i) == a.FirstIndex(i));
    CHECK(c.Length(i) == a.Length(i));
  }
}

TEST_CASE("VTLN options Kaldi rejects are errors naming the key", "[vtln]") {
  MelBanksOptions m;
  m.num_bins = 23;
  m.vtln_warp = 0.9f;
  CHECK(ErrorKey(m).empty());
  MelBanksOptions low = m;
  low.vtln_low = 20;  // must be above low_freq (20)
  CHECK(ErrorKey(low) == "vtln_low");
  low.vtln_low = 9000;
  CHECK(ErrorKey(low) == "vtln_low");
  MelBanksOptions high = m;
  high.vtln_high = 8000;  // must be below high_freq (Nyquist)
  CHECK(ErrorKey(high) == "vtln_high");
  high.vtln_high = 50;  // below vtln_low
  CHECK(ErrorKey(high) == "vtln_high");
  high.vtln_high = -9000;  // resolves to -1000 Hz
  CHECK(ErrorKey(high) == "vtln_high");
  MelBanksOptions narrow = m;
  narrow.high_freq = 4000;  // vtln_high -500 resolves to 7500 > 4000
  CHECK(ErrorKey(narrow) == "vtln_high");
  MelBanksOptions bad = m;
  bad.vtln_warp = -1;
  CHECK(ErrorKey(bad) == "vtln_warp");
}
