// Peak memory (resident set) of the two long-input paths, each run once as a
// child process under featpool-peak-rss:
// - BM_CommandMemory/seconds:N/output:O/pooled:P: `featpool extract in.wav`
//   on an N second 16 kHz 16-bit WAV (80-bin fbank) to -o out.npy (O = 0),
//   -o ark,scp:feats.ark,feats.scp (1) or -o out/ (2), without pooling
//   (P = 0) or with --pool=max --pool-kernel=2x2 (P = 1). Target, checked
//   here (an error when missed; not in a sanitizer build): peak below the
//   output plus 32 MiB.
// - BM_StreamMemory/seconds:N: featpool-stream-memory N, the streaming API
//   (OnlineExtractor + OnlinePooler, 10 ms chunks, frames and rows released)
//   over N seconds. Target: below 16 MiB whatever N.
// Counters (MiB = 2^20 bytes): peak_rss_MiB; for the command also output_MiB
// (the .npy or the archive) and over_output_MiB = peak_rss_MiB - output_MiB.
// Times are the child's wall time; "x_realtime" is audio seconds per wall
// second.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
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

// The output formats of `featpool extract` and what counts as the output.
enum class Output { kNpy, kArk, kDir };
constexpr const char* kOutputNames[] = {"npy", "ark", "dir"};
// The limit the command must keep (README.md, "Performance"): peak RSS below
// the output's size plus this, pooled or not, for every output format.
constexpr double kOverOutputLimitMiB = 32.0;
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitized = true;
#else
constexpr bool kSanitized = false;
#endif

// Args: seconds, output (Output), pooled (0: none, 1: --pool=max
// --pool-kernel=2x2).
void BM_CommandMemory(benchmark::State& state) {
  const double seconds = static_cast<double>(state.range(0));
  const auto kind = static_cast<Output>(state.range(1));
  const bool pooled = state.range(2) != 0;
  state.SetLabel(std::string(kOutputNames[state.range(1)]) + (pooled ? " max2x2" : ""));
  const bench::ScratchDir dir;
  const std::string wav = dir.File("in.wav");
  bench::WriteSpeechWav(wav, static_cast<int64_t>(seconds * bench::kRate));
  std::vector<std::string> argv = {FEATPOOL_COMMAND, "extract", "--num-mel-bins=80", wav, "-o"};
  std::string output;  // the file whose size is the output
  switch (kind) {
    case Output::kNpy:
      output = dir.File("out.npy");
      argv.push_back(output);
      break;
    case Output::kArk:
      output = dir.File("feats.ark");
      argv.push_back("ark,scp:" + output + "," + dir.File("feats.scp"));
      break;
    case Output::kDir:
      output = dir.File("out/in.npy");
      argv.push_back(dir.File("out/"));
      break;
  }
  if (kind != Output::kNpy) argv.push_back("--progress=never");
  if (pooled) {
    argv.push_back("--pool=max");
    argv.push_back("--pool-kernel=2x2");
  }
  long peak_kib = 0;
  std::string error;
  for (auto _ : state) peak_kib = RunMeasured(argv, dir.File("report.json"), &error);
  if (peak_kib < 0) {
    state.SkipWithError(error.c_str());
    return;
  }
  const double output_mib = static_cast<double>(std::filesystem::file_size(output)) / kMiB;
  const double peak_mib = static_cast<double>(peak_kib) / 1024.0;
  state.counters["peak_rss_MiB"] = peak_mib;
  state.counters["output_MiB"] = output_mib;
  state.counters["over_output_MiB"] = peak_mib - output_mib;
  bench::SetRealTime(state, seconds);
  // Sanitizer builds (shadow memory, quarantine) are measured, not checked.
  if (!kSanitized && peak_mib - output_mib >= kOverOutputLimitMiB) {
    char over[160];
    std::snprintf(over, sizeof(over), "peak RSS %.1f MiB is not below output %.1f MiB + %.0f MiB",
                  peak_mib, output_mib, kOverOutputLimitMiB);
    state.SkipWithError(over);
  }
}
BENCHMARK(BM_CommandMemory)
    ->ArgsProduct({{60, 7200}, {0, 1, 2}, {0, 1}})
    ->ArgNames({"seconds", "output", "pooled"})
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
