#include "featpool/fused-extract.h"

#include <algorithm>
#include <cstring>

#include "featpool/error.h"
#include "featpool/online-pooler.h"
#include "featpool/out-of-memory.h"

namespace featpool {
namespace cli {
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
// float32: a NaN or inf must not pass as a result. Rows count from
// `first_row`, the view's first row in the output.
void CheckPooledFinite(MatrixView pooled, int64_t first_row) {
  const int64_t at = FirstNonFinite(pooled);
  if (at < 0) return;
  throw Error("pooled feature value (row " + std::to_string(first_row + at / pooled.cols) +
              ", column " + std::to_string(at % pooled.cols) +
              ") is not finite (float32 overflow)");
}

// An error of the pooling, its message already rewritten by pool_error.
class PoolFailure : public Error {
 public:
  using Error::Error;
};

// Between the extractor and the output: frames straight through, through an
// OnlinePooler, or (a mode that cannot stream) collected for offline pooling.
class PoolingFrameSink : public FrameSink {
 public:
  // Pooling errors, also those found while frames arrive, are thrown as
  // Error(pool_error(message)).
  PoolingFrameSink(const Pooler* pooler,
                   const std::function<std::string(const Error&)>& pool_error, RowSink* out)
      : pooler_(pooler), pool_error_(pool_error), out_(out) {}

  void Begin(const FileFeatures& file, int64_t expected_frames) override {
    opened_ = file;
    const int64_t dim = file.dim;
    dim_ = dim;
    if (pooler_ == nullptr) {
      out_->Begin(expected_frames, dim);
      return;
    }
    const PoolMode mode = pooler_->options().mode;
    if (mode != PoolMode::kAdaptiveMax && mode != PoolMode::kAdaptiveAvg) {
      try {
        online_ = std::make_unique<OnlinePooler>(pooler_->options(), dim);
      } catch (const Error&) {
        // Pooler::Apply() reports it, with its own message, at the end.
      }
    }
    if (!online_) {
      collected_ = Matrix(0, dim);
      ReserveFor(&collected_, expected_frames);
      return;
    }
    int64_t expected_rows = -1;
    if (expected_frames > 0) {
      try {
        expected_rows = pooler_->OutputShape(expected_frames, dim).time;
      } catch (const Error&) {
        // Too short to pool, if the header is right: reported at the end.
      }
    }
    out_->Begin(expected_rows, online_->Dim());
  }

  void Frames(MatrixView frames) override {
    if (pooler_ == nullptr) {
      out_->Rows(frames);
    } else if (online_) {
      online_->AcceptFrames(frames);
      PassOnReadyRows();
    } else {
      AppendRows(&collected_, frames);
    }
  }

  // After the last frame: the rows the end completes, checked against the
  // offline Pooler's shape (whose errors are the offline errors).
  void Finish(int64_t num_frames, FusedResult* result) {
    if (pooler_ == nullptr) {
      result->rows = num_frames;
      result->cols = dim_;
      return;
    }
    if (!online_) {
      Matrix pooled;
      try {
        NamingOutOfMemory(
            "",
            [&] { return PooledOutputAllocation(*pooler_, collected_.rows(), collected_.cols()); },
            [&] { pooler_->Apply(collected_.View(), &pooled); });
      } catch (const Error& e) {
        throw PoolFailure(pool_error_(e));
      }
      collected_ = Matrix();
      try {
        CheckPooledFinite(pooled.View(), 0);
      } catch (const Error& e) {
        throw PoolFailure(pool_error_(e));
      }
      out_->Begin(pooled.rows(), pooled.cols());
      out_->Rows(pooled.View());
      result->rows = pooled.rows();
      result->cols = pooled.cols();
      return;
    }
    online_->InputFinished();
    PoolSize shape;
    try {
      shape = pooler_->OutputShape(num_frames, dim_);
    } catch (const Error& e) {
      throw PoolFailure(pool_error_(e));
    }
    if (shape.time != online_->NumRowsReady() || shape.freq != online_->Dim()) {
      throw Error("internal: streamed pooling gave " + std::to_string(online_->NumRowsReady()) +
                  "x" + std::to_string(online_->Dim()) + ", offline " + std::to_string(shape.time) +
                  "x" + std::to_string(shape.freq));
    }
    PassOnReadyRows();
    result->rows = shape.time;
    result->cols = shape.freq;
  }

  const FileFeatures& opened() const { return opened_; }

 private:
  void PassOnReadyRows() {
    const MatrixView ready = online_->ReadyRows();
    try {
      CheckPooledFinite(ready, online_->FirstAvailableRow());
    } catch (const Error& e) {
      throw PoolFailure(pool_error_(e));
    }
    if (ready.rows > 0) out_->Rows(ready);
    online_->ReleaseRowsBefore(online_->NumRowsReady());
  }

  const Pooler* pooler_;
  const std::function<std::string(const Error&)>& pool_error_;
  RowSink* out_;
  FileFeatures opened_;  // the file's info, from Begin()
  int64_t dim_ = 0;
  std::unique_ptr<OnlinePooler> online_;
  Matrix collected_;  // offline fallback only
};

}  // namespace

void ExtractFused(const std::string& path, const FeatureOptions& features,
                  const AudioReadOptions& audio, const Pooler* pooler,
                  const std::function<std::string(const Error&)>& pool_error, RowSink* sink,
                  FusedResult* result) {
  const std::function<std::string(const Error&)> same = [](const Error& e) {
    return std::string(e.what());
  };
  PoolingFrameSink frames(pooler, pool_error ? pool_error : same, sink);
  try {
    result->file = NamingOutOfMemory(
        path, [] { return std::string("computing its features"); },
        [&] { return ExtractFile(path, features, audio, &frames); });
    result->extracted = true;
    if (result->file.num_frames == 0) return;
    frames.Finish(result->file.num_frames, result);
  } catch (const PoolFailure& e) {
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

}  // namespace cli
}  // namespace featpool
