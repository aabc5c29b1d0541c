#include "featpool/kaldi-io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <memory>

#include "checked-math.h"
#include "featpool/error.h"
#include "featpool/output-file.h"
#include "locked-file.h"
#include "printable.h"
#include "std-descriptors.h"

namespace featpool {
namespace {

using internal::AddOverflows;
using internal::MulOverflows;

std::string Quote(const std::string& s) { return "'" + internal::Printable(s) + "'"; }

std::string PartialPathFor(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + name + ".partial";
}

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};
using FilePtr = std::unique_ptr<std::FILE, FileCloser>;

FilePtr OpenForReading(const std::string& path) {
  FilePtr file(std::fopen(path.c_str(), "rb"));
  if (!file) throw Error("cannot read " + Quote(path) + ": " + std::strerror(errno));
  return file;
}

int64_t FileSize(std::FILE* file) {
  struct stat st;
  if (fstat(fileno(file), &st) != 0) return 0;
  return static_cast<int64_t>(st.st_size);
}

// Messages about a record start with `where`: the quoted file and, where
// known, the record's key and offset.

// Kaldi base/io-funcs-inl.h ReadBasicType<int32>(binary): a size byte equal
// to sizeof(int32), then the value in little-endian order. Returns false at
// the end of the file.
bool ReadInt32(std::FILE* file, const std::string& where, int32_t* value) {
  unsigned char bytes[5];
  if (std::fread(bytes, 1, 5, file) != 5) return false;
  if (bytes[0] != 4) {
    throw Error(where + ": bad integer size byte " + std::to_string(bytes[0]) +
                " in a matrix header (expected 4)");
  }
  uint32_t v = static_cast<uint32_t>(bytes[1]) | static_cast<uint32_t>(bytes[2]) << 8 |
               static_cast<uint32_t>(bytes[3]) << 16 | static_cast<uint32_t>(bytes[4]) << 24;
  std::memcpy(value, &v, sizeof(v));
  return true;
}

enum class MatrixToken { kFloat, kDouble, kCompressed };

// Reads "\0B" and the "FM "/"DM " token, or the first three bytes of a
// compressed matrix's token; false at the end of the file.
bool ReadMatrixStart(std::FILE* file, const std::string& where, MatrixToken* token) {
  char start[5];
  if (std::fread(start, 1, 5, file) != 5) return false;
  if (start[0] != '\0' || start[1] != 'B') {
    throw Error(where +
                ": not a binary Kaldi object (no \"\\0B\" marker); text "
                "archives are not supported");
  }
  if (std::memcmp(start + 2, "FM ", 3) == 0) {
    *token = MatrixToken::kFloat;
  } else if (std::memcmp(start + 2, "DM ", 3) == 0) {
    *token = MatrixToken::kDouble;
  } else if (start[2] == 'C' && start[3] == 'M') {
    *token = MatrixToken::kCompressed;
  } else {
    throw Error(where + ": not a Kaldi float matrix (token " + Quote(std::string(start + 2, 3)) +
                ")");
  }
  return true;
}

// The number of data bytes of a rows x cols matrix of `item_size`-byte
// values, or Error if the header's sizes are invalid or overflow.
int64_t DataBytes(const std::string& where, int32_t rows, int32_t cols, int64_t item_size) {
  const std::string size = std::to_string(rows) + " x " + std::to_string(cols);
  if (rows < 0 || cols < 0 || (rows == 0) != (cols == 0)) {
    throw Error(where + ": bad matrix size " + size);
  }
  int64_t bytes = 0;
  if (MulOverflows(rows, cols, &bytes) || MulOverflows(bytes, item_size, &bytes)) {
    throw Error(where + ": matrix size " + size + " is too large");
  }
  return bytes;
}

// The token and header of the compressed matrix at `offset` + 2 (past
// "\0B"); false if the file ends inside them. Leaves the position past them.
bool ReadCompressedHeader(std::FILE* file, const std::string& where, int64_t offset,
                          CompressedMatrixHeader* header) {
  char bytes[kMaxCompressedHeaderBytes];
  if (std::fseek(file, offset + 2, SEEK_SET) != 0) return false;
  const size_t n = std::fread(bytes, 1, sizeof(bytes), file);
  try {
    if (!ReadCompressedMatrixHeader(bytes, n, header)) return false;
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  return std::fseek(file, offset + 2 + header->header_bytes, SEEK_SET) == 0;
}

}  // namespace

// Kaldi util/text-utils.cc IsToken()
void CheckKaldiKey(const std::string& key) {
  if (key.empty()) throw Error("invalid Kaldi key: empty utterance id");
  for (const char ch : key) {
    const unsigned char c = static_cast<unsigned char>(ch);
    const bool ascii = c < 128;
    if ((!std::isprint(c) || std::isspace(c)) && (ascii || c == 255)) {
      throw Error("invalid Kaldi key " + Quote(key) +
                  ": utterance ids must not contain whitespace or control characters");
    }
  }
}

void AppendKaldiTextMatrix(MatrixView matrix, std::string* out) {
  if (matrix.cols == 0 || matrix.rows == 0) {  // Kaldi's empty matrix is 0 x 0
    out->append(" [ ]\n");
    return;
  }
  out->append(" [");
  char number[32];
  for (int64_t r = 0; r < matrix.rows; ++r) {
    out->append("\n  ");
    const float* row = matrix.Row(r);
    for (int64_t c = 0; c < matrix.cols; ++c) {
      // std::ostream << float with precision 7 is printf's %.7g.
      const int n = std::snprintf(number, sizeof(number), "%.7g", static_cast<double>(row[c]));
      out->append(number, static_cast<size_t>(n));
      out->push_back(' ');
    }
  }
  out->append("]\n");
}

std::string KaldiMatrixHeader(int32_t rows, int32_t cols) {
  if (rows == 0 || cols == 0) rows = cols = 0;  // Kaldi writes an empty matrix as 0 x 0
  std::string header("\0BFM ", 5);
  for (int32_t value : {rows, cols}) {
    uint32_t v;
    std::memcpy(&v, &value, sizeof(v));
    header.push_back('\4');
    for (int shift = 0; shift < 32; shift += 8) {
      header.push_back(static_cast<char>((v >> shift) & 0xff));
    }
  }
  return header;
}

std::vector<KaldiArkRecord> ScanKaldiArk(const std::string& path, int64_t* valid_bytes) {
  FilePtr file = OpenForReading(path);
  const int64_t size = FileSize(file.get());
  std::vector<KaldiArkRecord> records;
  int64_t valid = 0;
  constexpr size_t kMaxKey = 1 << 16;
  while (true) {
    KaldiArkRecord record;
    int c;
    while ((c = std::fgetc(file.get())) != EOF && c != ' ' && record.key.size() < kMaxKey) {
      record.key.push_back(static_cast<char>(c));
    }
    if (c != ' ') {
      if (c != EOF) {
        throw Error(Quote(path) + ": record key at offset " + std::to_string(valid) +
                    " is longer than 64 KiB; not an archive");
      }
      break;
    }
    // A key Kaldi's writer would refuse (whitespace, control characters) is
    // not an archive record; kept by --resume it would break the script file.
    try {
      CheckKaldiKey(record.key);
    } catch (const Error& e) {
      throw Error(Quote(path) + ": record at offset " + std::to_string(valid) + ": " + e.what() +
                  "; not an archive");
    }
    record.offset = valid + static_cast<int64_t>(record.key.size()) + 1;
    const std::string where = Quote(path) + " record " + Quote(record.key) + " at offset " +
                              std::to_string(record.offset);
    MatrixToken token;
    if (!ReadMatrixStart(file.get(), where, &token)) break;
    if (token == MatrixToken::kCompressed) {
      CompressedMatrixHeader h;
      if (!ReadCompressedHeader(file.get(), where, record.offset, &h)) break;
      record.compressed = true;
      record.rows = h.rows;
      record.cols = h.cols;
      if (h.total_bytes > size - record.offset - 2) break;  // data cut short
      record.end = record.offset + 2 + h.total_bytes;
      if (std::fseek(file.get(), record.end, SEEK_SET) != 0) break;
      valid = record.end;
      records.push_back(std::move(record));
      continue;
    }
    if (token != MatrixToken::kFloat) {
      throw Error(where + ": a double matrix (DM); expected float (FM)");
    }
    if (!ReadInt32(file.get(), where, &record.rows) ||
        !ReadInt32(file.get(), where, &record.cols)) {
      break;
    }
    const int64_t bytes = DataBytes(where, record.rows, record.cols, 4);
    // A record whose data would end past the file is what a killed writer
    // leaves: the scan ends before it. (record.offset + 15 <= size here.)
    if (bytes > size - record.offset - 15) break;
    record.end = record.offset + 15 + bytes;
    if (std::fseek(file.get(), record.end, SEEK_SET) != 0) break;
    valid = record.end;
    records.push_back(std::move(record));
  }
  if (valid_bytes != nullptr) *valid_bytes = valid;
  return records;
}

Matrix ReadKaldiMatrix(const std::string& path, int64_t offset) {
  FilePtr file = OpenForReading(path);
  const int64_t size = FileSize(file.get());
  const std::string where = Quote(path + ":" + std::to_string(offset));
  if (offset < 0 || offset > size || std::fseek(file.get(), offset, SEEK_SET) != 0) {
    throw Error(where + ": offset outside the file (" + std::to_string(size) + " bytes)");
  }
  MatrixToken token;
  if (!ReadMatrixStart(file.get(), where, &token)) {
    throw Error(where + ": truncated matrix header");
  }
  if (token == MatrixToken::kCompressed) {
    CompressedMatrixHeader h;
    if (!ReadCompressedHeader(file.get(), where, offset, &h)) {
      throw Error(where + ": truncated compressed matrix header");
    }
    // The length comes from the header: check it against the file before
    // allocating.
    if (h.total_bytes > size - offset - 2) {
      throw Error(where + ": truncated compressed matrix data");
    }
    std::string bytes(static_cast<size_t>(h.total_bytes), '\0');
    if (std::fseek(file.get(), offset + 2, SEEK_SET) != 0 ||
        std::fread(&bytes[0], 1, bytes.size(), file.get()) != bytes.size()) {
      throw Error(where + ": truncated compressed matrix data");
    }
    try {
      return DecompressMatrix(bytes.data(), bytes.size());
    } catch (const Error& e) {
      throw Error(where + ": " + e.what());
    }
  }
  int32_t rows = 0;
  int32_t cols = 0;
  if (!ReadInt32(file.get(), where, &rows) || !ReadInt32(file.get(), where, &cols)) {
    throw Error(where + ": truncated matrix header");
  }
  const int64_t bytes = DataBytes(where, rows, cols, token == MatrixToken::kFloat ? 4 : 8);
  if (bytes > size - offset - 15) {
    throw Error(where + ": truncated matrix data (" + std::to_string(rows) + " x " +
                std::to_string(cols) + " needs " + std::to_string(bytes) + " bytes, " +
                std::to_string(size - offset - 15) + " left in the file)");
  }
  Matrix m(rows, cols);
  const size_t count = static_cast<size_t>(rows) * static_cast<size_t>(cols);
  if (token == MatrixToken::kFloat) {
    if (std::fread(m.data(), sizeof(float), count, file.get()) != count) {
      throw Error(where + ": truncated matrix data");
    }
  } else {
    std::vector<double> row(static_cast<size_t>(cols));
    for (int32_t r = 0; r < rows; ++r) {
      if (std::fread(row.data(), sizeof(double), row.size(), file.get()) != row.size()) {
        throw Error(where + ": truncated matrix data");
      }
      for (int32_t c = 0; c < cols; ++c) m(r, c) = static_cast<float>(row[c]);
    }
  }
  return m;
}

std::vector<ScpLine> ReadKaldiScp(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error("cannot read scp file " + Quote(path) + ": " + std::strerror(errno));
  std::vector<ScpLine> lines;
  std::string text;
  const char* space = " \t\r\n\v\f";
  for (int64_t number = 1; std::getline(in, text); ++number) {
    const size_t key_begin = text.find_first_not_of(space);
    if (key_begin == std::string::npos) continue;
    const size_t key_end = text.find_first_of(space, key_begin);
    const size_t value_begin =
        key_end == std::string::npos ? std::string::npos : text.find_first_not_of(space, key_end);
    if (value_begin == std::string::npos) {
      throw Error(Quote(path) + " line " + std::to_string(number) +
                  ": expected 'utterance-id path', got " + Quote(text));
    }
    const size_t value_end = text.find_last_not_of(space);
    lines.push_back({text.substr(key_begin, key_end - key_begin),
                     text.substr(value_begin, value_end - value_begin + 1), number});
  }
  if (in.bad()) throw Error("cannot read scp file " + Quote(path));
  return lines;
}

KaldiArkWriter::KaldiArkWriter(const std::string& ark_path, const std::string& scp_path)
    : ark_path_(ark_path), scp_path_(scp_path), to_stdout_(ark_path == "-") {
  if (ark_path_.empty()) throw Error("empty archive path");
  // An existing target that is not a regular file (/dev/null, a pipe) is
  // written straight through: renaming onto it would replace the device.
  struct stat st;
  stream_ = to_stdout_ || (stat(ark_path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode));
  if (to_stdout_ && !scp_path_.empty()) {
    throw Error("an scp needs the archive in a file: ark,scp:-," + scp_path_ +
                " is not supported (use ark:- alone, or a file name)");
  }
  if (!stream_) partial_path_ = PartialPathFor(ark_path_);
}

KaldiArkWriter::~KaldiArkWriter() {
  if (fd_ >= 0 && !to_stdout_) close(fd_);
}

void KaldiArkWriter::OpenPartial(bool truncate) {
  const std::string busy = Quote(ark_path_) + " is being written by another process (" +
                           Quote(partial_path_) + " is locked)";
  fd_ = internal::OpenLocked(partial_path_, busy);
  if (truncate) internal::TruncateLocked(fd_, 0, partial_path_);
  position_ = 0;
  scp_text_.clear();
}

void KaldiArkWriter::Open() {
  if (to_stdout_) {
    fd_ = STDOUT_FILENO;
  } else if (stream_) {
    fd_ = internal::AboveStandardDescriptors(open(ark_path_.c_str(), O_WRONLY | O_CLOEXEC));
    if (fd_ < 0) throw Error("cannot write " + Quote(ark_path_) + ": " + std::strerror(errno));
  } else {
    OpenPartial(true);
  }
}

std::vector<KaldiArkRecord> KaldiArkWriter::OpenForResume() {
  if (to_stdout_) throw Error("cannot resume an archive written to stdout (ark:-)");
  if (stream_) throw Error("cannot resume " + Quote(ark_path_) + ": not a regular file");
  OpenPartial(false);
  struct stat st;
  if (fstat(fd_, &st) == 0 && st.st_size == 0) {
    // No partial file left: start from a finished archive, if any.
    std::ifstream in(ark_path_, std::ios::binary);
    if (in) {
      std::vector<char> block(1 << 20);
      while (in.read(block.data(), static_cast<std::streamsize>(block.size())) || in.gcount() > 0) {
        WriteAll(block.data(), static_cast<size_t>(in.gcount()));
      }
    }
  }
  return ScanKaldiArk(partial_path_);
}

void KaldiArkWriter::KeepRecords(const std::vector<KaldiArkRecord>& records, size_t count) {
  if (count > records.size()) throw Error("KeepRecords: more records than found");
  const int64_t end = count == 0 ? 0 : records[count - 1].end;
  internal::TruncateLocked(fd_, end, partial_path_);
  position_ = end;
  scp_text_.clear();
  for (size_t i = 0; i < count; ++i) {
    scp_text_ += records[i].key + " " + ark_path_ + ":" + std::to_string(records[i].offset) + "\n";
  }
}

void KaldiArkWriter::WriteAll(const void* data, size_t bytes) {
  if (fd_ < 0) throw Error("archive " + Quote(ark_path_) + " is not open");
  const std::string reason = internal::WriteFully(fd_, data, bytes, &position_);
  if (reason.empty()) return;
  if (to_stdout_) throw Error("cannot write the archive to stdout: " + reason);
  if (stream_) throw Error("cannot write " + Quote(ark_path_) + ": " + reason);
  throw Error("cannot write " + Quote(ark_path_) + ": " + reason + " (the records written " +
              "so far are kept in " + Quote(partial_path_) + " for resuming the run)");
}

int64_t KaldiArkWriter::Write(const std::string& key, MatrixView matrix) {
  CheckKaldiKey(key);
  if (matrix.rows > std::numeric_limits<int32_t>::max() ||
      matrix.cols > std::numeric_limits<int32_t>::max()) {
    throw Error("matrix " + Quote(key) + " is too large for a Kaldi archive");
  }
  const int64_t offset = position_ + static_cast<int64_t>(key.size()) + 1;
  buffer_.assign(key);
  buffer_.push_back(' ');
  if (text_) {
    AppendKaldiTextMatrix(matrix, &buffer_);
    WriteAll(buffer_.data(), buffer_.size());
    if (!scp_path_.empty()) {
      scp_text_ += key + " " + ark_path_ + ":" + std::to_string(offset) + "\n";
    }
    return offset;
  }
  if (compress_) {
    buffer_.append("\0B", 2);
    try {
      AppendCompressedMatrix(matrix, method_, &buffer_);
    } catch (const Error& e) {
      throw Error("matrix " + Quote(key) + ": " + e.what());
    }
    WriteAll(buffer_.data(), buffer_.size());
    if (!scp_path_.empty()) {
      scp_text_ += key + " " + ark_path_ + ":" + std::to_string(offset) + "\n";
    }
    return offset;
  }
  buffer_ +=
      KaldiMatrixHeader(static_cast<int32_t>(matrix.rows), static_cast<int32_t>(matrix.cols));
  WriteAll(buffer_.data(), buffer_.size());
  if (matrix.rows > 0 && matrix.cols > 0) {
    WriteAll(matrix.data, static_cast<size_t>(matrix.rows * matrix.cols) * sizeof(float));
  }
  if (!scp_path_.empty()) scp_text_ += key + " " + ark_path_ + ":" + std::to_string(offset) + "\n";
  return offset;
}

void KaldiArkWriter::Commit() {
  if (to_stdout_) return;
  if (fd_ < 0) throw Error("archive " + Quote(ark_path_) + " is not open");
  if (!stream_ && std::rename(partial_path_.c_str(), ark_path_.c_str()) != 0) {
    throw Error("cannot rename onto " + Quote(ark_path_) + ": " + std::strerror(errno));
  }
  if (!scp_path_.empty()) {
    AtomicOutputFile scp(scp_path_);
    scp.Write(scp_text_.data(), scp_text_.size());
    scp.Commit();
  }
  close(fd_);
  fd_ = -1;
}

}  // namespace featpool
