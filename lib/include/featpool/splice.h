// Kaldi splice-feats (feat/feature-functions.cc SpliceFrames l.205-226):
// output row t is [x(t - L), ..., x(t + R)], frame-major, indices clamped to
// the utterance. Output dim (L + 1 + R) * D; look-ahead R.
#ifndef FEATPOOL_SPLICE_H_
#define FEATPOOL_SPLICE_H_

#include <cstdint>

namespace featpool {

class OptionVisitor;  // options.h

struct SpliceOptions {
  int32_t left_context = 0;  // 0 and 0 = off (Kaldi splice-feats: 4 and 4)
  int32_t right_context = 0;

  bool On() const { return left_context > 0 || right_context > 0; }
  void VisitOptions(OptionVisitor& v);
};

}  // namespace featpool

#endif  // FEATPOOL_SPLICE_H_
