// ReadNpy against numpy's rules (numpy/lib/format.py read_magic,
// _check_version, _read_array_header, read_array; numpy 1.24): which headers
// are read and how, which are rejected, and that file-controlled sizes are
// checked before anything is allocated. Each rejected case here is rejected
// by np.load() too; each accepted one is read by np.load() with the same
// shape and values.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "featpool/error.h"
#include "featpool/npy.h"

using namespace featpool;

namespace {

std::string TempDir() {
  const std::string dir =
      (std::filesystem::temp_directory_path() / ("featpool-test-npy-" + std::to_string(getpid())))
          .string();
  std::filesystem::create_directories(dir);
  return dir;
}

// Magic, version, header length (2 bytes in 1.0, 4 in 2.0 and 3.0), the
// header text as given (no padding), then `data`.
std::string NpyBytes(const std::string& header, int major, const std::string& data, int minor = 0) {
  std::string bytes("\x93NUMPY", 6);
  bytes.push_back(static_cast<char>(major));
  bytes.push_back(static_cast<char>(minor));
  const uint64_t len = header.size();
  const int length_bytes = major == 1 ? 2 : 4;
  for (int i = 0; i < length_bytes; ++i)
    bytes.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  return bytes + header + data;
}

std::string Floats(const std::vector<float>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

std::string Doubles(const std::vector<double>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(double));
}

std::string Dict(const std::string& descr, const std::string& shape,
                 const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }\n";
}

const std::vector<float> kSix = {0.5f, 1, 2, 3, 4, -5.25f};

std::string Write(const std::string& name, const std::string& bytes) {
  static const std::string dir = TempDir();
  const std::string path = dir + "/" + name;
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path;
}

Matrix Read(const std::string& bytes) { return ReadNpy(Write("case.npy", bytes)); }

// The message ReadNpy throws for `bytes`, checked to be one line that names
// the file.
std::string ErrorOf(const std::string& bytes) {
  const std::string path = Write("bad.npy", bytes);
  try {
    ReadNpy(path);
  } catch (const Error& e) {
    const std::string message = e.what();
    CHECK(message.find(path) != std::string::npos);
    CHECK(message.find('\n') == std::string::npos);
    return message;
  }
  FAIL("no error");
  return "";
}

void CheckSix(const Matrix& m, int64_t rows, int64_t cols) {
  REQUIRE(m.rows() == rows);
  REQUIRE(m.cols() == cols);
  for (size_t i = 0; i < kSix.size(); ++i) CHECK(m.data()[i] == kSix[i]);
}

}  // namespace

TEST_CASE("ReadNpy reads format versions 1.0, 2.0 and 3.0") {
  for (int major : {1, 2, 3}) {
    CAPTURE(major);
    CheckSix(Read(NpyBytes(Dict("<f4", "(2, 3)"), major, Floats(kSix))), 2, 3);
  }
  // float64 is converted; WriteNpy's own files read back.
  CheckSix(Read(NpyBytes(Dict("<f8", "(3, 2)"), 1, Doubles({0.5, 1, 2, 3, 4, -5.25}))), 3, 2);
  Matrix m(2, 3);
  std::memcpy(m.data(), kSix.data(), sizeof(float) * 6);
  const std::string path = Write("written.npy", "");
  WriteNpy(path, m.View());
  CheckSix(ReadNpy(path), 2, 3);
}

TEST_CASE("ReadNpy rejects the format versions numpy rejects") {
  for (int major : {0, 4, 255}) {
    CAPTURE(major);
    CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(2, 3)"), major, Floats(kSix))),
               Catch::Contains("unsupported .npy format version " + std::to_string(major) + ".0"));
  }
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(2, 3)"), 1, Floats(kSix), 1)),
             Catch::Contains("version 1.1"));
  CHECK_THAT(ErrorOf("\x93NUMPY\x01"), Catch::Contains("not a .npy file"));
  CHECK_THAT(ErrorOf("PK\x03\x04 not numpy"), Catch::Contains("not a .npy file"));
  CHECK_THAT(ErrorOf(std::string("\x93NUMPY\x02\x00\x10", 9)),
             Catch::Contains("truncated .npy header"));
}

