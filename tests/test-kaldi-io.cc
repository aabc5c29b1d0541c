#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "featpool/error.h"
#include "featpool/kaldi-io.h"

using namespace featpool;

namespace {

std::string TempDir(const std::string& name) {
  const std::string dir = (std::filesystem::temp_directory_path() /
                           ("featpool-test-kaldi-io-" + std::to_string(getpid()) + "-" + name))
                              .string();
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

std::string ReadAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void WriteAll(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

// The record Kaldi's copy-feats writes for the 2 x 3 float matrix
// [[1, -2, 0.5], [0, 3, 0.25]] under key "utt1", byte by byte from the
// format (KaldiObjectHolder::Write, WriteBasicType, Matrix::Write): key,
// space, "\0B", "FM ", '\4' + int32 LE rows, '\4' + int32 LE cols, then
// IEEE-754 little-endian floats.
const std::string kUtt1Record(
    "utt1 \0BFM \x04\x02\x00\x00\x00\x04\x03\x00\x00\x00"
    "\x00\x00\x80\x3f"   // 1
    "\x00\x00\x00\xc0"   // -2
    "\x00\x00\x00\x3f"   // 0.5
    "\x00\x00\x00\x00"   // 0
    "\x00\x00\x40\x40"   // 3
    "\x00\x00\x80\x3e",  // 0.25
    5 + 15 + 24);

Matrix Utt1() {
  Matrix m(2, 3);
  const float values[] = {1, -2, 0.5f, 0, 3, 0.25f};
  std::copy(values, values + 6, m.data());
  return m;
}

}  // namespace

TEST_CASE("matrix header is Kaldi's binary FM header", "[kaldi-io]") {
  CHECK(KaldiMatrixHeader(2, 3) == kUtt1Record.substr(5, 15));
  // Kaldi writes an empty matrix as 0 x 0.
  CHECK(KaldiMatrixHeader(0, 80) == std::string("\0BFM \x04\0\0\0\0\x04\0\0\0\0", 15));
  CHECK(KaldiMatrixHeader(0x01020304, 1).substr(5, 5) == std::string("\x04\x04\x03\x02\x01", 5));
}

TEST_CASE("text matrices are Kaldi's MatrixBase::Write text form", "[kaldi-io]") {
  Matrix m(2, 3);
  const float values[] = {1.0f, -0.5f, 3.14159274f, 1e-8f, 123456.789f, 0.0f};
  std::copy(values, values + 6, m.data());
  std::string text;
  AppendKaldiTextMatrix(m.View(), &text);
  CHECK(text == " [\n  1 -0.5 3.141593 \n  1e-08 123456.8 0 ]\n");
  // Kaldi has no 0 x N matrix: an empty one is written as 0 x 0.
  for (const Matrix& empty : {Matrix(0, 0), Matrix(0, 3)}) {
    text.clear();
    AppendKaldiTextMatrix(empty.View(), &text);
    CHECK(text == " [ ]\n");
  }
}

TEST_CASE("ark and scp written byte for byte, finalised only on Commit", "[kaldi-io]") {
  const std::string dir = TempDir("write");
  const std::string ark = dir + "/feats.ark";
  const std::string scp = dir + "/feats.scp";
  {
    KaldiArkWriter writer(ark, scp);
    writer.Open();
    CHECK(writer.Write("utt1", Utt1().View()) == 5);
    Matrix second(1, 1);
    second(0, 0) = 1.0f;
    CHECK(writer.Write("spk/utt2", second.View()) == 44 + 9);
    CHECK_FALSE(Exists(ark));
    CHECK_FALSE(Exists(scp));
    CHECK(Exists(writer.partial_path()));
    writer.Commit();
  }
  CHECK_FALSE(Exists(dir + "/.feats.ark.partial"));
  const std::string expected = kUtt1Record + std::string(
                                                 "spk/utt2 \0BFM \x04\x01\0\0\0\x04\x01\0\0\0"
                                                 "\x00\x00\x80\x3f",
                                                 9 + 15 + 4);
  CHECK(ReadAll(ark) == expected);
  CHECK(ReadAll(scp) == "utt1 " + ark + ":5\nspk/utt2 " + ark + ":53\n");

  const Matrix back = ReadKaldiMatrix(ark, 5);
  REQUIRE(back.rows() == 2);
  REQUIRE(back.cols() == 3);
  CHECK(back(1, 2) == 0.25f);
  CHECK(back(0, 1) == -2.0f);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an uncommitted archive stays partial and resumes at its last whole record",
          "[kaldi-io]") {
  const std::string dir = TempDir("resume");
  const std::string ark = dir + "/a.ark";
  const std::string scp = dir + "/a.scp";
  {
    KaldiArkWriter writer(ark, scp);
    writer.Open();
    writer.Write("utt1", Utt1().View());
    writer.Write("utt2", Utt1().View());
    // Destroyed without Commit(): as if the run was killed.
  }
  CHECK_FALSE(Exists(ark));
  // A killed writer can leave a cut-short last record.
  std::string partial = ReadAll(dir + "/.a.ark.partial");
  WriteAll(dir + "/.a.ark.partial", partial + kUtt1Record.substr(0, 30));
  int64_t valid = 0;
  const auto scanned = ScanKaldiArk(dir + "/.a.ark.partial", &valid);
  REQUIRE(scanned.size() == 2);
  CHECK(valid == 88);
  CHECK(scanned[1].key == "utt2");
  CHECK(scanned[1].offset == 44 + 5);
  CHECK(scanned[1].end == 88);

  {
    KaldiArkWriter writer(ark, scp);
    const auto records = writer.OpenForResume();
    REQUIRE(records.size() == 2);
    writer.KeepRecords(records, 1);  // keep utt1 only: utt2 is redone
    writer.Write("utt2", Utt1().View());
    writer.Write("utt3", Utt1().View());
    writer.Commit();
  }
  std::string expected;
  for (const char* key : {"utt1", "utt2", "utt3"}) expected += key + kUtt1Record.substr(4);
  CHECK(ReadAll(ark) == expected);
  CHECK(ReadAll(scp) == "utt1 " + ark + ":5\nutt2 " + ark + ":49\nutt3 " + ark + ":93\n");

  // Resuming a finished archive starts from it.
  {
    KaldiArkWriter writer(ark, scp);
    const auto records = writer.OpenForResume();
    REQUIRE(records.size() == 3);
    writer.KeepRecords(records, 3);
    writer.Commit();
  }
  CHECK(ReadAll(ark) == expected);
  std::filesystem::remove_all(dir);
}

TEST_CASE("a second writer of the same archive is refused", "[kaldi-io]") {
  const std::string dir = TempDir("lock");
  KaldiArkWriter first(dir + "/x.ark", "");
  first.Open();
  KaldiArkWriter second(dir + "/x.ark", "");
  CHECK_THROWS_WITH(second.Open(), Catch::Contains("another process"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("keys follow Kaldi's IsToken", "[kaldi-io]") {
  CHECK_NOTHROW(CheckKaldiKey("spk1/utt-01_a.b"));
  CHECK_NOTHROW(CheckKaldiKey("caf\xc3\xa9"));  // non-ASCII bytes are allowed
  CHECK_THROWS_WITH(CheckKaldiKey(""), Catch::Contains("empty"));
  CHECK_THROWS_WITH(CheckKaldiKey("a b"), Catch::Contains("'a b'"));
  CHECK_THROWS(CheckKaldiKey("a\tb"));
  CHECK_THROWS(CheckKaldiKey(std::string("a\x01", 2)));
  KaldiArkWriter writer("-", "");
  CHECK_THROWS_WITH(writer.Write("bad key", Utt1().View()), Catch::Contains("whitespace"));
}

TEST_CASE("ark:- takes no scp and cannot resume", "[kaldi-io]") {
  CHECK_THROWS_WITH(KaldiArkWriter("-", "x.scp"), Catch::Contains("ark:-"));
  KaldiArkWriter writer("-", "");
  CHECK_THROWS_WITH(writer.OpenForResume(), Catch::Contains("stdout"));
}

TEST_CASE("readers reject what is not a binary float matrix", "[kaldi-io]") {
  const std::string dir = TempDir("reject");
  WriteAll(dir + "/text.ark", "utt1  [\n 1 2 3 ]\n");
  CHECK_THROWS_WITH(ScanKaldiArk(dir + "/text.ark"), Catch::Contains("text"));
  WriteAll(dir + "/cm.ark", std::string("utt1 \0BCM4 ", 11) + std::string(40, '\0'));
  CHECK_THROWS_WITH(ScanKaldiArk(dir + "/cm.ark"), Catch::Contains("compressed"));
  CHECK_THROWS_WITH(ReadKaldiMatrix(dir + "/cm.ark", 5), Catch::Contains("compressed"));
  WriteAll(dir + "/short.ark", kUtt1Record.substr(0, 30));
  CHECK(ScanKaldiArk(dir + "/short.ark").empty());
  CHECK_THROWS_WITH(ReadKaldiMatrix(dir + "/short.ark", 5), Catch::Contains("truncated"));
  CHECK_THROWS_WITH(ScanKaldiArk(dir + "/missing.ark"), Catch::Contains("missing.ark"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("scp lines split at the first whitespace, value trimmed", "[kaldi-io]") {
  const std::string dir = TempDir("scp");
  WriteAll(dir + "/wav.scp",
           "utt1 a/b.wav\n"
           "\n"
           "utt2\t  dir with space/c.flac  \r\n"
           "utt3 sox x.wav -t wav - |\n");
  const auto lines = ReadKaldiScp(dir + "/wav.scp");
  REQUIRE(lines.size() == 3);
  CHECK(lines[0].key == "utt1");
  CHECK(lines[0].value == "a/b.wav");
  CHECK(lines[1].key == "utt2");
  CHECK(lines[1].value == "dir with space/c.flac");
  CHECK(lines[1].line_number == 3);
  CHECK(lines[2].value == "sox x.wav -t wav - |");
  WriteAll(dir + "/bad.scp", "utt1 a.wav\nlonely\n");
  CHECK_THROWS_WITH(ReadKaldiScp(dir + "/bad.scp"), Catch::Contains("line 2"));
  std::filesystem::remove_all(dir);
}

namespace {

// "key \0B<token> \4<rows>\4<cols>" with rows and cols as given.
std::string RecordHeader(const std::string& key, const char* token, int32_t rows, int32_t cols) {
  std::string bytes = key + " " + std::string("\0B", 2) + token + " ";
  for (int32_t value : {rows, cols}) {
    uint32_t v;
    std::memcpy(&v, &value, sizeof(v));
    bytes.push_back('\4');
    for (int shift = 0; shift < 32; shift += 8) bytes.push_back(static_cast<char>(v >> shift));
  }
  return bytes;
}

}  // namespace

TEST_CASE("sizes in archive headers are checked before use, errors name key and offset",
          "[kaldi-io]") {
  const std::string dir = TempDir("sizes");
  const std::string ark = dir + "/x.ark";
  // 2^31-1 x 2^31-1 floats: rows * cols * 4 does not fit in int64.
  WriteAll(ark, kUtt1Record + RecordHeader("big", "FM", 0x7fffffff, 0x7fffffff));
  CHECK_THROWS_WITH(ScanKaldiArk(ark),
                    Catch::Contains("record 'big' at offset 48") && Catch::Contains("too large"));
  CHECK_THROWS_WITH(ReadKaldiMatrix(ark, 48), Catch::Contains("x.ark:48") &&
                                                  Catch::Contains("2147483647 x 2147483647") &&
                                                  Catch::Contains("too large"));
  // A plausible size that the file cannot hold: the scan stops before it
  // (a killed writer's last record), the reader says so without allocating
  // the 16 GiB the header asks for.
  WriteAll(ark, kUtt1Record + RecordHeader("long", "FM", 1 << 22, 1 << 10) + "tail");
  int64_t valid = 0;
  CHECK(ScanKaldiArk(ark, &valid).size() == 1);
  CHECK(valid == 44);
  CHECK_THROWS_WITH(ReadKaldiMatrix(ark, 49),
                    Catch::Contains("needs 17179869184 bytes, 4 left in the file"));
  WriteAll(ark, RecordHeader("dbl", "DM", 1 << 30, 1 << 2));
  CHECK_THROWS_WITH(ReadKaldiMatrix(ark, 4), Catch::Contains("needs 34359738368 bytes"));
  // Negative and half-empty sizes.
  WriteAll(ark, RecordHeader("neg", "FM", -1, 3));
  CHECK_THROWS_WITH(ScanKaldiArk(ark),
                    Catch::Contains("record 'neg' at offset 4: bad matrix size -1 x 3"));
  CHECK_THROWS_WITH(ReadKaldiMatrix(ark, 4), Catch::Contains("bad matrix size -1 x 3"));
  WriteAll(ark, RecordHeader("half", "FM", 0, 3));
  CHECK_THROWS_WITH(ScanKaldiArk(ark), Catch::Contains("bad matrix size 0 x 3"));
  // Offsets outside the file; a bad size byte names the record.
  WriteAll(ark, kUtt1Record);
  CHECK_THROWS_WITH(ReadKaldiMatrix(ark, 45),
                    Catch::Contains("offset outside the file (44 bytes)"));
  CHECK_THROWS_WITH(ReadKaldiMatrix(ark, -1), Catch::Contains("offset outside the file"));
  std::string bad_size = kUtt1Record;
  bad_size[10] = '\x08';
  WriteAll(ark, bad_size);
  CHECK_THROWS_WITH(ScanKaldiArk(ark),
                    Catch::Contains("record 'utt1' at offset 5: bad integer size byte 8"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("keys and lines from files are quoted with control bytes escaped", "[kaldi-io]") {
  const std::string dir = TempDir("printable");
  auto message = [](auto&& call) {
    try {
      call();
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  // The whole message survives a NUL in the key, on one line.
  const std::string key_error = message([] { CheckKaldiKey(std::string("a\0b\n", 4)); });
  CHECK(key_error.find("'a\\0b\\n'") != std::string::npos);
  CHECK(key_error.find("must not contain whitespace") != std::string::npos);
  WriteAll(dir + "/k.ark", RecordHeader(std::string("u\x1b[2Jt", 6), "DM", 1, 1) + "12345678");
  // A key Kaldi would not write is refused before its matrix is looked at.
  CHECK_THAT(message([&] { ScanKaldiArk(dir + "/k.ark"); }),
             Catch::Contains("record at offset 0: invalid Kaldi key 'u\\x1b[2Jt'"));
  WriteAll(dir + "/d.ark", RecordHeader("utt1", "DM", 1, 1) + "12345678");
  CHECK_THAT(message([&] { ScanKaldiArk(dir + "/d.ark"); }),
             Catch::Contains("record 'utt1' at offset 5: a double matrix"));
  // A newline in a key of a partial archive would have split its line of the
  // script file --resume writes (found by fuzz-kaldi-io).
  WriteAll(dir + "/.n.ark.partial", kUtt1Record + std::string("x\ny ") + kUtt1Record.substr(5));
  {
    KaldiArkWriter writer(dir + "/n.ark", dir + "/n.scp");
    CHECK_THROWS_WITH(writer.OpenForResume(),
                      Catch::Contains("'x\\ny'") && Catch::Contains("not an archive"));
  }
  WriteAll(dir + "/w.scp", std::string("utt1 a.wav\nlone\0ly\r\n", 21));
  const std::string scp_error = message([&] { ReadKaldiScp(dir + "/w.scp"); });
  CHECK_THAT(scp_error, Catch::Contains("line 2") && Catch::Contains("'lone\\0ly\\r'"));
  CHECK(scp_error.find('\0') == std::string::npos);
  std::filesystem::remove_all(dir);
}
