#include "featpool/feature-registry.h"

#include "featpool/fbank.h"
#include "featpool/mel-mfcc.h"
#include "featpool/melspectrogram.h"
#include "featpool/mfcc.h"
#include "featpool/spectrogram.h"

namespace featpool {
namespace {

template <FrameExtractionOptions (*Frame)(const FeatureOptions&)>
std::unique_ptr<Framer> Kaldi(const FeatureOptions& o) {
  return std::make_unique<KaldiFramer>(Frame(o));
}
FrameExtractionOptions FbankFrame(const FeatureOptions& o) { return o.fbank.frame_opts; }
FrameExtractionOptions MfccFrame(const FeatureOptions& o) { return o.mfcc.frame_opts; }
FrameExtractionOptions SpectrogramFrame(const FeatureOptions& o) {
  return o.spectrogram.frame_opts;
}

const std::vector<FeatureTypeInfo> kFeatureTypes = {
    {FeatureType::kFbank, "fbank", "Kaldi log-mel filterbank (compute-fbank-feats)", "int16",
     [](FeatureOptions& o, OptionVisitor& v) { o.fbank.VisitOptions(v); }, FbankFrame,
     Kaldi<FbankFrame>,
     [](const FeatureOptions& o) -> std::unique_ptr<FeatureComputer> {
       return std::make_unique<FbankComputer>(o.fbank);
     },
     [](const FeatureOptions& o, int64_t) {
       return FeatureColumns{"fbank, " + std::to_string(o.fbank.mel_opts.num_bins) + " mel bins",
                             o.fbank.use_energy ? "dimension (energy, mel bins)" : "mel bin"};
     }},
    {FeatureType::kMfcc, "mfcc", "Kaldi MFCC (compute-mfcc-feats)", "int16",
     [](FeatureOptions& o, OptionVisitor& v) { o.mfcc.VisitOptions(v); }, MfccFrame,
     Kaldi<MfccFrame>,
     [](const FeatureOptions& o) -> std::unique_ptr<FeatureComputer> {
       return std::make_unique<MfccComputer>(o.mfcc);
     },
     [](const FeatureOptions&, int64_t dim) {
       return FeatureColumns{"mfcc, " + std::to_string(dim) + " cepstra", "cepstral coefficient"};
     }},
    {FeatureType::kSpectrogram, "spectrogram",
     "Kaldi log power spectrogram (compute-spectrogram-feats)", "int16",
     [](FeatureOptions& o, OptionVisitor& v) { o.spectrogram.VisitOptions(v); }, SpectrogramFrame,
     Kaldi<SpectrogramFrame>,
     [](const FeatureOptions& o) -> std::unique_ptr<FeatureComputer> {
       return std::make_unique<SpectrogramComputer>(o.spectrogram);
     },
     [](const FeatureOptions& o, int64_t dim) {
       // Bin k is at k * rate / padded (column 0 carries the log energy).
       const FrameExtractionOptions& f = o.spectrogram.frame_opts;
       return FeatureColumns{"spectrogram, " + std::to_string(dim) + " bins", "frequency (kHz)",
                             0.0, f.samp_freq / f.PaddedWindowSize() / 1000.0};
     }},
    {FeatureType::kMelSpectrogram, "melspectrogram",
     "torchaudio MelSpectrogram (centred STFT, HTK or Slaney mel), optional log", "unit",
     [](FeatureOptions& o, OptionVisitor& v) { o.melspectrogram.VisitOptions(v); },
     [](const FeatureOptions& o) { return o.melspectrogram.FrameEquivalent(); },
     [](const FeatureOptions& o) -> std::unique_ptr<Framer> {
       return std::make_unique<StftFramer>(o.melspectrogram.Framing());
     },
     [](const FeatureOptions& o) -> std::unique_ptr<FeatureComputer> {
       return std::make_unique<MelSpectrogramComputer>(o.melspectrogram);
     },
     [](const FeatureOptions&, int64_t dim) {
       return FeatureColumns{"melspectrogram, " + std::to_string(dim) + " mel bins", "mel bin"};
     }},
    {FeatureType::kMelMfcc, "mel-mfcc",
     "torchaudio MFCC: orthonormal DCT-II of the dB (or ln) mel spectrogram, no top_db", "unit",
     [](FeatureOptions& o, OptionVisitor& v) { o.mel_mfcc.VisitOptions(v); },
     [](const FeatureOptions& o) { return o.mel_mfcc.mel.FrameEquivalent(); },
     [](const FeatureOptions& o) -> std::unique_ptr<Framer> {
       return std::make_unique<StftFramer>(o.mel_mfcc.mel.Framing());
     },
     [](const FeatureOptions& o) -> std::unique_ptr<FeatureComputer> {
       return std::make_unique<MelMfccComputer>(o.mel_mfcc);
     },
     [](const FeatureOptions&, int64_t dim) {
       return FeatureColumns{"mel-mfcc, " + std::to_string(dim) + " cepstra",
                             "cepstral coefficient"};
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

float FullScaleSample(FeatureType type) {
  return std::string(FeatureTypeInfoOf(type).sample_scale) == "unit" ? 1.0f : 32768.0f;
}

FeatureOptions DefaultFeatureOptions(FeatureType type) {
  FeatureOptions opts;
  opts.type = type;
  return opts;
}

void FeatureOptions::VisitOptions(OptionVisitor& v) { FeatureTypeInfoOf(type).visit(*this, v); }

FrameExtractionOptions FeatureOptions::frame_opts() const {
  return FeatureTypeInfoOf(type).frame_options(*this);
}

std::unique_ptr<Framer> FeatureOptions::MakeFramer() const {
  return FeatureTypeInfoOf(type).make_framer(*this);
}

int32_t FeatureOptions::NumFrames(int64_t num_samples) const {
  return MakeFramer()->NumFrames(num_samples, true);
}

std::unique_ptr<FeatureComputer> MakeFeatureComputer(const FeatureOptions& opts) {
  return FeatureTypeInfoOf(opts.type).make_computer(opts);
}

FeatureType ParseFeatureType(const std::string& name) { return FindFeatureType(name).type; }

std::string FeatureTypeName(FeatureType type) { return FeatureTypeInfoOf(type).name; }

}  // namespace featpool