TEST_CASE("ReadNpy reads the Python syntax numpy writes and reads") {
  const std::string data = Floats(kSix);
  // No trailing comma, double quotes, no padding, tuple with trailing comma.
  CheckSix(Read(NpyBytes("{'descr':'<f4','fortran_order':False,'shape':(2,3)}", 1, data)), 2, 3);
  CheckSix(
      Read(NpyBytes("{\"descr\": \"<f4\", \"fortran_order\": False, \"shape\": (2, 3,)}", 3, data)),
      2, 3);
  // Newlines, CR, tabs and form feeds inside the braces; spaces and tabs
  // before; spaces, tabs, form feeds and newlines after.
  CheckSix(Read(NpyBytes(" \t{\f'descr'\r:\n'<f4'\t,'fortran_order':False,'shape':(\n2\n,\n3\n,\n)"
                         "\n,\n}\t\f \n\n",
                         2, data)),
           2, 3);
  // Python 2 long integers: numpy strips the L in versions 1.0 and 2.0
  // (_filter_header), not in 3.0.
  CheckSix(Read(NpyBytes(Dict("<f4", "(2L, 3L)"), 1, data)), 2, 3);
  CheckSix(Read(NpyBytes(Dict("<f4", "(2L, 3L)"), 2, data)), 2, 3);
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(2L, 3L)"), 3, data)),
             Catch::Contains("expected an integer"));
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(2Lx, 3)"), 1, data)),
             Catch::Contains("expected an integer"));
  // "00" is 0; "02" is a Python syntax error.
  const Matrix empty = Read(NpyBytes(Dict("<f4", "(00, 3)"), 1, ""));
  CHECK(empty.rows() == 0);
  CHECK(empty.cols() == 3);
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(02, 3)"), 1, data)), Catch::Contains("leading zeros"));
  // Bytes after the data are ignored, as np.load() ignores them.
  CheckSix(Read(NpyBytes(Dict("<f4", "(2, 3)"), 1, data + "trailing")), 2, 3);
}

TEST_CASE("ReadNpy keeps the last value of a key given twice, as Python and np.load do") {
  // {'descr': '<f4', 'descr': '<f8'} is the dict {'descr': '<f8'}.
  const std::string dup_descr =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), 'descr': '<f8'}";
  CheckSix(Read(NpyBytes(dup_descr, 1, Doubles({0.5, 1, 2, 3, 4, -5.25}))), 3, 2);
  const std::string dup_shape =
      "{'descr': '<f4', 'shape': 6, 'fortran_order': True, 'shape': (2, 3), "
      "'fortran_order': False}";
  CheckSix(Read(NpyBytes(dup_shape, 1, Floats(kSix))), 2, 3);
}

TEST_CASE("ReadNpy rejects the dicts numpy rejects") {
  const std::string data = Floats(kSix);
  auto error = [&](const std::string& header) { return ErrorOf(NpyBytes(header, 1, data)); };
  CHECK_THAT(error("{'descr': '<f4', 'shape': (2, 3)}"), Catch::Contains("no 'fortran_order'"));
  CHECK_THAT(error("{}"), Catch::Contains("no 'descr'"));
  CHECK_THAT(error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}"),
             Catch::Contains("unexpected key 'x'"));
  CHECK_THAT(error(Dict("<f4", "(6)")), Catch::Contains("'shape' is not a tuple"));
  CHECK_THAT(error(Dict("<f4", "[2, 3]")), Catch::Contains("unsupported value"));
  CHECK_THAT(error(Dict("<f4", "(2.0, 3)")), Catch::Contains("expected an integer"));
  CHECK_THAT(error(Dict("<f4", "(,)")), Catch::Contains("non-negative integer"));
  CHECK_THAT(error(Dict("<f4", "(2, 3)", "0")), Catch::Contains("'fortran_order' is not True"));
  CHECK_THAT(error(Dict("<f4", "(2, 3)", "Falsey")), Catch::Contains("unsupported value"));
  CHECK_THAT(error("{'descr':'<f4',,'fortran_order':False,'shape':(2,3)}"),
             Catch::Contains("expected a quoted string"));
  CHECK_THAT(error("{'descr':'<f4','fortran_order':False,'shape':(2,3)} x"),
             Catch::Contains("unexpected text after the dict"));
  // A NUL makes ast.parse() fail; a line indented after the dict is a
  // Python IndentationError.
  CHECK_THAT(error(std::string("{'descr':'<f4','fortran_order':False,'shape':(2,3)}") + '\0'),
             Catch::Contains("unexpected text after the dict"));
  CHECK_THAT(error("\f\n {'descr':'<f4','fortran_order':False,'shape':(2,3)}"),
             Catch::Contains("expected '{'"));
  CHECK_THAT(error("('descr', '<f4')"), Catch::Contains("expected '{'"));
  CHECK_THAT(error("{'descr': '<f4\xe9', 'fortran_order': False, 'shape': (2, 3)}"),
             Catch::Contains("printable ASCII"));
  CHECK_THAT(error("{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3)}"),
             Catch::Contains("expected ',', found 'f'"));
  CHECK_THAT(error("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)"),
             Catch::Contains("found the end"));
}

TEST_CASE("ReadNpy reads only 2-D little-endian float32/float64 in C order") {
  const std::string data = Floats(kSix);
  CHECK_THAT(ErrorOf(NpyBytes(Dict(">f4", "(2, 3)"), 1, data)), Catch::Contains("big-endian"));
  CHECK_THAT(ErrorOf(NpyBytes(Dict(">f8", "(2, 3)"), 1, data)), Catch::Contains("big-endian"));
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<i4", "(2, 3)"), 1, data)), Catch::Contains("dtype '<i4'"));
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(2, 3)", "True"), 1, data)),
             Catch::Contains("Fortran order"));
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(6,)"), 1, data)), Catch::Contains("1 dimensions"));
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "()"), 1, data)), Catch::Contains("0 dimensions"));
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(1, 2, 3)"), 1, data)), Catch::Contains("3 dimensions"));
  CHECK_THAT(ErrorOf(NpyBytes("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,)}", 1,
                              data)),
             Catch::Contains("unsupported value"));
}

