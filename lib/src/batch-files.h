// Small helpers shared by the dataset engine (batch.cc) and its writers
// (writer.cc): paths, quoting, and the manifest's text of times and shapes.
#ifndef FEATPOOL_SRC_BATCH_FILES_H_
#define FEATPOOL_SRC_BATCH_FILES_H_

#include <cstdint>
#include <cstdio>
#include <string>

#include "printable.h"

namespace featpool {
namespace internal {

// Ids and paths come from files and listings: control bytes are shown escaped.
inline std::string Quote(const std::string& s) { return "'" + Printable(s) + "'"; }

inline std::string DirName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

inline std::string BaseName(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

inline std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return dir.back() == '/' ? dir + name : dir + "/" + name;
}

// Creates `dir` and its parents; throws Error naming it.
void MakeDirectories(const std::string& dir);

// Segment times in the manifest: enough digits to tell any two apart.
constexpr const char* kTimeFormat = "%.12g";

inline std::string TimeText(double t) {
  char text[64];
  std::snprintf(text, sizeof(text), kTimeFormat, t);
  return text;
}

// A manifest's "shape": "[rows,cols]".
inline std::string ShapeText(int64_t rows, int64_t cols) {
  return "[" + std::to_string(rows) + "," + std::to_string(cols) + "]";
}

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_BATCH_FILES_H_
