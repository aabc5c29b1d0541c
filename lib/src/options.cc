#include "featpool/options.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>

#include "featpool/pooler.h"

namespace featpool {
namespace {

std::string Lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// Replaces "{key}" by spell(key).
std::string SpellKeys(const std::string& text, const OptionError::Speller& spell) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find('{', at);
    if (open == std::string::npos) break;
    const size_t close = text.find('}', open + 1);
    if (close == std::string::npos) break;
    out += text.substr(at, open - at);
    out += spell(text.substr(open + 1, close - open - 1));
    at = close + 1;
  }
  return out + text.substr(at);
}

std::string RangeText(const OptionInfo& info) {
  const bool has_min = std::isfinite(info.min);
  const bool has_max = std::isfinite(info.max);
  if (has_min && has_max) {
    return std::string("must be in ") + (info.min_open ? "(" : "[") + DoubleText(info.min) + ", " +
           DoubleText(info.max) + (info.max_open ? ")" : "]");
  }
  if (has_min)
    return std::string("must be ") + (info.min_open ? "> " : ">= ") + DoubleText(info.min);
  if (has_max)
    return std::string("must be ") + (info.max_open ? "< " : "<= ") + DoubleText(info.max);
  return "must be finite";
}

void CheckNumber(const OptionInfo& info, double v, const std::string& text) {
  const bool ok = std::isfinite(v) && (info.min_open ? v > info.min : v >= info.min) &&
                  (info.max_open ? v < info.max : v <= info.max);
  if (ok) return;
  std::string reason = RangeText(info);
  if (*info.word != '\0') {
    reason += " (" + std::to_string(info.word_value) + " = " + info.word + ")";
  }
  throw OptionError(info.key, text, reason);
}

bool ParseBool(const std::string& text, bool* out) {
  // Kaldi ParseOptions::ToBool()
  const std::string s = Lower(text);
  if (s.empty() || s == "true" || s == "t" || s == "1") {
    *out = true;
    return true;
  }
  if (s == "false" || s == "f" || s == "0") {
    *out = false;
    return true;
  }
  return false;
}

bool ParseInteger(const std::string& text, int64_t* out) {
  if (text.empty()) return false;
  const char* begin = text.data();
  const char* end = begin + text.size();
  if (*begin == '+') ++begin;
  const auto [ptr, ec] = std::from_chars(begin, end, *out);
  return ec == std::errc() && ptr == end;
}

bool ParseReal(const std::string& text, double* out) {
  if (text.empty() || std::isspace(static_cast<unsigned char>(text[0]))) return false;
  errno = 0;
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size() && errno != ERANGE;
}

int64_t ParseCount(const OptionInfo& info, const std::string& part, const std::string& text) {
  if (info.allow_keep && (part == "keep" || part == "none" || part == "None")) return kKeep;
  int64_t v = 0;
  if (!ParseInteger(part, &v) || v < 0 || part[0] == '+' || part[0] == '-') {
    throw OptionError(info.key, text,
                      std::string("expected T or TxF (time x freq) with non-negative integers") +
                          (info.allow_keep ? " or 'keep'" : ""));
  }
  return v;
}

PoolSize ParseSize(const OptionInfo& info, const std::string& text) {
  const size_t x = text.find('x');
  if (x == std::string::npos) {
    const int64_t v = ParseCount(info, text, text);
    return {v, v};
  }
  return {ParseCount(info, text.substr(0, x), text), ParseCount(info, text.substr(x + 1), text)};
}

std::string CountText(int64_t v) { return v == kKeep ? "keep" : std::to_string(v); }

std::string SizeText(const PoolSize& s) {
  if (s.time == s.freq) return CountText(s.time);
  return CountText(s.time) + "x" + CountText(s.freq);
}

}  // namespace

namespace {

std::string Compose(const std::string& key, const std::optional<std::string>& value,
                    const std::string& reason, const std::string& context,
                    const OptionError::Speller& spell) {
  std::string text = context.empty() ? "" : context + ": ";
  text += spell(key);
  text += value ? "=" + *value + ": " : " ";
  return text + SpellKeys(reason, spell);
}

std::string AsIs(const std::string& key) { return key; }

}  // namespace

OptionError::OptionError(std::string key, std::optional<std::string> value, std::string reason,
                         std::string context)
    : Error(Compose(key, value, reason, context, AsIs)),
      key_(std::move(key)),
      value_(std::move(value)),
      reason_(std::move(reason)),
      context_(std::move(context)) {}

std::string OptionError::Render(const Speller& spell) const {
  return Compose(key_, value_, reason_, context_, spell);
}

