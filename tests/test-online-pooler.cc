#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <vector>

#include "featpool/error.h"
#include "featpool/online-pooler.h"
#include "featpool/pooler.h"
#include "pool-fixtures.h"

using namespace featpool;

namespace {

bool Streams(PoolMode mode) {
  return mode != PoolMode::kAdaptiveMax && mode != PoolMode::kAdaptiveAvg;
}

struct Streamed {
  Matrix rows;
  std::vector<int64_t> indices;
};

// Feeds `in` in chunks drawn from `chunk` (0 = random 1..max), releasing
// rows as they are taken, like a streaming consumer.
Streamed Stream(const PoolOptions& opts, const Matrix& in, int64_t chunk, std::mt19937* rng) {
  OnlinePooler pooler(opts, in.cols());
  Streamed out;
  out.rows.Resize(0, pooler.Dim());
  auto take = [&]() {
    for (int64_t r = pooler.FirstAvailableRow(); r < pooler.NumRowsReady(); ++r) {
      std::memcpy(out.rows.AppendRow(), pooler.Row(r), sizeof(float) * pooler.Dim());
      if (opts.return_indices) {
        const int64_t* idx = pooler.RowIndices(r);
        out.indices.insert(out.indices.end(), idx, idx + pooler.Dim());
      }
    }
    pooler.ReleaseRowsBefore(pooler.NumRowsReady());
  };
  std::uniform_int_distribution<int64_t> size(1, std::max<int64_t>(1, in.rows()));
  for (int64_t r = 0; r < in.rows();) {
    const int64_t n = std::min(in.rows() - r, chunk > 0 ? chunk : size(*rng));
    pooler.AcceptFrames({in.Row(r), n, in.cols()});
    r += n;
    take();
  }
  pooler.InputFinished();
  take();
  return out;
}

}  // namespace

TEST_CASE("streaming pooling is bit-identical to offline on every fixture case",
          "[online-pooler]") {
  pool_fixtures::Fixtures& fx = pool_fixtures::Load();
  std::mt19937 rng(20240611);
  int checked = 0;
  for (const pool_fixtures::Case& c : fx.cases) {
    if (c.error || !Streams(c.opts.mode)) continue;
    INFO(c.line);
    const Matrix& in = fx.Input(c.input);
    PoolOptions opts = c.opts;
    opts.return_indices = opts.mode == PoolMode::kMax;
    Matrix offline;
    std::vector<int64_t> offline_indices;
    Pooler(opts).Apply(in.View(), &offline, opts.return_indices ? &offline_indices : nullptr);
    // Also against torch, so a bug shared by both paths cannot hide.
    CHECK(pool_fixtures::Compare(c, fx.Expected(c), offline.data(), c.rows * c.cols,
                                 pool_fixtures::MaxFiniteAbs(in)) == "");
    for (int64_t chunk :
         {int64_t{1}, int64_t{7}, int64_t{160}, in.rows(), int64_t{0}, int64_t{0}}) {
      INFO("chunk " << chunk);
      const Streamed s = Stream(opts, in, chunk, &rng);
      REQUIRE(s.rows.rows() == offline.rows());
      REQUIRE(s.rows.cols() == offline.cols());
      CHECK(std::memcmp(s.rows.data(), offline.data(),
                        sizeof(float) * offline.rows() * offline.cols()) == 0);
      CHECK(s.indices == offline_indices);
    }
    ++checked;
  }
  CHECK(checked >= 200);
}

TEST_CASE("streaming long real features in random chunks", "[online-pooler]") {
  // 1500 frames of fbank-like data: rings wrap many times.
  pool_fixtures::Fixtures& fx = pool_fixtures::Load();
  const Matrix& fbank = fx.Input("fbank200x80");
  Matrix in(1500, 80);
  for (int64_t r = 0; r < in.rows(); ++r) {
    std::memcpy(in.Row(r), fbank.Row((r * 7) % fbank.rows()), sizeof(float) * 80);
  }
  std::mt19937 rng(5);
  PoolOptions configs[6];
  configs[0].kernel = {2, 2};
  configs[1].kernel = {32, 32};
  configs[1].stride = PoolSize{1, 1};
  configs[1].padding = {16, 16};
  configs[1].ceil_mode = true;
  configs[2].mode = PoolMode::kAvg;
  configs[2].kernel = {8, 8};
  configs[2].stride = PoolSize{1, 1};
  configs[2].padding = {3, 4};
  configs[2].count_include_pad = false;
  configs[3].mode = PoolMode::kLp;
  configs[3].kernel = {10, 3};
  configs[3].stride = PoolSize{3, 3};
  configs[3].ceil_mode = true;
  configs[4].mode = PoolMode::kStack;
  configs[5].mode = PoolMode::kStats;
  for (const PoolOptions& opts : configs) {
    INFO("mode " << PoolModeName(opts.mode) << " kernel " << opts.kernel.time);
    Matrix offline;
    Pooler(opts).Apply(in.View(), &offline);
    for (int repeat = 0; repeat < 3; ++repeat) {
      const Streamed s = Stream(opts, in, 0, &rng);
      REQUIRE(s.rows.rows() == offline.rows());
      CHECK(std::memcmp(s.rows.data(), offline.data(),
                        sizeof(float) * offline.rows() * offline.cols()) == 0);
    }
  }
}

