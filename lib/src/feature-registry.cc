#include "featpool/feature-registry.h"

#include "featpool/fbank.h"
#include "featpool/mfcc.h"
#include "featpool/spectrogram.h"

namespace featpool {
namespace {

const std::vector<FeatureTypeInfo> kFeatureTypes = {
    {FeatureType::kFbank, "fbank", "Kaldi log-mel filterbank (compute-fbank-feats)", "int16",
     [](FeatureOptions& o, OptionVisitor& v) { o.fbank.VisitOptions(v); },
     [](const FeatureOptions& o) -> const FrameExtractionOptions& { return o.fbank.frame_opts; },
     [](const FeatureOptions& o) -> std::unique_ptr<FeatureComputer> {
       return std::make_unique<FbankComputer>(o.fbank);
     }},
    {FeatureType::kMfcc, "mfcc", "Kaldi MFCC (compute-mfcc-feats)", "int16",
     [](FeatureOptions& o, OptionVisitor& v) { o.mfcc.VisitOptions(v); },
     [](const FeatureOptions& o) -> const FrameExtractionOptions& { return o.mfcc.frame_opts; },
     [](const FeatureOptions& o) -> std::unique_ptr<FeatureComputer> {
       return std::make_unique<MfccComputer>(o.mfcc);
     }},
    {FeatureType::kSpectrogram, "spectrogram",
     "Kaldi log power spectrogram (compute-spectrogram-feats)", "int16",
     [](FeatureOptions& o, OptionVisitor& v) { o.spectrogram.VisitOptions(v); },
     [](const FeatureOptions& o) -> const FrameExtractionOptions& {
       return o.spectrogram.frame_opts;
     },
     [](const FeatureOptions& o) -> std::unique_ptr<FeatureComputer> {
       return std::make_unique<SpectrogramComputer>(o.spectrogram);
     }},
};

}  // namespace

const std::vector<FeatureTypeInfo>& FeatureTypes() { return kFeatureTypes; }

const FeatureTypeInfo& FeatureTypeInfoOf(FeatureType type) {
  for (const FeatureTypeInfo& info : kFeatureTypes) {
    if (info.type == type) return info;
  }
  return kFeatureTypes.front();
}

const FeatureTypeInfo& FindFeatureType(const std::string& name) {
  std::string list;
  for (size_t i = 0; i < kFeatureTypes.size(); ++i) {
    if (name == kFeatureTypes[i].name) return kFeatureTypes[i];
    list += (i == 0 ? "" : i + 1 == kFeatureTypes.size() ? " or " : ", ");
    list += kFeatureTypes[i].name;
  }
  throw OptionError("feature", name, "expected " + list);
}

FeatureOptions DefaultFeatureOptions(FeatureType type) {
  FeatureOptions opts;
  opts.type = type;
  return opts;
}

void FeatureOptions::VisitOptions(OptionVisitor& v) { FeatureTypeInfoOf(type).visit(*this, v); }

const FrameExtractionOptions& FeatureOptions::frame_opts() const {
  return FeatureTypeInfoOf(type).frame_options(*this);
}

std::unique_ptr<FeatureComputer> MakeFeatureComputer(const FeatureOptions& opts) {
  return FeatureTypeInfoOf(opts.type).make_computer(opts);
}

FeatureType ParseFeatureType(const std::string& name) { return FindFeatureType(name).type; }

std::string FeatureTypeName(FeatureType type) { return FeatureTypeInfoOf(type).name; }

}  // namespace featpool