OptionError OptionError::WithContext(const std::string& context) const {
  return OptionError(key_, value_, reason_, context);
}

const std::vector<std::string>& OptionRef::choices() const {
  static const std::vector<std::string> kNone;
  return names_ != nullptr ? *names_ : kNone;
}

std::string OptionRef::Text() const {
  switch (type_) {
    case OptionType::kBool:
      return *static_cast<bool*>(ptr_) ? "true" : "false";
    case OptionType::kInt32:
      return std::to_string(*static_cast<int32_t*>(ptr_));
    case OptionType::kInt64:
      return std::to_string(*static_cast<int64_t*>(ptr_));
    case OptionType::kUint32:
      return std::to_string(*static_cast<uint32_t*>(ptr_));
    case OptionType::kFloat:
      return FloatText(*static_cast<float*>(ptr_));
    case OptionType::kDouble:
      return DoubleText(*static_cast<double*>(ptr_));
    case OptionType::kString:
      return *static_cast<std::string*>(ptr_);
    case OptionType::kChoice: {
      const int i = get_choice_(ptr_);
      return i >= 0 && static_cast<size_t>(i) < choices().size() ? choices()[i] : "?";
    }
    case OptionType::kSize:
      return SizeText(*static_cast<PoolSize*>(ptr_));
    case OptionType::kOptSize: {
      const auto& s = *static_cast<std::optional<PoolSize>*>(ptr_);
      return s ? SizeText(*s) : "";
    }
  }
  return "";
}

void OptionRef::SetText(const OptionInfo& info, const std::string& text) const {
  switch (type_) {
    case OptionType::kBool: {
      bool v = false;
      if (!ParseBool(text, &v)) throw OptionError(info.key, text, "expected true or false");
      *static_cast<bool*>(ptr_) = v;
      return;
    }
    case OptionType::kInt32:
    case OptionType::kInt64:
    case OptionType::kUint32: {
      int64_t v = 0;
      if (*info.word != '\0' && text == info.word) {
        v = info.word_value;
      } else if (!ParseInteger(text, &v)) {
        throw OptionError(info.key, text,
                          *info.word != '\0' ? "expected an integer or " + std::string(info.word)
                                             : std::string("expected an integer"));
      }
      SetNumber(info, static_cast<double>(v), v, text);
      return;
    }
    case OptionType::kFloat:
    case OptionType::kDouble: {
      double v = 0;
      if (!ParseReal(text, &v)) throw OptionError(info.key, text, "expected a number");
      SetNumber(info, v, 0, text);
      return;
    }
    case OptionType::kString:
      *static_cast<std::string*>(ptr_) = text;
      return;
    case OptionType::kChoice: {
      const std::vector<std::string>& names = choices();
      for (size_t i = 0; i < names.size(); ++i) {
        if (names[i] == text) {
          set_choice_(ptr_, static_cast<int>(i));
          return;
        }
      }
      std::string list;
      for (size_t i = 0; i < names.size(); ++i) {
        list += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
      }
      throw OptionError(info.key, text, "expected " + list);
    }
    case OptionType::kSize:
      *static_cast<PoolSize*>(ptr_) = ParseSize(info, text);
      return;
    case OptionType::kOptSize: {
      auto& s = *static_cast<std::optional<PoolSize>*>(ptr_);
      if (text.empty() || (!info.allow_keep && (text == "none" || text == "None"))) {
        s.reset();
      } else {
        s = ParseSize(info, text);
      }
      return;
    }
  }
}

void OptionRef::SetBool(const OptionInfo& info, bool value) const {
  if (type_ != OptionType::kBool)
    throw OptionError(info.key, value ? "True" : "False", "expected a number");
  *static_cast<bool*>(ptr_) = value;
}

void OptionRef::SetInt(const OptionInfo& info, int64_t value) const {
  SetNumber(info, static_cast<double>(value), value, std::to_string(value));
}

void OptionRef::SetDouble(const OptionInfo& info, double value) const {
  SetNumber(info, value, 0, DoubleText(value));
}

