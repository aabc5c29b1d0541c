#include "featpool/normalize.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "featpool/error.h"
#include "featpool/options.h"
#include "stages.h"

namespace featpool {
namespace {

const std::vector<std::string> kNormalizeModeNames = {"none", "per-feature", "whisper", "top-db"};

// The largest value (NaN ignored, as std::max ignores it on the right). The
// maximum of a set does not depend on the order it is taken in, so eight
// running maxima (vector lanes) give the same value as one.
float MaxOf(const float* p, int64_t n) {
  float lane[8];
  for (float& m : lane) m = -INFINITY;
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) lane[j] = std::max(lane[j], p[i + j]);
  }
  float max = -INFINITY;
  for (; i < n; ++i) max = std::max(max, p[i]);
  for (float m : lane) max = std::max(max, m);
  return max;
}

}  // namespace

void NormalizeOptions::VisitOptions(OptionVisitor& v) {
  OptionInfo mode_info;
  mode_info.key = "normalize";
  mode_info.help =
      "Whole-utterance normalisation: none, per-feature (NeMo), whisper (max-8 clamp, "
      "(x+4)/4) or top-db (floor at the utterance max - top_db)";
  v.Visit(mode_info, OptionRef::Choice(&mode, &kNormalizeModeNames));
  OptionInfo top;
  top.key = "top_db";
  top.help = "Floor below the utterance maximum, in the features' units (dB: 80)";
  top.min = 0.0;
  top.applies_to = "top-db";
  v.Visit(top, OptionRef::Of(&top_db));
}

void NormalizeOptions::Validate() const {
  CheckOptionRanges(*this);
  CheckModeOptions(OptionFields(*this), OptionFields(NormalizeOptions{}), "normalize",
                   "normalisation");
}

void Normalize(const NormalizeOptions& opts, Matrix* m) {
  NormalizeRows(opts, m->data(), m->rows(), m->cols());
}

void NormalizeRows(const NormalizeOptions& opts, float* p, int64_t rows, int64_t cols) {
  if (rows == 0 || cols == 0) return;
  const int64_t n = rows * cols;
  switch (opts.mode) {
    case NormalizeMode::kNone:
      return;
    case NormalizeMode::kWhisper: {
      // whisper/audio.py l.155-156, float32 tensors; the clamp and the
      // affine step in one pass.
      const float floor = MaxOf(p, n) - 8.0f;
      for (int64_t i = 0; i < n; ++i) p[i] = (std::max(p[i], floor) + 4.0f) / 4.0f;
      return;
    }
    case NormalizeMode::kTopDb: {
      const float floor = static_cast<float>(static_cast<double>(MaxOf(p, n)) - opts.top_db);
      for (int64_t i = 0; i < n; ++i) p[i] = std::max(p[i], floor);
      return;
    }
    case NormalizeMode::kPerFeature: {
      // NeMo normalize_batch(), per_feature (features.py l.64-93): (x -
      // mean) / (unbiased std + 1e-5) per column. The sums in double in one
      // pass, shifted by the first row (so the variance is not a
      // difference of large sums), then one pass to apply.
      const size_t n = static_cast<size_t>(cols);
      std::vector<double> shift(p, p + cols);
      std::vector<double> s1(n, 0.0);
      std::vector<double> s2(n, 0.0);
      for (int64_t r = 1; r < rows; ++r) {
        const float* x = p + r * cols;
        for (int64_t c = 0; c < cols; ++c) {
          const double d = x[c] - shift[c];
          s1[c] += d;
          s2[c] += d * d;
        }
      }
      const double count = static_cast<double>(rows);
      for (size_t c = 0; c < n; ++c) {
        const double mean_shift = s1[c] / count;
        double var = (s2[c] - s1[c] * mean_shift) / (count - 1.0);  // 0/0 for one frame
        if (var < 0.0) var = 0.0;
        double std = std::sqrt(var);
        if (std != std) std = 0.0;
        shift[c] += mean_shift;        // the mean
        s1[c] = 1.0 / (std + 1e-5);    // the scale
      }
      for (int64_t r = 0; r < rows; ++r) {
        float* x = p + r * cols;
        for (int64_t c = 0; c < cols; ++c) {
          x[c] = static_cast<float>((x[c] - shift[c]) * s1[c]);
        }
      }
      return;
    }
  }
}

namespace internal {
namespace {

class NormalizeStage : public WholeUtteranceStage {
 public:
  NormalizeStage(const NormalizeOptions& opts, int64_t dim)
      : WholeUtteranceStage(dim), opts_(opts) {}
  const char* Name() const override { return "normalize"; }
  std::string CannotStreamReason() const override {
    return opts_.mode == NormalizeMode::kPerFeature
               ? "cannot stream: per-feature normalisation needs the whole utterance's mean and "
                 "standard deviation"
               : "cannot stream: the floor is relative to the whole utterance's maximum";
  }
  std::string CannotStreamKey() const override { return "normalize"; }
  std::string CannotStreamValue() const override {
    return kNormalizeModeNames[static_cast<size_t>(opts_.mode)];
  }

 private:
  void ProcessWhole(float* data, int64_t rows, int64_t dim) override {
    NormalizeRows(opts_, data, rows, dim);
  }
  NormalizeOptions opts_;
};

}  // namespace

std::unique_ptr<FrameStage> MakeNormalizeStage(const NormalizeOptions& opts, int64_t dim) {
  return std::make_unique<NormalizeStage>(opts, dim);
}

}  // namespace internal
}  // namespace featpool