TEST_CASE("rows are ready exactly when their frames have arrived", "[online-pooler]") {
  pool_fixtures::Fixtures& fx = pool_fixtures::Load();
  const Matrix& in = fx.Input("fbank200x80");
  PoolOptions max;
  max.kernel = {5, 2};
  max.stride = PoolSize{3, 2};
  max.padding = {2, 0};
  max.dilation = {2, 1};
  PoolOptions stack;
  stack.mode = PoolMode::kStack;
  for (const PoolOptions& opts : {max, stack}) {
    OnlinePooler pooler(opts, in.cols());
    if (opts.mode == PoolMode::kMax) {
      CHECK(pooler.FrameLag() == 4 * 2 - 2);  // (kernel - 1) * dilation - padding
      CHECK(pooler.FramesNeededForRow(0) == 7);
      CHECK(pooler.FramesNeededForRow(3) == 16);
    } else {
      CHECK(pooler.FrameLag() == 3);  // m - 1 - (m - 1) / 2
      CHECK(pooler.FramesNeededForRow(1) == 10);
    }
    for (int64_t t = 0; t < 60; ++t) {
      pooler.AcceptFrame(in.Row(t));
      const int64_t ready = pooler.NumRowsReady();
      CHECK(pooler.FramesNeededForRow(ready) > t + 1);
      if (ready > 0) CHECK(pooler.FramesNeededForRow(ready - 1) <= t + 1);
    }
  }
}

TEST_CASE("statistics stream as a running result", "[online-pooler]") {
  pool_fixtures::Fixtures& fx = pool_fixtures::Load();
  const Matrix& in = fx.Input("mean1000");
  PoolOptions opts;
  opts.mode = PoolMode::kStats;
  OnlinePooler pooler(opts, in.cols());
  std::vector<float> running(static_cast<size_t>(2 * in.cols()));
  CHECK_FALSE(pooler.RunningStats(running.data()));
  CHECK(pooler.FramesNeededForRow(0) == -1);
  CHECK(pooler.FrameLag() == -1);
  pooler.AcceptFrames(in.View());
  CHECK(pooler.NumRowsReady() == 0);
  REQUIRE(pooler.RunningStats(running.data()));
  pooler.InputFinished();
  REQUIRE(pooler.NumRowsReady() == 1);
  CHECK(std::memcmp(pooler.Row(0), running.data(), running.size() * sizeof(float)) == 0);
  Matrix offline;
  Pooler(opts).Apply(in.View(), &offline);
  CHECK(std::memcmp(pooler.Row(0), offline.data(), running.size() * sizeof(float)) == 0);
}

TEST_CASE("online pooler rejects what cannot stream and misuse", "[online-pooler]") {
  PoolOptions adaptive;
  adaptive.mode = PoolMode::kAdaptiveAvg;
  adaptive.output_size = PoolSize{3, 3};
  CHECK_THROWS_WITH(OnlinePooler(adaptive, 80), Catch::Contains("cannot stream"));
  PoolOptions bad;
  bad.kernel = {2, 0};
  CHECK_THROWS_WITH(OnlinePooler(bad, 80), Catch::StartsWith("kernel="));
  PoolOptions wide;
  wide.kernel = {2, 100};
  CHECK_THROWS_WITH(OnlinePooler(wide, 80), Catch::Contains("no output column"));

  PoolOptions max;
  max.kernel = {4, 4};
  OnlinePooler pooler(max, 8);
  Matrix frames(3, 7);
  CHECK_THROWS_WITH(pooler.AcceptFrames(frames.View()), Catch::Contains("columns"));
  Matrix short_input(3, 8);
  pooler.AcceptFrames(short_input.View());
  pooler.InputFinished();
  CHECK(pooler.NumRowsReady() == 0);  // too short: no rows (offline would throw)
  CHECK_THROWS_AS(pooler.AcceptFrames(short_input.View()), Error);
  CHECK_THROWS_AS(pooler.Row(0), Error);
  CHECK_THROWS_WITH(pooler.RowIndices(0), Catch::Contains("return_indices"));
}

