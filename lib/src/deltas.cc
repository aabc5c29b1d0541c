#include "featpool/deltas.h"

#include <algorithm>

#include "featpool/error.h"
#include "featpool/options.h"
#include "stages.h"

namespace featpool {
void DeltaOptions::VisitOptions(OptionVisitor& v) {
  v.Visit(
      OptionInfo::Range("deltas", "",
                        "Delta orders appended (Kaldi add-deltas --delta-order; 0 = off)", 0, 999),
      OptionRef::Of(&order));
  v.Visit(OptionInfo::Range("delta_window", "", "Delta window: 2 * N + 1 frames per order", 1, 999),
          OptionRef::Of(&window));
}

void DeltaOptions::Validate() const { CheckOptionRanges(*this); }

std::vector<std::vector<float>> DeltaScales(const DeltaOptions& opts) {
  // Kaldi DeltaFeatures::DeltaFeatures(), in BaseFloat.
  std::vector<std::vector<float>> scales(static_cast<size_t>(opts.order) + 1);
  scales[0] = {1.0f};
  for (int32_t i = 1; i <= opts.order; ++i) {
    const std::vector<float>& prev = scales[i - 1];
    std::vector<float>& cur = scales[i];
    const int32_t window = opts.window;
    const int32_t prev_offset = (static_cast<int32_t>(prev.size()) - 1) / 2;
    const int32_t cur_offset = prev_offset + window;
    cur.assign(prev.size() + 2 * static_cast<size_t>(window), 0.0f);
    float normalizer = 0.0f;
    for (int32_t j = -window; j <= window; ++j) {
      normalizer += static_cast<float>(j * j);
      for (int32_t k = -prev_offset; k <= prev_offset; ++k) {
        cur[j + k + cur_offset] += static_cast<float>(j) * prev[k + prev_offset];
      }
    }
    const float alpha = static_cast<float>(1.0 / normalizer);  // Scale(1.0 / normalizer)
    for (float& s : cur) s *= alpha;
  }
  return scales;
}

namespace internal {
namespace {

class DeltaStage : public ContextStage {
 public:
  DeltaStage(const DeltaOptions& opts, int64_t dim, std::vector<std::vector<float>> scales)
      : ContextStage(dim, dim * (opts.order + 1), int64_t{opts.order} * opts.window,
                     int64_t{opts.order} * opts.window),
        scales_(std::move(scales)) {}
  const char* Name() const override { return "deltas"; }

 private:
  void Make(int64_t t, float* out) const override {
    std::fill(out, out + OutputDim(), 0.0f);
    for (size_t i = 0; i < scales_.size(); ++i) {
      const std::vector<float>& scales = scales_[i];
      const int64_t max_offset = (static_cast<int64_t>(scales.size()) - 1) / 2;
      float* o = out + static_cast<int64_t>(i) * dim_;
      for (int64_t j = -max_offset; j <= max_offset; ++j) {
        const float scale = scales[j + max_offset];
        if (scale == 0.0f) continue;
        const float* x = Frame(t + j);
        for (int64_t d = 0; d < dim_; ++d) o[d] += scale * x[d];
      }
    }
  }
  std::vector<std::vector<float>> scales_;
};

}  // namespace

std::unique_ptr<FrameStage> MakeDeltaStage(const DeltaOptions& opts, int64_t dim) {
  return std::make_unique<DeltaStage>(opts, dim, DeltaScales(opts));
}

}  // namespace internal

}  // namespace featpool
