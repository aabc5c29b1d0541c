// `featpool extract` of one file, streamed end to end: audio blocks ->
// OnlineExtractor -> the stage chain (stage.h: CMVN, deltas, splicing,
// pooling, as the options ask) -> output rows, each handed on as soon as it
// is final. Memory holds neither the whole feature matrix
// nor a pooled copy of it (README.md, "Performance"): at most the output
// itself, for an output that must be kept until it is complete (ark records
// are written in input order by one thread). The stages that cannot
// stream (utterance CMVN, the normalisations, adaptive pooling) hold the
// feature matrix until the end of the file, which is inherent to them.
// Either way the rows and the errors are those of ApplyStages() on the
// whole matrix (for pooling, Pooler::Apply()'s).
#ifndef FEATPOOL_SRC_FUSED_EXTRACT_H_
#define FEATPOOL_SRC_FUSED_EXTRACT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "featpool/audio-source.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-options.h"
#include "featpool/matrix.h"
#include "featpool/npy.h"
#include "featpool/pooler.h"
#include "featpool/stage.h"
#include "featpool/writer.h"

namespace featpool {
namespace internal {

struct FusedResult {
  FileFeatures file;       // once the audio is read (`features` stays empty)
  bool extracted = false;  // `file` is set: the audio was read, or (a pooling
                           // error) read fine up to the error, which leaves
                           // only its info, warning and dim
  int64_t rows = 0;        // the output's shape: pooled, or the features'
  int64_t cols = 0;
};

// Extracts `path` and, unless `stages` is null or empty, runs the stage
// chain (stage.h: CMVN, deltas, splicing, pooling, ...) on it, into `sink`.
// `stages` is built for the features' dim. A file shorter than one frame
// gives file.num_frames == 0 and no rows (the caller reports
// ShortInputMessage()). Errors of the stages (an input too short for the
// kernel) are thrown as Error(stage_error(message)), or as they are if
// stage_error is empty; all others (audio, the sink's own) pass through
// unchanged. `result` is filled as far as the work got, also when it throws.
void ExtractFused(const AudioInput& input, const FeatureOptions& features,
                  const AudioReadOptions& audio, const StageChain* stages,
                  const std::function<std::string(const Error&)>& stage_error, RowSink* sink,
                  FusedResult* result);

// Rows into a .npy (NpyWriter), opened at the first rows, so an input that
// fails before giving any leaves no file; Commit() finishes it.
class NpyRowSink : public RowSink {
 public:
  explicit NpyRowSink(std::string path) : path_(std::move(path)) {}
  void Begin(int64_t expected_rows, int64_t cols) override;
  void Rows(MatrixView rows) override;
  void Commit();

 protected:
  // Drops an uncommitted file now (its temporary file is removed).
  void Discard() { writer_.reset(); }

 private:
  std::string path_;
  int64_t cols_ = 0;
  std::unique_ptr<NpyWriter> writer_;
};

// Rows into one matrix, reserved from the header's row count (up to a cap),
// so that growing it does not briefly hold two copies.
class MatrixRowSink : public RowSink {
 public:
  void Begin(int64_t expected_rows, int64_t cols) override;
  void Rows(MatrixView rows) override;
  Matrix Take() { return std::move(matrix_); }

 private:
  Matrix matrix_;
};

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_FUSED_EXTRACT_H_
