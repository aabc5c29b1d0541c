// Kaldi's compressed matrices against tests/data/compress/, which
// tests/gen-compress-fixtures.py wrote with a reference encoder transcribed
// from Kaldi's compressed-matrix.cc:
//  * the encoder's bytes equal the reference's for every case and method;
//  * the decoder's floats equal the reference decoder's, bit for bit;
//  * decoding is within Kaldi's quantisation error (bounds below);
//  * malformed bytes are rejected before anything is allocated.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "featpool/compressed-matrix.h"
#include "featpool/error.h"
#include "featpool/kaldi-io.h"
#include "featpool/npy.h"

using namespace featpool;

namespace {

const std::string kDir = std::string(FEATPOOL_TEST_DATA) + "/compress/";

struct Case {
  std::string name;
  int method = 0;
  bool error = false;
  int64_t offset = 0;  // of the token in <name>.ark
  int64_t bytes = 0;
  int64_t decoded_offset = 0;  // of "\0B" in <name>.decoded.ark
};

std::vector<Case> ReadCases() {
  std::ifstream in(kDir + "cases.txt");
  REQUIRE(in);
  std::vector<Case> cases;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    Case c;
    std::string third;
    fields >> c.name >> c.method >> third;
    if (third == "error") {
      c.error = true;
    } else {
      c.offset = std::stoll(third);
      fields >> c.bytes >> c.decoded_offset;
    }
    REQUIRE(fields);
    cases.push_back(c);
  }
  REQUIRE(cases.size() > 100);
  return cases;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool SameBits(const Matrix& a, const Matrix& b) {
  return a.rows() == b.rows() && a.cols() == b.cols() &&
         std::memcmp(a.data(), b.data(), static_cast<size_t>(a.rows() * a.cols()) * 4) == 0;
}

uint16_t U16(const std::string& s, size_t at) {
  return static_cast<uint16_t>(static_cast<unsigned char>(s[at]) |
                               static_cast<unsigned char>(s[at + 1]) << 8);
}

// Largest |x - decoded| Kaldi's quantisation allows for element (r, c), with
// x clamped to the representable [min, min + range] first (the fixed-range
// methods clamp; the automatic ones cover the whole matrix).
//  * formats 2 and 3 (CM2, CM3): FloatToUint16/FloatToUint8 round with
//    +0.499, so the error is at most 0.501 of a step, step = range / 65535
//    (CM2) or range / 255 (CM3).
//  * format 1 (CM): per column, half a step of the piece x falls in, the
//    pieces being [p0, p25] in 64 steps, [p25, p75] in 128, [p75, p100] in
//    63, taken at the widest; plus one step of the uint16 grid on which the
//    percentiles themselves are stored (range / 65535).
// Plus float32 rounding: 4 ulps of the largest magnitude involved.
class Bound {
 public:
  Bound(const std::string& bytes, const Matrix& m) : bytes_(bytes), m_(m) {
    header_ok_ = ReadCompressedMatrixHeader(bytes.data(), bytes.size(), &h_);
  }
  double At(int64_t r, int64_t c, double* clamped) const {
    const double lo = h_.min_value;
    const double hi = static_cast<double>(h_.min_value) + h_.range;
    *clamped = std::min(std::max(static_cast<double>(m_(r, c)), lo), hi);
    const double slop = 4 * std::ldexp(1.0, -23) * std::max(std::fabs(lo), std::fabs(hi));
    if (h_.format == 2) return 0.501 * h_.range / 65535 + slop;
    if (h_.format == 3) return 0.501 * h_.range / 255 + slop;
    const size_t at = static_cast<size_t>(h_.header_bytes + 8 * c);
    const double grid = h_.range / 65535.0;
    const double p0 = U16(bytes_, at) * grid, p25 = U16(bytes_, at + 2) * grid;
    const double p75 = U16(bytes_, at + 4) * grid, p100 = U16(bytes_, at + 6) * grid;
    const double half_step = std::max({(p25 - p0) / 128, (p75 - p25) / 256, (p100 - p75) / 126});
    return half_step + grid + slop;
  }
  bool ok() const { return header_ok_; }

