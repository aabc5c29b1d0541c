#include "featpool/npy.h"

#include <cstring>
#include <fstream>
#include <regex>
#include <vector>

#include "featpool/error.h"
#include "featpool/output-file.h"

namespace featpool {

std::string NpyHeader(const std::string& descr, int64_t rows, int64_t cols) {
  std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" +
                     std::to_string(rows) + ", " + std::to_string(cols) + "), }";
  // Magic (6) + version (2) + length (2) + dict + '\n' is padded to 64 bytes.
  const size_t unpadded = 10 + dict.size() + 1;
  dict.append((64 - unpadded % 64) % 64, ' ');
  dict.push_back('\n');
  std::string header("\x93NUMPY\x01\x00", 8);
  header.push_back(static_cast<char>(dict.size() & 0xff));
  header.push_back(static_cast<char>(dict.size() >> 8));
  return header + dict;
}

void WriteNpy(const std::string& path, MatrixView matrix) {
  AtomicOutputFile out(path);
  const std::string header = NpyHeader("<f4", matrix.rows, matrix.cols);
  out.Write(header.data(), header.size());
  out.Write(matrix.data, sizeof(float) * static_cast<size_t>(matrix.rows * matrix.cols));
  out.Commit();
}

void WriteNpyInt64(const std::string& path, const int64_t* data, int64_t rows,
                   int64_t cols) {
  AtomicOutputFile out(path);
  const std::string header = NpyHeader("<i8", rows, cols);
  out.Write(header.data(), header.size());
  out.Write(data, sizeof(int64_t) * static_cast<size_t>(rows * cols));
  out.Commit();
}

Matrix ReadNpy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error("cannot open '" + path + "'");
  char preamble[10];
  if (!in.read(preamble, 10) || std::memcmp(preamble, "\x93NUMPY", 6) != 0) {
    throw Error("'" + path + "' is not a .npy file");
  }
  const int major = static_cast<unsigned char>(preamble[6]);
  size_t header_len = static_cast<unsigned char>(preamble[8]) |
                      (static_cast<unsigned char>(preamble[9]) << 8);
  if (major >= 2) {  // Versions 2 and 3 have a 4-byte header length.
    char more[2];
    if (!in.read(more, 2)) throw Error("'" + path + "' has a truncated .npy header");
    header_len |= (static_cast<size_t>(static_cast<unsigned char>(more[0])) << 16) |
                  (static_cast<size_t>(static_cast<unsigned char>(more[1])) << 24);
  }
  std::string dict(header_len, '\0');
  if (!in.read(&dict[0], static_cast<std::streamsize>(header_len))) {
    throw Error("'" + path + "' has a truncated .npy header");
  }
  std::smatch m;
  if (!std::regex_search(dict, m, std::regex("'descr'\\s*:\\s*'([^']*)'"))) {
    throw Error("'" + path + "' has no dtype in its .npy header");
  }
  const std::string descr = m[1];
  if (descr != "<f4" && descr != "<f8") {
    throw Error("'" + path + "' has dtype '" + descr +
                "'; expected float32 or float64 ('<f4' or '<f8')");
  }
  if (std::regex_search(dict, std::regex("'fortran_order'\\s*:\\s*True"))) {
    throw Error("'" + path + "' is in Fortran order; save it in C order");
  }
  if (!std::regex_search(dict, m, std::regex("'shape'\\s*:\\s*\\(([^)]*)\\)"))) {
    throw Error("'" + path + "' has no shape in its .npy header");
  }
  std::vector<int64_t> shape;
  const std::string dims = m[1];
  const std::regex number("\\d+");
  for (std::sregex_iterator it(dims.begin(), dims.end(), number), end; it != end; ++it) {
    shape.push_back(std::stoll(it->str()));
  }
  if (shape.size() != 2) {
    throw Error("'" + path + "' has " + std::to_string(shape.size()) +
                " dimensions; expected a 2-D [time, freq] matrix");
  }
  Matrix matrix(shape[0], shape[1]);
  const size_t count = static_cast<size_t>(shape[0] * shape[1]);
  if (descr == "<f4") {
    if (!in.read(reinterpret_cast<char*>(matrix.data()),
                 static_cast<std::streamsize>(count * sizeof(float)))) {
      throw Error("'" + path + "' is truncated: its data is shorter than its shape");
    }
  } else {
    std::vector<double> values(count);
    if (!in.read(reinterpret_cast<char*>(values.data()),
                 static_cast<std::streamsize>(count * sizeof(double)))) {
      throw Error("'" + path + "' is truncated: its data is shorter than its shape");
    }
    for (size_t i = 0; i < count; ++i) matrix.data()[i] = static_cast<float>(values[i]);
  }
  return matrix;
}

}  // namespace featpool
