// The process's standard descriptors and signals, set up once at startup by
// Main(): a closed stdin, stdout or stderr is replaced by /dev/null so no
// later open() (a journal, an archive) can land on descriptor 0, 1 or 2 and
// receive what was meant for them; whether stdout was usable is remembered
// so that output to stdout (-o ark:-) is refused instead of vanishing.
#ifndef FEATPOOL_TOOLS_STD_STREAMS_H_
#define FEATPOOL_TOOLS_STD_STREAMS_H_

#include <signal.h>

#include <string>

namespace featpool {
namespace cli {

// Opens /dev/null on each closed descriptor 0, 1, 2, and ignores SIGXFSZ, so
// that a file-size limit (ulimit -f) makes write() fail with EFBIG ("File
// too large"), reported and cleaned up, instead of killing the process and
// leaving temporary files.
void PrepareStandardStreams();

// Why standard output cannot take data ("standard output is closed", "...
// is not open for writing"), or "" if it can.
const std::string& StdoutProblem();

// Throws Error("<what>: standard output is closed") if `path` names standard
// output (/dev/stdout, /dev/fd/1, /proc/self/fd/1) and StdoutProblem().
void CheckStdoutFor(const std::string& path, const std::string& what);

// Throws Error("<what>: standard output is closed") if StdoutProblem().
void CheckStdout(const std::string& what);

// While one exists, SIGINT, SIGTERM and SIGHUP are held back (blocked on the
// calling thread); a signal that came meanwhile is delivered when it is
// destroyed. Around a short write whose temporary file must not outlive a
// kill (a single .npy). Single-threaded use.
class SignalsHeldBack {
 public:
  SignalsHeldBack();
  ~SignalsHeldBack();
  SignalsHeldBack(const SignalsHeldBack&) = delete;
  SignalsHeldBack& operator=(const SignalsHeldBack&) = delete;

 private:
  sigset_t old_;
};

// While one exists, SIGINT, SIGTERM and SIGHUP only set a flag (a second
// one kills as usual): a batch run polls Interrupted(), stops taking work,
// lets the files being written finish, leaves a resumable state and calls
// Die(). When it is destroyed the old handlers come back and a signal that
// came meanwhile is raised again (not while an exception unwinds: the error
// is reported instead).
class InterruptCatcher {
 public:
  InterruptCatcher();
  ~InterruptCatcher();
  InterruptCatcher(const InterruptCatcher&) = delete;
  InterruptCatcher& operator=(const InterruptCatcher&) = delete;

  // The signal that came (0: none yet). Safe from any thread.
  static int Interrupted();
  // "SIGINT", "SIGTERM", "SIGHUP".
  static const char* Name(int signal);
  // Ends the process by `signal` with its default action (status 128 + N).
  [[noreturn]] static void Die(int signal);

 private:
  struct sigaction old_[3];
};

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_STD_STREAMS_H_
