#include "featpool/npy.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

#include "checked-math.h"
#include "featpool/error.h"
#include "featpool/output-file.h"
#include "printable.h"

namespace featpool {
namespace {

using internal::MulOverflows;
using internal::Printable;

std::string Quote(const std::string& s) { return "'" + Printable(s) + "'"; }

// numpy/lib/format.py _MAX_HEADER_SIZE: np.load() refuses longer headers
// unless given a larger max_header_size (numpy >= 1.24). It also bounds the
// work of parsing a file-controlled header.
constexpr int64_t kMaxHeaderBytes = 10000;

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

// One value of the header dict. Only the forms a header of a numeric array
// can take are represented; anything else is rejected while parsing.
struct HeaderValue {
  enum class Kind { kNone, kString, kBool, kInt, kTuple } kind = Kind::kNone;
  std::string text;            // kString
  bool flag = false;           // kBool
  std::vector<int64_t> items;  // kInt (one item) and kTuple
};

struct HeaderDict {
  HeaderValue descr;
  HeaderValue fortran_order;
  HeaderValue shape;
};

// The header is "a pretty-printed string representation of a literal Python
// dictionary" that numpy reads with ast.literal_eval() (numpy/lib/format.py
// _read_array_header). This parser accepts a subset of that Python syntax,
// in one left-to-right pass with no recursion, and never reads a value
// differently from numpy:
//  - inside the braces, whitespace is space, tab, form feed, CR and LF
//    (Python ignores line structure inside brackets);
//  - strings in '...' or "..." of printable ASCII, without escapes or
//    prefixes (numpy writes none);
//  - True and False;
//  - decimal integers without sign or underscores (Python forbids leading
//    zeros: "02" is a syntax error, "00" is 0), optionally followed by the
//    Python 2 long suffix L in format versions 1.0 and 2.0, which numpy strips
//    there (_filter_header) and not in 3.0;
//  - a tuple of such integers: "()" (0-D), "(3,)" (1-D), "(3, 4)" or
//    "(3, 4,)"; "(3)" is the integer 3, as in Python;
//  - keys descr, fortran_order and shape only. A key given twice keeps its
//    last value, as a Python dict literal does (so np.load reads it so).
// Everything outside this subset throws Error naming the file and the byte.
class HeaderParser {
 public:
  HeaderParser(std::string_view text, bool python2_long, const std::string& path)
      : text_(text), python2_long_(python2_long), path_(path) {}

  HeaderDict Parse() {
    HeaderDict dict;
    // Outside the braces Python's indentation rules apply: literal_eval()
    // strips leading spaces and tabs, and after the dict spaces, tabs and
    // form feeds then newlines always parse (numpy pads with spaces and ends
    // with '\n'). Other layouts there are not accepted.
    while (Peek(' ') || Peek('\t')) ++at_;
    Expect('{');
    SkipSpace();
    while (!Peek('}')) {
      const size_t key_at = at_;
      const std::string key = ParseString();
      SkipSpace();
      Expect(':');
      SkipSpace();
      HeaderValue* slot = key == "descr"           ? &dict.descr
                          : key == "fortran_order" ? &dict.fortran_order
                          : key == "shape"         ? &dict.shape
                                                   : nullptr;
      if (slot == nullptr) {
        at_ = key_at;
        Fail("unexpected key " + Quote(key) + " (numpy allows only descr, fortran_order, shape)");
      }
      *slot = ParseValue();
      SkipSpace();
      if (!Peek('}')) {
        Expect(',');
        SkipSpace();
      }
    }
    ++at_;
    while (Peek(' ') || Peek('\t') || Peek('\f')) ++at_;
    while (Peek('\n')) ++at_;
    if (at_ != text_.size()) Fail("unexpected text after the dict");
    return dict;
  }

 private:
  static bool IsSpace(char c) {
    return c == ' ' || c == '\t' || c == '\f' || c == '\r' || c == '\n';
  }
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  static bool IsNameChar(char c) {
    return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           static_cast<unsigned char>(c) >= 0x80;
  }

