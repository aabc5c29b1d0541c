#include "featpool/row-queue.h"

#include <algorithm>
#include <cstring>

namespace featpool {

void RowQueue::MakeRoom(int64_t rows) {
  const size_t need = static_cast<size_t>((end_ - stored_first_ + rows) * dim_);
  if (need <= data_.size()) return;
  // Drop the released rows first; grow only if that is not enough (or if
  // they are few, so that moving them would not pay for itself).
  const int64_t released = begin_ - stored_first_;
  if (released > 0 && released >= NumHeld()) {
    std::memmove(data_.data(), Row(begin_), sizeof(float) * static_cast<size_t>(NumHeld() * dim_));
    stored_first_ = begin_;
  }
  const size_t after = static_cast<size_t>((end_ - stored_first_ + rows) * dim_);
  if (after > data_.size()) data_.resize(std::max(after, data_.size() * 2));
}

float* RowQueue::AppendRow() {
  MakeRoom(1);
  ++end_;
  return data_.data() + static_cast<size_t>((end_ - 1 - stored_first_) * dim_);
}

void RowQueue::Append(const float* row) {
  std::memcpy(AppendRow(), row, sizeof(float) * static_cast<size_t>(dim_));
}

void RowQueue::Append(MatrixView rows) {
  if (rows.rows <= 0) return;
  MakeRoom(rows.rows);
  std::memcpy(data_.data() + static_cast<size_t>((end_ - stored_first_) * dim_), rows.data,
              sizeof(float) * static_cast<size_t>(rows.rows * dim_));
  end_ += rows.rows;
}

void RowQueue::Append(Matrix&& rows) {
  if (rows.rows() <= 0) return;
  if (NumHeld() > 0) {
    Append(rows.View());
    return;
  }
  const int64_t n = rows.rows();
  data_ = rows.TakeData();
  stored_first_ = begin_ = end_;
  end_ += n;
}

void RowQueue::AppendSwapping(std::vector<float>* storage, int64_t rows) {
  if (rows <= 0) return;
  if (NumHeld() > 0) {
    Append(MatrixView{storage->data(), rows, dim_});
    return;
  }
  data_.swap(*storage);
  storage->clear();
  stored_first_ = begin_ = end_;
  end_ += rows;
}

void RowQueue::AppendFrom(RowQueue* other) {
  if (NumHeld() == 0 && other->NumHeld() > 0) {
    // Row r of `other` becomes row end_ + (r - other->begin_).
    data_.swap(other->data_);
    stored_first_ = end_ - (other->begin_ - other->stored_first_);
    begin_ = end_;
    end_ += other->NumHeld();
  } else {
    Append(other->Held());
  }
  other->Reset();
}

Matrix RowQueue::TakeHeld() {
  const int64_t rows = NumHeld();
  Matrix m;
  if (begin_ == stored_first_) {
    m = Matrix(rows, dim_, std::move(data_));
    data_ = std::vector<float>();
  } else {
    m = Matrix(rows, dim_);
    std::memcpy(m.data(), Row(begin_), sizeof(float) * static_cast<size_t>(rows * dim_));
  }
  ReleaseBefore(end_);
  return m;
}

void RowQueue::ReleaseBefore(int64_t row) {
  begin_ = std::min(std::max(row, begin_), end_);
  if (begin_ == end_) stored_first_ = begin_;  // nothing held: reuse from the start
}

void RowQueue::Reset() {
  stored_first_ = 0;
  begin_ = 0;
  end_ = 0;
}

}  // namespace featpool