TEST_CASE("ReadNpy bounds the header: numpy's 10000-byte limit, the file's size") {
  const std::string data = Floats(kSix);
  // A 1 MB descr and a huge shape list: rejected by length before parsing.
  const auto start = std::chrono::steady_clock::now();
  CHECK_THAT(ErrorOf(NpyBytes(Dict(std::string(1 << 20, 'x'), "(2, 3)"), 2, data)),
             Catch::Contains("limit of 10000"));
  std::string dims = "(";
  for (int i = 0; i < (1 << 19); ++i) dims += "1,";
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", dims + ")"), 2, data)),
             Catch::Contains("limit of 10000"));
  // Just inside the limit: parsed (without recursion) and rejected for its rank.
  dims = "(";
  for (int i = 0; i < 4900; ++i) dims += "1,";
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", dims + ")"), 2, data)),
             Catch::Contains("4900 dimensions"));
  std::string padded = Dict("<f4", "(2, 3)");
  padded.insert(padded.size() - 1, 10000 - padded.size(), ' ');
  CheckSix(Read(NpyBytes(padded, 2, data)), 2, 3);
  padded.insert(0, " ");
  CHECK_THAT(ErrorOf(NpyBytes(padded, 2, data)), Catch::Contains("10001 bytes"));
  // A length field beyond the end of the file (4 GiB in version 2.0).
  CHECK_THAT(ErrorOf(std::string("\x93NUMPY\x02\x00\xff\xff\xff\xff", 12) + Dict("<f4", "(2, 3)")),
             Catch::Contains("4294967295 header bytes declared"));
  CHECK_THAT(ErrorOf(std::string("\x93NUMPY\x01\x00\xff\xff", 10) + Dict("<f4", "(2, 3)")),
             Catch::Contains("truncated .npy header"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

TEST_CASE("ReadNpy checks shape numbers and the data size before allocating") {
  const std::string data = Floats(kSix);
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(99999999999999999999999, 3)"), 1, data)),
             Catch::Contains("integer too large"));
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(9223372036854775808, 1)"), 1, data)),
             Catch::Contains("integer too large"));
  // Products that overflow int64 in rows * cols or in the byte count.
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(4294967296, 4294967296)"), 1, data)),
             Catch::Contains("shape (4294967296, 4294967296) is too large"));
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f8", "(9223372036854775807, 1)"), 1, data)),
             Catch::Contains("is too large"));
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f8", "(2305843009213693952, 1)"), 1, data)),
             Catch::Contains("is too large"));
  // 2^40 x 1 float32 is 4 TiB: the file's size rejects it at once, with
  // nothing allocated (an allocation that large would fail or take minutes).
  const auto start = std::chrono::steady_clock::now();
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(1099511627776, 1)"), 1, data)),
             Catch::Contains("needs 4398046511104 data bytes, the file has 24"));
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(1, 1099511627776)"), 3, data)),
             Catch::Contains("is truncated"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(2));
  // One byte short.
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f4", "(2, 3)"), 1, data.substr(0, 23))),
             Catch::Contains("needs 24 data bytes, the file has 23"));
  CHECK_THAT(ErrorOf(NpyBytes(Dict("<f8", "(2, 3)"), 1, data)),
             Catch::Contains("needs 48 data bytes, the file has 24"));
}

TEST_CASE("ReadNpy from a pipe grows with the data that arrives") {
  const std::string dir = TempDir();
  const std::string fifo = dir + "/pipe.npy";
  unlink(fifo.c_str());
  REQUIRE(mkfifo(fifo.c_str(), 0600) == 0);
  auto feed = [&](const std::string& bytes) {
    return std::thread([fifo, bytes] {
      std::ofstream out(fifo, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    });
  };
  std::vector<float> many(200000);
  for (size_t i = 0; i < many.size(); ++i) many[i] = static_cast<float>(i);
  std::thread writer = feed(NpyBytes(Dict("<f4", "(100000, 2)"), 1, Floats(many)));
  const Matrix m = ReadNpy(fifo);
  writer.join();
  REQUIRE(m.rows() == 100000);
  CHECK(m(99999, 1) == 199999.0f);
  std::vector<double> doubles(10000, 0.25);
  writer = feed(NpyBytes(Dict("<f8", "(5000, 2)"), 1, Doubles(doubles)));
  const Matrix d = ReadNpy(fifo);
  writer.join();
  REQUIRE(d.rows() == 5000);
  CHECK(d(4999, 1) == 0.25f);
  // A 4 TiB shape with 24 bytes behind it: the pipe ends long before.
  writer = feed(NpyBytes(Dict("<f4", "(1099511627776, 1)"), 1, Floats(kSix)));
  CHECK_THROWS_WITH(ReadNpy(fifo), Catch::Contains("is truncated"));
  writer.join();
  unlink(fifo.c_str());
}

TEST_CASE("ReadNpy names a missing file") {
  CHECK_THROWS_WITH(ReadNpy("no-such-dir/missing.npy"), Catch::Contains("missing.npy"));
}
