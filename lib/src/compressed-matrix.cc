// Every rule below is Kaldi matrix/compressed-matrix.cc unless said
// otherwise; the arithmetic keeps Kaldi's types (float where Kaldi computes in
// float, double where a double constant promotes the expression). This file
// is compiled with -ffp-contract=off so that no a * b + c becomes an FMA.
#include "featpool/compressed-matrix.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "featpool/error.h"

namespace featpool {
namespace {

// Kaldi CompressedMatrix::DataFormat.
constexpr int32_t kOneByteWithColHeaders = 1;
constexpr int32_t kTwoByte = 2;
constexpr int32_t kOneByte = 3;

struct GlobalHeader {
  int32_t format = 0;
  float min_value = 0;
  float range = 0;
  int32_t num_rows = 0;
  int32_t num_cols = 0;
};

struct PerColHeader {
  uint16_t percentile_0 = 0;
  uint16_t percentile_25 = 0;
  uint16_t percentile_75 = 0;
  uint16_t percentile_100 = 0;
};

// static_cast<int>(double) as x86-64 executes it (cvttsd2si): truncation
// toward zero, and INT_MIN ("integer indefinite") for NaN or a value outside
// int's range, where C++ leaves the conversion undefined.
int32_t TruncateToInt(double d) {
  if (!(d > -2147483649.0 && d < 2147483648.0)) return std::numeric_limits<int32_t>::min();
  return static_cast<int32_t>(d);
}

// CompressedMatrix::FloatToUint16(): f * 65535 is float, + 0.499 is double.
uint16_t FloatToUint16(const GlobalHeader& h, float value) {
  float f = (value - h.min_value) / h.range;
  if (f > 1.0f) f = 1.0f;
  if (f < 0.0f) f = 0.0f;
  return static_cast<uint16_t>(TruncateToInt(static_cast<double>(f * 65535.0f) + 0.499));
}

// CompressedMatrix::FloatToUint8()
uint8_t FloatToUint8(const GlobalHeader& h, float value) {
  float f = (value - h.min_value) / h.range;
  if (f > 1.0f) f = 1.0f;
  if (f < 0.0f) f = 0.0f;
  return static_cast<uint8_t>(TruncateToInt(static_cast<double>(f * 255.0f) + 0.499));
}

// CompressedMatrix::Uint16ToFloat(): all float; the constant is 1/65535 as a
// float literal.
float Uint16ToFloat(const GlobalHeader& h, uint16_t value) {
  return h.min_value + h.range * 1.52590218966964e-05f * static_cast<float>(value);
}

// CompressedMatrix::FloatToChar(): three linear pieces, [p0, p25) -> 0..64,
// [p25, p75) -> 64..192, [p75, p100] -> 192..255.
uint8_t FloatToChar(float p0, float p25, float p75, float p100, float value) {
  int32_t ans;
  if (value < p25) {
    const float f = (value - p0) / (p25 - p0);
    ans = TruncateToInt(static_cast<double>(f * 64.0f) + 0.5);
    if (ans < 0) ans = 0;
    if (ans > 64) ans = 64;
  } else if (value < p75) {
    const float f = (value - p25) / (p75 - p25);
    ans = 64 + TruncateToInt(static_cast<double>(f * 128.0f) + 0.5);
    if (ans < 64) ans = 64;
    if (ans > 192) ans = 192;
  } else {
    const float f = (value - p75) / (p100 - p75);
    ans = 192 + TruncateToInt(static_cast<double>(f * 63.0f) + 0.5);
    if (ans < 192) ans = 192;
    if (ans > 255) ans = 255;
  }
  return static_cast<uint8_t>(ans);
}

// CompressedMatrix::CharToFloat(): (p25 - p0) * value is float, the
// (1/64.0) factor and the sum are double, the result is rounded to float.
float CharToFloat(float p0, float p25, float p75, float p100, uint8_t value) {
  const int v = value;
  if (v <= 64) {
    return static_cast<float>(static_cast<double>(p0) +
                              static_cast<double>((p25 - p0) * static_cast<float>(v)) * (1 / 64.0));
  }
  if (v <= 192) {
    return static_cast<float>(static_cast<double>(p25) +
                              static_cast<double>((p75 - p25) * static_cast<float>(v - 64)) *
                                  (1 / 128.0));
  }
  return static_cast<float>(static_cast<double>(p75) +
                            static_cast<double>((p100 - p75) * static_cast<float>(v - 192)) *
                                (1 / 63.0));
}

// CompressedMatrix::ComputeColHeader(). `column` is scratch holding the
// column; it is reordered. Only the order statistics at 0, n/4, 3n/4 and n-1
// are used, and Kaldi's four std::nth_element calls put exactly those there.
PerColHeader ComputeColHeader(const GlobalHeader& h, float* column, int32_t num_rows) {
  PerColHeader p;
  float* end = column + num_rows;
  if (num_rows >= 5) {
    const int32_t q = num_rows / 4;
    std::nth_element(column, column + q, end);
    std::nth_element(column, column, column + q);
    std::nth_element(column + q + 1, column + 3 * q, end);
    std::nth_element(column + 3 * q + 1, end - 1, end);
    p.percentile_0 = std::min<uint16_t>(FloatToUint16(h, column[0]), 65532);
    p.percentile_25 = std::min<uint16_t>(
        std::max<uint16_t>(FloatToUint16(h, column[q]), p.percentile_0 + 1), 65533);
    p.percentile_75 = std::min<uint16_t>(
        std::max<uint16_t>(FloatToUint16(h, column[3 * q]), p.percentile_25 + 1), 65534);
    p.percentile_100 =
        std::max<uint16_t>(FloatToUint16(h, column[num_rows - 1]), p.percentile_75 + 1);
    return p;
  }
  // "the pathological case": fewer than 5 rows (only with kSpeechFeature
  // chosen explicitly; kAuto uses two bytes up to 8 rows).
  std::sort(column, end);
  p.percentile_0 = std::min<uint16_t>(FloatToUint16(h, column[0]), 65532);
  p.percentile_25 =
      num_rows > 1 ? std::min<uint16_t>(
                         std::max<uint16_t>(FloatToUint16(h, column[1]), p.percentile_0 + 1), 65533)
                   : static_cast<uint16_t>(p.percentile_0 + 1);
  p.percentile_75 =
      num_rows > 2
          ? std::min<uint16_t>(std::max<uint16_t>(FloatToUint16(h, column[2]), p.percentile_25 + 1),
                               65534)
          : static_cast<uint16_t>(p.percentile_25 + 1);
  p.percentile_100 = num_rows > 3
                         ? std::max<uint16_t>(FloatToUint16(h, column[3]), p.percentile_75 + 1)
                         : static_cast<uint16_t>(p.percentile_75 + 1);
  return p;
}

// Kaldi matrix/kaldi-matrix.cc MatrixBase::Min() / Max(): the first element
// in row-major order that no later one is strictly below / above (this
// decides between -0.0 and +0.0, which land in the header's bytes).
void MinMax(MatrixView m, float* min_value, float* max_value) {
  float lo = m.data[0];
  float hi = m.data[0];
  for (int64_t r = 0; r < m.rows; ++r) {
    const float* row = m.Row(r);
    for (int64_t c = 0; c < m.cols; ++c) {
      if (row[c] < lo) lo = row[c];
      if (row[c] > hi) hi = row[c];
    }
  }
  *min_value = lo;
  *max_value = hi;
}

// CompressedMatrix::ComputeGlobalHeader()
GlobalHeader ComputeGlobalHeader(MatrixView m, CompressionMethod method) {
  if (method == CompressionMethod::kAuto) {
    method = m.rows > 8 ? CompressionMethod::kSpeechFeature : CompressionMethod::kTwoByteAuto;
  }
  GlobalHeader h;
  h.num_rows = static_cast<int32_t>(m.rows);
  h.num_cols = static_cast<int32_t>(m.cols);
  switch (method) {
    case CompressionMethod::kSpeechFeature:
    case CompressionMethod::kTwoByteAuto:
    case CompressionMethod::kOneByteAuto: {
      h.format = method == CompressionMethod::kSpeechFeature ? kOneByteWithColHeaders
                 : method == CompressionMethod::kTwoByteAuto ? kTwoByte
                                                             : kOneByte;
      float min_value;
      float max_value;
      MinMax(m, &min_value, &max_value);
      // A constant matrix still gets a positive range; the sum is double.
      if (max_value == min_value) {
        max_value = static_cast<float>(static_cast<double>(min_value) +
                                       (1.0 + std::fabs(static_cast<double>(min_value))));
      }
      // Kaldi asserts here ("Cannot compress a matrix with Nan's or Inf's").
      if (!(min_value - min_value == 0 && max_value - max_value == 0)) {
        throw Error("cannot compress a matrix holding NaN or infinity (Kaldi's method " +
                    std::to_string(static_cast<int>(method)) + ", " +
                    CompressionMethodName(method) + ")");
      }
      h.min_value = min_value;
      h.range = max_value - min_value;
      break;
    }
    case CompressionMethod::kTwoByteSignedInteger:
      h.format = kTwoByte;
      h.min_value = -32768.0f;
      h.range = 65535.0f;
      break;
    case CompressionMethod::kOneByteUnsignedInteger:
      h.format = kOneByte;
      h.min_value = 0.0f;
      h.range = 255.0f;
      break;
    case CompressionMethod::kOneByteZeroOne:
      h.format = kOneByte;
      h.min_value = 0.0f;
      h.range = 1.0f;
      break;
    default:
      throw Error("invalid compression method " + std::to_string(static_cast<int>(method)));
  }
  return h;
}

void CheckNoNan(MatrixView m, CompressionMethod method) {
  for (int64_t r = 0; r < m.rows; ++r) {
    const float* row = m.Row(r);
    for (int64_t c = 0; c < m.cols; ++c) {
      if (std::isnan(row[c])) {
        throw Error(std::string("cannot compress a matrix holding NaN (method ") +
                    CompressionMethodName(method) + ")");
      }
    }
  }
}

// CompressedMatrix::DataSize() without the 4 format bytes.
int64_t PayloadBytes(int32_t format, int64_t rows, int64_t cols) {
  switch (format) {
    case kOneByteWithColHeaders:
      return 16 + cols * (8 + rows);
    case kTwoByte:
      return 16 + 2 * rows * cols;
    default:
      return 16 + rows * cols;
  }
}

void PutU16(uint16_t v, char* p) {
  p[0] = static_cast<char>(v & 0xff);
  p[1] = static_cast<char>(v >> 8);
}

uint16_t GetU16(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[1])
                                                                      << 8);
}

