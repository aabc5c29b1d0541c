#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <thread>

#include "featpool/error.h"
#include "featpool/pooler.h"

#include "featpool/options.h"
#include "pool-fixtures.h"

using namespace featpool;

TEST_CASE("pooling matches torch on every fixture case", "[pooler]") {
  pool_fixtures::Fixtures& fx = pool_fixtures::Load();
  REQUIRE(fx.cases.size() >= 200);
  int checked = 0, rejected = 0;
  for (const pool_fixtures::Case& c : fx.cases) {
    INFO(c.line);
    const Matrix& in = fx.Input(c.input);
    if (c.error) {
      // torch rejects it: so must we, at construction or when shaping.
      CHECK_THROWS_AS(Pooler(c.opts).OutputShape(in.rows(), in.cols()), Error);
      ++rejected;
      continue;
    }
    Pooler pooler(c.opts);
    const PoolSize shape = pooler.OutputShape(in.rows(), in.cols());
    REQUIRE(shape.time == c.rows);
    REQUIRE(shape.freq == c.cols);
    const float scale = pool_fixtures::MaxFiniteAbs(in);

    Matrix out;
    pooler.Apply(in.View(), &out);
    REQUIRE(out.rows() == c.rows);
    REQUIRE(out.cols() == c.cols);
    CHECK(pool_fixtures::Compare(c, fx.Expected(c), out.data(), c.rows * c.cols, scale) == "");

    if (c.index_offset >= 0) {
      // The index path is separate code: its values must agree too.
      Matrix with_indices;
      std::vector<int64_t> indices;
      pooler.Apply(in.View(), &with_indices, &indices);
      CHECK(pool_fixtures::Compare(c, fx.Expected(c), with_indices.data(), c.rows * c.cols,
                                   scale) == "");
      CHECK(pool_fixtures::CompareIndices(fx.ExpectedIndices(c), indices.data(), c.rows * c.cols) ==
            "");
    }
    ++checked;
  }
  CHECK(checked >= 200);
  CHECK(rejected >= 10);
}

TEST_CASE("caller storage and returned storage agree", "[pooler]") {
  pool_fixtures::Fixtures& fx = pool_fixtures::Load();
  const Matrix& in = fx.Input("fbank200x80");
  PoolOptions opts;
  opts.kernel = {3, 3};
  opts.stride = PoolSize{2, 2};
  Pooler pooler(opts);
  const PoolSize shape = pooler.OutputShape(in.rows(), in.cols());
  std::vector<float> out(static_cast<size_t>(shape.time * shape.freq));
  std::vector<int64_t> indices(out.size());
  pooler.Apply(in.View(), out.data(), indices.data());
  Matrix returned;
  pooler.Apply(in.View(), &returned);
  CHECK(std::memcmp(out.data(), returned.data(), out.size() * sizeof(float)) == 0);
}

