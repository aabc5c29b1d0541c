#include "featpool/single-output.h"

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "featpool/error.h"
#include "featpool/kaldi-io.h"
#include "featpool/output-file.h"

namespace featpool {
namespace cli {
namespace {

// Kaldi prints floats with the stream's precision 7 (%g-like).
void AppendNumber(float v, std::string* out) {
  char text[32];
  const int n = std::snprintf(text, sizeof text, "%.7g", static_cast<double>(v));
  out->append(text, static_cast<size_t>(n));
}

std::string Extension(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  const size_t dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  if (dot == (slash == std::string::npos ? 0 : slash + 1)) return "";  // ".hidden"
  return path.substr(dot);
}

}  // namespace

SingleOutput ClassifySingleOutput(const std::string& path) {
  if (path == "-") return SingleOutput::kTextStdout;
  const std::string ext = Extension(path);
  if (ext.empty() || ext == ".npy") return SingleOutput::kNpy;
  if (ext == ".txt") return SingleOutput::kText;
  if (ext == ".png") return SingleOutput::kPng;
  throw Error("-o " + path + ": unknown output extension '" + ext +
              "' (accepted: .npy, .txt, .png, or - for text on stdout)");
}

void WriteTextMatrix(const std::string& path, MatrixView matrix) {
  AtomicOutputFile out(path);
  std::string line;
  for (int64_t r = 0; r < matrix.rows; ++r) {
    line.clear();
    const float* row = matrix.Row(r);
    for (int64_t c = 0; c < matrix.cols; ++c) {
      if (c > 0) line += ' ';
      AppendNumber(row[c], &line);
    }
    line += '\n';
    out.Write(line.data(), line.size());
  }
  out.Commit();
}

void WriteKaldiTextRecord(std::FILE* out, const std::string& key, MatrixView matrix) {
  std::string text = key + " ";
  AppendKaldiTextMatrix(matrix, &text);
  if (std::fwrite(text.data(), 1, text.size(), out) != text.size() || std::fflush(out) != 0) {
    throw Error(std::string("cannot write to standard output: ") + std::strerror(errno));
  }
}

std::string KeyOfPath(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  const size_t dot = name.find_last_of('.');
  if (dot != std::string::npos && dot > 0) name.resize(dot);
  for (char& c : name) {
    if (c == ' ' || c == '\t' || c == '\n') c = '_';
  }
  return name.empty() ? "utterance" : name;
}

}  // namespace cli
}  // namespace featpool
