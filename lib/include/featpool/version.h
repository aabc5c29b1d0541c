// featpool's semantic version.
#ifndef FEATPOOL_VERSION_H_
#define FEATPOOL_VERSION_H_

namespace featpool {

// "MAJOR.MINOR.PATCH" of the library that is linked.
const char* version();

}  // namespace featpool

#endif  // FEATPOOL_VERSION_H_