namespace {

// torch's CPU max_pool2d loop, written out from the reference semantics.
void BruteMax(const Matrix& x, const PoolOptions& o, Matrix* out, std::vector<int64_t>* idx) {
  const PoolSize s = o.EffectiveStride();
  const int64_t rows =
      PoolOutputSize(x.rows(), o.kernel.time, s.time, o.padding.time, o.dilation.time, o.ceil_mode);
  const int64_t cols =
      PoolOutputSize(x.cols(), o.kernel.freq, s.freq, o.padding.freq, o.dilation.freq, o.ceil_mode);
  out->Resize(rows, cols);
  idx->assign(static_cast<size_t>(rows * cols), 0);
  for (int64_t oh = 0; oh < rows; ++oh) {
    for (int64_t ow = 0; ow < cols; ++ow) {
      int64_t h0 = oh * s.time - o.padding.time;
      int64_t w0 = ow * s.freq - o.padding.freq;
      const int64_t h1 = std::min(h0 + (o.kernel.time - 1) * o.dilation.time + 1, x.rows());
      const int64_t w1 = std::min(w0 + (o.kernel.freq - 1) * o.dilation.freq + 1, x.cols());
      // torch's `while (h0 < 0) h0 += dilation`, in one step for huge padding.
      if (h0 < 0) h0 += (-h0 + o.dilation.time - 1) / o.dilation.time * o.dilation.time;
      if (w0 < 0) w0 += (-w0 + o.dilation.freq - 1) / o.dilation.freq * o.dilation.freq;
      float best = -std::numeric_limits<float>::infinity();
      int64_t best_index = h0 * x.cols() + w0;
      for (int64_t h = h0; h < h1; h += o.dilation.time) {
        for (int64_t w = w0; w < w1; w += o.dilation.freq) {
          const float v = x(h, w);
          if (v > best || std::isnan(v)) {
            best = v;
            best_index = h * x.cols() + w;
          }
        }
      }
      (*out)(oh, ow) = best;
      (*idx)[oh * cols + ow] = best_index;
    }
  }
}

// torch's CPU avg_pool2d loop (in double).
void BruteAvg(const Matrix& x, const PoolOptions& o, Matrix* out) {
  const PoolSize s = o.EffectiveStride();
  const int64_t rows =
      PoolOutputSize(x.rows(), o.kernel.time, s.time, o.padding.time, 1, o.ceil_mode);
  const int64_t cols =
      PoolOutputSize(x.cols(), o.kernel.freq, s.freq, o.padding.freq, 1, o.ceil_mode);
  out->Resize(rows, cols);
  for (int64_t oh = 0; oh < rows; ++oh) {
    for (int64_t ow = 0; ow < cols; ++ow) {
      int64_t h0 = oh * s.time - o.padding.time, w0 = ow * s.freq - o.padding.freq;
      int64_t h1 = std::min(h0 + o.kernel.time, x.rows() + o.padding.time);
      int64_t w1 = std::min(w0 + o.kernel.freq, x.cols() + o.padding.freq);
      const int64_t pool = (h1 - h0) * (w1 - w0);
      h0 = std::max<int64_t>(h0, 0);
      w0 = std::max<int64_t>(w0, 0);
      h1 = std::min(h1, x.rows());
      w1 = std::min(w1, x.cols());
      double sum = 0;
      for (int64_t h = h0; h < h1; ++h) {
        for (int64_t w = w0; w < w1; ++w) sum += x(h, w);
      }
      const int64_t divisor = o.divisor_override    ? o.divisor_override
                              : o.count_include_pad ? pool
                                                    : (h1 - h0) * (w1 - w0);
      (*out)(oh, ow) = static_cast<float>(sum / divisor);
    }
  }
}

Matrix RandomFeatures(int64_t rows, int64_t cols, uint32_t seed, bool specials) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 4.0f);
  std::uniform_int_distribution<int> pick(0, 99);
  Matrix m(rows, cols);
  for (int64_t i = 0; i < rows * cols; ++i) {
    float v = std::round(normal(rng));  // many ties
    if (specials) {
      const int p = pick(rng);
      if (p == 0) v = std::numeric_limits<float>::quiet_NaN();
      if (p == 1) v = -0.0f;
      if (p == 2) v = 0.0f;
      if (p == 3) v = -std::numeric_limits<float>::infinity();
    }
    m.data()[i] = v;
  }
  return m;
}

}  // namespace

