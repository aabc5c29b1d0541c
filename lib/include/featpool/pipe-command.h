// Runs the command of a piped Kaldi wav.scp entry ("utt1 sox a.sph -t wav - |")
// and collects its standard output, as Kaldi's PipeInputImpl does with popen():
// the command runs with /bin/sh -c. Unlike popen(), the output is bounded in
// size and time, and how the command ended is checked.
//
// Thread safety: plain function; concurrent calls run independent processes.
#ifndef FEATPOOL_PIPE_COMMAND_H_
#define FEATPOOL_PIPE_COMMAND_H_

#include <cstdint>
#include <string>

namespace featpool {

struct PipeOptions {
  // Seconds the command may run before it is killed (its whole process
  // group, with SIGKILL); 0 means no limit.
  double timeout_seconds = 3600;
  // Bytes of output accepted; more is an error (the command is killed). 4 GiB
  // is the largest WAV a RIFF header can describe.
  int64_t max_bytes = int64_t{4} << 30;

  // Throws Error naming --pipe-timeout or --pipe-max-bytes.
  void Validate() const;
};

// Runs `command` with /bin/sh -c, standard input from /dev/null, in a process
// group of its own, and returns everything it writes to standard output. Its
// standard error is collected; the last line of it goes into the message of
// a failure. Throws Error quoting the command if it cannot be started, exits
// with a non-zero status, is killed by a signal, writes nothing, writes more
// than max_bytes, or runs longer than timeout_seconds.
std::string RunPipeCommand(const std::string& command, const PipeOptions& opts);

}  // namespace featpool

#endif  // FEATPOOL_PIPE_COMMAND_H_
