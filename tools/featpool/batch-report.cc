#include "featpool/batch-report.h"

#include <cstdint>
#include <cstdio>

#include "featpool/std-streams.h"

namespace featpool {
namespace cli {
namespace {

// The messages go through the progress display, so they never tangle with
// the bar; the first few warnings are shown, all are in the manifest.
class CommandObserver : public BatchObserver {
 public:
  explicit CommandObserver(ProgressMode mode) : progress_(mode) {}

  void Started(const BatchProgress& p) override { progress_.Update(p); }
  void FailedBefore(const Utterance& /*u*/, const std::string& message) override {
    Report("error: " + message + " (recorded by an earlier run)");
  }
  void Done(const Utterance& /*u*/, const std::string& warning) override {
    if (warning.empty() || ++warnings_ > kMaxWarnings) return;
    Report("warning: " + warning +
           (warnings_ == kMaxWarnings ? " (further warnings only in the manifest)" : ""));
  }
  void Failed(const Utterance& /*u*/, const std::string& message) override {
    Report("error: " + message);
  }
  void Skipped(const Utterance& /*u*/, const std::string& message) override {
    Report("skipped: " + message);
  }
  void Progress(const BatchProgress& p, bool ticked) override {
    progress_.Update(p);
    if (ticked) progress_.Tick();
  }
  void Finished(const BatchSummary& /*summary*/) override { progress_.Finish(); }
  int StopRequested() override { return InterruptCatcher::Interrupted(); }
  // The files being written are finished and the journal holds every
  // finished utterance; the process dies by the signal without waiting for
  // inputs still being read (one may block forever: a pipe, a hung mount).
  void Interrupted(const BatchSummary& summary) override {
    progress_.Finish();
    std::fprintf(stderr, "%s\n", SummaryLine(summary).c_str());
    std::fprintf(stderr,
                 "featpool: interrupted by %s; outputs are not finalised; rerun with --resume "
                 "to continue\n",
                 InterruptCatcher::Name(summary.interrupted));
    InterruptCatcher::Die(summary.interrupted);
  }

 private:
  static constexpr int64_t kMaxWarnings = 5;

  void Report(const std::string& text) { progress_.Print("featpool: " + text); }

  class Progress progress_;
  int64_t warnings_ = 0;
};

}  // namespace

std::string SummaryLine(const BatchSummary& n) {
  char text[512];
  int len = std::snprintf(text, sizeof(text), "featpool: %lld processed, %lld failed",
                          static_cast<long long>(n.ok),
                          static_cast<long long>(n.failed + n.failed_before));
  if (n.already_done > 0) {
    len += std::snprintf(
        text + len, sizeof(text) - len, " (%lld done by an earlier run, %lld of them failed)",
        static_cast<long long>(n.already_done), static_cast<long long>(n.failed_before));
  }
  if (n.short_now + n.short_before > 0) {
    len += std::snprintf(text + len, sizeof(text) - len, ", %lld shorter than --min-duration",
                         static_cast<long long>(n.short_now + n.short_before));
  }
  if (n.resampled > 0) {
    len += std::snprintf(text + len, sizeof(text) - len, ", %lld resampled",
                         static_cast<long long>(n.resampled));
  }
  if (n.segments > 0) {
    len += std::snprintf(
        text + len, sizeof(text) - len, ", %lld segments cut from %lld recordings (each read once)",
        static_cast<long long>(n.segments), static_cast<long long>(n.recordings_decoded));
  }
  const double wall = n.wall_seconds;
  len += std::snprintf(text + len, sizeof(text) - len, ", %.3f h audio, %.2f s wall",
                       n.audio_seconds / 3600, wall);
  if (n.audio_seconds > 0 && wall > 0) {
    const double rtf = wall / n.audio_seconds;
    std::snprintf(text + len, sizeof(text) - len, ", RTF %.4f (%.0fx real time)", rtf, 1 / rtf);
  }
  return text;
}

int RunBatchCommand(const BatchConfig& config, ProgressMode progress) {
  // SIGINT/SIGTERM/SIGHUP only set a flag until the run is over (the
  // observer's StopRequested); one that comes while the outputs are
  // finalised is raised again when this is destroyed, last.
  const InterruptCatcher interrupts;
  const BatchOutput out = ParseBatchOutput(config.output);
  if (out.kind == BatchOutput::Kind::kArk) {
    if (out.ark == "-") CheckStdout("-o " + config.output);
    CheckStdoutFor(out.ark, "-o " + config.output);
  }
  CheckStdoutFor(config.manifest, "--manifest=" + config.manifest);
  CommandObserver observer(progress);
  const BatchSummary summary = RunBatch(config, &observer);
  std::fprintf(stderr, "%s\n", SummaryLine(summary).c_str());
  if (summary.stopped) {
    std::fprintf(stderr,
                 "featpool: stopped at the first failure (--strict); outputs are not "
                 "finalised; fix it and rerun with --resume to continue\n");
  }
  return summary.exit_status;
}

}  // namespace cli
}  // namespace featpool
