// Writes a file under a temporary name in the same directory and renames it
// into place on Commit(), so a crash, a kill or an error never leaves a
// half-written output under the final name.
//
// Thread safety: one object per file; distinct objects may be used from
// different threads.
#ifndef FEATPOOL_OUTPUT_FILE_H_
#define FEATPOOL_OUTPUT_FILE_H_

#include <cstdint>
#include <cstdio>
#include <string>

namespace featpool {

class AtomicOutputFile {
 public:
  // Opens "<dir>/.<name>.tmp.<pid>.<n>" for writing; throws Error naming `path`.
  explicit AtomicOutputFile(const std::string& path);
  // Removes the temporary file unless Commit() succeeded.
  ~AtomicOutputFile();
  AtomicOutputFile(const AtomicOutputFile&) = delete;
  AtomicOutputFile& operator=(const AtomicOutputFile&) = delete;

  void Write(const void* data, size_t bytes);
  // Bytes written so far (the offset of the next write).
  int64_t Tell() const { return written_; }
  // Whether Rewrite() works: the file being written is a regular file (not
  // a pipe or device written in place).
  bool CanRewrite() const { return can_rewrite_; }
  // Overwrites bytes [offset, offset + bytes) already written (e.g. a header
  // whose counts are known only at the end); later writes still append.
  // Throws Error if !CanRewrite() or the range was not written yet.
  void Rewrite(int64_t offset, const void* data, size_t bytes);
  // Flushes, closes and renames onto the final path.
  void Commit();

  const std::string& path() const { return path_; }

 private:
  std::string path_;
  std::string temp_path_;
  std::FILE* file_ = nullptr;
  int64_t written_ = 0;
  bool can_rewrite_ = false;
  bool committed_ = false;
};

}  // namespace featpool

#endif  // FEATPOOL_OUTPUT_FILE_H_