// `real` is the value; `integer` equals it when the text was an integer.
void OptionRef::SetNumber(const OptionInfo& info, double real, int64_t integer,
                          const std::string& text) const {
  // An integer given as one (SetInt, SetText) stays one even beyond 2^53.
  const bool exact = integer != 0 && static_cast<double>(integer) == real;
  const bool is_integer =
      exact || (std::isfinite(real) && real == std::floor(real) && std::fabs(real) < 9.2e18);
  if (is_integer && integer == 0) integer = static_cast<int64_t>(real);
  switch (type_) {
    case OptionType::kInt32:
    case OptionType::kInt64:
    case OptionType::kUint32: {
      if (!is_integer) throw OptionError(info.key, text, "expected an integer");
      if (type_ == OptionType::kInt32 && (integer < INT32_MIN || integer > INT32_MAX)) {
        throw OptionError(info.key, text, "out of range for a 32-bit integer");
      }
      if (type_ == OptionType::kUint32 && (integer < 0 || integer > int64_t{UINT32_MAX})) {
        throw OptionError(info.key, text, "out of range for an unsigned 32-bit integer");
      }
      if (info.zero_means_unset && integer == 0) {
        throw OptionError(info.key, text, "must be non-zero (leave it out for none)");
      }
      CheckNumber(info, static_cast<double>(integer), text);
      if (type_ == OptionType::kInt32) *static_cast<int32_t*>(ptr_) = static_cast<int32_t>(integer);
      if (type_ == OptionType::kUint32) {
        *static_cast<uint32_t*>(ptr_) = static_cast<uint32_t>(integer);
      }
      if (type_ == OptionType::kInt64) *static_cast<int64_t*>(ptr_) = integer;
      return;
    }
    case OptionType::kFloat: {
      const float f = static_cast<float>(real);
      if (std::isfinite(real) && !std::isfinite(f)) {
        throw OptionError(info.key, text, "out of range for a 32-bit float");
      }
      CheckNumber(info, real, text);
      *static_cast<float*>(ptr_) = f;
      return;
    }
    case OptionType::kDouble:
      CheckNumber(info, real, text);
      *static_cast<double*>(ptr_) = real;
      return;
    default:
      throw OptionError(info.key, text,
                        type_ == OptionType::kBool ? "expected true or false" : "expected text");
  }
}

void OptionRef::CheckRange(const OptionInfo& info) const {
  switch (type_) {
    case OptionType::kInt32:
      CheckNumber(info, *static_cast<int32_t*>(ptr_), Text());
      return;
    case OptionType::kInt64:
      CheckNumber(info, static_cast<double>(*static_cast<int64_t*>(ptr_)), Text());
      return;
    case OptionType::kUint32:
      CheckNumber(info, *static_cast<uint32_t*>(ptr_), Text());
      return;
    case OptionType::kFloat:
      CheckNumber(info, *static_cast<float*>(ptr_), Text());
      return;
    case OptionType::kDouble:
      CheckNumber(info, *static_cast<double*>(ptr_), Text());
      return;
    default:
      return;
  }
}

void CheckModeOptions(const std::vector<std::pair<OptionInfo, std::string>>& fields,
                      const std::vector<std::pair<OptionInfo, std::string>>& defaults,
                      const std::string& mode_key, const std::string& noun) {
  std::string mode;
  for (const auto& [info, text] : fields) {
    if (mode_key == info.key) mode = text;
  }
  for (size_t i = 0; i < fields.size() && i < defaults.size(); ++i) {
    const OptionInfo& info = fields[i].first;
    const std::string modes = info.applies_to;
    if (modes.empty() || fields[i].second == defaults[i].second) continue;
    std::vector<std::string> list;
    bool applies = false;
    for (size_t at = 0; at <= modes.size();) {
      size_t comma = modes.find(',', at);
      if (comma == std::string::npos) comma = modes.size();
      list.push_back(modes.substr(at, comma - at));
      applies = applies || list.back() == mode;
      at = comma + 1;
    }
    if (applies) continue;
    std::string names;
    for (size_t j = 0; j < list.size(); ++j) {
      names += (j == 0 ? "" : j + 1 == list.size() ? " and " : ", ") + list[j];
    }
    throw OptionError(
        info.key, fields[i].second,
        "applies to " + names + " " + noun + " only, not to {" + mode_key + "}=" + mode);
  }
}

std::string FlagName(const std::string& key) {
  std::string flag = "--" + key;
  for (char& c : flag) {
    if (c == '_') c = '-';
  }
  return flag;
}

std::string KeyFromFlag(const std::string& flag) {
  std::string key = flag;
  for (char& c : key) {
    if (c == '-') c = '_';
  }
  return key;
}

std::string FloatText(float value) {
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return ec == std::errc() ? std::string(buf, ptr) : std::to_string(value);
}

std::string DoubleText(double value) {
  char buf[64];
  const auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  return ec == std::errc() ? std::string(buf, ptr) : std::to_string(value);
}

}  // namespace featpool
