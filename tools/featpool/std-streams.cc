#include "featpool/std-streams.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

#include "featpool/error.h"

namespace featpool {
namespace cli {
namespace {

std::string& StdoutProblemText() {
  static std::string text;
  return text;
}

}  // namespace

void PrepareStandardStreams() {
  std::signal(SIGXFSZ, SIG_IGN);
  for (int fd = 0; fd <= 2; ++fd) {
    const int flags = fcntl(fd, F_GETFL);
    if (flags < 0 && errno == EBADF) {
      if (fd == STDOUT_FILENO) StdoutProblemText() = "standard output is closed";
      // open() returns the lowest free descriptor: this one, as the ones
      // below it are open by now.
      const int null = open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY);
      if (null >= 0 && null != fd) {
        dup2(null, fd);
        close(null);
      }
    } else if (fd == STDOUT_FILENO && (flags & O_ACCMODE) == O_RDONLY) {
      StdoutProblemText() = "standard output is not open for writing";
    }
  }
}

const std::string& StdoutProblem() { return StdoutProblemText(); }

void CheckStdoutFor(const std::string& path, const std::string& what) {
  if (StdoutProblem().empty()) return;
  if (path == "/dev/stdout" || path == "/dev/fd/1" || path == "/proc/self/fd/1") {
    throw Error(what + ": " + StdoutProblem());
  }
}

void CheckStdout(const std::string& what) {
  if (!StdoutProblem().empty()) throw Error(what + ": " + StdoutProblem());
}

namespace {

constexpr int kCaught[3] = {SIGINT, SIGTERM, SIGHUP};
std::atomic<int> caught_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "used from a signal handler");

extern "C" void OnInterrupt(int signal) {
  int none = 0;
  if (!caught_signal.compare_exchange_strong(none, signal)) {
    // A second signal: die now, as without the catcher (a killed run's
    // temporary files are removed by the next run on the same output).
    std::signal(signal, SIG_DFL);
    std::raise(signal);
  }
}

sigset_t CaughtSet() {
  sigset_t set;
  sigemptyset(&set);
  for (const int s : kCaught) sigaddset(&set, s);
  return set;
}

}  // namespace

SignalsHeldBack::SignalsHeldBack() {
  const sigset_t set = CaughtSet();
  pthread_sigmask(SIG_BLOCK, &set, &old_);
}

SignalsHeldBack::~SignalsHeldBack() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

InterruptCatcher::InterruptCatcher() {
  caught_signal.store(0);
  struct sigaction action;
  std::memset(&action, 0, sizeof(action));
  action.sa_handler = OnInterrupt;
  action.sa_flags = SA_RESTART;
  sigemptyset(&action.sa_mask);
  for (int i = 0; i < 3; ++i) {
    sigaction(kCaught[i], nullptr, &old_[i]);
    // An ignored signal stays ignored (nohup; SIGINT in a background job).
    if (old_[i].sa_handler != SIG_IGN) sigaction(kCaught[i], &action, nullptr);
  }
}

InterruptCatcher::~InterruptCatcher() {
  for (int i = 0; i < 3; ++i) sigaction(kCaught[i], &old_[i], nullptr);
  const int signal = caught_signal.exchange(0);
  // Not while an error unwinds: it is reported (and exits non-zero) instead.
  if (signal != 0 && std::uncaught_exceptions() == 0) Die(signal);
}

void InterruptCatcher::Die(int signal) {
  std::fflush(stderr);
  std::signal(signal, SIG_DFL);
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, signal);
  pthread_sigmask(SIG_UNBLOCK, &set, nullptr);
  std::raise(signal);
  std::_Exit(128 + signal);
}

int InterruptCatcher::Interrupted() { return caught_signal.load(); }

const char* InterruptCatcher::Name(int signal) {
  switch (signal) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    case SIGHUP:
      return "SIGHUP";
    default:
      return "a signal";
  }
}

}  // namespace cli
}  // namespace featpool
