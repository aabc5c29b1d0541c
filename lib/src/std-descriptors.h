// Keeping files off descriptors 0, 1 and 2: with a standard descriptor
// closed, open() returns it, and whatever the process writes to stdout would
// land in the file (or the file's contents on a terminal).
#ifndef FEATPOOL_SRC_STD_DESCRIPTORS_H_
#define FEATPOOL_SRC_STD_DESCRIPTORS_H_

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace featpool {
namespace internal {

// A descriptor that is not 0, 1 or 2. Closes `fd`; returns the new one, or
// -1 with errno set (an fd < 0 is returned as it is).
inline int AboveStandardDescriptors(int fd) {
  if (fd < 0 || fd > 2) return fd;
  const int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  const int err = errno;
  close(fd);
  errno = err;
  return moved;
}

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_STD_DESCRIPTORS_H_
