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

#include "featpool/batch.h"

namespace featpool {
namespace cli {

enum class ProgressMode { kAuto, kAlways, kNever };

// "auto", "always", "never"; throws Error naming --progress.
ProgressMode ParseProgressMode(const std::string& text);

// What the bar shows: the dataset run's own counts (featpool/batch.h).
using ProgressState = BatchProgress;

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
  // "123/1000 files, 1.23 h audio, RTF 0.0021 (476x), ETA 00:03:12"; in
  // speaker CMVN's stats pass "speaker stats: 40/1000 files read, then "
  // in front (the bar shows that pass).
  std::string Describe() const;

 private:
  bool InStatsPass() const {
    return state_.stats_total > 0 && state_.stats_done < state_.stats_total;
  }
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
