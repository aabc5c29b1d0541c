// The only list of feature types. Each entry names the type, says what it
// reproduces and which sample scale it expects, and gives the three
// functions everything else needs: its field table (options.h), its frame
// options and its computer. The command's flags, the Python keywords,
// --help and validation all iterate over this list, so a new feature type
// is its options struct, its computer and one entry here.
//
// Thread safety: the registry is immutable.
#ifndef FEATPOOL_FEATURE_REGISTRY_H_
#define FEATPOOL_FEATURE_REGISTRY_H_

#include <memory>
#include <string>
#include <vector>

#include "featpool/feature-computer.h"
#include "featpool/feature-options.h"
#include "featpool/framing.h"
#include "featpool/options.h"

namespace featpool {

// How the columns of a type's features read, for pictures (featpool plot):
// a title and the y axis.
struct FeatureColumns {
  std::string title;  // "fbank, 80 mel bins"
  std::string label;  // "mel bin", "frequency (kHz)"
  double first = 0.0; // the value of column 0 on that axis
  double step = 1.0;  // and the step between columns
};

struct FeatureTypeInfo {
  FeatureType type;
  const char* name;          // "fbank": the --feature value and the Python function
  const char* help;          // one line for --help and --feature listings
  const char* sample_scale;  // "int16" (Kaldi's integer scale) or "unit" ([-1, 1])
  // Visits the options of this type inside a FeatureOptions.
  void (*visit)(FeatureOptions& opts, OptionVisitor& v);
  // Kaldi's frame options, or their nearest equivalent (the rate, shift and
  // length) for a type framed otherwise.
  FrameExtractionOptions (*frame_options)(const FeatureOptions& opts);
  // The framer of this type (framing.h); the options must be valid.
  std::unique_ptr<Framer> (*make_framer)(const FeatureOptions& opts);
  // Validates this type's options and builds its computer; throws Error.
  std::unique_ptr<FeatureComputer> (*make_computer)(const FeatureOptions& opts);
  // Its columns (`dim` of them), for pictures.
  FeatureColumns (*columns)(const FeatureOptions& opts, int64_t dim);
};

// Every feature type, in the order --help lists them.
const std::vector<FeatureTypeInfo>& FeatureTypes();
const FeatureTypeInfo& FeatureTypeInfoOf(FeatureType type);
// By name; throws OptionError("feature", name, "expected ...") otherwise.
const FeatureTypeInfo& FindFeatureType(const std::string& name);

// The value of a full-scale sample the type expects: 32768 for "int16"
// (Kaldi), 1 for "unit" (torchaudio.load's [-1, 1]).
float FullScaleSample(FeatureType type);

// Default options of `type` (its own defaults, e.g. MFCC's use_energy=true).
FeatureOptions DefaultFeatureOptions(FeatureType type);

}  // namespace featpool

#endif  // FEATPOOL_FEATURE_REGISTRY_H_
