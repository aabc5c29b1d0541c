// Runs work(i) for i in [0, n) on worker threads and hands the results to a
// sink on the calling thread strictly in index order, so output order never
// depends on the number of threads or on timing.
//
// Memory: at most `window` results exist at once (being computed, or done
// and waiting for the sink), so a slow item stalls the workers after
// `window` items instead of letting finished results pile up.
#ifndef FEATPOOL_SRC_WORKER_POOL_H_
#define FEATPOOL_SRC_WORKER_POOL_H_

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace featpool {
namespace internal {

// Number of CPUs this process may run on (sched_getaffinity, so a Slurm or
// taskset CPU set is respected); at least 1.
int DefaultThreadCount();

template <typename Result>
class OrderedWorkerPool {
 public:
  // work(index, worker): computes item `index` on worker thread `worker`
  // (0 <= worker < threads, for per-thread state). It should catch the
  // errors it wants to report as results; anything it throws stops the run
  // and is rethrown by Run().
  using Work = std::function<Result(size_t index, int worker)>;
  // sink(index, result): called on Run()'s thread in index order; returns
  // false to stop (items in progress finish and are dropped).
  using Sink = std::function<bool(size_t index, Result& result)>;
  // tick(): called on Run()'s thread about every `tick_interval` while it
  // waits (progress display).
  using Tick = std::function<void()>;

  OrderedWorkerPool(int threads, size_t window)
      : threads_(std::max(threads, 1)),
        window_(std::max<size_t>(window, static_cast<size_t>(std::max(threads, 1)))) {}

  // Returns the number of items passed to the sink.
  size_t Run(size_t n, const Work& work, const Sink& sink, const Tick& tick,
             std::chrono::milliseconds tick_interval) {
    n_ = n;
    slots_.assign(std::min(window_, std::max<size_t>(n, 1)), std::nullopt);
    window_ = slots_.size();
    std::vector<std::thread> workers;
    for (int w = 0; w < threads_ && static_cast<size_t>(w) < n; ++w) {
      workers.emplace_back([this, &work, w] { WorkerLoop(work, w); });
    }
    size_t delivered = 0;
    std::exception_ptr sink_error;
    try {
      delivered = Deliver(sink, tick, tick_interval);
    } catch (...) {
      sink_error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stop_ = true;
    }
    can_claim_.notify_all();
    for (std::thread& t : workers) t.join();
    if (sink_error) std::rethrow_exception(sink_error);
    if (work_error_) std::rethrow_exception(work_error_);
    return delivered;
  }

 private:
  void WorkerLoop(const Work& work, int worker) {
    while (true) {
      size_t index;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        can_claim_.wait(
            lock, [&] { return stop_ || next_claim_ >= n_ || next_claim_ < next_sink_ + window_; });
        if (stop_ || next_claim_ >= n_) return;
        index = next_claim_++;
      }
      std::optional<Result> result;
      try {
        result.emplace(work(index, worker));
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!work_error_) work_error_ = std::current_exception();
        stop_ = true;
        done_.notify_all();
        can_claim_.notify_all();
        return;
      }
      {
        std::lock_guard<std::mutex> lock(mutex_);
        slots_[index % window_] = std::move(result);
      }
      done_.notify_all();
    }
  }

  size_t Deliver(const Sink& sink, const Tick& tick, std::chrono::milliseconds tick_interval) {
    size_t next = 0;
    while (next < n_) {
      std::optional<Result> result;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        auto ready = [&] { return stop_ || slots_[next % window_].has_value(); };
        if (!done_.wait_for(lock, tick_interval, ready)) {
          lock.unlock();
          if (tick) tick();
          continue;
        }
        if (!slots_[next % window_].has_value()) return next;  // a worker failed
        result = std::move(slots_[next % window_]);
        slots_[next % window_].reset();
        next_sink_ = next + 1;
      }
      can_claim_.notify_all();
      const bool go_on = sink(next, *result);
      ++next;
      if (!go_on) break;
    }
    return next;
  }

  const int threads_;
  size_t window_;
  size_t n_ = 0;
  std::mutex mutex_;
  std::condition_variable can_claim_;
  std::condition_variable done_;
  std::vector<std::optional<Result>> slots_;
  size_t next_claim_ = 0;
  size_t next_sink_ = 0;
  bool stop_ = false;
  std::exception_ptr work_error_;
};

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_WORKER_POOL_H_
