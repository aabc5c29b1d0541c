// Kaldi binary archives of float matrices (ark) and their index (scp), as
// written by Kaldi's `copy-feats ark:- ark,scp:feats.ark,feats.scp` and read
// by Kaldi, kaldiio and lhotse.
//
// Layout of one archive record (Kaldi util/kaldi-holder-inl.h
// KaldiObjectHolder::Write, base/io-funcs-inl.h WriteBasicType,
// matrix/kaldi-matrix.cc Matrix::Write with binary = true):
//
//   key ' '                      the utterance id, then one space
//   '\0' 'B'                     binary-mode marker   <- the scp offset points here
//   'F' 'M' ' '                  token "FM": a float32 matrix
//   '\4' int32 rows              size byte 4, then little-endian int32
//   '\4' int32 cols
//   rows * cols float32          row-major, little-endian
//
// An scp line is "key ark-path:offset", the offset of the record's "\0B".
// An empty matrix is written as Kaldi does: rows = cols = 0.
//
// With compression (`copy-feats --compress=true`), "FM " and what follows it
// are replaced by a compressed matrix: token "CM ", "CM2 " or "CM3 " and its
// bytes (compressed-matrix.h). Readers here accept both kinds of record.
//
// Thread safety: one KaldiArkWriter per archive, used from one thread.
#ifndef FEATPOOL_KALDI_IO_H_
#define FEATPOOL_KALDI_IO_H_

#include <cstdint>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "featpool/compressed-matrix.h"
#include "featpool/matrix.h"

namespace featpool {

// Kaldi util/text-utils.cc IsToken(): non-empty, no whitespace and no
// non-printable ASCII. Throws Error naming the key otherwise.
void CheckKaldiKey(const std::string& key);

// The bytes between "key " and the matrix data: "\0BFM \4<rows>\4<cols>".
std::string KaldiMatrixHeader(int32_t rows, int32_t cols);

// Appends Kaldi's text form of a matrix (matrix/kaldi-matrix.cc
// MatrixBase::Write, text mode): " [\n  v v \n  v v ]\n", values as a stream
// with precision 7 prints them (base/io-funcs-inl.h InitKaldiOutputStream),
// " [ ]\n" for an empty matrix (Kaldi's is 0 x 0, as KaldiMatrixHeader
// writes it). What copy-feats ark,t: writes after "key ".
void AppendKaldiTextMatrix(MatrixView matrix, std::string* out);

// One complete record of an archive.
struct KaldiArkRecord {
  std::string key;
  int64_t offset = 0;  // of "\0B"
  int32_t rows = 0;
  int32_t cols = 0;
  int64_t end = 0;          // one past the last data byte
  bool compressed = false;  // a "CM"/"CM2"/"CM3" record
};

// Scans a binary archive of float matrices and returns its complete records
// in order. Stops quietly at the first record that is cut short (what a
// killed writer leaves); *valid_bytes (if given) receives the end of the last
// complete record. Throws Error naming the file if it cannot be opened, or if
// a record is neither a binary float matrix ("FM ") nor a compressed one.
std::vector<KaldiArkRecord> ScanKaldiArk(const std::string& path, int64_t* valid_bytes = nullptr);

// Reads the float matrix at `offset` ("\0B" position, as in an scp line):
// "FM", "DM" (converted to float) or compressed (decoded as Kaldi does).
Matrix ReadKaldiMatrix(const std::string& path, int64_t offset);

// A Kaldi script file: lines "key rest-of-line" (Kaldi util/kaldi-table.cc
// ReadScriptFile(): split at the first whitespace, the rest trimmed). Blank
// lines are skipped; a key without a value throws Error naming the line.
struct ScpLine {
  std::string key;
  std::string value;
  int64_t line_number = 0;
};
std::vector<ScpLine> ReadKaldiScp(const std::string& path);

// Writes an archive, and optionally its scp, record by record in call order.
//
// To a file: records go to a partial file "<dir>/.<name>.partial" (locked
// with flock(), so a second writer of the same archive fails at once instead
// of corrupting it) and become `ark_path` only on Commit(), which renames the
// archive into place and then writes the scp (temporary name, then rename).
// So an scp never points into an incomplete archive. Each record is handed
// to the kernel before Write() returns, so a killed process leaves whole
// records followed by at most one cut-short record, which Resume() discards.
//
// To stdout (`ark_path` "-"): records are written straight through; no scp.
// To an existing file that is not a regular file (/dev/null, a named pipe):
// written straight through too, never renamed onto; no resume.
class KaldiArkWriter {
 public:
  KaldiArkWriter(const std::string& ark_path, const std::string& scp_path);
  // Without Commit(), a file writer keeps its partial file (for Resume()) but
  // releases the lock.
  ~KaldiArkWriter();
  KaldiArkWriter(const KaldiArkWriter&) = delete;
  KaldiArkWriter& operator=(const KaldiArkWriter&) = delete;

  // Opens for writing, discarding any earlier partial file. Throws Error.
  void Open();
  // Opens, keeping the complete records of an earlier partial file (or, if
  // there is none, of a finished `ark_path`), and returns them. Follow with
  // KeepRecords().
  std::vector<KaldiArkRecord> OpenForResume();
  // Keeps the first `count` records returned by OpenForResume() (their scp
  // lines are kept too) and drops everything after them.
  void KeepRecords(const std::vector<KaldiArkRecord>& records, size_t count);

  // Every later record is compressed with `method`, as Kaldi's
  // `copy-feats --compress=true --compression-method=N` writes it.
  // Every later record is written in Kaldi's text form (ark,t:), as
  // copy-feats ark,t: writes it; scp offsets point after "key ", as Kaldi's.
  void SetText() { text_ = true; }

  void SetCompression(CompressionMethod method) {
    compress_ = true;
    method_ = method;
  }

  // Appends one record; returns the offset of its "\0B". Throws Error for an
  // invalid key, a matrix that cannot be compressed, or a write error.
  int64_t Write(const std::string& key, MatrixView matrix);
  // Finalises: rename the archive into place, then write the scp.
  void Commit();

  const std::string& ark_path() const { return ark_path_; }
  const std::string& partial_path() const { return partial_path_; }

 private:
  void OpenPartial(bool truncate);
  void WriteAll(const void* data, size_t bytes);

  std::string ark_path_;
  std::string scp_path_;
  std::string partial_path_;
  int fd_ = -1;
  bool to_stdout_ = false;
  bool stream_ = false;  // stdout or a non-regular file: no partial file
  int64_t position_ = 0;
  std::string scp_text_;  // "key ark:offset\n" per record so far
  std::string buffer_;    // one record's header (compressed: the whole record)
  bool compress_ = false;
  bool text_ = false;
  CompressionMethod method_ = CompressionMethod::kAuto;
};

}  // namespace featpool

#endif  // FEATPOOL_KALDI_IO_H_