// Little-endian 4-byte fields, as Kaldi writes its native struct on x86.
template <typename T>
void Put32(T value, char* p) {
  uint32_t v;
  std::memcpy(&v, &value, 4);
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xff);
}

template <typename T>
T Get32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i)
    v |= static_cast<uint32_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  T value;
  std::memcpy(&value, &v, 4);
  return value;
}

const char* TokenFor(int32_t format) {
  return format == kOneByteWithColHeaders ? "CM " : format == kTwoByte ? "CM2 " : "CM3 ";
}

}  // namespace

CompressionMethod ParseCompressionMethod(const std::string& text) {
  static const struct {
    const char* number;
    const char* kaldi;
    CompressionMethod method;
  } kMethods[] = {
      {"1", "kAutomaticMethod", CompressionMethod::kAuto},
      {"2", "kSpeechFeature", CompressionMethod::kSpeechFeature},
      {"3", "kTwoByteAuto", CompressionMethod::kTwoByteAuto},
      {"4", "kTwoByteSignedInteger", CompressionMethod::kTwoByteSignedInteger},
      {"5", "kOneByteAuto", CompressionMethod::kOneByteAuto},
      {"6", "kOneByteUnsignedInteger", CompressionMethod::kOneByteUnsignedInteger},
      {"7", "kOneByteZeroOne", CompressionMethod::kOneByteZeroOne},
  };
  for (const auto& m : kMethods) {
    if (text == m.number || text == m.kaldi || text == CompressionMethodName(m.method)) {
      return m.method;
    }
  }
  if (text == "automatic") return CompressionMethod::kAuto;
  throw Error("invalid compression method '" + text +
              "' (expected 1-7 as Kaldi numbers them, or auto, speech-feature, two-byte-auto, "
              "two-byte-signed-integer, one-byte-auto, one-byte-unsigned-integer, "
              "one-byte-zero-one)");
}

