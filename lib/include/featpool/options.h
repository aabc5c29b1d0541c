// One description per option. Every options struct lists its fields once, in
// a VisitOptions() function (Kaldi's Register(), without a parser): the key,
// the unit, the help text and the valid range of each field, and a typed
// reference to it. The command's flags, the Python keywords, config files,
// --help, range validation, the manifest's options tag and the rendering of
// errors are all driven from these tables, so no option is written twice.
//
// Keys are Kaldi's option names in snake_case ("frame_length",
// "num_mel_bins"); the command spells them --frame-length, Python
// frame_length. A library error about an option is an OptionError carrying
// the key, so each frontend renders it in its own spelling.
//
// Thread safety: the tables are immutable; visiting a struct touches only
// that struct.
#ifndef FEATPOOL_OPTIONS_H_
#define FEATPOOL_OPTIONS_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "featpool/error.h"

namespace featpool {

enum class OptionType {
  kBool,
  kInt32,
  kInt64,
  kUint32,
  kFloat,
  kDouble,
  kString,
  kChoice,   // an enum, spelled by name
  kSize,     // a PoolSize, "T" or "TxF"
  kOptSize,  // an optional PoolSize; "" (or "none") = unset
};

// What a frontend needs to offer one option.
struct OptionInfo {
  const char* key = "";   // snake_case, Kaldi's name
  const char* help = "";  // one sentence; the default is added by the frontend
  const char* unit = "";  // "ms", "Hz", ... or ""
  // Valid range of a number (inclusive unless the *_open flag is set).
  // Numbers must always be finite.
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  bool min_open = false;
  bool max_open = false;
  // kSize / kOptSize: whether "keep" (kKeep, torch's None) is allowed.
  bool allow_keep = false;
  // A number whose default 0 means "none": given explicitly, it must be
  // non-zero.
  bool zero_means_unset = false;
  // The values of the struct's mode option (e.g. the pooling mode) this
  // option applies to, comma-separated; "" = every mode. Given for another
  // mode it must keep its default.
  const char* applies_to = "";
  // An integer option's word for one of its values, accepted as text
  // ("mix" for channel -2); "" = none.
  const char* word = "";
  int64_t word_value = 0;

  // The entry most tables write: a key, its unit and help, and a range
  // (inclusive; `min` exclusive with `min_open`).
  static OptionInfo Range(const char* key, const char* unit, const char* help,
                          double min = -std::numeric_limits<double>::infinity(),
                          double max = std::numeric_limits<double>::infinity(),
                          bool min_open = false) {
    OptionInfo info;
    info.key = key;
    info.unit = unit;
    info.help = help;
    info.min = min;
    info.max = max;
    info.min_open = min_open;
    return info;
  }
};

// A typed, type-erased reference to one field.
class OptionRef {
 public:
  static OptionRef Of(bool* p) { return OptionRef(OptionType::kBool, p); }
  static OptionRef Of(int32_t* p) { return OptionRef(OptionType::kInt32, p); }
  static OptionRef Of(int64_t* p) { return OptionRef(OptionType::kInt64, p); }
  static OptionRef Of(uint32_t* p) { return OptionRef(OptionType::kUint32, p); }
  static OptionRef Of(float* p) { return OptionRef(OptionType::kFloat, p); }
  static OptionRef Of(double* p) { return OptionRef(OptionType::kDouble, p); }
  static OptionRef Of(std::string* p) { return OptionRef(OptionType::kString, p); }
  // An enum whose values are 0 .. names.size() - 1, spelled names[i].
  template <class Enum>
  static OptionRef Choice(Enum* p, const std::vector<std::string>* names) {
    OptionRef ref(OptionType::kChoice, p);
    ref.names_ = names;
    ref.get_choice_ = [](const void* q) { return static_cast<int>(*static_cast<const Enum*>(q)); };
    ref.set_choice_ = [](void* q, int v) { *static_cast<Enum*>(q) = static_cast<Enum>(v); };
    return ref;
  }
  // PoolSize / std::optional<PoolSize> (pooler.h); defined there.
  static OptionRef OfSize(void* pool_size) { return OptionRef(OptionType::kSize, pool_size); }
  static OptionRef OfOptSize(void* optional_pool_size) {
    return OptionRef(OptionType::kOptSize, optional_pool_size);
  }

  OptionType type() const { return type_; }
  void* pointer() const { return ptr_; }
  // kChoice: the names, in enum order.
  const std::vector<std::string>& choices() const;

