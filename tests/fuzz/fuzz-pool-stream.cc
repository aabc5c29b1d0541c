// Bytes -> pooling options x input shape x values x chunk sizes. For every
// mode that streams, OnlinePooler fed in chunks must give the offline
// Pooler's rows bit for bit (and its indices), accept exactly the options
// the Pooler accepts, and give no rows where the Pooler rejects the input as
// too short. Any other outcome is a finding (abort).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "featpool/error.h"
#include "featpool/online-pooler.h"
#include "featpool/pooler.h"
#include "fuzz-common.h"

using namespace featpool;

namespace {

PoolOptions Options(featpool_fuzz::Bytes* b) {
  static const PoolMode kModes[] = {PoolMode::kMax, PoolMode::kAvg, PoolMode::kLp, PoolMode::kStats,
                                    PoolMode::kStack};
  static const double kNorms[] = {1.0, 2.0, 3.0, 0.5, 1.5, 4.0, -1.0, 0.0};
  PoolOptions o;
  o.mode = kModes[b->Int(0, 4)];
  // Mostly valid options; now and then out of range (both paths must reject
  // them alike).
  const bool wild = b->Int(0, 15) == 0;
  o.kernel = {b->Int(wild ? -1 : 1, 12), b->Int(wild ? -1 : 1, 9)};
  if (b->Bool()) o.stride = PoolSize{b->Int(wild ? -1 : 1, 9), b->Int(wild ? -1 : 1, 9)};
  if (o.mode == PoolMode::kMax || o.mode == PoolMode::kAvg) {
    o.padding = {b->Int(0, std::max<int64_t>(0, o.kernel.time / 2) + (wild ? 1 : 0)),
                 b->Int(0, std::max<int64_t>(0, o.kernel.freq / 2) + (wild ? 1 : 0))};
  }
  if (o.mode == PoolMode::kMax) {
    o.dilation = {b->Int(wild ? 0 : 1, 3), b->Int(wild ? 0 : 1, 3)};
    o.return_indices = b->Bool();
  }
  if (o.mode != PoolMode::kStats && o.mode != PoolMode::kStack) o.ceil_mode = b->Bool();
  if (o.mode == PoolMode::kAvg) {
    o.count_include_pad = b->Bool();
    o.divisor_override = b->Int(0, 3) == 0 ? b->Int(wild ? -1 : 1, 20) : 0;
  }
  if (o.mode == PoolMode::kLp) o.norm_type = kNorms[b->Int(0, wild ? 7 : 5)];
  if (o.mode == PoolMode::kStack) {
    o.stack_frames = b->Int(wild ? 0 : 1, 9);
    o.stack_stride = b->Int(wild ? 0 : 1, 9);
  }
  return o;
}

float Value(featpool_fuzz::Bytes* b) {
  // Small integers (ties, signed zeros), raw bits (NaN, inf, subnormals), or
  // scaled values.
  switch (b->Int(0, 3)) {
    case 0:
      return static_cast<float>(b->Int(-3, 3));
    case 1: {
      uint32_t bits = 0;
      for (int i = 0; i < 4; ++i) bits = bits << 8 | b->Byte();
      float v;
      std::memcpy(&v, &bits, sizeof v);
      return v;
    }
    case 2:
      return b->Bool() ? -0.0f : 0.0f;
    default:
      return static_cast<float>(b->Int(-1000, 1000)) / 7.0f;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  featpool_fuzz::Bytes b(data, size);
  const PoolOptions opts = Options(&b);
  const int64_t rows = b.Int(0, 80);
  const int64_t cols = b.Int(1, 24);
  Matrix in(rows, cols);
  for (int64_t i = 0; i < rows * cols; ++i) in.data()[i] = Value(&b);

  bool offline_ok = true;
  Matrix offline;
  std::vector<int64_t> offline_indices;
  bool options_ok = true;
  try {
    const Pooler pooler(opts);
    try {
      pooler.Apply(in.View(), &offline, opts.return_indices ? &offline_indices : nullptr);
    } catch (const Error&) {
      offline_ok = false;
    }
  } catch (const Error&) {
    options_ok = false;
  }

  std::unique_ptr<OnlinePooler> online;
  try {
    online = std::make_unique<OnlinePooler>(opts, cols);
  } catch (const Error&) {
    // The streaming pooler also rejects a frame width that gives no column.
    if (options_ok && offline_ok && offline.cols() > 0) {
      featpool_fuzz::Fail("OnlinePooler rejects options and width the Pooler accepts");
    }
    return 0;
  }
  if (!options_ok) featpool_fuzz::Fail("OnlinePooler accepts options the Pooler rejects");

  Matrix streamed(0, online->Dim());
  std::vector<int64_t> streamed_indices;
  int64_t next = 0;  // the first row not yet taken
  auto take = [&] {
    for (int64_t r = next; r < online->NumRowsReady(); ++r) {
      std::memcpy(streamed.AppendRow(), online->Row(r), sizeof(float) * online->Dim());
      if (opts.return_indices) {
        const int64_t* idx = online->RowIndices(r);
        streamed_indices.insert(streamed_indices.end(), idx, idx + online->Dim());
      }
    }
    next = online->NumRowsReady();
    // Sometimes keep rows a while, so unreleased rows pile up.
    if (b.Bool()) online->ReleaseRowsBefore(next);
  };
  for (int64_t r = 0; r < rows;) {
    const int64_t n = std::min(rows - r, b.Int(1, 17));
    if (n == 1 && b.Bool()) {
      online->AcceptFrame(in.Row(r));
    } else {
      online->AcceptFrames({in.Row(r), n, cols});
    }
    r += n;
    take();
  }
  online->InputFinished();
  take();

  if (!offline_ok) {
    if (streamed.rows() != 0)
      featpool_fuzz::Fail("rows streamed where the Pooler rejects the input");
    return 0;
  }
  if (streamed.rows() != offline.rows() || streamed.cols() != offline.cols()) {
    featpool_fuzz::Fail("streamed shape differs from offline");
  }
  if (offline.rows() * offline.cols() > 0 &&
      std::memcmp(streamed.data(), offline.data(),
                  sizeof(float) * offline.rows() * offline.cols()) != 0) {
    featpool_fuzz::Fail("streamed values differ from offline");
  }
  if (streamed_indices != offline_indices) featpool_fuzz::Fail("streamed indices differ");
  return 0;
}
