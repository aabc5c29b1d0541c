// The vectorisable log used for every feature's ln(max(x, FLT_EPSILON)).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstring>
#include <iterator>
#include <limits>
#include <random>
#include <vector>

#include "../lib/src/fast-log.h"

TEST_CASE("LogFloored is within one ulp of ln(max(x, FLT_EPSILON))", "[fast-log]") {
  std::mt19937 rng(7);
  double worst_ulps = 0.0;
  for (int i = 0; i < 2000000; ++i) {
    uint32_t bits = rng() & 0x7f7fffffu;  // positive finite floats of every exponent
    float x;
    std::memcpy(&x, &bits, sizeof(x));
    const float reference = static_cast<float>(std::log(std::max(double{x}, double{FLT_EPSILON})));
    const double ulp = std::nextafter(std::fabs(reference), INFINITY) - std::fabs(reference);
    const double error = std::fabs(double{featpool::LogFloored(x)} - std::log(std::max(double{x}, double{FLT_EPSILON})));
    worst_ulps = std::max(worst_ulps, error / ulp);
  }
  CHECK(worst_ulps < 1.0);
}

TEST_CASE("LogFloored floors, and keeps NaN and inf", "[fast-log]") {
  const float log_eps = std::log(FLT_EPSILON);
  CHECK(featpool::LogFloored(0.0f) == Approx(log_eps).epsilon(1e-7));
  CHECK(featpool::LogFloored(-5.0f) == Approx(log_eps).epsilon(1e-7));
  CHECK(featpool::LogFloored(-0.0f) == Approx(log_eps).epsilon(1e-7));
  CHECK(featpool::LogFloored(1e-30f) == Approx(log_eps).epsilon(1e-7));
  CHECK(featpool::LogFloored(1.0f) == 0.0f);
  CHECK(std::isnan(featpool::LogFloored(std::numeric_limits<float>::quiet_NaN())));
  CHECK(featpool::LogFloored(std::numeric_limits<float>::infinity()) ==
        std::numeric_limits<float>::infinity());
  CHECK(featpool::LogFloored(FLT_MAX) == Approx(std::log(FLT_MAX)).epsilon(1e-7));
  float values[5] = {1.0f, 2.0f, 0.5f, 100.0f, 0.0f};
  featpool::LogFlooredInPlace(values, 5);
  CHECK(values[1] == Approx(std::log(2.0f)).epsilon(1e-7));
  CHECK(values[3] == Approx(std::log(100.0f)).epsilon(1e-7));
}

// LogFlooredInPlace may run a vector version chosen for the CPU (AVX2); it
// must give exactly what LogFloored gives one value at a time.
TEST_CASE("LogFlooredInPlace equals LogFloored bit for bit", "[fast-log]") {
  std::mt19937 rng(11);
  std::vector<float> x(1 << 20);
  for (float& v : x) {
    const uint32_t bits = rng();  // every sign, exponent, NaN payload, subnormal
    std::memcpy(&v, &bits, sizeof(v));
  }
  const float special[] = {0.0f, -0.0f, 1.0f, FLT_EPSILON, FLT_MIN, FLT_MAX, 1e-45f,
                           std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN()};
  std::copy(std::begin(special), std::end(special), x.begin() + 1);
  std::vector<float> y = x;
  // Odd length and offset: the vector loop's head and tail both run.
  featpool::LogFlooredInPlace(y.data() + 1, static_cast<int32_t>(y.size()) - 4);
  int mismatches = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const float expected = (i >= 1 && i + 3 < x.size()) ? featpool::LogFloored(x[i]) : x[i];
    if (std::memcmp(&expected, &y[i], sizeof(float)) != 0) ++mismatches;
  }
  CHECK(mismatches == 0);
}

// LogOfNormal: the mel spectrogram's ln of a guarded (>= FLT_MIN) value.
TEST_CASE("LogOfNormal is within one ulp of ln on normal floats, keeps NaN and inf",
          "[fast-log]") {
  std::mt19937 rng(5);
  double worst_ulps = 0.0;
  std::vector<float> x;
  for (int i = 0; i < 1000000; ++i) {
    const uint32_t bits = 0x00800000u + rng() % (0x7f800000u - 0x00800000u);  // normal, positive
    float v;
    std::memcpy(&v, &bits, sizeof(v));
    x.push_back(v);
    const double exact = std::log(double{v});
    const float reference = static_cast<float>(exact);
    const double ulp = std::nextafter(std::fabs(reference), INFINITY) - std::fabs(reference);
    worst_ulps = std::max(worst_ulps, std::fabs(double{featpool::LogOfNormal(v)} - exact) / ulp);
  }
  CHECK(worst_ulps < 1.0);
  CHECK(featpool::LogOfNormal(1.0f) == 0.0f);
  CHECK(std::isnan(featpool::LogOfNormal(std::numeric_limits<float>::quiet_NaN())));
  CHECK(featpool::LogOfNormal(std::numeric_limits<float>::infinity()) ==
        std::numeric_limits<float>::infinity());
  // The in-place loop (AVX2 where the CPU has it) gives the same bits.
  std::vector<float> y = x;
  featpool::LogOfNormalInPlace(y.data() + 1, static_cast<int32_t>(y.size()) - 3);
  int mismatches = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const float expected = (i >= 1 && i + 2 < x.size()) ? featpool::LogOfNormal(x[i]) : x[i];
    if (std::memcmp(&expected, &y[i], sizeof(float)) != 0) ++mismatches;
  }
  CHECK(mismatches == 0);
}
