// The exception types featpool throws. The library never exits, aborts or
// prints: callers decide how to report. Messages name the option, value or
// file.
#ifndef FEATPOOL_ERROR_H_
#define FEATPOOL_ERROR_H_

#include <functional>
#include <optional>
#include <stdexcept>
#include <string>

namespace featpool {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

// An error about one option, carrying its key (options.h: "frame_length")
// rather than a frontend's spelling of it. what() spells keys as they are
// (Python's keywords); the command renders "--frame-length" with Render().
// `reason` may name other options as "{key}", rendered the same way.
class OptionError : public Error {
 public:
  using Speller = std::function<std::string(const std::string& key)>;

  // With a value: "KEY=VALUE: REASON"; without: "KEY REASON" (e.g. "is
  // required for adaptive-max pooling"). `context` (a file) goes in front.
  OptionError(std::string key, std::optional<std::string> value, std::string reason,
              std::string context = "");

  const std::string& key() const { return key_; }
  const std::optional<std::string>& value() const { return value_; }
  const std::string& reason() const { return reason_; }
  const std::string& context() const { return context_; }

  std::string Render(const Speller& spell) const;
  // The same error about `context` (e.g. "'x.wav'").
  OptionError WithContext(const std::string& context) const;

 private:
  std::string key_;
  std::optional<std::string> value_;
  std::string reason_;
  std::string context_;
};

}  // namespace featpool

#endif  // FEATPOOL_ERROR_H_
