// Rows in flight between streaming objects: a FIFO of fixed-width float rows
// numbered from 0 since the start of the stream (Kaldi's online features and
// kaldi-native-fbank's RecyclingVector keep frames the same way). Rows are
// appended at the end and released from the front; the storage is reused, so
// a stream whose rows are released as they are consumed stops allocating
// once its storage has grown to the rows it holds at once.
//
// Thread safety: one RowQueue per stream; not shareable.
#ifndef FEATPOOL_ROW_QUEUE_H_
#define FEATPOOL_ROW_QUEUE_H_

#include <cstdint>
#include <vector>

#include "featpool/matrix.h"

namespace featpool {

class RowQueue {
 public:
  explicit RowQueue(int64_t dim = 0) : dim_(dim) {}

  int64_t Dim() const { return dim_; }
  // Rows [0, NumRows()) were appended; those before FirstRow() released.
  int64_t NumRows() const { return end_; }
  int64_t FirstRow() const { return begin_; }
  int64_t NumHeld() const { return end_ - begin_; }

  // Row `row` in [FirstRow(), NumRows()): Dim() floats, valid until the next
  // non-const call. Not checked (callers index what they appended).
  const float* Row(int64_t row) const {
    return data_.data() + static_cast<size_t>((row - stored_first_) * dim_);
  }
  // The same row, writable.
  float* MutableRow(int64_t row) {
    return data_.data() + static_cast<size_t>((row - stored_first_) * dim_);
  }
  // Rows [begin, end) of the held ones, contiguous.
  MatrixView Rows(int64_t begin, int64_t end) const { return {Row(begin), end - begin, dim_}; }
  // Every held row.
  MatrixView Held() const { return Rows(begin_, end_); }

  // Appends one row and returns it to be filled (valid until the next
  // non-const call).
  float* AppendRow();
  void Append(const float* row);
  void Append(MatrixView rows);  // rows.cols must be Dim()
  // The same for rows the caller gives up (rows.cols() must be Dim()): when
  // this queue holds no row, it takes their storage instead of copying.
  void Append(Matrix&& rows);
  // Appends the first `rows` rows of `*storage` (Dim() floats each). When
  // this queue holds no row, the two swap storage instead of copying:
  // `*storage` gets this queue's old buffer, emptied, its capacity kept.
  void AppendSwapping(std::vector<float>* storage, int64_t rows);

  // Appends the rows `other` holds (other.Dim() must be Dim()) and resets
  // `other`. When this queue holds no row, it takes other's storage instead
  // of copying (the whole-utterance stages hand an utterance on this way).
  void AppendFrom(RowQueue* other);
  // The held rows as a matrix, then releases them; without a copy when the
  // held rows start the storage (nothing was released before them).
  Matrix TakeHeld();
  // Releases the rows before `row` (clamped to [FirstRow(), NumRows()]).
  void ReleaseBefore(int64_t row);
  // Empties the queue and numbers the next row 0 (storage is kept).
  void Reset();

 private:
  void MakeRoom(int64_t rows);

  int64_t dim_;
  std::vector<float> data_;  // rows from stored_first_ on
  int64_t stored_first_ = 0;
  int64_t begin_ = 0;
  int64_t end_ = 0;
};

}  // namespace featpool

#endif  // FEATPOOL_ROW_QUEUE_H_