const char* CompressionMethodName(CompressionMethod method) {
  switch (method) {
    case CompressionMethod::kAuto:
      return "auto";
    case CompressionMethod::kSpeechFeature:
      return "speech-feature";
    case CompressionMethod::kTwoByteAuto:
      return "two-byte-auto";
    case CompressionMethod::kTwoByteSignedInteger:
      return "two-byte-signed-integer";
    case CompressionMethod::kOneByteAuto:
      return "one-byte-auto";
    case CompressionMethod::kOneByteUnsignedInteger:
      return "one-byte-unsigned-integer";
    case CompressionMethod::kOneByteZeroOne:
      return "one-byte-zero-one";
  }
  return "invalid";
}

void AppendCompressedMatrix(MatrixView m, CompressionMethod method, std::string* out) {
  const int method_number = static_cast<int>(method);
  if (method_number < 1 || method_number > 7) {
    throw Error("invalid compression method " + std::to_string(method_number));
  }
  if (m.rows < 0 || m.cols < 0 || m.rows > std::numeric_limits<int32_t>::max() ||
      m.cols > std::numeric_limits<int32_t>::max()) {
    throw Error("bad matrix size for compression: " + std::to_string(m.rows) + " x " +
                std::to_string(m.cols));
  }
  if (m.rows == 0 || m.cols == 0) {
    // CompressedMatrix::Write() with data_ == NULL: token "CM", then a
    // header of zeros (16 bytes: what CompressedMatrix::Read() consumes).
    out->append("CM ", 3);
    out->append(16, '\0');
    return;
  }
  CheckNoNan(m, method);
  const GlobalHeader h = ComputeGlobalHeader(m, method);
  const int64_t payload = PayloadBytes(h.format, m.rows, m.cols);
  // Kaldi sizes the data in int32 (DataSize(), AllocateData()).
  if (payload + 4 > std::numeric_limits<int32_t>::max()) {
    throw Error("matrix of " + std::to_string(m.rows) + " x " + std::to_string(m.cols) +
                " is too large for Kaldi's compressed format");
  }
  const char* token = TokenFor(h.format);
  const size_t start = out->size();
  const size_t token_bytes = std::strlen(token);
  out->resize(start + token_bytes + static_cast<size_t>(payload));
  char* p = &(*out)[start];
  std::memcpy(p, token, token_bytes);
  p += token_bytes;
  Put32(h.min_value, p);
  Put32(h.range, p + 4);
  Put32(h.num_rows, p + 8);
  Put32(h.num_cols, p + 12);
  p += 16;

  const int64_t rows = m.rows;
  const int64_t cols = m.cols;
  if (h.format == kOneByteWithColHeaders) {
    // CompressedMatrix::CopyFromMat() / CompressColumn(): all column headers,
    // then each column's bytes.
    char* col_headers = p;
    char* bytes = p + 8 * cols;
    std::vector<float> column(static_cast<size_t>(rows));
    for (int64_t c = 0; c < cols; ++c) {
      for (int64_t r = 0; r < rows; ++r) column[r] = m(r, c);
      const PerColHeader ph = ComputeColHeader(h, column.data(), h.num_rows);
      char* hp = col_headers + 8 * c;
      PutU16(ph.percentile_0, hp);
      PutU16(ph.percentile_25, hp + 2);
      PutU16(ph.percentile_75, hp + 4);
      PutU16(ph.percentile_100, hp + 6);
      const float p0 = Uint16ToFloat(h, ph.percentile_0);
      const float p25 = Uint16ToFloat(h, ph.percentile_25);
      const float p75 = Uint16ToFloat(h, ph.percentile_75);
      const float p100 = Uint16ToFloat(h, ph.percentile_100);
      char* col_bytes = bytes + rows * c;
      for (int64_t r = 0; r < rows; ++r) {
        col_bytes[r] = static_cast<char>(FloatToChar(p0, p25, p75, p100, m(r, c)));
      }
    }
  } else if (h.format == kTwoByte) {
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = m.Row(r);
      for (int64_t c = 0; c < cols; ++c, p += 2) PutU16(FloatToUint16(h, row[c]), p);
    }
  } else {
    for (int64_t r = 0; r < rows; ++r) {
      const float* row = m.Row(r);
      for (int64_t c = 0; c < cols; ++c) *p++ = static_cast<char>(FloatToUint8(h, row[c]));
    }
  }
}