  [[noreturn]] void Fail(const std::string& what) const {
    throw Error(Quote(path_) + ": bad .npy header at byte " + std::to_string(at_) + ": " + what);
  }
  bool Peek(char c) const { return at_ < text_.size() && text_[at_] == c; }
  void Expect(char c) {
    if (!Peek(c)) {
      if (at_ == text_.size()) Fail(std::string("expected '") + c + "', found the end");
      Fail(std::string("expected '") + c + "', found '" + Printable(text_.substr(at_, 1)) + "'");
    }
    ++at_;
  }
  void SkipSpace() {
    while (at_ < text_.size() && IsSpace(text_[at_])) ++at_;
  }
  // True (and skips it) if `word` is next and is a whole name.
  bool SkipWord(std::string_view word) {
    if (text_.substr(at_, word.size()) != word) return false;
    const size_t end = at_ + word.size();
    if (end < text_.size() && IsNameChar(text_[end])) return false;
    at_ = end;
    return true;
  }

  std::string ParseString() {
    if (!Peek('\'') && !Peek('"')) Fail("expected a quoted string");
    const char quote = text_[at_++];
    const size_t begin = at_;
    while (at_ < text_.size() && text_[at_] != quote) {
      const unsigned char c = static_cast<unsigned char>(text_[at_]);
      if (c == '\\') Fail("escape sequences in strings are not supported");
      if (c < 0x20 || c >= 0x7f) Fail("strings must be printable ASCII");
      ++at_;
    }
    if (at_ == text_.size()) Fail("unterminated string");
    return std::string(text_.substr(begin, at_++ - begin));
  }

  int64_t ParseInt() {
    const size_t begin = at_;
    int64_t value = 0;
    while (at_ < text_.size() && IsDigit(text_[at_])) {
      const int digit = text_[at_] - '0';
      if (digit != 0 && text_[begin] == '0') {
        Fail("leading zeros in a decimal integer are not allowed (a Python syntax error)");
      }
      if (MulOverflows(value, 10, &value) || internal::AddOverflows(value, digit, &value)) {
        at_ = begin;
        Fail("integer too large (more than 2^63 - 1)");
      }
      ++at_;
    }
    if (python2_long_ && Peek('L') && !(at_ + 1 < text_.size() && IsNameChar(text_[at_ + 1]))) {
      ++at_;
    }
    if (at_ < text_.size() && (IsNameChar(text_[at_]) || text_[at_] == '.')) {
      Fail("expected an integer");
    }
    return value;
  }

  // "(" [int ("," int)* [","]] ")", or "(" int ")", which is an int.
  HeaderValue ParseTuple() {
    HeaderValue value;
    value.kind = HeaderValue::Kind::kTuple;
    ++at_;  // '('
    SkipSpace();
    bool comma = false;
    while (!Peek(')')) {
      if (!(at_ < text_.size() && IsDigit(text_[at_]))) {
        Fail("expected a non-negative integer in a tuple");
      }
      value.items.push_back(ParseInt());
      SkipSpace();
      comma = Peek(',');
      if (!Peek(')')) {
        Expect(',');
        SkipSpace();
      }
    }
    ++at_;  // ')'
    if (value.items.size() == 1 && !comma) value.kind = HeaderValue::Kind::kInt;
    return value;
  }

  HeaderValue ParseValue() {
    HeaderValue value;
    if (Peek('\'') || Peek('"')) {
      value.kind = HeaderValue::Kind::kString;
      value.text = ParseString();
    } else if (Peek('(')) {
      value = ParseTuple();
    } else if (at_ < text_.size() && IsDigit(text_[at_])) {
      value.kind = HeaderValue::Kind::kInt;
      value.items.push_back(ParseInt());
    } else if (SkipWord("True")) {
      value.kind = HeaderValue::Kind::kBool;
      value.flag = true;
    } else if (SkipWord("False")) {
      value.kind = HeaderValue::Kind::kBool;
    } else {
      Fail("unsupported value (expected a string, True, False or a tuple of integers)");
    }
    return value;
  }

