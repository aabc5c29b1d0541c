#include "json-line.h"

#include <cctype>
#include <cstdio>

namespace featpool {
namespace internal {
namespace {

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  bool Object(std::map<std::string, std::string>* fields) {
    Space();
    if (!Eat('{')) return false;
    Space();
    if (Eat('}')) return End();
    while (true) {
      std::string key;
      std::string value;
      Space();
      if (!String(&key)) return false;
      Space();
      if (!Eat(':')) return false;
      Space();
      if (!Value(&value)) return false;
      (*fields)[key] = value;
      Space();
      if (Eat('}')) return End();
      if (!Eat(',')) return false;
    }
  }

 private:
  bool End() {
    Space();
    return pos_ == s_.size();
  }
  void Space() {
    while (pos_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  bool Eat(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool Hex4(uint32_t* v) {
    if (pos_ + 4 > s_.size()) return false;
    *v = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = s_[pos_++];
      *v <<= 4;
      if (c >= '0' && c <= '9')
        *v |= static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        *v |= static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        *v |= static_cast<uint32_t>(c - 'A' + 10);
      else
        return false;
    }
    return true;
  }
  bool String(std::string* out) {
    if (!Eat('"')) return false;
    while (pos_ < s_.size()) {
      const char c = s_[pos_++];
      if (c == '"') return true;
      if (c != '\\') {
        out->push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) return false;
      const char e = s_[pos_++];
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp < 0xDC00 && s_.compare(pos_, 2, "\\u") == 0) {
            pos_ += 2;
            uint32_t low;
            if (!Hex4(&low) || low < 0xDC00 || low >= 0xE000) return false;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          }
          AppendUtf8(cp, out);
          break;
        }
        default:
          return false;
      }
    }
    return false;
  }
  bool Scalar(std::string* out) {
    const size_t start = pos_;
    while (pos_ < s_.size() && (std::isalnum(static_cast<unsigned char>(s_[pos_])) ||
                                s_[pos_] == '-' || s_[pos_] == '+' || s_[pos_] == '.')) {
      ++pos_;
    }
    if (pos_ == start) return false;
    *out = s_.substr(start, pos_ - start);
    return true;
  }
  bool Value(std::string* out) {
    if (pos_ < s_.size() && s_[pos_] == '"') return String(out);
    if (!Eat('[')) return Scalar(out);
    *out = "[";
    Space();
    if (Eat(']')) {
      *out += "]";
      return true;
    }
    while (true) {
      std::string item;
      Space();
      if (pos_ < s_.size() && s_[pos_] == '"') {
        if (!String(&item)) return false;
        item = JsonQuote(item);
      } else if (!Scalar(&item)) {
        return false;
      }
      *out += item;
      Space();
      if (Eat(']')) {
        *out += "]";
        return true;
      }
      if (!Eat(',')) return false;
      *out += ",";
    }
  }

  const std::string& s_;
  size_t pos_ = 0;
};

}  // namespace

std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (const char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f) {
      char esc[8];
      std::snprintf(esc, sizeof(esc), "\\u%04x", c);
      out += esc;
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
  return out;
}

void JsonLine::Key(const std::string& key) {
  text_ += text_.empty() ? "{" : ",";
  text_ += JsonQuote(key);
  text_ += ':';
}

JsonLine& JsonLine::Add(const std::string& key, const std::string& value) {
  Key(key);
  text_ += JsonQuote(value);
  return *this;
}

JsonLine& JsonLine::Add(const std::string& key, int64_t value) {
  Key(key);
  text_ += std::to_string(value);
  return *this;
}

JsonLine& JsonLine::AddNumber(const std::string& key, double value, const char* format) {
  Key(key);
  char number[64];
  std::snprintf(number, sizeof(number), format, value);
  text_ += number;
  return *this;
}

JsonLine& JsonLine::AddShape(const std::string& key, int64_t rows, int64_t cols) {
  Key(key);
  text_ += "[" + std::to_string(rows) + "," + std::to_string(cols) + "]";
  return *this;
}

bool ParseJsonLine(const std::string& line, std::map<std::string, std::string>* fields) {
  fields->clear();
  Parser parser(line);
  return parser.Object(fields);
}

}  // namespace internal
}  // namespace featpool
