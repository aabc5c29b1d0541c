// One-line JSON objects for manifest.jsonl: a small writer, and a reader for
// the flat objects the writer makes (so --resume can read a manifest back).
#ifndef FEATPOOL_SRC_JSON_LINE_H_
#define FEATPOOL_SRC_JSON_LINE_H_

#include <cstdint>
#include <map>
#include <string>

namespace featpool {
namespace internal {

// `s` as a JSON string literal: quotes, backslashes and control characters
// escaped; other bytes (UTF-8) kept.
std::string JsonQuote(const std::string& s);

class JsonLine {
 public:
  JsonLine& Add(const std::string& key, const std::string& value);
  JsonLine& Add(const std::string& key, const char* value) { return Add(key, std::string(value)); }
  JsonLine& Add(const std::string& key, int64_t value);
  // printf-style number format, e.g. "%.6f".
  JsonLine& AddNumber(const std::string& key, double value, const char* format);
  // [rows, cols]
  JsonLine& AddShape(const std::string& key, int64_t rows, int64_t cols);
  // The object, without a trailing newline.
  std::string Finish() const { return text_.empty() ? "{}" : text_ + "}"; }

 private:
  void Key(const std::string& key);
  std::string text_;
};

// Parses one flat object: values are strings (returned unescaped), numbers,
// true/false/null or arrays of those (returned as their text without
// spaces). Returns false for anything else, e.g. a line cut short.
bool ParseJsonLine(const std::string& line, std::map<std::string, std::string>* fields);

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_JSON_LINE_H_
