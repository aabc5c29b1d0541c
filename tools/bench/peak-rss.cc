// featpool-peak-rss REPORT COMMAND [ARGS...]: runs COMMAND and writes one
// JSON line to the file REPORT (or to stderr for "-"):
//   {"peak_rss_kib": P, "wall_seconds": W, "cpu_seconds": C, "status": S}
// P is the command's peak resident set (wait4()'s ru_maxrss), W and C its
// wall and CPU time, S its exit status (128 + signal when killed); the exit
// status of featpool-peak-rss is S too. Like `/usr/bin/time -f %M`.
//
// Why a program of its own: Linux's ru_maxrss of a process includes the
// peak of whatever memory image it replaced at exec(), i.e. of the process
// that forked it. A benchmark that spawned the command directly would report
// its own (large) peak; this small program forks the command instead.
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: featpool-peak-rss REPORT COMMAND [ARGS...]\n");
    return 2;
  }
  const auto start = std::chrono::steady_clock::now();
  const pid_t pid = fork();
  if (pid < 0) {
    std::perror("featpool-peak-rss: fork");
    return 2;
  }
  if (pid == 0) {
    execvp(argv[2], argv + 2);
    std::fprintf(stderr, "featpool-peak-rss: cannot run %s: %s\n", argv[2], std::strerror(errno));
    _exit(127);
  }
  int wstatus = 0;
  struct rusage usage;
  while (wait4(pid, &wstatus, 0, &usage) < 0) {
    if (errno != EINTR) {
      std::perror("featpool-peak-rss: wait4");
      return 2;
    }
  }
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                     1e-6 * static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec);
  const int status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
  const bool to_stderr = std::strcmp(argv[1], "-") == 0;
  std::FILE* report = to_stderr ? stderr : std::fopen(argv[1], "w");
  if (report == nullptr) {
    std::fprintf(stderr, "featpool-peak-rss: cannot write %s\n", argv[1]);
    return 2;
  }
  std::fprintf(report,
               "{\"peak_rss_kib\": %ld, \"wall_seconds\": %.3f, \"cpu_seconds\": %.3f, "
               "\"status\": %d}\n",
               usage.ru_maxrss, wall, cpu, status);
  if (!to_stderr) std::fclose(report);
  return status;
}