std::string CompressMatrix(MatrixView matrix, CompressionMethod method) {
  std::string out;
  AppendCompressedMatrix(matrix, method, &out);
  return out;
}

bool ReadCompressedMatrixHeader(const char* data, size_t size, CompressedMatrixHeader* header) {
  // CompressedMatrix::Read(): the token (ReadToken: up to a space), then the
  // GlobalHeader from its second field on.
  if (size < 3) return false;
  if (data[0] != 'C' || data[1] != 'M') {
    throw Error("not a Kaldi compressed matrix (token does not start with \"CM\")");
  }
  CompressedMatrixHeader h;
  if (data[2] == ' ') {
    h.format = kOneByteWithColHeaders;
    h.header_bytes = 3 + 16;
  } else if ((data[2] == '2' || data[2] == '3')) {
    if (size < 4) return false;
    if (data[3] != ' ') throw Error("unknown compressed matrix token (expected CM, CM2 or CM3)");
    h.format = data[2] == '2' ? kTwoByte : kOneByte;
    h.header_bytes = 4 + 16;
  } else {
    throw Error("unknown compressed matrix token (expected CM, CM2 or CM3)");
  }
  if (size < static_cast<size_t>(h.header_bytes)) return false;
  const char* p = data + h.header_bytes - 16;
  h.min_value = Get32<float>(p);
  h.range = Get32<float>(p + 4);
  h.rows = Get32<int32_t>(p + 8);
  h.cols = Get32<int32_t>(p + 12);
  if (h.rows < 0 || h.cols < 0 || (h.rows == 0) != (h.cols == 0)) {
    throw Error("bad compressed matrix size " + std::to_string(h.rows) + " x " +
                std::to_string(h.cols));
  }
  h.total_bytes =
      h.rows == 0 ? h.header_bytes : h.header_bytes - 16 + PayloadBytes(h.format, h.rows, h.cols);
  *header = h;
  return true;
}

