#include "featpool/splice.h"

#include <algorithm>

#include "featpool/options.h"
#include "stages.h"

namespace featpool {
void SpliceOptions::VisitOptions(OptionVisitor& v) {
  v.Visit(OptionInfo::Range("left_context", "",
                            "Frames spliced before each frame (Kaldi splice-feats)", 0, 1000),
          OptionRef::Of(&left_context));
  v.Visit(OptionInfo::Range("right_context", "", "Frames spliced after each frame", 0, 1000),
          OptionRef::Of(&right_context));
}

namespace internal {
namespace {

class SpliceStage : public ContextStage {
 public:
  SpliceStage(const SpliceOptions& opts, int64_t dim)
      : ContextStage(dim, dim * (1 + opts.left_context + opts.right_context), opts.left_context,
                     opts.right_context),
        left_(opts.left_context),
        n_(1 + opts.left_context + opts.right_context) {}
  const char* Name() const override { return "splice"; }

 private:
  void Make(int64_t t, float* out) const override {
    for (int64_t j = 0; j < n_; ++j) {
      std::copy_n(Frame(t + j - left_), dim_, out + j * dim_);
    }
  }
  int64_t left_;
  int64_t n_;
};

}  // namespace

std::unique_ptr<FrameStage> MakeSpliceStage(const SpliceOptions& opts, int64_t dim) {
  return std::make_unique<SpliceStage>(opts, dim);
}

}  // namespace internal
}  // namespace featpool