TEST_CASE("long inputs: block (van Herk) and direct paths equal torch's scan", "[pooler]") {
  // Long enough for the time rings to wrap many times.
  const Matrix x = RandomFeatures(1500, 80, 7, true);
  struct Config {
    PoolSize kernel, stride, padding, dilation;
    bool ceil;
  };
  const Config configs[] = {
      {{2, 2}, {2, 2}, {0, 0}, {1, 1}, false},    {{3, 3}, {2, 2}, {1, 1}, {1, 1}, true},
      {{8, 8}, {1, 1}, {0, 0}, {1, 1}, false},    {{8, 8}, {8, 8}, {4, 4}, {1, 1}, true},
      {{32, 32}, {1, 1}, {16, 16}, {1, 1}, true}, {{32, 32}, {32, 32}, {0, 0}, {1, 1}, true},
      {{9, 7}, {2, 1}, {4, 3}, {3, 2}, true},     {{20, 1}, {3, 1}, {0, 0}, {2, 1}, false},
      {{1, 17}, {1, 2}, {0, 8}, {1, 3}, true},
  };
  for (const Config& c : configs) {
    PoolOptions o;
    o.kernel = c.kernel;
    o.stride = c.stride;
    o.padding = c.padding;
    o.dilation = c.dilation;
    o.ceil_mode = c.ceil;
    INFO("kernel " << c.kernel.time << "x" << c.kernel.freq << " stride " << c.stride.time << "x"
                   << c.stride.freq << " dilation " << c.dilation.time << "x" << c.dilation.freq);
    Matrix want, got, got_plain;
    std::vector<int64_t> want_idx, got_idx;
    BruteMax(x, o, &want, &want_idx);
    Pooler pooler(o);
    pooler.Apply(x.View(), &got, &got_idx);
    pooler.Apply(x.View(), &got_plain);
    REQUIRE(got.rows() == want.rows());
    REQUIRE(got.cols() == want.cols());
    const int64_t n = want.rows() * want.cols();
    CHECK(std::memcmp(want.data(), got.data(), n * sizeof(float)) == 0);
    CHECK(std::memcmp(want.data(), got_plain.data(), n * sizeof(float)) == 0);
    CHECK(want_idx == got_idx);

    if (c.dilation == PoolSize{1, 1}) {
      const Matrix finite = RandomFeatures(1500, 80, 11, false);
      for (bool cip : {true, false}) {
        o.mode = PoolMode::kAvg;
        o.count_include_pad = cip;
        Matrix want_avg, got_avg;
        BruteAvg(finite, o, &want_avg);
        Pooler(o).Apply(finite.View(), &got_avg);
        REQUIRE(got_avg.rows() == want_avg.rows());
        double worst = 0;
        for (int64_t i = 0; i < want_avg.rows() * want_avg.cols(); ++i) {
          const double e = want_avg.data()[i];
          worst = std::max(worst, std::fabs(e - got_avg.data()[i]) / std::max(std::fabs(e), 1e-3));
        }
        CHECK(worst < 1e-6);
      }
      o.mode = PoolMode::kMax;
      o.count_include_pad = true;
    }
  }
}

TEST_CASE("rows between windows: each (dilation, stride, kernel) class keeps the taps",
          "[pooler]") {
  // Direct time folds (kernel <= 2 * stride + 2) skip the rows no window
  // uses. gcd(dilation, stride) = 1 with stride <= kernel keeps every row
  // without testing it; the other classes test each row's phase.
  const Matrix x = RandomFeatures(301, 12, 5, true);
  struct Config {
    int64_t kernel, stride, dilation, padding;
  };
  const Config configs[] = {
      {3, 2, 3, 0}, {3, 3, 2, 1}, {2, 2, 1, 1},  // gcd 1, stride <= kernel
      {3, 2, 2, 1}, {4, 4, 2, 2}, {2, 4, 2, 0},  // gcd > 1
      {2, 3, 2, 1}, {3, 5, 1, 0}, {1, 2, 1, 0},  // gcd 1, stride > kernel
  };
  for (const Config& c : configs) {
    for (bool ceil : {false, true}) {
      PoolOptions o;
      o.kernel = {c.kernel, 2};
      o.stride = PoolSize{c.stride, 1};
      o.dilation = {c.dilation, 1};
      o.padding = {c.padding, 0};
      o.ceil_mode = ceil;
      INFO("time kernel " << c.kernel << " stride " << c.stride << " dilation " << c.dilation
                          << " padding " << c.padding << " ceil " << ceil);
      Matrix want, got;
      std::vector<int64_t> want_idx, got_idx;
      BruteMax(x, o, &want, &want_idx);
      Pooler(o).Apply(x.View(), &got, &got_idx);
      REQUIRE(got.rows() == want.rows());
      REQUIRE(got.cols() == want.cols());
      CHECK(std::memcmp(want.data(), got.data(), want.rows() * want.cols() * sizeof(float)) == 0);
      CHECK(want_idx == got_idx);
    }
  }
}

TEST_CASE("statistics pooling is stable in float32 input", "[pooler]") {
  // Mean 1e4, deviation 0.01: a float sum of squares would lose everything.
  const int64_t rows = 20000;
  Matrix x(rows, 2);
  std::mt19937 rng(3);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int64_t r = 0; r < rows; ++r) {
    x(r, 0) = static_cast<float>(1e4 + 0.01 * normal(rng));
    x(r, 1) = static_cast<float>(-5.0 + normal(rng));
  }
  // Reference: two-pass in long double over the same float32 values.
  long double mean[2] = {0, 0}, var[2] = {0, 0};
  for (int c = 0; c < 2; ++c) {
    for (int64_t r = 0; r < rows; ++r) mean[c] += x(r, c);
    mean[c] /= rows;
    for (int64_t r = 0; r < rows; ++r) var[c] += (x(r, c) - mean[c]) * (x(r, c) - mean[c]);
    var[c] /= rows;
  }
  PoolOptions o;
  o.mode = PoolMode::kStats;
  Matrix out;
  Pooler(o).Apply(x.View(), &out);
  REQUIRE(out.rows() == 1);
  REQUIRE(out.cols() == 4);
  for (int c = 0; c < 2; ++c) {
    CHECK(out(0, c) == Approx(static_cast<double>(mean[c])).epsilon(1e-7));
    CHECK(out(0, 2 + c) == Approx(std::sqrt(static_cast<double>(var[c]))).epsilon(1e-6));
  }
}

