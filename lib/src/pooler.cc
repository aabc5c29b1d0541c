#include "featpool/pooler.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "checked-math.h"
#include "featpool/error.h"
#include "featpool/options.h"
#include "pool-engine.h"

namespace featpool {
namespace {

struct ModeName {
  PoolMode mode;
  const char* name;
};
constexpr ModeName kModeNames[] = {
    {PoolMode::kMax, "max"},
    {PoolMode::kAvg, "avg"},
    {PoolMode::kLp, "lp"},
    {PoolMode::kAdaptiveMax, "adaptive-max"},
    {PoolMode::kAdaptiveAvg, "adaptive-avg"},
    {PoolMode::kStats, "stats"},
    {PoolMode::kStack, "stack"},
};

// "3x2"; with `keep`, an output_size entry kKeep is "keep" (elsewhere -1 is a
// bad value and shown as such).
std::string SizeText(const PoolSize& size, bool keep = false) {
  auto one = [keep](int64_t v) {
    return keep && v == kKeep ? std::string("keep") : std::to_string(v);
  };
  return one(size.time) + "x" + one(size.freq);
}

constexpr int64_t kIntMax = 2147483647;

bool IsWindowMode(PoolMode mode) {
  return mode == PoolMode::kMax || mode == PoolMode::kAvg || mode == PoolMode::kLp;
}
bool IsAdaptiveMode(PoolMode mode) {
  return mode == PoolMode::kAdaptiveMax || mode == PoolMode::kAdaptiveAvg;
}

void ValidateWindow(const PoolOptions& o) {
  const PoolSize stride = o.EffectiveStride();
  // PyTorch ATen Pool.h pool2d_shape_check and the checks of
  // max_pool2d_with_indices / avg_pool2d.
  if (o.kernel.time <= 0 || o.kernel.freq <= 0) {
    throw OptionError(
        "kernel", SizeText(o.kernel),
        "must be positive on both axes (" + PoolModeName(o.mode) + " pooling needs a kernel)");
  }
  if (stride.time <= 0 || stride.freq <= 0) {
    throw OptionError("stride", SizeText(stride), "must be positive on both axes");
  }
  if (o.padding.time < 0 || o.padding.freq < 0) {
    throw OptionError("padding", SizeText(o.padding), "must be non-negative");
  }
  if (o.dilation.time <= 0 || o.dilation.freq <= 0) {
    throw OptionError("dilation", SizeText(o.dilation), "must be positive on both axes");
  }
  // torch narrows these to int ("integer out of range"); it also keeps a
  // window's span (kernel - 1) * dilation within int64 here.
  const struct {
    const char* key;
    PoolSize size;
  } sizes[] = {
      {"kernel", o.kernel}, {"stride", stride}, {"padding", o.padding}, {"dilation", o.dilation}};
  for (const auto& entry : sizes) {
    if (entry.size.time > kIntMax || entry.size.freq > kIntMax) {
      throw OptionError(entry.key, SizeText(entry.size),
                        "is out of range (torch takes 32-bit integers)");
    }
  }
  if (o.padding.time > o.kernel.time / 2 || o.padding.freq > o.kernel.freq / 2) {
    throw OptionError("padding", SizeText(o.padding),
                      "is more than half of {kernel}=" + SizeText(o.kernel) +
                          " (torch: pad should be at most half of kernel size)");
  }
  if (o.mode == PoolMode::kLp && o.norm_type == 0.0) {
    throw OptionError("norm_type", "0", "must be non-zero (lp pooling takes the 1/p root)");
  }
}

}  // namespace

PoolMode ParsePoolMode(const std::string& name) {
  for (const ModeName& m : kModeNames) {
    if (name == m.name) return m.mode;
  }
  throw OptionError("mode", name,
                    "unknown pooling mode (expected max, avg, lp, adaptive-max, adaptive-avg, "
                    "stats or stack)");
}

std::string PoolModeName(PoolMode mode) {
  for (const ModeName& m : kModeNames) {
    if (mode == m.mode) return m.name;
  }
  return "unknown";
}

void PoolOptions::Validate() const {
  CheckOptionRanges(*this);
  // Options of other modes keep their defaults (the table's applies_to).
  CheckModeOptions(OptionFields(*this), OptionFields(PoolOptions{}), "mode", "pooling");
  if (IsWindowMode(mode)) ValidateWindow(*this);
  if (IsAdaptiveMode(mode)) {
    if (!output_size) {
      throw OptionError("output_size", std::nullopt,
                        "is required for " + PoolModeName(mode) + " pooling");
    }
    for (int64_t v : {output_size->time, output_size->freq}) {
      if (v < 0 && v != kKeep) {
        throw OptionError("output_size", SizeText(*output_size, true),
                          "must be >= 0 or 'keep' on each axis");
      }
    }
  }
}

int64_t PoolOutputSize(int64_t input_size, int64_t kernel, int64_t stride, int64_t padding,
                       int64_t dilation, bool ceil_mode) {
  // PyTorch ATen Pool.h pooling_output_shape_pad_lr (div_rtn floors).
  const int64_t numerator =
      input_size + 2 * padding - dilation * (kernel - 1) - 1 + (ceil_mode ? stride - 1 : 0);
  int64_t size = internal::FloorDiv(numerator, stride) + 1;
  // With ceil_mode the last window must start inside the input or the left padding.
  if (ceil_mode && (size - 1) * stride >= input_size + padding) --size;
  return size;
}

namespace internal {

void CheckPoolGrowth(int64_t out_elements, int64_t in_elements, const std::string& key,
                     const std::string& value, const std::string& what) {
  int64_t limit = 0;
  if (MulOverflows(in_elements, kMaxPoolGrowthFactor, &limit)) limit = INT64_MAX;
  limit = std::max(limit, kMaxPoolGrowthElements);
  if (out_elements > limit) {
    throw OptionError(key, value,
                      what + " is more than " + std::to_string(kMaxPoolGrowthFactor) +
                          " times the input and more than " +
                          std::to_string(kMaxPoolGrowthElements) +
                          " values (2^24): pooling enlarges an input no further than that");
  }
}

}  // namespace internal

// Window modes never give more than about the input (an output needs a
// window of at least one input row inside the padding); the adaptive modes
// (cells smaller than an element) and stacking (m frames every n) can, and
// are bounded so that memory follows the input, not the option.
void Pooler::CheckOutputSize(const PoolSize& shape, int64_t rows, int64_t cols,
                             const std::string& key, const std::string& value) const {
  int64_t out_elements = 0;
  if (internal::MulOverflows(shape.time, shape.freq, &out_elements)) out_elements = INT64_MAX;
  internal::CheckPoolGrowth(
      out_elements, rows * cols, key, value,
      "gives a " + std::to_string(shape.time) + "x" + std::to_string(shape.freq) +
          " output for a " + std::to_string(rows) + "x" + std::to_string(cols) + " input, which");
}

Pooler::Pooler(const PoolOptions& opts) : opts_(opts) { opts_.Validate(); }

bool Pooler::HasIndices() const {
  return opts_.mode == PoolMode::kMax || opts_.mode == PoolMode::kAdaptiveMax;
}

PoolSize Pooler::OutputShape(int64_t rows, int64_t cols) const {
  const std::string input = std::to_string(rows) + "x" + std::to_string(cols);
  if (rows < 0 || cols < 1 || (rows == 0 && opts_.mode != PoolMode::kStack)) {
    throw Error("cannot pool an empty " + input + " input");
  }
  switch (opts_.mode) {
    case PoolMode::kMax:
    case PoolMode::kAvg:
    case PoolMode::kLp: {
      const PoolSize s = opts_.EffectiveStride();
      const PoolSize shape{PoolOutputSize(rows, opts_.kernel.time, s.time, opts_.padding.time,
                                          opts_.dilation.time, opts_.ceil_mode),
                           PoolOutputSize(cols, opts_.kernel.freq, s.freq, opts_.padding.freq,
                                          opts_.dilation.freq, opts_.ceil_mode)};
      if (shape.time < 1 || shape.freq < 1) {
        throw OptionError("kernel", SizeText(opts_.kernel),
                          "on a " + input + " input with {stride}=" + SizeText(s) +
                              " {padding}=" + SizeText(opts_.padding) +
                              " {dilation}=" + SizeText(opts_.dilation) + " gives a " +
                              std::to_string(shape.time) + "x" + std::to_string(shape.freq) +
                              " output (torch: output size is too small)");
      }
      return shape;
    }
    case PoolMode::kAdaptiveMax:
    case PoolMode::kAdaptiveAvg: {
      const PoolSize shape{opts_.output_size->time == kKeep ? rows : opts_.output_size->time,
                           opts_.output_size->freq == kKeep ? cols : opts_.output_size->freq};
      CheckOutputSize(shape, rows, cols, "output_size", SizeText(*opts_.output_size, true));
      return shape;
    }
    case PoolMode::kStats:
      return {1, 2 * cols};
    case PoolMode::kStack: {
      int64_t width = 0;
      if (internal::MulOverflows(opts_.stack_frames, cols, &width)) width = INT64_MAX;
      const PoolSize shape{internal::CeilDiv(rows, opts_.stack_stride), width};
      CheckOutputSize(shape, rows, cols, "stack_frames", std::to_string(opts_.stack_frames));
      return shape;
    }
  }
  throw Error("internal: unknown pooling mode");
}

void Pooler::Apply(MatrixView in, Matrix* out, std::vector<int64_t>* indices) const {
  const PoolSize shape = OutputShape(in.rows, in.cols);
  out->Resize(shape.time, shape.freq);
  int64_t* index_data = nullptr;
  if (indices) {
    if (!HasIndices()) {
      throw OptionError("return_indices", "true",
                        "applies to max and adaptive-max pooling only, not to {mode}=" +
                            PoolModeName(opts_.mode));
    }
    indices->resize(static_cast<size_t>(shape.time * shape.freq));
    index_data = indices->data();
  }
  Apply(in, out->data(), index_data);
}

void Pooler::Apply(MatrixView in, float* out, int64_t* indices) const {
  if (indices && !HasIndices()) {
    throw OptionError(
        "return_indices", "true",
        "applies to max and adaptive-max pooling only, not to {mode}=" + PoolModeName(opts_.mode));
  }
  const PoolSize shape = OutputShape(in.rows, in.cols);
  if (opts_.mode == PoolMode::kAdaptiveMax || opts_.mode == PoolMode::kAdaptiveAvg) {
    internal::AdaptivePool(opts_, in, shape.time, shape.freq, out, indices);
    return;
  }
  auto engine = internal::MakeRowPoolEngine(opts_, in.cols, indices != nullptr);
  internal::RunEngine(engine.get(), in, out, indices);
}

namespace internal {

std::unique_ptr<RowPoolEngine> MakeRowPoolEngine(const PoolOptions& opts, int64_t cols,
                                                 bool with_indices) {
  if (cols < 1) throw Error("cannot pool frames of " + std::to_string(cols) + " columns");
  switch (opts.mode) {
    case PoolMode::kMax:
    case PoolMode::kAvg:
    case PoolMode::kLp:
      return MakeWindowEngine(opts, cols, with_indices && opts.mode == PoolMode::kMax);
    case PoolMode::kStats:
      return MakeStatsEngine(cols);
    case PoolMode::kStack:
      return MakeStackEngine(opts, cols);
    case PoolMode::kAdaptiveMax:
    case PoolMode::kAdaptiveAvg:
      break;
  }
  throw OptionError("mode", PoolModeName(opts.mode),
                    "cannot stream: adaptive pooling needs the whole input's length");
}

void RunEngine(RowPoolEngine* engine, MatrixView in, float* out, int64_t* indices) {
  const int64_t cols = engine->OutputCols();
  auto drain = [&]() {
    while (engine->OutputReady()) {
      const int64_t r = engine->NextOutput();
      engine->EmitNext(out + r * cols, indices ? indices + r * cols : nullptr);
    }
  };
  // Rows are short (80 floats is 5 cache lines) and each costs some work,
  // so the hardware prefetcher alone leaves the first loads of a row
  // waiting on memory; fetch a few rows ahead.
  constexpr int64_t kAhead = 6;
  const int64_t row_bytes = in.cols * static_cast<int64_t>(sizeof(float));
  for (int64_t r = 0; r < in.rows; ++r) {
    if (r + kAhead < in.rows) {
      const char* ahead = reinterpret_cast<const char*>(in.Row(r + kAhead));
      for (int64_t b = 0; b < row_bytes; b += 64) __builtin_prefetch(ahead + b);
    }
    engine->AcceptRow(in.Row(r));
    drain();
  }
  engine->Finish();
  drain();
}

}  // namespace internal
}  // namespace featpool
