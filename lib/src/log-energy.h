// Energy helpers shared by the feature computers (internal).
#ifndef FEATPOOL_SRC_LOG_ENERGY_H_
#define FEATPOOL_SRC_LOG_ENERGY_H_

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <string>

#include "featpool/error.h"
#include "number-text.h"

namespace featpool {

// Log of the energy of the windowed frame, for raw_energy = false.
inline float WindowedLogEnergy(const float* window, int32_t size) {
  double energy = 0.0;
  for (int32_t i = 0; i < size; ++i) energy += static_cast<double>(window[i]) * window[i];
  return static_cast<float>(std::log(std::max(energy, double{FLT_EPSILON})));
}

inline float LogEnergyFloor(float energy_floor) {
  if (!(energy_floor >= 0) || !std::isfinite(energy_floor)) {
    throw OptionError("energy_floor", NumberText(energy_floor), "must be >= 0");
  }
  return energy_floor > 0 ? std::log(energy_floor) : 0.0f;
}

}  // namespace featpool

#endif  // FEATPOOL_SRC_LOG_ENERGY_H_