  std::string_view text_;
  bool python2_long_;
  const std::string& path_;
  size_t at_ = 0;
};

// Reads exactly `bytes` bytes or throws the truncation error.
void ReadExactly(std::FILE* file, void* data, int64_t bytes, const std::string& truncated) {
  if (bytes > 0 &&
      std::fread(data, 1, static_cast<size_t>(bytes), file) != static_cast<size_t>(bytes)) {
    throw Error(truncated);
  }
}

// Reads `count` little-endian float32 or float64 values into `matrix` as flat
// storage. With a known file size the caller has checked that they are
// there; from a pipe the buffer grows only as data arrives, so a shape the
// stream cannot fill costs at most twice what was actually sent.
void ReadValues(std::FILE* file, int64_t count, int64_t item_size, bool size_known,
                const std::string& truncated, Matrix* matrix) {
  constexpr int64_t kBlock = 1 << 16;  // values per read while growing
  int64_t done = 0;
  double block[4096];  // float64 is converted block by block
  if (size_known) matrix->Resize(1, count);
  while (done < count) {
    int64_t n = count - done;
    if (item_size == 8) {
      n = std::min<int64_t>(n, 4096);
    } else if (!size_known) {
      n = std::min(n, std::max(kBlock, done));
    }
    if (!size_known) matrix->Resize(1, done + n);  // std::vector grows geometrically
    if (item_size == 4) {
      ReadExactly(file, matrix->data() + done, n * 4, truncated);
    } else {
      ReadExactly(file, block, n * 8, truncated);
      for (int64_t i = 0; i < n; ++i) matrix->data()[done + i] = static_cast<float>(block[i]);
    }
    done += n;
  }
}

}  // namespace

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

NpyWriter::NpyWriter(const std::string& path, int64_t cols) : out_(path), cols_(cols) {
  if (out_.CanRewrite()) {
    const std::string header = NpyHeader("<f4", 0, cols_);
    out_.Write(header.data(), header.size());
  }
}

void NpyWriter::Append(MatrixView rows) {
  if (rows.rows == 0) return;
  if (rows.cols != cols_) {
    throw Error("'" + out_.path() + "': rows of " + std::to_string(rows.cols) +
                " columns appended to a .npy of " + std::to_string(cols_));
  }
  const size_t count = static_cast<size_t>(rows.rows * rows.cols);
  if (out_.CanRewrite()) {
    out_.Write(rows.data, sizeof(float) * count);
  } else {
    held_.insert(held_.end(), rows.data, rows.data + count);
  }
  rows_ += rows.rows;
}

void NpyWriter::Commit() {
  const std::string header = NpyHeader("<f4", rows_, cols_);
  if (out_.CanRewrite()) {
    // Same size as the placeholder: see npy.h.
    if (header.size() != NpyHeader("<f4", 0, cols_).size()) {
      throw Error("'" + out_.path() + "': internal: the .npy header changed size");
    }
    out_.Rewrite(0, header.data(), header.size());
  } else {
    out_.Write(header.data(), header.size());
    out_.Write(held_.data(), sizeof(float) * held_.size());
  }
  out_.Commit();
}

void WriteNpyInt64(const std::string& path, const int64_t* data, int64_t rows, int64_t cols) {
  AtomicOutputFile out(path);
  const std::string header = NpyHeader("<i8", rows, cols);
  out.Write(header.data(), header.size());
  out.Write(data, sizeof(int64_t) * static_cast<size_t>(rows * cols));
  out.Commit();
}

// numpy/lib/format.py read_magic(), _check_version(), _read_array_header()
// and read_array(): versions 1.0 and 2.0 (latin-1) and 3.0 (UTF-8), with a
// 2- or 4-byte header length; any other version is rejected, as np.load()
// does. Every size is checked against the file before anything is allocated.
// Bytes after the data are ignored, as np.load() ignores them
// (numpy.fromfile reads `count` items).
Matrix ReadNpy(const std::string& path) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) throw Error("cannot open " + Quote(path) + ": " + std::strerror(errno));
  struct stat st;
  const bool size_known = fstat(fileno(file.get()), &st) == 0 && S_ISREG(st.st_mode);
  const int64_t file_size = size_known ? static_cast<int64_t>(st.st_size) : 0;

  unsigned char preamble[12];
  if (std::fread(preamble, 1, 8, file.get()) != 8 || std::memcmp(preamble, "\x93NUMPY", 6) != 0) {
    throw Error(Quote(path) + " is not a .npy file");
  }
  const int major = preamble[6];
  const int minor = preamble[7];
  if ((major != 1 && major != 2 && major != 3) || minor != 0) {
    throw Error(Quote(path) + ": unsupported .npy format version " + std::to_string(major) + "." +
                std::to_string(minor) + " (numpy reads 1.0, 2.0 and 3.0)");
  }
  const int length_bytes = major == 1 ? 2 : 4;
  if (std::fread(preamble + 8, 1, length_bytes, file.get()) != static_cast<size_t>(length_bytes)) {
    throw Error(Quote(path) + ": truncated .npy header");
  }
  int64_t header_len = 0;
  for (int i = length_bytes - 1; i >= 0; --i) header_len = header_len << 8 | preamble[8 + i];
  const int64_t data_offset = 8 + length_bytes + header_len;
  if (size_known && data_offset > file_size) {
    throw Error(Quote(path) + ": truncated .npy header (" + std::to_string(header_len) +
                " header bytes declared, the file has " + std::to_string(file_size) + " bytes)");
  }
  if (header_len > kMaxHeaderBytes) {
    throw Error(Quote(path) + ": .npy header of " + std::to_string(header_len) +
                " bytes is longer than numpy's limit of " + std::to_string(kMaxHeaderBytes));
  }
  std::string text(static_cast<size_t>(header_len), '\0');
  ReadExactly(file.get(), &text[0], header_len, Quote(path) + ": truncated .npy header");

  const HeaderDict dict = HeaderParser(text, major < 3, path).Parse();
  using Kind = HeaderValue::Kind;
  // numpy: "Header does not contain the correct keys".
  auto require = [&](const HeaderValue& value, const char* name) {
    if (value.kind == Kind::kNone) throw Error(Quote(path) + ": .npy header has no '" + name + "'");
  };
  require(dict.descr, "descr");
  require(dict.fortran_order, "fortran_order");
  require(dict.shape, "shape");
  if (dict.shape.kind != Kind::kTuple) {
    throw Error(Quote(path) + ": .npy header 'shape' is not a tuple of integers");
  }
  if (dict.fortran_order.kind != Kind::kBool) {
    throw Error(Quote(path) + ": .npy header 'fortran_order' is not True or False");
  }
  if (dict.descr.kind != Kind::kString) {
    throw Error(Quote(path) + ": .npy header 'descr' is not a dtype string");
  }
  const std::string& descr = dict.descr.text;
  if (descr == ">f4" || descr == ">f8") {
    throw Error(Quote(path) + " is big-endian (dtype " + Quote(descr) +
                "); expected little-endian float32 or float64 ('<f4' or '<f8')");
  }
  if (descr != "<f4" && descr != "<f8") {
    throw Error(Quote(path) + " has dtype " + Quote(descr) +
                "; expected float32 or float64 ('<f4' or '<f8')");
  }
  if (dict.fortran_order.flag) {
    throw Error(Quote(path) + " is in Fortran order; save it in C order");
  }
  const std::vector<int64_t>& shape = dict.shape.items;
  if (shape.size() != 2) {
    throw Error(Quote(path) + " has " + std::to_string(shape.size()) +
                " dimensions; expected a 2-D [time, freq] matrix");
  }
  const int64_t item_size = descr == "<f4" ? 4 : 8;
  const std::string shape_text =
      "(" + std::to_string(shape[0]) + ", " + std::to_string(shape[1]) + ")";
  int64_t count = 0;
  int64_t bytes = 0;
  if (MulOverflows(shape[0], shape[1], &count) || MulOverflows(count, item_size, &bytes)) {
    throw Error(Quote(path) + ": shape " + shape_text + " is too large");
  }
  if (size_known && bytes > file_size - data_offset) {
    throw Error(Quote(path) + " is truncated: shape " + shape_text + " needs " +
                std::to_string(bytes) + " data bytes, the file has " +
                std::to_string(file_size - data_offset));
  }
  Matrix matrix;
  ReadValues(file.get(), count, item_size, size_known,
             Quote(path) + " is truncated: its data is shorter than its shape " + shape_text,
             &matrix);
  matrix.Resize(shape[0], shape[1]);
  return matrix;
}

}  // namespace featpool
