#include "featpool/version.h"

#include "featpool-version-info.h"

namespace featpool {

const char* version() { return FEATPOOL_VERSION_STRING; }

}  // namespace featpool
