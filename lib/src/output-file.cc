#include "featpool/output-file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

#include "featpool/error.h"

namespace featpool {
namespace {

std::string TempPathFor(const std::string& path) {
  static std::atomic<int64_t> counter{0};
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + name + ".tmp." + std::to_string(getpid()) + "." +
         std::to_string(counter.fetch_add(1));
}

}  // namespace

AtomicOutputFile::AtomicOutputFile(const std::string& path)
    : path_(path), temp_path_(TempPathFor(path)) {
  // An existing target that is not a regular file (/dev/null, /dev/stdout, a
  // pipe) is written in place: renaming onto it would replace the device.
  struct stat st;
  if (stat(path_.c_str(), &st) == 0 && !S_ISREG(st.st_mode)) temp_path_ = path_;
  file_ = std::fopen(temp_path_.c_str(), "wb");
  if (file_ == nullptr) {
    throw Error("cannot write '" + path_ + "': " + std::strerror(errno));
  }
  can_rewrite_ = fstat(fileno(file_), &st) == 0 && S_ISREG(st.st_mode);
}

AtomicOutputFile::~AtomicOutputFile() {
  if (file_ != nullptr) std::fclose(file_);
  if (!committed_ && temp_path_ != path_) std::remove(temp_path_.c_str());
}

void AtomicOutputFile::Write(const void* data, size_t bytes) {
  if (bytes == 0) return;
  if (std::fwrite(data, 1, bytes, file_) != bytes) {
    throw Error("cannot write '" + path_ + "': " + std::strerror(errno));
  }
  written_ += static_cast<int64_t>(bytes);
}

void AtomicOutputFile::Rewrite(int64_t offset, const void* data, size_t bytes) {
  if (!can_rewrite_ || file_ == nullptr || offset < 0 ||
      offset + static_cast<int64_t>(bytes) > written_) {
    throw Error("cannot rewrite bytes of '" + path_ + "': not a regular file, or not written yet");
  }
  if (fseeko(file_, static_cast<off_t>(offset), SEEK_SET) != 0 ||
      std::fwrite(data, 1, bytes, file_) != bytes || fseeko(file_, 0, SEEK_END) != 0) {
    throw Error("cannot write '" + path_ + "': " + std::strerror(errno));
  }
}

void AtomicOutputFile::Commit() {
  // A full disk or a file-size limit (EFBIG, with SIGXFSZ ignored) may
  // show only here, when the buffer goes out.
  int err = std::fflush(file_) == 0 ? 0 : errno;
  if (std::fclose(file_) != 0 && err == 0) err = errno;
  file_ = nullptr;
  if (err != 0) throw Error("cannot write '" + path_ + "': " + std::strerror(err));
  if (temp_path_ != path_ && std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    throw Error("cannot rename onto '" + path_ + "': " + std::strerror(errno));
  }
  committed_ = true;
}

}  // namespace featpool