Matrix DecompressMatrix(const char* data, size_t size) {
  CompressedMatrixHeader info;
  if (!ReadCompressedMatrixHeader(data, size, &info)) {
    throw Error("compressed matrix cut short: " + std::to_string(size) + " bytes");
  }
  if (static_cast<uint64_t>(info.total_bytes) != size) {
    throw Error("compressed matrix of " + std::to_string(info.rows) + " x " +
                std::to_string(info.cols) + " needs " + std::to_string(info.total_bytes) +
                " bytes, got " + std::to_string(size));
  }
  Matrix m(info.rows, info.cols);
  if (info.rows == 0) return m;
  GlobalHeader h;
  h.format = info.format;
  h.min_value = info.min_value;
  h.range = info.range;
  h.num_rows = info.rows;
  h.num_cols = info.cols;
  const char* p = data + info.header_bytes;
  const int64_t rows = info.rows;
  const int64_t cols = info.cols;
  // CompressedMatrix::CopyToMat()
  if (h.format == kOneByteWithColHeaders) {
    const char* bytes = p + 8 * cols;
    for (int64_t c = 0; c < cols; ++c) {
      const char* hp = p + 8 * c;
      const float p0 = Uint16ToFloat(h, GetU16(hp));
      const float p25 = Uint16ToFloat(h, GetU16(hp + 2));
      const float p75 = Uint16ToFloat(h, GetU16(hp + 4));
      const float p100 = Uint16ToFloat(h, GetU16(hp + 6));
      const char* col_bytes = bytes + rows * c;
      for (int64_t r = 0; r < rows; ++r) {
        m(r, c) = CharToFloat(p0, p25, p75, p100, static_cast<uint8_t>(col_bytes[r]));
      }
    }
  } else if (h.format == kTwoByte) {
    // increment = range * (1.0 / 65535.0), rounded to float; the rest float.
    const float increment = static_cast<float>(static_cast<double>(h.range) * (1.0 / 65535.0));
    float* out = m.data();
    for (int64_t i = 0; i < rows * cols; ++i, p += 2) {
      out[i] = h.min_value + static_cast<float>(GetU16(p)) * increment;
    }
  } else {
    const float increment = static_cast<float>(static_cast<double>(h.range) * (1.0 / 255.0));
    float* out = m.data();
    for (int64_t i = 0; i < rows * cols; ++i) {
      out[i] = h.min_value + static_cast<float>(static_cast<unsigned char>(p[i])) * increment;
    }
  }
  return m;
}

}  // namespace featpool
