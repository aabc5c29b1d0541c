// Progress of a batch run on stderr: a one-line bar redrawn in place when
// stderr is a terminal (files done/total, audio hours, real-time factor,
// ETA), plain lines every few seconds otherwise, or nothing. Messages
// (errors, warnings) go through Print() so they never tangle with the bar.
//
// Used from one thread (the one that collects results).
#ifndef FEATPOOL_TOOLS_PROGRESS_H_
#define FEATPOOL_TOOLS_PROGRESS_H_

#include <chrono>
#include <cstdint>
#include <string>

namespace featpool {
namespace cli {

enum class ProgressMode { kAuto, kAlways, kNever };

// "auto", "always", "never"; throws Error naming --progress.
ProgressMode ParseProgressMode(const std::string& text);

struct ProgressState {
  int64_t files_total = 0;
  int64_t files_done = 0;  // processed or failed in this run, plus already_done
  int64_t files_failed = 0;
  int64_t already_done = 0;  // skipped by --resume
  int64_t bytes_total = 0;   // input bytes still to do at the start (ETA)
  int64_t bytes_done = 0;    // of those, done
  double audio_seconds = 0;  // audio processed in this run
};

// "00:01:05", "3:02:11:09" for days.
std::string FormatDuration(double seconds);

class Progress {
 public:
  // `line_interval`: seconds between plain lines (non-terminal output).
  Progress(ProgressMode mode, double line_interval = 10.0);

  void Update(const ProgressState& state) { state_ = state; }
  // Redraws the bar or prints a line if one is due.
  void Tick();
  // Prints one line of text, keeping the bar below it.
  void Print(const std::string& line);
  // Draws the bar a last time and ends its line (call before the summary).
  void Finish();

  double ElapsedSeconds() const;
  // "123/1000 files, 1.23 h audio, RTF 0.0021 (476x), ETA 00:03:12"
  std::string Describe() const;

 private:
  void Draw();
  void Clear();

  bool bar_ = false;
  bool lines_ = false;
  double line_interval_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool drawn_ = false;
  ProgressState state_;
};

}  // namespace cli
}  // namespace featpool

#endif  // FEATPOOL_TOOLS_PROGRESS_H_
