// Kaldi add-deltas (feat/feature-functions.cc DeltaFeatures l.54-111): the
// features followed by `order` delta orders, each a filter over the
// *original* features with frame indices clamped to the utterance; filter i
// is filter i - 1 convolved with [j / sum j^2], j = -window..window, built in
// float as Kaldi does. Output dim (order + 1) * D; look-ahead order * window.
#ifndef FEATPOOL_DELTAS_H_
#define FEATPOOL_DELTAS_H_

#include <cstdint>
#include <vector>

namespace featpool {

class OptionVisitor;  // options.h

struct DeltaOptions {
  int32_t order = 0;   // key "deltas"; 0 = off (Kaldi add-deltas: 2)
  int32_t window = 2;  // key "delta_window"

  void VisitOptions(OptionVisitor& v);
  void Validate() const;  // throws OptionError
};

// The filters, scales[i] of 2 * i * window + 1 taps (Kaldi's scales_).
std::vector<std::vector<float>> DeltaScales(const DeltaOptions& opts);

}  // namespace featpool

#endif  // FEATPOOL_DELTAS_H_
