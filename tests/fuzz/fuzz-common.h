// Shared by the libFuzzer harnesses in tests/fuzz (see CMakeLists.txt there
// and tools/fuzz.sh): a reader that turns the fuzzer's bytes into bounded
// numbers, and scratch files for the readers that take a path.
#ifndef FEATPOOL_TESTS_FUZZ_COMMON_H_
#define FEATPOOL_TESTS_FUZZ_COMMON_H_

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

namespace featpool_fuzz {

// Takes values from the front of the input; past its end every value is 0.
class Bytes {
 public:
  Bytes(const uint8_t* data, size_t size) : data_(data), size_(size) {}
  uint8_t Byte() { return pos_ < size_ ? data_[pos_++] : 0; }
  // A value in [lo, hi].
  int64_t Int(int64_t lo, int64_t hi) {
    uint32_t v = Byte();
    if (hi - lo > 255) v = v << 8 | Byte();
    return lo + static_cast<int64_t>(v % static_cast<uint64_t>(hi - lo + 1));
  }
  bool Bool() { return Byte() & 1; }
  size_t Left() const { return size_ - pos_; }
  const uint8_t* Rest() const { return data_ + pos_; }

 private:
  const uint8_t* data_;
  size_t size_;
  size_t pos_ = 0;
};

// A scratch directory of this process ($TMPDIR, else /tmp), made once and
// removed at exit.
inline const std::string& ScratchDir() {
  static const std::string dir = [] {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp && *tmp ? tmp : "/tmp") + "/featpool-fuzz-XXXXXX";
    if (mkdtemp(&pattern[0]) == nullptr) {
      std::perror("featpool fuzz: mkdtemp");
      std::abort();
    }
    return pattern;
  }();
  static const bool cleanup = [] {
    std::atexit([] {
      std::error_code ignored;
      std::filesystem::remove_all(dir, ignored);
    });
    return true;
  }();
  (void)cleanup;
  return dir;
}

// Writes `size` bytes to ScratchDir()/name, replacing it; returns the path.
inline std::string WriteScratch(const std::string& name, const void* data, size_t size) {
  const std::string path = ScratchDir() + "/" + name;
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr || (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fclose(f) != 0) {
    std::perror(("featpool fuzz: " + path).c_str());
    std::abort();
  }
  return path;
}

// A broken invariant: libFuzzer records the input as a crash.
[[noreturn]] inline void Fail(const char* what) {
  std::fprintf(stderr, "featpool fuzz: %s\n", what);
  std::abort();
}

}  // namespace featpool_fuzz

#endif  // FEATPOOL_TESTS_FUZZ_COMMON_H_
