// NumPy .npy files: 2-D, C order, little-endian. Writers write format
// version 1.0 through AtomicOutputFile, so a failed write leaves no file.
#ifndef FEATPOOL_NPY_H_
#define FEATPOOL_NPY_H_

#include <cstdint>
#include <string>

#include "featpool/matrix.h"

namespace featpool {

// The full header (magic, version, length, dict, padding to 64 bytes) for a
// 2-D array; `descr` is a NumPy type string such as "<f4" or "<i8".
std::string NpyHeader(const std::string& descr, int64_t rows, int64_t cols);

void WriteNpy(const std::string& path, MatrixView matrix);
void WriteNpyInt64(const std::string& path, const int64_t* data, int64_t rows,
                   int64_t cols);

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
