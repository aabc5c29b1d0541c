// Row-major float matrices: an owning Matrix and a non-owning MatrixView.
// Rows are time (frames), columns are feature dimensions.
#ifndef FEATPOOL_MATRIX_H_
#define FEATPOOL_MATRIX_H_

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace featpool {

struct MatrixView {
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;

  const float* Row(int64_t r) const { return data + r * cols; }
  float operator()(int64_t r, int64_t c) const { return data[r * cols + c]; }
};

class Matrix {
 public:
  Matrix() = default;
  Matrix(int64_t rows, int64_t cols)
      : rows_(rows), cols_(cols), data_(static_cast<size_t>(rows * cols)) {}
  // Takes `data` (at least rows * cols floats, row-major; the rest dropped)
  // without copying.
  Matrix(int64_t rows, int64_t cols, std::vector<float>&& data)
      : rows_(rows), cols_(cols), data_(std::move(data)) {
    data_.resize(static_cast<size_t>(rows * cols));
  }

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  float* data() { return data_.data(); }
  const float* data() const { return data_.data(); }
  float* Row(int64_t r) { return data_.data() + r * cols_; }
  const float* Row(int64_t r) const { return data_.data() + r * cols_; }
  float& operator()(int64_t r, int64_t c) { return data_[r * cols_ + c]; }
  float operator()(int64_t r, int64_t c) const { return data_[r * cols_ + c]; }
  MatrixView View() const { return {data_.data(), rows_, cols_}; }

  // Keeps capacity, so a matrix reused across utterances stops allocating.
  void Resize(int64_t rows, int64_t cols) {
    rows_ = rows;
    cols_ = cols;
    data_.resize(static_cast<size_t>(rows * cols));
  }
  void Reserve(int64_t rows) { data_.reserve(static_cast<size_t>(rows * cols_)); }
  // Grows by one row and returns it; amortised O(1) like vector::push_back.
  float* AppendRow() {
    data_.resize(data_.size() + static_cast<size_t>(cols_));
    ++rows_;
    return Row(rows_ - 1);
  }
  // Gives up the storage (rows() * cols() floats, row-major) without a
  // copy; the matrix is left empty (0 x 0).
  std::vector<float> TakeData() {
    rows_ = 0;
    cols_ = 0;
    return std::move(data_);
  }

 private:
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  std::vector<float> data_;
};

// Flat index r * cols + c of the first NaN or infinity in `m`, or -1. One
// pass, a multiply-add per element (x * 0 is NaN exactly for inf and NaN).
inline int64_t FirstNonFinite(MatrixView m) {
  for (int64_t r = 0; r < m.rows; ++r) {
    const float* row = m.Row(r);
    float probe = 0.0f;
    for (int64_t c = 0; c < m.cols; ++c) probe += row[c] * 0.0f;
    if (probe == probe) continue;
    for (int64_t c = 0; c < m.cols; ++c) {
      if (row[c] * 0.0f != 0.0f) return r * m.cols + c;
    }
  }
  return -1;
}

}  // namespace featpool

#endif  // FEATPOOL_MATRIX_H_
