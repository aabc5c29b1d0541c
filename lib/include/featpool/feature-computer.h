// The interface every per-frame feature type implements (Kaldi's
// FeatureComputer concept), and a factory that picks one by name. New
// feature conventions (other mel scales, Whisper's log-mel, ...) are new
// implementations of this interface.
//
// Thread safety: a computer holds an FFT plan and scratch buffers, so use
// one per stream. Construction is cheap.
#ifndef FEATPOOL_FEATURE_COMPUTER_H_
#define FEATPOOL_FEATURE_COMPUTER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "featpool/frame-extractor.h"

namespace featpool {

class Framer;  // framing.h

class FeatureComputer {
 public:
  virtual ~FeatureComputer() = default;

  // Kaldi's frame options, or for a type with another framer their
  // nearest Kaldi equivalent (the rate, shift and length, for display).
  virtual const FrameExtractionOptions& frame_options() const = 0;
  // The framer whose frames Compute() takes: Kaldi's (KaldiFramer of
  // frame_options()) unless the type overrides it.
  virtual std::unique_ptr<Framer> MakeFramer() const;
  virtual int32_t Dim() const = 0;
  // Whether Compute() needs the raw (pre-window) log energy.
  virtual bool NeedRawLogEnergy() const = 0;
  // `window` holds a framed, windowed, zero-padded frame of the framer's
  // OutputSize() floats and may be overwritten;
  // `feature` receives Dim() floats.
  virtual void Compute(float raw_log_energy, float* window, float* feature) = 0;
};

enum class FeatureType { kFbank, kMfcc, kSpectrogram, kMelSpectrogram, kMelMfcc };

// A name of the registry (feature-registry.h); throws OptionError("feature")
// otherwise.
FeatureType ParseFeatureType(const std::string& name);
std::string FeatureTypeName(FeatureType type);

}  // namespace featpool

#endif  // FEATPOOL_FEATURE_COMPUTER_H_
