// NumPy .npy files (format version 1.0): 2-D, C order, little-endian.
// Writers go through AtomicOutputFile, so a failed write leaves no file.
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

// Reads a 2-D float32 or float64 array (float64 is converted to float32).
// Anything else (other dtypes, other ranks, Fortran order, big-endian,
// truncated data) throws Error naming the file.
Matrix ReadNpy(const std::string& path);

}  // namespace featpool

#endif  // FEATPOOL_NPY_H_