 private:
  const std::string& bytes_;
  const Matrix& m_;
  CompressedMatrixHeader h_;
  bool header_ok_ = false;
};

// Cases whose decoding Kaldi's own arithmetic cannot bring near the input:
// non-finite input, a range that overflows float (NaN percentiles), values
// so large that (p100 - p75) * 63 overflows in CharToFloat, subnormals.
const std::set<std::string> kUnbounded = {"infinity", "overflow-range", "huge-range", "subnormal"};

std::string Le32(int32_t v) {
  std::string s(4, '\0');
  std::memcpy(&s[0], &v, 4);
  return s;
}

std::string Header(const char* token, float min_value, float range, int32_t rows, int32_t cols) {
  std::string s(token);
  int32_t bits;
  std::memcpy(&bits, &min_value, 4);
  s += Le32(bits);
  std::memcpy(&bits, &range, 4);
  s += Le32(bits);
  return s + Le32(rows) + Le32(cols);
}

}  // namespace

TEST_CASE("compressed matrix: byte-identical to the Kaldi reference encoder", "[compressed]") {
  int checked = 0;
  for (const Case& c : ReadCases()) {
    INFO(c.name << " method " << c.method);
    const Matrix m = ReadNpy(kDir + c.name + ".npy");
    const auto method = static_cast<CompressionMethod>(c.method);
    if (c.error) {
      REQUIRE_THROWS_AS(CompressMatrix(m.View(), method), Error);
      continue;
    }
    const std::string ark = ReadFile(kDir + c.name + ".ark");
    REQUIRE(c.offset + c.bytes <= static_cast<int64_t>(ark.size()));
    const std::string expected = ark.substr(static_cast<size_t>(c.offset), c.bytes);
    const std::string got = CompressMatrix(m.View(), method);
    REQUIRE(got.size() == expected.size());
    CHECK(got == expected);

    // Appending to a buffer gives the same bytes after what is there.
    std::string appended = "prefix";
    AppendCompressedMatrix(m.View(), method, &appended);
    CHECK(appended == "prefix" + expected);

    // Kaldi's CopyToMat(), bit for bit.
    const Matrix decoded = DecompressMatrix(expected.data(), expected.size());
    const Matrix reference = ReadKaldiMatrix(kDir + c.name + ".decoded.ark", c.decoded_offset);
    CHECK(SameBits(decoded, reference));
    ++checked;
  }
  CHECK(checked > 100);
}

TEST_CASE("compressed matrix: the automatic method is two-byte up to 8 rows", "[compressed]") {
  // Kaldi ComputeGlobalHeader(): kSpeechFeature if NumRows() > 8.
  const Matrix m8 = ReadNpy(kDir + "rows8.npy");
  const Matrix m9 = ReadNpy(kDir + "rows9.npy");
  CHECK(CompressMatrix(m8.View()).substr(0, 4) == "CM2 ");
  CHECK(CompressMatrix(m8.View()) == CompressMatrix(m8.View(), CompressionMethod::kTwoByteAuto));
  CHECK(CompressMatrix(m9.View()).substr(0, 3) == "CM ");
  CHECK(CompressMatrix(m9.View()) == CompressMatrix(m9.View(), CompressionMethod::kSpeechFeature));
}

TEST_CASE("compressed matrix: decoding is within Kaldi's quantisation error", "[compressed]") {
  int checked = 0;
  for (const Case& c : ReadCases()) {
    if (c.error || kUnbounded.count(c.name) != 0) continue;
    INFO(c.name << " method " << c.method);
    const Matrix m = ReadNpy(kDir + c.name + ".npy");
    const std::string bytes = CompressMatrix(m.View(), static_cast<CompressionMethod>(c.method));
    const Matrix d = DecompressMatrix(bytes.data(), bytes.size());
    const Bound bound(bytes, m);
    REQUIRE(bound.ok());
    double worst = 0;
    for (int64_t r = 0; r < m.rows(); ++r) {
      for (int64_t col = 0; col < m.cols(); ++col) {
        double x;
        const double limit = bound.At(r, col, &x);
        const double err = std::fabs(x - d(r, col));
        worst = std::max(worst, err / limit);
        if (err > limit) {
          INFO("row " << r << " col " << col << " x " << x << " decoded " << d(r, col) << " limit "
                      << limit);
          CHECK(err <= limit);
        }
      }
    }
    CHECK(worst <= 1.0);
    ++checked;
  }
  CHECK(checked > 100);
}

