// Text from files (utterance ids, archive keys, scp lines, paths) quoted in an
// error message: control bytes are shown as escapes, so a NUL cannot cut the
// message short, a newline cannot split it and an ESC cannot drive the
// terminal. Bytes >= 0x80 are kept, so UTF-8 names read as they are.
#ifndef FEATPOOL_SRC_PRINTABLE_H_
#define FEATPOOL_SRC_PRINTABLE_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace featpool {
namespace internal {

// "\0", "\t", "\n", "\r" and "\xNN" for the other bytes below 0x20 and for
// 0x7f. Text longer than `max_bytes` is cut there and ends with
// "... (N bytes)", so a 64 KiB key cannot flood the terminal.
inline std::string Printable(std::string_view text, size_t max_bytes = 256) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  const size_t shown = text.size() > max_bytes ? max_bytes : text.size();
  out.reserve(shown + 16);
  for (size_t i = 0; i < shown; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != 0x7f) {
      out.push_back(static_cast<char>(c));
    } else if (c == 0) {
      out += "\\0";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  if (shown < text.size()) out += "... (" + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace internal
}  // namespace featpool

#endif  // FEATPOOL_SRC_PRINTABLE_H_