TEST_CASE("pool options reject what torch rejects, naming the option", "[pooler]") {
  // The error carries the option's key; the command spells it --key.
  auto rejects = [](PoolOptions o, const std::string& flag) {
    std::string key;
    try {
      o.Validate();
    } catch (const OptionError& e) {
      key = e.key();
    }
    CHECK(FlagName(key) == flag);
    CHECK_THROWS_AS(Pooler(o), Error);
  };
  PoolOptions max;
  max.kernel = {2, 2};
  REQUIRE_NOTHROW(max.Validate());
  {
    PoolOptions o = max;
    o.kernel = {0, 2};
    rejects(o, "--kernel");
  }
  {
    PoolOptions o;  // no kernel at all
    rejects(o, "--kernel");
  }
  {
    PoolOptions o = max;
    o.stride = PoolSize{0, 1};
    rejects(o, "--stride");
  }
  {
    PoolOptions o = max;
    o.padding = {2, 0};
    rejects(o, "--padding");
    o.padding = {-1, 0};
    rejects(o, "--padding");
  }
  {
    PoolOptions o = max;
    o.dilation = {1, 0};
    rejects(o, "--dilation");
    o.dilation = {int64_t{1} << 31, 1};  // torch: integer out of range
    rejects(o, "--dilation");
    o = max;
    o.kernel = {int64_t{1} << 31, 2};
    rejects(o, "--kernel");
  }
  {
    PoolOptions o = max;
    o.mode = PoolMode::kAvg;
    o.dilation = {2, 1};
    rejects(o, "--dilation");
  }
  {
    PoolOptions o = max;
    o.mode = PoolMode::kLp;
    o.padding = {1, 0};
    rejects(o, "--padding");
    o.padding = {0, 0};
    o.norm_type = 0;
    rejects(o, "--norm-type");
  }
  {
    PoolOptions o = max;
    o.divisor_override = 3;
    rejects(o, "--divisor-override");
    o = max;
    o.count_include_pad = false;
    rejects(o, "--count-include-pad");
    o = max;
    o.norm_type = 3;
    rejects(o, "--norm-type");
  }
  {
    PoolOptions o;
    o.mode = PoolMode::kAdaptiveAvg;
    rejects(o, "--output-size");
    o.output_size = PoolSize{-2, 3};
    rejects(o, "--output-size");
    o.output_size = PoolSize{kKeep, 3};
    CHECK_NOTHROW(o.Validate());
    o.kernel = {2, 2};
    rejects(o, "--kernel");
  }
  {
    PoolOptions o;
    o.mode = PoolMode::kStack;
    o.stack_frames = 0;
    rejects(o, "--stack-frames");
    o.stack_frames = 7;
    o.stack_stride = 0;
    rejects(o, "--stack-stride");
  }
  {
    PoolOptions o;
    o.mode = PoolMode::kStats;
    o.return_indices = true;
    rejects(o, "--return-indices");
    o.return_indices = false;
    o.ceil_mode = true;
    rejects(o, "--ceil-mode");
  }
  CHECK_THROWS_AS(ParsePoolMode("mean"), OptionError);
  for (const char* name : {"max", "avg", "lp", "adaptive-max", "adaptive-avg", "stats", "stack"}) {
    CHECK(PoolModeName(ParsePoolMode(name)) == name);
  }
}

