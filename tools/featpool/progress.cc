#include "featpool/progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "featpool/error.h"

namespace featpool {
namespace cli {
namespace {

int TerminalWidth() {
  struct winsize ws;
  if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
  return 80;
}

}  // namespace

ProgressMode ParseProgressMode(const std::string& text) {
  if (text == "auto") return ProgressMode::kAuto;
  if (text == "always") return ProgressMode::kAlways;
  if (text == "never") return ProgressMode::kNever;
  throw Error("invalid --progress=" + text + ": expected auto, always or never");
}

std::string FormatDuration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e9) return "--:--:--";
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  char text[48];
  if (s >= 86400) {
    std::snprintf(text, sizeof(text), "%lld:%02lld:%02lld:%02lld",
                  static_cast<long long>(s / 86400), static_cast<long long>(s / 3600 % 24),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  } else {
    std::snprintf(text, sizeof(text), "%02lld:%02lld:%02lld", static_cast<long long>(s / 3600),
                  static_cast<long long>(s / 60 % 60), static_cast<long long>(s % 60));
  }
  return text;
}

Progress::Progress(ProgressMode mode, double line_interval)
    : line_interval_(line_interval), start_(std::chrono::steady_clock::now()), last_draw_(start_) {
  const bool tty = isatty(STDERR_FILENO) != 0;
  bar_ = mode == ProgressMode::kAlways || (mode == ProgressMode::kAuto && tty);
  lines_ = mode == ProgressMode::kAuto && !tty;
}

double Progress::ElapsedSeconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string Progress::Describe() const {
  const double elapsed = ElapsedSeconds();
  char text[256];
  int n = 0;
  if (InStatsPass()) {  // speaker CMVN's first pass: nothing written yet
    n = std::snprintf(text, sizeof(text), "speaker stats: %lld/%lld files read, then ",
                      static_cast<long long>(state_.stats_done),
                      static_cast<long long>(state_.stats_total));
  }
  n += std::snprintf(text + n, sizeof(text) - n, "%lld/%lld files",
                     static_cast<long long>(state_.files_done),
                     static_cast<long long>(state_.files_total));
  if (state_.files_failed > 0) {
    n += std::snprintf(text + n, sizeof(text) - n, " (%lld failed)",
                       static_cast<long long>(state_.files_failed));
  }
  n += std::snprintf(text + n, sizeof(text) - n, ", %.2f h audio", state_.audio_seconds / 3600);
  if (state_.audio_seconds > 0) {
    const double rtf = elapsed / state_.audio_seconds;
    n += std::snprintf(text + n, sizeof(text) - n, ", RTF %.4f (%.0fx)", rtf, 1 / rtf);
  }
  std::string eta = "--:--:--";
  if (state_.bytes_done > 0 && state_.bytes_total > 0) {
    eta = FormatDuration(elapsed * static_cast<double>(state_.bytes_total - state_.bytes_done) /
                         static_cast<double>(state_.bytes_done));
  }
  std::snprintf(text + n, sizeof(text) - n, ", ETA %s", eta.c_str());
  return text;
}

void Progress::Draw() {
  const std::string info = Describe();
  const int width = TerminalWidth() - 1;
  const int bar_width = std::min(30, width - static_cast<int>(info.size()) - 3);
  std::string line;
  if (bar_width >= 10) {
    const double fraction =
        InStatsPass()            ? double(state_.stats_done) / double(state_.stats_total)
        : state_.files_total > 0 ? double(state_.files_done) / double(state_.files_total)
                                 : 1.0;
    const int filled = static_cast<int>(fraction * bar_width);
    line = "[" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "] ";
  }
  line += info;
  if (static_cast<int>(line.size()) > width) line.resize(static_cast<size_t>(width));
  std::fprintf(stderr, "\r\033[K%s", line.c_str());
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::Clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);
  drawn_ = false;
}

void Progress::Tick() {
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_draw_).count();
  if (bar_ && since >= 0.2) {
    Draw();
    last_draw_ = now;
  } else if (lines_ && since >= line_interval_) {
    std::fprintf(stderr, "featpool: progress: %s\n", Describe().c_str());
    std::fflush(stderr);
    last_draw_ = now;
  }
}

void Progress::Print(const std::string& line) {
  Clear();
  std::fprintf(stderr, "%s\n", line.c_str());
  if (bar_) Draw();
  std::fflush(stderr);
}

void Progress::Finish() {
  if (bar_) {
    Draw();
    std::fputc('\n', stderr);
    drawn_ = false;
  }
  std::fflush(stderr);
}

}  // namespace cli
}  // namespace featpool
