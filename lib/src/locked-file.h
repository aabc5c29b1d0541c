// The one lock that keeps a second run off a run's files: a partial archive
// (KaldiArkWriter) and a manifest journal (ManifestJournal) are both opened
// with OpenLocked(), an exclusive flock() taken without waiting and held
// until the descriptor is closed (also by a kill), so a second run on the
// same output stops at once with a message instead of interleaving records.
#ifndef FEATPOOL_SRC_LOCKED_FILE_H_
#define FEATPOOL_SRC_LOCKED_FILE_H_

#include <cstddef>
#include <cstdint>
#include <string>

namespace featpool {
namespace internal {

// Opens `path` for reading and writing (created 0644 if missing, above the
// standard descriptors, close-on-exec) and locks it. Throws Error("cannot
// write 'PATH': ..."), Error(busy) if another process holds the lock, or
// Error("cannot lock 'PATH': ...").
int OpenLocked(const std::string& path, const std::string& busy);

// Truncates to `size` bytes and moves the offset there. Throws
// Error("cannot truncate 'PATH': ...").
void TruncateLocked(int fd, int64_t size, const std::string& path);

// Writes all of `data`, retrying after EINTR; adds what was written to
// *written (if given). Returns "" or why it stopped (strerror, or "write
// returned 0").
std::string WriteFully(int fd, const void* data, size_t bytes, int64_t* written = nullptr);

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_LOCKED_FILE_H_
