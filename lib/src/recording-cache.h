// The recordings that segments are cut from, each decoded once for all its
// segments (Kaldi's extract-segments reads a recording once for a run of
// segments; featpool also shares it between worker threads). A recording is
// decoded by the first worker that needs it, the others wait for it, and it
// is dropped when its last segment has taken its cut.
//
// Thread safety: every member may be called from any thread.
#ifndef FEATPOOL_SRC_RECORDING_CACHE_H_
#define FEATPOOL_SRC_RECORDING_CACHE_H_

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "featpool/audio-source.h"
#include "featpool/error.h"

namespace featpool {
namespace internal {

class RecordingCache {
 public:
  using Decoder = std::function<std::shared_ptr<const DecodedAudio>()>;

  // Before the run: one call per segment that will Acquire(key) and Release(key).
  void Expect(const std::string& key) { ++entries_[key].pending; }

  // The recording `key`, decoded by `decode` if no one has yet; a decoding
  // error is kept and thrown to every segment of the recording.
  std::shared_ptr<const DecodedAudio> Acquire(const std::string& key, const Decoder& decode) {
    std::unique_lock<std::mutex> lock(mutex_);
    Entry& e = entries_[key];
    if (e.state == State::kNew) {
      e.state = State::kDecoding;
      lock.unlock();
      std::shared_ptr<const DecodedAudio> audio;
      std::exception_ptr error;
      try {
        audio = decode();
      } catch (const std::bad_alloc&) {
        error = std::make_exception_ptr(Error("out of memory while decoding it"));
      } catch (const OptionError&) {  // kept as it is, for the frontend to spell
        error = std::current_exception();
      } catch (const std::exception& ex) {
        error = std::make_exception_ptr(Error(ex.what()));
      }
      lock.lock();
      e.audio = audio;
      e.error = error;
      e.state = State::kDone;
      ++decoded_;
      done_.notify_all();
    }
    done_.wait(lock, [&] { return e.state == State::kDone; });
    if (e.error) std::rethrow_exception(e.error);
    return e.audio;
  }

  // A segment of `key` is done with it (also when it failed or was skipped).
  void Release(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = entries_.find(key);
    if (it == entries_.end()) return;
    if (--it->second.pending <= 0) it->second.audio.reset();
  }

  // How many recordings were decoded (for the summary).
  int64_t decoded() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return decoded_;
  }

 private:
  enum class State { kNew, kDecoding, kDone };
  struct Entry {
    State state = State::kNew;
    int64_t pending = 0;
    std::shared_ptr<const DecodedAudio> audio;
    std::exception_ptr error;
  };
  mutable std::mutex mutex_;
  std::condition_variable done_;
  std::map<std::string, Entry> entries_;  // std::map: references stay valid
  int64_t decoded_ = 0;
};

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_RECORDING_CACHE_H_
