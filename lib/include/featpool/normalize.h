// Normalisations over the whole utterance that dialects fold into their log
// step (DIALECTS.md sections 1, 2, 4, 5); none can stream:
//   per-feature  NeMo normalize_batch "per_feature" (features.py l.59-93):
//                per column (x - mean) / (std + 1e-5), std unbiased (n - 1),
//                a NaN std (one frame) taken as 0. Sums in double, one
//                rounding per value (torch's float32 reductions differ from
//                it by float rounding, ~1e-6 relative).
//   whisper      whisper/audio.py l.155-156: max(x, max(x) - 8) over the
//                whole matrix, then (x + 4) / 4, in float as torch does.
//   top-db       max(x, max(x) - top_db) over the whole matrix: librosa
//                power_to_db / torchaudio AmplitudeToDB / SpeechBrain's floor,
//                in the units of the features (80 for 10 log10 dB).
#ifndef FEATPOOL_NORMALIZE_H_
#define FEATPOOL_NORMALIZE_H_

#include <cstdint>

#include "featpool/matrix.h"

namespace featpool {

class OptionVisitor;  // options.h

enum class NormalizeMode { kNone, kPerFeature, kWhisper, kTopDb };

struct NormalizeOptions {
  NormalizeMode mode = NormalizeMode::kNone;  // key "normalize"
  double top_db = 80.0;                       // top-db only

  void VisitOptions(OptionVisitor& v);
  void Validate() const;  // throws OptionError
};

// In place, over the whole utterance.
void Normalize(const NormalizeOptions& opts, Matrix* m);
// The same on `rows` row-major rows of `cols` floats.
void NormalizeRows(const NormalizeOptions& opts, float* data, int64_t rows, int64_t cols);

}  // namespace featpool

#endif  // FEATPOOL_NORMALIZE_H_
