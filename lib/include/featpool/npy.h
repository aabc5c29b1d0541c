// NumPy .npy files: 2-D, C order, little-endian. Writers write format
// version 1.0 through AtomicOutputFile, so a failed write leaves no file.
#ifndef FEATPOOL_NPY_H_
#define FEATPOOL_NPY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "featpool/matrix.h"
#include "featpool/output-file.h"

namespace featpool {

// The full header (magic, version, length, dict, padding to 64 bytes) for a
// 2-D array; `descr` is a NumPy type string such as "<f4" or "<i8".
std::string NpyHeader(const std::string& descr, int64_t rows, int64_t cols);

void WriteNpy(const std::string& path, MatrixView matrix);
void WriteNpyInt64(const std::string& path, const int64_t* data, int64_t rows,
                   int64_t cols);

// A float32 .npy written row block by row block, for outputs whose row count
// is known only at the end: the header is written with 0 rows and rewritten
// with the real count at Commit(). A 2-D header is 128 bytes for any row
// count (the dictionary is padded to 64 bytes and needs 68 + digits), so the
// file is byte-identical to WriteNpy() of the whole matrix. An output that
// cannot be rewritten in place (a pipe, /dev/stdout) gets the rows held in
// memory and written at Commit() instead.
class NpyWriter {
 public:
  // Opens `path` (AtomicOutputFile); throws Error naming it.
  NpyWriter(const std::string& path, int64_t cols);
  // Appends rows; throws Error if the width differs from `cols`.
  void Append(MatrixView rows);
  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  // Completes the header and renames the file into place.
  void Commit();

 private:
  AtomicOutputFile out_;
  int64_t cols_;
  int64_t rows_ = 0;
  std::vector<float> held_;  // rows for an output that cannot be rewritten
};

// Reads a 2-D float32 or float64 array (float64 is converted to float32)
// from a file in format version 1.0, 2.0 or 3.0, or from a pipe. The header
// is read as np.load() reads it (numpy/lib/format.py): at most 10000 bytes,
// exactly the keys descr, fortran_order and shape, a key given twice keeping
// its last value; only the Python syntax numpy writes is accepted. Sizes are
// checked against the file before anything is allocated; bytes after the
// data are ignored, as np.load() ignores them. Anything else (other
// versions, dtypes or ranks, Fortran order, big-endian, a malformed header,
// truncated data) throws Error naming the file.
Matrix ReadNpy(const std::string& path);

}  // namespace featpool

#endif  // FEATPOOL_NPY_H_
