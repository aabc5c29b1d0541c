// Frame stacking / low frame rate, as FunASR wav_frontend.py apply_lfr():
// T' = ceil(T / n) rows; block j of row i is input frame
// clamp(i*n + j - (m - 1) / 2, 0, T - 1) (front padded with copies of frame 0,
// the end with copies of the last frame). Streaming keeps the last m frames:
// row i is ready once frame i*n + m - 1 - (m - 1) / 2 has arrived, or at the
// end of the input.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "checked-math.h"
#include "pool-engine.h"

namespace featpool {
namespace internal {
namespace {

class StackEngine final : public RowPoolEngine {
 public:
  StackEngine(const PoolOptions& opts, int64_t cols)
      : frames_(opts.stack_frames), stride_(opts.stack_stride), left_((opts.stack_frames - 1) / 2) {
    in_cols_ = cols;
    if (MulOverflows(frames_, cols, &out_cols_)) out_cols_ = INT64_MAX;
    CheckPoolGrowth(out_cols_, cols, "stack_frames", std::to_string(frames_),
                    "makes rows of " + std::to_string(out_cols_) + " values from frames of " +
                        std::to_string(cols) + ", which");
  }

  void AcceptRow(const float* row) override {
    // The ring fills up to m frames as they arrive (frame t < m in slot t),
    // so a large m costs memory only for frames that exist.
    if (rows_in_ < frames_) ring_.resize(static_cast<size_t>((rows_in_ + 1) * in_cols_));
    std::memcpy(Slot(rows_in_), row, sizeof(float) * static_cast<size_t>(in_cols_));
    ++rows_in_;
  }

  void Finish() override { finished_ = true; }

  bool OutputReady() const override {
    if (finished_) return next_out_ * stride_ < rows_in_;  // ceil(T / n) rows
    return FramesNeededForRow(next_out_) <= rows_in_;
  }

  void EmitNext(float* out, int64_t* /*indices*/) override {
    const int64_t i = next_out_++;
    for (int64_t j = 0; j < frames_; ++j) {
      const int64_t frame = std::clamp<int64_t>(i * stride_ + j - left_, 0, rows_in_ - 1);
      std::memcpy(out + j * in_cols_, Slot(frame), sizeof(float) * static_cast<size_t>(in_cols_));
    }
  }

  int64_t FramesNeededForRow(int64_t row) const override { return row * stride_ + frames_ - left_; }

 private:
  float* Slot(int64_t frame) { return ring_.data() + (frame % frames_) * in_cols_; }

  int64_t frames_;
  int64_t stride_;
  int64_t left_;
  std::vector<float> ring_;  // the last m frames; frame t in slot t % m
};

}  // namespace

std::unique_ptr<RowPoolEngine> MakeStackEngine(const PoolOptions& opts, int64_t cols) {
  return std::make_unique<StackEngine>(opts, cols);
}

}  // namespace internal
}  // namespace featpool
