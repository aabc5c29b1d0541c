#include "featpool/pipe-command.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <vector>

#include "featpool/error.h"
#include "featpool/options.h"
#include "printable.h"

extern char** environ;

namespace featpool {
namespace {

std::string Quote(const std::string& s) { return "'" + internal::Printable(s) + "'"; }

// The last non-empty line of the command's standard error, for the message.
std::string LastLine(const std::string& text) {
  size_t end = text.find_last_not_of("\r\n \t");
  if (end == std::string::npos) return "";
  const size_t begin = text.find_last_of('\n', end);
  const std::string line = text.substr(begin == std::string::npos ? 0 : begin + 1,
                                       end + 1 - (begin == std::string::npos ? 0 : begin + 1));
  return internal::Printable(line.size() > 300 ? line.substr(0, 300) + "..." : line);
}

class Fd {
 public:
  Fd() = default;
  ~Fd() { Close(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int Release() {
    const int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void Reset(int fd) {
    Close();
    fd_ = fd;
  }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Spawned {
  pid_t pid = -1;
  Fd out;
  Fd err;
};

void Spawn(const std::string& command, Spawned* child) {
  int out_pipe[2];
  int err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) {
    throw Error("cannot run " + Quote(command) + ": pipe: " + std::strerror(errno));
  }
  Fd out_read, out_write, err_read, err_write;
  out_read.Reset(out_pipe[0]);
  out_write.Reset(out_pipe[1]);
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    throw Error("cannot run " + Quote(command) + ": pipe: " + std::strerror(errno));
  }
  err_read.Reset(err_pipe[0]);
  err_write.Reset(err_pipe[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.get(), 2);
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  // A process group of its own, so that a timeout kills the whole pipeline
  // the shell starts; default signal dispositions and an empty mask, whatever
  // the caller blocks or ignores (SIGPIPE must end a writer whose reader is
  // gone).
  sigset_t none, defaults;
  sigemptyset(&none);
  sigemptyset(&defaults);
  for (int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) sigaddset(&defaults, s);
  posix_spawnattr_setpgroup(&attr, 0);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  const std::string shell = "/bin/sh";
  std::vector<char*> argv = {const_cast<char*>("sh"), const_cast<char*>("-c"),
                             const_cast<char*>(command.c_str()), nullptr};
  const int rc = posix_spawn(&child->pid, shell.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0) throw Error("cannot run " + Quote(command) + ": " + std::strerror(rc));
  child->out.Reset(out_read.Release());
  child->err.Reset(err_read.Release());
}

}  // namespace

void PipeOptions::Validate() const {
  if (!(timeout_seconds >= 0) || !std::isfinite(timeout_seconds)) {
    throw OptionError("pipe_timeout", DoubleText(timeout_seconds),
                      "expected seconds >= 0 (0: no limit)");
  }
  if (max_bytes < 1) {
    throw OptionError("pipe_max_bytes", std::to_string(max_bytes), "expected >= 1");
  }
}

std::string RunPipeCommand(const std::string& command, const PipeOptions& opts) {
  opts.Validate();
  Spawned child;
  Spawn(command, &child);
  using Clock = std::chrono::steady_clock;
  const auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(opts.timeout_seconds));
  std::string out;
  std::string err;
  std::string failure;
  std::string failure_key;  // the limit that stopped it
  std::vector<char> block(1 << 16);
  while (child.out.get() >= 0 || child.err.get() >= 0) {
    int wait_ms = -1;
    if (opts.timeout_seconds > 0) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) {
        failure = "did not finish within " + DoubleText(opts.timeout_seconds) + " s; killed";
        failure_key = "pipe_timeout";
        break;
      }
      wait_ms = static_cast<int>(std::min<int64_t>(left.count() + 1, 1000000));
    }
    pollfd fds[2];
    nfds_t count = 0;
    for (Fd* fd : {&child.out, &child.err}) {
      if (fd->get() >= 0) fds[count++] = {fd->get(), POLLIN, 0};
    }
    const int ready = poll(fds, count, wait_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      failure = std::string("poll: ") + std::strerror(errno);
      break;
    }
    for (nfds_t i = 0; i < count; ++i) {
      if (fds[i].revents == 0) continue;
      Fd* fd = fds[i].fd == child.out.get() ? &child.out : &child.err;
      const ssize_t n = read(fd->get(), block.data(), block.size());
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {
        fd->Close();
        continue;
      }
      if (fd == &child.out) {
        // Checked before the buffer grows, so a runaway command cannot make
        // it larger than the cap.
        if (static_cast<int64_t>(out.size()) + n > opts.max_bytes) {
          failure = "wrote more than " + std::to_string(opts.max_bytes) + " bytes; killed";
          failure_key = "pipe_max_bytes";
          break;
        }
        out.append(block.data(), static_cast<size_t>(n));
      } else {
        err.append(block.data(), static_cast<size_t>(n));
        if (err.size() > 8192) err.erase(0, err.size() - 4096);
      }
    }
    if (!failure.empty()) break;
  }
  if (!failure.empty()) kill(-child.pid, SIGKILL);
  child.out.Close();
  child.err.Close();
  int status = 0;
  while (waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  const std::string stderr_line = LastLine(err);
  const std::string said = stderr_line.empty() ? "" : " (it said: " + stderr_line + ")";
  // A limit's failure is an OptionError, so each frontend names the option
  // its way ("--pipe-timeout=0.5: command 'sleep 60' did not finish ...").
  if (failure_key == "pipe_timeout") {
    throw OptionError(failure_key, DoubleText(opts.timeout_seconds),
                      "command " + Quote(command) + " " + failure);
  }
  if (failure_key == "pipe_max_bytes") {
    throw OptionError(failure_key, std::to_string(opts.max_bytes),
                      "command " + Quote(command) + " " + failure);
  }
  if (!failure.empty()) throw Error("command " + Quote(command) + " " + failure);
  if (WIFSIGNALED(status)) {
    throw Error("command " + Quote(command) + " was killed by signal " +
                std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")" + said);
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    throw Error("command " + Quote(command) + " exited with status " +
                std::to_string(WEXITSTATUS(status)) + said);
  }
  if (out.empty()) throw Error("command " + Quote(command) + " wrote no audio" + said);
  return out;
}

}  // namespace featpool
