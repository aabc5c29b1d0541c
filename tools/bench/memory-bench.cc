// Peak memory (resident set) of the two long-input paths, each run once as a
// child process under featpool-peak-rss:
// - BM_CommandMemory/seconds:N: `featpool extract in.wav -o out.npy` on an N
//   second 16 kHz 16-bit WAV (80-bin fbank). Target for N = 7200 (two
//   hours): peak below 64 MiB plus the output.
// - BM_StreamMemory/seconds:N: featpool-stream-memory N, the streaming API
//   (OnlineExtractor + OnlinePooler, 10 ms chunks, frames and rows released)
//   over N seconds. Target: below 16 MiB whatever N.
// Counters (MiB = 2^20 bytes): peak_rss_MiB; for the command also output_MiB
// (the .npy) and over_output_MiB = peak_rss_MiB - output_MiB. Times are the
// child's wall time; "x_realtime" is audio seconds per wall second.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench-audio.h"
#include "bench-counters.h"

namespace featpool {
namespace {

constexpr double kMiB = 1024.0 * 1024.0;

// Runs argv under featpool-peak-rss; returns the peak RSS in KiB, or -1
// (with the reason in *error) if it could not run or failed.
long RunMeasured(const std::vector<std::string>& argv, const std::string& report,
                 std::string* error) {
  std::vector<std::string> full = {FEATPOOL_PEAK_RSS, report};
  full.insert(full.end(), argv.begin(), argv.end());
  std::vector<char*> args;
  for (std::string& a : full) args.push_back(a.data());
  args.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    // The child's stdout would corrupt --benchmark_format=json output.
    const int null = open("/dev/null", O_WRONLY);
    if (null >= 0) dup2(null, 1);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
      WEXITSTATUS(status) != 0) {
    *error = argv[0] + " failed (status " + std::to_string(status) + ")";
    return -1;
  }
  std::ifstream in(report);
  std::string line;
  std::getline(in, line);
  const size_t at = line.find("\"peak_rss_kib\": ");
  if (at == std::string::npos) {
    *error = "no report from featpool-peak-rss";
    return -1;
  }
  return std::atol(line.c_str() + at + 16);
}

void BM_CommandMemory(benchmark::State& state) {
  const double seconds = static_cast<double>(state.range(0));
  const bench::ScratchDir dir;
  const std::string wav = dir.File("in.wav");
  const std::string npy = dir.File("out.npy");
  bench::WriteSpeechWav(wav, static_cast<int64_t>(seconds * bench::kRate));
  long peak_kib = 0;
  std::string error;
  for (auto _ : state) {
    peak_kib = RunMeasured({FEATPOOL_COMMAND, "extract", "--num-mel-bins=80", wav, "-o", npy},
                           dir.File("report.json"), &error);
  }
  if (peak_kib < 0) {
    state.SkipWithError(error.c_str());
    return;
  }
  const double output_mib = static_cast<double>(std::filesystem::file_size(npy)) / kMiB;
  const double peak_mib = static_cast<double>(peak_kib) / 1024.0;
  state.counters["peak_rss_MiB"] = peak_mib;
  state.counters["output_MiB"] = output_mib;
  state.counters["over_output_MiB"] = peak_mib - output_mib;
  bench::SetRealTime(state, seconds);
}
BENCHMARK(BM_CommandMemory)
    ->Arg(60)
    ->Arg(7200)
    ->ArgName("seconds")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_StreamMemory(benchmark::State& state) {
  const double seconds = static_cast<double>(state.range(0));
  const bench::ScratchDir dir;
  long peak_kib = 0;
  std::string error;
  for (auto _ : state) {
    peak_kib = RunMeasured({FEATPOOL_STREAM_MEMORY, std::to_string(state.range(0))},
                           dir.File("report.json"), &error);
  }
  if (peak_kib < 0) {
    state.SkipWithError(error.c_str());
    return;
  }
  state.counters["peak_rss_MiB"] = static_cast<double>(peak_kib) / 1024.0;
  bench::SetRealTime(state, seconds);
}
BENCHMARK(BM_StreamMemory)
    ->Arg(60)
    ->Arg(7200)
    ->Arg(36000)
    ->ArgName("seconds")
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace featpool