TEST_CASE("compressed matrix: integers in range survive the integer methods", "[compressed]") {
  // kTwoByteSignedInteger: increment = 65535 * (1/65535.0) = 1 exactly, so
  // -32768 + i is exact; kOneByteUnsignedInteger likewise with 255.
  const Matrix i16 = ReadNpy(kDir + "int16.npy");
  const std::string b16 = CompressMatrix(i16.View(), CompressionMethod::kTwoByteSignedInteger);
  const Matrix d16 = DecompressMatrix(b16.data(), b16.size());
  const Matrix u8 = ReadNpy(kDir + "uint8.npy");
  const std::string b8 = CompressMatrix(u8.View(), CompressionMethod::kOneByteUnsignedInteger);
  const Matrix d8 = DecompressMatrix(b8.data(), b8.size());
  for (int64_t r = 0; r < i16.rows(); ++r) {
    for (int64_t c = 0; c < i16.cols(); ++c) {
      CHECK(d16(r, c) == std::min(std::max(i16(r, c), -32768.0f), 32767.0f));
    }
  }
  for (int64_t r = 0; r < u8.rows(); ++r) {
    for (int64_t c = 0; c < u8.cols(); ++c) {
      CHECK(d8(r, c) == std::min(std::max(u8(r, c), 0.0f), 255.0f));
    }
  }
}

TEST_CASE("compressed matrix: empty matrices and bad input to the encoder", "[compressed]") {
  const std::string empty = CompressMatrix(MatrixView{nullptr, 0, 0});
  CHECK(empty == std::string("CM ") + std::string(16, '\0'));
  const Matrix d = DecompressMatrix(empty.data(), empty.size());
  CHECK(d.rows() == 0);
  CHECK(d.cols() == 0);

  Matrix m(10, 2);
  m(3, 1) = std::numeric_limits<float>::quiet_NaN();
  for (int method = 1; method <= 7; ++method) {
    CHECK_THROWS_AS(CompressMatrix(m.View(), static_cast<CompressionMethod>(method)), Error);
  }
  m(3, 1) = 0;
  CHECK_THROWS_AS(CompressMatrix(m.View(), static_cast<CompressionMethod>(0)), Error);
  CHECK_THROWS_AS(CompressMatrix(m.View(), static_cast<CompressionMethod>(8)), Error);
}

TEST_CASE("compressed matrix: malformed bytes are rejected", "[compressed]") {
  const Matrix m = ReadNpy(kDir + "rows9.npy");
  for (int method = 1; method <= 7; ++method) {
    const std::string good = CompressMatrix(m.View(), static_cast<CompressionMethod>(method));
    INFO("method " << method);
    CompressedMatrixHeader h;
    REQUIRE(ReadCompressedMatrixHeader(good.data(), good.size(), &h));
    CHECK(h.rows == m.rows());
    CHECK(h.cols == m.cols());
    CHECK(h.total_bytes == static_cast<int64_t>(good.size()));
    // Every cut-short prefix: the header is "not there yet" or the decoder
    // reports the length; never a read past the end.
    const size_t header_bytes = static_cast<size_t>(h.header_bytes);
    for (size_t n = 0; n < good.size(); ++n) {
      CompressedMatrixHeader part;
      CHECK(ReadCompressedMatrixHeader(good.data(), n, &part) == (n >= header_bytes));
      CHECK_THROWS_AS(DecompressMatrix(good.data(), n), Error);
    }
    const std::string longer = good + '\0';
    CHECK_THROWS_AS(DecompressMatrix(longer.data(), longer.size()), Error);
  }
  CompressedMatrixHeader h;
  for (const std::string& bad : {std::string("FM \4"), std::string("CX "), std::string("CM4 "),
                                 std::string("CM2X"), std::string("C\0M ", 4)}) {
    INFO(bad);
    CHECK_THROWS_AS(ReadCompressedMatrixHeader(bad.data(), bad.size(), &h), Error);
    CHECK_THROWS_AS(DecompressMatrix(bad.data(), bad.size()), Error);
  }
  // Impossible sizes.
  for (const auto& rc : {std::pair<int32_t, int32_t>{-1, 4}, {4, -1}, {0, 4}, {4, 0}}) {
    const std::string bad = Header("CM2 ", 0, 1, rc.first, rc.second) + std::string(64, '\0');
    CHECK_THROWS_AS(DecompressMatrix(bad.data(), bad.size()), Error);
  }
  // A header claiming 2^31 x 2^31 elements is refused from its length alone.
  const int32_t big = std::numeric_limits<int32_t>::max();
  for (const char* token : {"CM ", "CM2 ", "CM3 "}) {
    const std::string bad = Header(token, 0, 1, big, big) + std::string(100, '\0');
    REQUIRE(ReadCompressedMatrixHeader(bad.data(), bad.size(), &h));
    CHECK(h.total_bytes > int64_t{1} << 61);
    CHECK_THROWS_AS(DecompressMatrix(bad.data(), bad.size()), Error);
  }
}

