#include "locked-file.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "featpool/error.h"
#include "printable.h"
#include "std-descriptors.h"

namespace featpool {
namespace internal {
namespace {

std::string Quote(const std::string& s) { return "'" + Printable(s) + "'"; }

}  // namespace

int OpenLocked(const std::string& path, const std::string& busy) {
  const int fd = AboveStandardDescriptors(open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (fd < 0) throw Error("cannot write " + Quote(path) + ": " + std::strerror(errno));
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    close(fd);
    if (err == EWOULDBLOCK) throw Error(busy);
    throw Error("cannot lock " + Quote(path) + ": " + std::strerror(err));
  }
  return fd;
}

void TruncateLocked(int fd, int64_t size, const std::string& path) {
  if (ftruncate(fd, size) != 0 || lseek(fd, size, SEEK_SET) != size) {
    throw Error("cannot truncate " + Quote(path) + ": " + std::strerror(errno));
  }
}

std::string WriteFully(int fd, const void* data, size_t bytes, int64_t* written) {
  const char* p = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t n = write(fd, p, bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) return "write returned 0";
    if (n < 0) return std::strerror(errno);
    p += n;
    bytes -= static_cast<size_t>(n);
    if (written != nullptr) *written += n;
  }
  return "";
}

}  // namespace internal
}  // namespace featpool