TEST_CASE("input-dependent rejections", "[pooler]") {
  PoolOptions o;
  o.kernel = {4, 4};
  Pooler pooler(o);
  CHECK_THROWS_WITH(pooler.OutputShape(3, 80), Catch::Contains("output size is too small"));
  CHECK_THROWS_WITH(pooler.OutputShape(0, 80), Catch::Contains("empty"));
  Matrix small(3, 80), out;
  CHECK_THROWS_AS(pooler.Apply(small.View(), &out), Error);
  std::vector<int64_t> indices;
  o.mode = PoolMode::kAvg;
  Matrix enough(8, 8);
  CHECK_THROWS_WITH(Pooler(o).Apply(enough.View(), &out, &indices), Catch::Contains("indices"));
  o = PoolOptions();
  o.mode = PoolMode::kStack;
  Matrix none(0, 5);
  Pooler(o).Apply(none.View(), &out);
  CHECK(out.rows() == 0);
  CHECK(out.cols() == 35);
}

TEST_CASE("output size follows torch's pooling_output_shape", "[pooler]") {
  CHECK(PoolOutputSize(100000, 2, 2, 0, 1, false) == 50000);
  CHECK(PoolOutputSize(5, 2, 2, 0, 1, false) == 2);
  CHECK(PoolOutputSize(5, 2, 2, 0, 1, true) == 3);
  // ceil_mode: a window that would start in the right padding is dropped.
  CHECK(PoolOutputSize(5, 2, 2, 1, 1, true) == 3);
  CHECK(PoolOutputSize(5, 3, 2, 1, 1, true) == 3);
  CHECK(PoolOutputSize(2, 5, 1, 2, 1, false) == 2);
  CHECK(PoolOutputSize(3, 4, 1, 0, 1, false) == 0);
  CHECK(PoolOutputSize(1, 2, 1, 1, 2, false) == 1);
}

TEST_CASE("one Pooler serves several threads at once", "[pooler][threads]") {
  pool_fixtures::Fixtures& fx = pool_fixtures::Load();
  const Matrix& in = fx.Input("fbank200x80");
  PoolOptions opts;
  opts.mode = PoolMode::kAvg;
  opts.kernel = {8, 8};
  opts.stride = PoolSize{1, 1};
  opts.padding = {4, 4};
  const Pooler pooler(opts);
  Matrix want;
  pooler.Apply(in.View(), &want);
  std::vector<Matrix> got(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] {
      for (int repeat = 0; repeat < 20; ++repeat) pooler.Apply(in.View(), &got[i]);
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Matrix& m : got) {
    REQUIRE(m.rows() == want.rows());
    CHECK(std::memcmp(m.data(), want.data(), sizeof(float) * want.rows() * want.cols()) == 0);
  }
}

// avg 2x2 stride 2 runs vector loops chosen for the CPU (AVX2 or SSE2); both
// must give what the documented rule gives one value at a time: the four
// values summed in double, as (row pair) + (row pair), times 1/4, rounded
// once to float.
TEST_CASE("avg 2x2 stride 2 is the double sum rounded once, bit for bit", "[pooler]") {
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> mantissa(-1.0f, 1.0f);
  std::uniform_int_distribution<int> exponent(-40, 40);  // sums that round in float
  PoolOptions opts;
  opts.mode = PoolMode::kAvg;
  opts.kernel = {2, 2};
  const Pooler pooler(opts);
  for (const int64_t cols : {80, 81, 7, 2, 3}) {
    const int64_t rows = 37;
    Matrix in(rows, cols);
    for (int64_t i = 0; i < rows * cols; ++i) {
      in.data()[i] = std::ldexp(mantissa(rng), exponent(rng));
    }
    Matrix out;
    pooler.Apply(in.View(), &out);
    REQUIRE(out.rows() == rows / 2);
    REQUIRE(out.cols() == cols / 2);
    int mismatches = 0;
    for (int64_t t = 0; t < out.rows(); ++t) {
      for (int64_t f = 0; f < out.cols(); ++f) {
        const double top = static_cast<double>(in(2 * t, 2 * f)) + in(2 * t, 2 * f + 1);
        const double bottom = static_cast<double>(in(2 * t + 1, 2 * f)) + in(2 * t + 1, 2 * f + 1);
        const float expected = static_cast<float>((top + bottom) * 0.25);
        if (std::memcmp(&expected, &out(t, f), sizeof(float)) != 0) ++mismatches;
      }
    }
    INFO("cols " << cols);
    CHECK(mismatches == 0);
  }
}

