// The one exception type featpool throws. The library never exits, aborts or
// prints: callers decide how to report. Messages name the option, value or file.
#ifndef FEATPOOL_ERROR_H_
#define FEATPOOL_ERROR_H_

#include <stdexcept>
#include <string>

namespace featpool {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace featpool

#endif  // FEATPOOL_ERROR_H_