TEST_CASE("compressed matrix: method names and numbers", "[compressed]") {
  CHECK(ParseCompressionMethod("1") == CompressionMethod::kAuto);
  CHECK(ParseCompressionMethod("auto") == CompressionMethod::kAuto);
  CHECK(ParseCompressionMethod("kAutomaticMethod") == CompressionMethod::kAuto);
  CHECK(ParseCompressionMethod("2") == CompressionMethod::kSpeechFeature);
  CHECK(ParseCompressionMethod("speech-feature") == CompressionMethod::kSpeechFeature);
  CHECK(ParseCompressionMethod("4") == CompressionMethod::kTwoByteSignedInteger);
  CHECK(ParseCompressionMethod("kOneByteZeroOne") == CompressionMethod::kOneByteZeroOne);
  CHECK(ParseCompressionMethod("7") == CompressionMethod::kOneByteZeroOne);
  for (int i = 1; i <= 7; ++i) {
    const auto method = static_cast<CompressionMethod>(i);
    CHECK(ParseCompressionMethod(std::to_string(i)) == method);
    CHECK(ParseCompressionMethod(CompressionMethodName(method)) == method);
  }
  for (const char* bad : {"0", "8", "", "01", "fast", "Auto"}) {
    CHECK_THROWS_AS(ParseCompressionMethod(bad), Error);
  }
}

namespace {

std::string ScratchDir(const std::string& name) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("featpool-test-compressed-" + std::to_string(getpid()) + "-" + name))
                              .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

}  // namespace

TEST_CASE("compressed matrix: archives scan, read and resume", "[compressed][kaldi-io]") {
  // The fixture archives: keys m1..m7 at the offsets cases.txt gives.
  const std::vector<Case> cases = ReadCases();
  for (const std::string name : {"fbank40", "rows1", "rows8", "int16"}) {
    INFO(name);
    const std::vector<KaldiArkRecord> records = ScanKaldiArk(kDir + name + ".ark");
    const Matrix m = ReadNpy(kDir + name + ".npy");
    size_t i = 0;
    for (const Case& c : cases) {
      if (c.name != name || c.error) continue;
      REQUIRE(i < records.size());
      CHECK(records[i].key == "m" + std::to_string(c.method));
      CHECK(records[i].compressed);
      CHECK(records[i].offset == c.offset - 2);
      CHECK(records[i].end == c.offset + c.bytes);
      CHECK(records[i].rows == m.rows());
      CHECK(records[i].cols == m.cols());
      const Matrix decoded = ReadKaldiMatrix(kDir + name + ".ark", records[i].offset);
      CHECK(SameBits(decoded, ReadKaldiMatrix(kDir + name + ".decoded.ark", c.decoded_offset)));
      ++i;
    }
    CHECK(i == records.size());
  }

  // The writer: what Kaldi's copy-feats --compress=true writes, scp offsets
  // included; a cut-short archive keeps exactly its whole records.
  const std::string dir = ScratchDir("writer");
  const Matrix a = ReadNpy(kDir + "fbank40.npy");
  const Matrix b = ReadNpy(kDir + "rows5.npy");
  for (int method = 1; method <= 7; ++method) {
    INFO("method " << method);
    const auto cm = static_cast<CompressionMethod>(method);
    KaldiArkWriter writer(dir + "/c.ark", dir + "/c.scp");
    writer.SetCompression(cm);
    writer.Open();
    CHECK(writer.Write("a", a.View()) == 2);
    const int64_t b_offset = writer.Write("b", b.View());
    writer.Commit();
    const std::string expected = std::string("a \0B", 4) + CompressMatrix(a.View(), cm) +
                                 std::string("b \0B", 4) + CompressMatrix(b.View(), cm);
    const std::string ark = ReadFile(dir + "/c.ark");
    CHECK(ark == expected);
    CHECK(b_offset == static_cast<int64_t>(expected.find(std::string("b \0B", 4)) + 2));
    CHECK(ReadFile(dir + "/c.scp") ==
          "a " + dir + "/c.ark:2\nb " + dir + "/c.ark:" + std::to_string(b_offset) + "\n");
    for (size_t cut = 0; cut <= ark.size(); cut += (method == 1 ? 1 : 97)) {
      std::ofstream(dir + "/cut.ark", std::ios::binary).write(ark.data(), cut);
      int64_t valid = -1;
      const std::vector<KaldiArkRecord> records = ScanKaldiArk(dir + "/cut.ark", &valid);
      const size_t whole = cut == ark.size() ? 2 : cut >= static_cast<size_t>(b_offset) - 2 ? 1 : 0;
      REQUIRE(records.size() == whole);
      CHECK(valid == (whole == 0 ? 0 : records.back().end));
    }
  }
  std::filesystem::remove_all(dir);
}