TEST_CASE("kernel, padding and stride far beyond the input cost O(input)", "[pooler]") {
  // A 10x4 input pooled with a 200000001-row kernel and 1e8 rows of padding
  // is valid in torch and gives one row; the time ring used to be sized by
  // the kernel (8.6 GB), and a 2e9 stride by a table of 2e9 entries.
  const Matrix x = RandomFeatures(10, 4, 11, false);
  struct Case {
    PoolMode mode;
    PoolSize kernel, stride, padding;
    bool count_include_pad;
  };
  const Case cases[] = {
      {PoolMode::kMax, {200000001, 1}, {200000001, 1}, {100000000, 0}, true},
      {PoolMode::kMax, {200000001, 3}, {1, 1}, {100000000, 1}, true},
      {PoolMode::kAvg, {200000001, 1}, {200000001, 1}, {100000000, 0}, true},
      {PoolMode::kAvg, {200000001, 1}, {200000001, 1}, {100000000, 0}, false},
      {PoolMode::kMax, {3, 1}, {2000000000, 1}, {0, 0}, true},
      {PoolMode::kAvg, {1, 200000001}, {1, 1}, {0, 100000000}, true},
  };
  for (const Case& c : cases) {
    PoolOptions o;
    o.mode = c.mode;
    o.kernel = c.kernel;
    o.stride = c.stride;
    o.padding = c.padding;
    o.count_include_pad = c.count_include_pad;
    INFO(PoolModeName(c.mode) << " kernel " << c.kernel.time << "x" << c.kernel.freq << " stride "
                              << c.stride.time << " padding " << c.padding.time);
    Matrix got, want;
    std::vector<int64_t> want_indices;
    Pooler(o).Apply(x.View(), &got);
    if (c.mode == PoolMode::kMax) {
      BruteMax(x, o, &want, &want_indices);
    } else {
      BruteAvg(x, o, &want);
    }
    REQUIRE(got.rows() == want.rows());
    REQUIRE(got.cols() == want.cols());
    CHECK(std::memcmp(got.data(), want.data(), sizeof(float) * got.rows() * got.cols()) == 0);
  }
}

TEST_CASE("outputs far larger than the input are refused, naming the option", "[pooler]") {
  using Catch::Contains;
  PoolOptions o;
  o.mode = PoolMode::kStack;
  o.stack_frames = int64_t{1} << 62;  // m * F overflowed: a crash, or a segfault in Python
  CHECK_THROWS_WITH(o.Validate(), Contains("stack_frames"));
  o.stack_frames = 7;
  o.stack_stride = int64_t{1} << 62;
  CHECK_THROWS_WITH(o.Validate(), Contains("stack_stride"));
  o.stack_stride = 6;
  o.stack_frames = 5000000;  // 2 rows of 2e7 values from a 10x4 input
  CHECK_THROWS_WITH(Pooler(o).OutputShape(10, 4),
                    Contains("stack_frames=5000000") && Contains("more than 16 times"));
  o.stack_frames = 100;  // large, but bounded: each block is a clamped input frame
  const Matrix x = RandomFeatures(10, 4, 3, false);
  Matrix out;
  Pooler(o).Apply(x.View(), &out);
  REQUIRE(out.rows() == 2);
  REQUIRE(out.cols() == 400);
  for (int64_t i = 0; i < 2; ++i) {
    for (int64_t j = 0; j < 100; ++j) {
      const int64_t frame = std::clamp<int64_t>(i * 6 + j - 49, 0, 9);
      CHECK(std::memcmp(out.Row(i) + j * 4, x.Row(frame), 4 * sizeof(float)) == 0);
    }
  }

  PoolOptions a;
  a.mode = PoolMode::kAdaptiveAvg;
  a.output_size = PoolSize{4000000000, 4000000000};  // the product overflows int64
  CHECK_THROWS_WITH(Pooler(a).OutputShape(10, 4), Contains("output_size=4000000000x4000000000"));
  a.output_size = PoolSize{100000000000, kKeep};
  CHECK_THROWS_WITH(Pooler(a).OutputShape(10, 4), Contains("output_size=100000000000xkeep"));
  a.output_size = PoolSize{20, 25};  // torch upsamples a 2x3 input this far
  CHECK(Pooler(a).OutputShape(2, 3) == PoolSize{20, 25});

  // A negative size is shown as the number it is ("keep" only for output_size).
  PoolOptions k;
  k.kernel = PoolSize{-1, -1};
  CHECK_THROWS_WITH(k.Validate(), Contains("kernel=-1x-1"));
}
