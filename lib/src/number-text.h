// Numbers in error messages as a user typed them: "25", "0.97", "-1".
#ifndef FEATPOOL_SRC_NUMBER_TEXT_H_
#define FEATPOOL_SRC_NUMBER_TEXT_H_

#include <cstdio>
#include <string>

namespace featpool {

inline std::string NumberText(double value) {
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

}  // namespace featpool

#endif  // FEATPOOL_SRC_NUMBER_TEXT_H_
