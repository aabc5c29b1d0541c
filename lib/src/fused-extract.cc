#include "fused-extract.h"

#include <algorithm>
#include <cstring>

#include "featpool/error.h"
#include "out-of-memory.h"
#include "featpool/stage.h"

namespace featpool {
namespace internal {
namespace {

// A header's row count is only a hint (a corrupt one may claim anything):
// reserve at most this much for it.
constexpr int64_t kMaxReserveBytes = int64_t{512} << 20;

void ReserveFor(Matrix* matrix, int64_t expected_rows) {
  if (expected_rows <= 0 || matrix->cols() <= 0) return;
  const int64_t cap = kMaxReserveBytes / (matrix->cols() * static_cast<int64_t>(sizeof(float)));
  matrix->Reserve(std::min(expected_rows, cap));
}

void AppendRows(Matrix* matrix, MatrixView rows) {
  const int64_t at = matrix->rows();
  matrix->Resize(at + rows.rows, rows.cols);
  std::memcpy(matrix->Row(at), rows.data,
              sizeof(float) * static_cast<size_t>(rows.rows * rows.cols));
}

// Features are finite (ExtractFile checks), but lp pooling can overflow
// float32 (and a variance scale can be huge): a NaN or inf must not pass as
// a result. Rows count from `first_row`, the view's first row in the output.
void CheckStagedFinite(MatrixView rows, int64_t first_row, bool pooled) {
  const int64_t at = FirstNonFinite(rows);
  if (at < 0) return;
  throw Error(std::string(pooled ? "pooled" : "processed") + " feature value (row " +
              std::to_string(first_row + at / rows.cols) + ", column " +
              std::to_string(at % rows.cols) + ") is not finite (float32 overflow)");
}

// An error of a stage, its message already rewritten by stage_error.
class StageFailure : public Error {
 public:
  using Error::Error;
};

// Between the extractor and the output: frames straight through, or through
// the stage chain (stage.h), whose stages that cannot stream hold their
// input until the end of the file.
class StagedFrameSink : public FrameSink {
 public:
  // Stage errors, also those found while frames arrive, are thrown as
  // Error(stage_error(message)).
  StagedFrameSink(const StageChain* chain,
                  const std::function<std::string(const Error&)>& stage_error, RowSink* out)
      : chain_(chain != nullptr && !chain->Empty() ? chain : nullptr),
        stage_error_(stage_error),
        out_(out) {}

  void Begin(const FileFeatures& file, int64_t expected_frames) override {
    opened_ = file;
    dim_ = file.dim;
    if (chain_ == nullptr) {
      out_->Begin(expected_frames, dim_);
      return;
    }
    if (dim_ != chain_->InputDim()) {
      throw Error("internal: features of " + std::to_string(dim_) + " columns, stages built for " +
                  std::to_string(chain_->InputDim()));
    }
    Guard([&] {
      // Shares the chain's immutable parts (the stats, the pooler).
      online_ = std::make_unique<OnlineStageChain>(
          std::shared_ptr<const StageChain>(std::shared_ptr<const StageChain>(), chain_), false);
    });
    out_->Begin(expected_frames > 0 ? chain_->OutputRows(expected_frames) : -1, chain_->Dim());
  }

  void Frames(MatrixView frames) override {
    if (chain_ == nullptr) {
      out_->Rows(frames);
      return;
    }
    Guard([&] { online_->AcceptFrames(frames); });
    PassOnReadyRows();
  }

  // After the last frame: the rows the end completes.
  void Finish(int64_t num_frames, FusedResult* result) {
    if (chain_ == nullptr) {
      result->rows = num_frames;
      result->cols = dim_;
      return;
    }
    const Pooler* pooler = chain_->pooler();
    Guard([&] {
      NamingOutOfMemory(
          "",
          [&] {
            return pooler != nullptr
                       ? PooledOutputAllocation(*pooler, num_frames, chain_->PoolInputDim())
                       : std::string("for the processed features");
          },
          [&] { online_->InputFinished(); });
    });
    PassOnReadyRows();
    result->rows = online_->NumRowsReady();
    result->cols = online_->Dim();
  }

  const FileFeatures& opened() const { return opened_; }

 private:
  template <class F>
  void Guard(F&& f) {
    try {
      f();
    } catch (const StageFailure&) {
      throw;
    } catch (const Error& e) {
      throw StageFailure(stage_error_(e));
    }
  }

  void PassOnReadyRows() {
    const MatrixView ready = online_->ReadyRows();
    Guard([&] {
      CheckStagedFinite(ready, online_->FirstAvailableRow(), chain_->pooler() != nullptr);
    });
    if (ready.rows > 0) out_->Rows(ready);
    online_->ReleaseRowsBefore(online_->NumRowsReady());
  }

  const StageChain* chain_;
  const std::function<std::string(const Error&)>& stage_error_;
  RowSink* out_;
  FileFeatures opened_;  // the file's info, from Begin()
  int64_t dim_ = 0;
  std::unique_ptr<OnlineStageChain> online_;
};

}  // namespace

void ExtractFused(const AudioInput& input, const FeatureOptions& features,
                  const AudioReadOptions& audio, const StageChain* stages,
                  const std::function<std::string(const Error&)>& stage_error, RowSink* sink,
                  FusedResult* result) {
  const std::function<std::string(const Error&)> same = [](const Error& e) {
    return std::string(e.what());
  };
  StagedFrameSink frames(stages, stage_error ? stage_error : same, sink);
  try {
    result->file = NamingOutOfMemory(
        input.path, [] { return std::string("computing its features"); },
        [&] { return ExtractFile(input, features, audio, &frames); });
    result->extracted = true;
    if (result->file.num_frames == 0) return;
    frames.Finish(result->file.num_frames, result);
  } catch (const StageFailure& e) {
    // Found with rows still to come, the audio read fine so far: the
    // caller still reports the file's header and warning.
    if (!result->extracted) result->file = frames.opened();
    result->extracted = true;
    throw Error(e.what());
  }
}

void NpyRowSink::Begin(int64_t /*expected_rows*/, int64_t cols) { cols_ = cols; }

void NpyRowSink::Rows(MatrixView rows) {
  if (!writer_) writer_ = std::make_unique<NpyWriter>(path_, cols_);
  writer_->Append(rows);
}

void NpyRowSink::Commit() {
  if (!writer_) writer_ = std::make_unique<NpyWriter>(path_, cols_);
  writer_->Commit();
}

void MatrixRowSink::Begin(int64_t expected_rows, int64_t cols) {
  matrix_ = Matrix(0, cols);
  ReserveFor(&matrix_, expected_rows);
}

void MatrixRowSink::Rows(MatrixView rows) { AppendRows(&matrix_, rows); }

}  // namespace internal
}  // namespace featpool