  // The value in canonical text ("true", "25", "0.97", "povey", "2x2", "").
  std::string Text() const;
  // Parses `text` (Kaldi's rules: bools accept true/false/t/f/1/0 and "" for
  // true) and checks the range; throws OptionError(info.key, text, ...).
  void SetText(const OptionInfo& info, const std::string& text) const;
  // Typed setters for frontends with typed values (Python). Each checks the
  // range and the type; throws OptionError.
  void SetBool(const OptionInfo& info, bool value) const;
  void SetInt(const OptionInfo& info, int64_t value) const;
  void SetDouble(const OptionInfo& info, double value) const;
  // Throws OptionError if the current value is outside info's range.
  void CheckRange(const OptionInfo& info) const;

  int ChoiceIndex() const { return get_choice_(ptr_); }

 private:
  OptionRef(OptionType type, void* ptr) : type_(type), ptr_(ptr) {}
  void SetNumber(const OptionInfo& info, double real, int64_t integer,
                 const std::string& text) const;

  OptionType type_;
  void* ptr_;
  const std::vector<std::string>* names_ = nullptr;
  int (*get_choice_)(const void*) = nullptr;
  void (*set_choice_)(void*, int) = nullptr;
};

// Receives each field of a struct in turn.
class OptionVisitor {
 public:
  virtual ~OptionVisitor() = default;
  virtual void Visit(const OptionInfo& info, const OptionRef& ref) = 0;
};

// A visitor from a lambda.
class OptionLambda : public OptionVisitor {
 public:
  explicit OptionLambda(std::function<void(const OptionInfo&, const OptionRef&)> f)
      : f_(std::move(f)) {}
  void Visit(const OptionInfo& info, const OptionRef& ref) override { f_(info, ref); }

 private:
  std::function<void(const OptionInfo&, const OptionRef&)> f_;
};

// "key=value" lines, one per field, in table order: the canonical text of a
// set of options (the manifest's options tag hashes it).
template <class Options>
std::string OptionsText(const Options& opts) {
  Options copy = opts;
  std::string text;
  OptionLambda v([&](const OptionInfo& info, const OptionRef& ref) {
    text += std::string(info.key) + "=" + ref.Text() + "\n";
  });
  copy.VisitOptions(v);
  return text;
}

// Checks every field against its range; throws OptionError for the first
// one outside it.
template <class Options>
void CheckOptionRanges(const Options& opts) {
  Options copy = opts;
  OptionLambda v([](const OptionInfo& info, const OptionRef& ref) { ref.CheckRange(info); });
  copy.VisitOptions(v);
}

// For a struct with a mode option `mode_key` (visited first): every field
// whose applies_to does not list the current mode must keep its default
// value; otherwise throws OptionError ("applies to max and avg pooling only,
// not to {mode}=lp" with `noun` "pooling").
void CheckModeOptions(const std::vector<std::pair<OptionInfo, std::string>>& fields,
                      const std::vector<std::pair<OptionInfo, std::string>>& defaults,
                      const std::string& mode_key, const std::string& noun);
template <class Options>
std::vector<std::pair<OptionInfo, std::string>> OptionFields(const Options& opts) {
  Options copy = opts;
  std::vector<std::pair<OptionInfo, std::string>> fields;
  OptionLambda v(
      [&](const OptionInfo& info, const OptionRef& ref) { fields.emplace_back(info, ref.Text()); });
  copy.VisitOptions(v);
  return fields;
}

// Sets `key` of `opts` from text; returns false if the struct has no such
// key. Throws OptionError for a bad value.
template <class Options>
bool SetOptionText(Options* opts, const std::string& key, const std::string& text) {
  bool found = false;
  OptionLambda v([&](const OptionInfo& info, const OptionRef& ref) {
    if (!found && key == info.key) {
      ref.SetText(info, text);
      found = true;
    }
  });
  opts->VisitOptions(v);
  return found;
}

// Snake-case key -> the command's flag ("frame_length" -> "--frame-length")
// and back; Kaldi's ParseOptions treats '-' and '_' in names alike.
std::string FlagName(const std::string& key);
std::string KeyFromFlag(const std::string& flag_without_dashes);

// Shortest text that reads back as the same float / double.
std::string FloatText(float value);
std::string DoubleText(double value);

}  // namespace featpool

#endif  // FEATPOOL_OPTIONS_H_
