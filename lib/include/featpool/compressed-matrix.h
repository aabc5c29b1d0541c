// Kaldi's lossy compressed matrices (Kaldi matrix/compressed-matrix.h,
// CompressedMatrix), as `copy-feats --compress=true` writes them into binary
// archives, byte for byte, and their decoding as Kaldi's
// CompressedMatrix::CopyToMat() does it.
//
// Bytes of one compressed matrix (what follows "key \0B" in an archive):
//
//   token    "CM " (format 1), "CM2 " (format 2) or "CM3 " (format 3)
//   float32  min_value    \  the GlobalHeader without its int32 format
//   float32  range         | field (Kaldi CompressedMatrix::Write writes
//   int32    num_rows      | from data_ + 4), little-endian, no size bytes
//   int32    num_cols     /
//   format 1: num_cols x {uint16 percentile_0, _25, _75, _100}, then one
//             byte per element, column by column
//   format 2: one uint16 per element, row by row
//   format 3: one uint8 per element, row by row
//
// Byte-identical to Kaldi built for x86-64 (SSE2, no FMA): where Kaldi's
// encoder converts a NaN or out-of-range double to int (only when float
// rounding makes two neighbouring percentiles equal, or the range overflows),
// the x86 result (INT_MIN) is reproduced.
//
// Thread safety: pure functions.
#ifndef FEATPOOL_COMPRESSED_MATRIX_H_
#define FEATPOOL_COMPRESSED_MATRIX_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "featpool/matrix.h"

namespace featpool {

// Kaldi matrix/compressed-matrix.h enum CompressionMethod, same numbers
// (`copy-feats --compression-method=N`).
enum class CompressionMethod : int32_t {
  kAuto = 1,                    // kSpeechFeature if rows > 8, else kTwoByteAuto
  kSpeechFeature = 2,           // format 1: per-column percentiles, 1 byte each
  kTwoByteAuto = 3,             // format 2 over [min, max] of the matrix
  kTwoByteSignedInteger = 4,    // format 2 over [-32768, 32767]
  kOneByteAuto = 5,             // format 3 over [min, max] of the matrix
  kOneByteUnsignedInteger = 6,  // format 3 over [0, 255]
  kOneByteZeroOne = 7,          // format 3 over [0, 1]
};

// "1".."7", Kaldi's enumerator names ("kSpeechFeature", "kAutomaticMethod")
// or their hyphenated forms ("speech-feature", "auto", "two-byte-auto", ...).
// Throws Error naming the value.
CompressionMethod ParseCompressionMethod(const std::string& text);
// The hyphenated name: "auto", "speech-feature", ...
const char* CompressionMethodName(CompressionMethod method);

// Appends to *out the bytes Kaldi writes for `matrix` compressed with
// `method`, from the token on. Kaldi's encoder asserts on NaN or infinity in
// the automatic methods and is undefined for NaN in the others: those throw
// Error here (infinities in the fixed-range methods clamp, as in Kaldi).
// An empty matrix is written as "CM " and a zero header (Kaldi's reader reads
// exactly that; its writer adds 4 uninitialised bytes that no reader
// consumes). Uses one column of scratch memory.
void AppendCompressedMatrix(MatrixView matrix, CompressionMethod method, std::string* out);
std::string CompressMatrix(MatrixView matrix, CompressionMethod method = CompressionMethod::kAuto);

// The token and global header of a compressed matrix.
struct CompressedMatrixHeader {
  int32_t format = 0;  // 1, 2 or 3 (Kaldi CompressedMatrix::DataFormat)
  float min_value = 0;
  float range = 0;
  int32_t rows = 0;
  int32_t cols = 0;
  int64_t header_bytes = 0;  // token + global header: 19 or 20
  int64_t total_bytes = 0;   // the whole compressed matrix
};
// The most bytes ReadCompressedMatrixHeader() needs.
constexpr size_t kMaxCompressedHeaderBytes = 20;

// Parses the token and global header at `data`. Returns false if `size` bytes
// do not hold them yet (a record cut short); throws Error for an unknown
// token or impossible sizes.
bool ReadCompressedMatrixHeader(const char* data, size_t size, CompressedMatrixHeader* header);

// Decodes exactly one compressed matrix of `size` bytes (token included) as
// Kaldi's CompressedMatrix::CopyToMat() does. Throws Error if the bytes are
// malformed or their length does not match the header (checked before
// anything is allocated).
Matrix DecompressMatrix(const char* data, size_t size);

}  // namespace featpool

#endif  // FEATPOOL_COMPRESSED_MATRIX_H_
