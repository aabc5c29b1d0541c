// The generic mel spectrogram of torchaudio.transforms.MelSpectrogram
// (torchaudio 0.13.1, transforms/_transforms.py): torch.stft framing
// (framing.h), |X|^power, an HTK or Slaney mel bank (mel-filters.h), then
// an optional log step. With its options it also gives librosa's
// melspectrogram and the per-frame part of Whisper's and NeMo's frontends
// (DIALECTS.md sections 1, 2, 5). Samples are on the unit scale ([-1, 1],
// as torchaudio.load gives them).
//
// Thread safety: a computer holds an FFT plan and scratch: one per stream.
#ifndef FEATPOOL_MELSPECTROGRAM_H_
#define FEATPOOL_MELSPECTROGRAM_H_

#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "featpool/feature-computer.h"
#include "featpool/framing.h"
#include "featpool/mel-filters.h"
#include "featpool/rfft.h"

namespace featpool {

class OptionVisitor;  // options.h

// ln / log10 of max(x, log_floor), or of x + log_offset when log_offset >
// 0 (NeMo's "add" guard, 2^-24); db is 10 log10 of power (20 log10 of a
// magnitude, power = 1: torchaudio AmplitudeToDB's stype), without top_db.
enum class MelLog { kNone, kLn, kLog10, kDb };

// torchaudio's names and defaults; sizes in samples.
struct MelSpectrogramOptions {
  float samp_freq = 16000.0f;  // Hz
  int32_t n_fft = 400;
  int32_t win_length = 0;  // 0 = n_fft
  int32_t hop_length = 0;  // 0 = win_length / 2
  StftWindow window = StftWindow::kHann;
  bool periodic = true;
  bool center = true;
  StftPadMode pad_mode = StftPadMode::kReflect;
  StftFrames frames = StftFrames::kAll;
  float power = 2.0f;  // 2: power, 1: magnitude
  float f_min = 0.0f;  // Hz
  float f_max = 0.0f;  // Hz; 0 = sample_frequency // 2 (torchaudio's integer Nyquist)
  int32_t n_mels = 128;
  MelScaleType mel_scale = MelScaleType::kHtk;
  MelNorm norm = MelNorm::kNone;
  MelShape mel_shape = MelShape::kTriangle;
  float preemph_coeff = 0.0f;  // NeMo's preemph, before the padding; 0 = off
  MelLog log = MelLog::kNone;
  float log_floor = 1e-10f;
  float log_offset = 0.0f;

  int32_t WinLength() const { return win_length > 0 ? win_length : n_fft; }
  int32_t HopLength() const { return hop_length > 0 ? hop_length : WinLength() / 2; }
  double FMax() const { return f_max > 0 ? f_max : std::floor(samp_freq / 2.0); }
  StftFramingOptions Framing() const;
  // The nearest Kaldi frame options (rate, hop as the shift, n_fft as the
  // length), for what shows the frame grid.
  FrameExtractionOptions FrameEquivalent() const;
  // Throws OptionError naming the option.
  void Validate() const;
  void VisitOptions(OptionVisitor& v);  // the field table (options.h)
  // The table without the log step (mel-mfcc has its own).
  void VisitSpectrumOptions(OptionVisitor& v);
};

class MelSpectrogramComputer : public FeatureComputer {
 public:
  explicit MelSpectrogramComputer(const MelSpectrogramOptions& opts);  // validates

  const FrameExtractionOptions& frame_options() const override { return frame_equivalent_; }
  std::unique_ptr<Framer> MakeFramer() const override;
  int32_t Dim() const override { return opts_.n_mels; }
  bool NeedRawLogEnergy() const override { return false; }
  void Compute(float raw_log_energy, float* window, float* feature) override;

 private:
  MelSpectrogramOptions opts_;
  FrameExtractionOptions frame_equivalent_;
  MelFilters filters_;
  Rfft fft_;
  std::vector<float> spectrum_;
};

}  // namespace featpool

#endif  // FEATPOOL_MELSPECTROGRAM_H_