TEST_CASE("released rows free memory and TakeRows moves the rest", "[online-pooler]") {
  PoolOptions opts;
  opts.kernel = {2, 1};
  OnlinePooler pooler(opts, 3);
  Matrix frames(100, 3);
  for (int64_t i = 0; i < 300; ++i) frames.data()[i] = static_cast<float>(i);
  pooler.AcceptFrames(frames.View());
  REQUIRE(pooler.NumRowsReady() == 50);
  pooler.ReleaseRowsBefore(40);
  CHECK(pooler.FirstAvailableRow() == 40);
  CHECK(pooler.Row(40)[0] == 243.0f);  // max of frames 80, 81 column 0
  CHECK(pooler.ReadyRows().rows == 10);
  const Matrix rest = pooler.TakeRows();
  CHECK(rest.rows() == 10);
  CHECK(rest(9, 2) == 299.0f);
  CHECK(pooler.ReadyRows().rows == 0);
}

TEST_CASE("streaming memory follows the frames, not kernel, dilation or stack size",
          "[online-pooler]") {
  // Each of these used to allocate by the option: a ring of kernel rows, a
  // table entry per dilation class, m frames of stacking.
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  Matrix x(10, 4);
  for (int64_t i = 0; i < 40; ++i) x.data()[i] = normal(rng);
  PoolOptions big_kernel;
  big_kernel.kernel = {200000001, 1};
  big_kernel.padding = {100000000, 0};
  PoolOptions big_dilation;
  big_dilation.kernel = {10, 1};
  big_dilation.stride = PoolSize{1, 1};
  big_dilation.dilation = {1000000000, 1};
  PoolOptions big_stack;
  big_stack.mode = PoolMode::kStack;
  big_stack.stack_frames = 1000001;  // rows of 4e6 values: within the bound
  big_stack.stack_stride = 6;
  for (const PoolOptions* options : {&big_kernel, &big_dilation, &big_stack}) {
    const PoolOptions& o = *options;
    OnlinePooler online(o, 4);
    online.AcceptFrames(x.View());
    online.InputFinished();
    if (options == &big_dilation) {
      CHECK(online.NumRowsReady() == 0);  // every window reaches past the input
      continue;
    }
    Matrix offline;
    Pooler(o).Apply(x.View(), &offline);
    const Matrix rows = online.TakeRows();
    REQUIRE(rows.rows() == offline.rows());
    REQUIRE(rows.cols() == offline.cols());
    CHECK(std::memcmp(rows.data(), offline.data(),
                      sizeof(float) * static_cast<size_t>(rows.rows() * rows.cols())) == 0);
  }
  big_stack.stack_frames = 5000000;  // one row of 2e7 values from frames of 4
  CHECK_THROWS_WITH(OnlinePooler(big_stack, 4), Catch::Contains("stack_frames=5000000"));
  OnlinePooler online(big_kernel, 4);
  CHECK_THROWS_WITH(online.FramesNeededForRow(INT64_MAX), Catch::Contains("out of range"));
  CHECK_THROWS_WITH(online.FramesNeededForRow(-1), Catch::Contains("out of range"));
}

TEST_CASE("an empty stream gives no rows in every mode even with padding", "[online-pooler]") {
  // The offline Pooler rejects an empty input (stack: no rows); the padding
  // alone must not make a window (found by tests/fuzz/fuzz-pool-stream).
  std::vector<PoolOptions> configs(5);
  configs[0].kernel = {10, 1};
  configs[0].padding = {5, 0};
  configs[0].return_indices = true;
  configs[1].mode = PoolMode::kAvg;
  configs[1].kernel = {4, 2};
  configs[1].padding = {2, 1};
  configs[2].mode = PoolMode::kLp;
  configs[2].kernel = {2, 2};
  configs[3].mode = PoolMode::kStats;
  configs[4].mode = PoolMode::kStack;
  for (const PoolOptions& opts : configs) {
    INFO("mode " << PoolModeName(opts.mode));
    OnlinePooler pooler(opts, 3);
    pooler.InputFinished();
    CHECK(pooler.NumRowsReady() == 0);
    Matrix offline;
    if (opts.mode == PoolMode::kStack) {
      Pooler(opts).Apply(MatrixView{nullptr, 0, 3}, &offline);
      CHECK(offline.rows() == 0);
    } else {
      CHECK_THROWS_AS(Pooler(opts).Apply(MatrixView{nullptr, 0, 3}, &offline), Error);
    }
  }
}
