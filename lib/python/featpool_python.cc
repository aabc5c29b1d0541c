// Python bindings: `import featpool`.
//
// NumPy in, NumPy out. Inputs that are already C-contiguous float32 are read
// in place; results are moved into the returned array (no copy). The GIL is
// released while features are computed, so several Python threads can
// extract at once. Keyword names follow torchaudio.compliance.kaldi; the
// defaults are Kaldi's, as in the featpool command (see kDefaultsDoc).
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cctype>
#include <cmath>
#include <cstdint>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "featpool/audio-source.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-options.h"
#include "featpool/matrix.h"
#include "featpool/online-feature.h"
#include "featpool/online-pooler.h"
#include "featpool/plot.h"
#include "featpool/pooler.h"
#include "featpool/version.h"

namespace py = pybind11;

namespace featpool {
namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

// Library messages name command-line flags ("invalid --num-mel-bins=2");
// in Python the same option is the keyword num_mel_bins.
std::string PythonMessage(const std::string& message) {
  static const std::regex flag(R"((^|[\s('"])--([a-z][a-z0-9]*(?:-[a-z0-9]+)*))");
  std::string out;
  auto begin = std::sregex_iterator(message.begin(), message.end(), flag);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const std::smatch& m = *it;
    std::string name = m[2].str();
    for (char& c : name) {
      if (c == '-') c = '_';
    }
    if (name == "indices") name = "return_indices";
    out += message.substr(last, static_cast<size_t>(m.position(0)) - last);
    out += m[1].str() + name;
    last = static_cast<size_t>(m.position(0) + m.length(0));
  }
  out += message.substr(last);
  // "--ceil-mode=false" became "ceil_mode=false": Python spells it False.
  for (const char* word : {"=true", "=false"}) {
    for (size_t at = out.find(word); at != std::string::npos; at = out.find(word, at + 1)) {
      out[at + 1] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[at + 1])));
    }
  }
  return out;
}

// Samples: 1-D [samples], or 2-D [channels, samples] as torchaudio takes a
// waveform, of which row `channel` (-1: the first, as torchaudio;
// MIX_CHANNELS: their average, as the command's --channel=mix) is used.
struct Samples {
  FloatArray array;  // keeps the buffer alive while the GIL is released
  std::vector<float> mixed;
  const float* data = nullptr;
  int64_t count = 0;
};

// As AudioSource rejects a file's NaN or inf sample (the features would be
// NaN), with the same reason.
void CheckSamplesFinite(const Samples& s) {
  for (int64_t i = 0; i < s.count; ++i) {
    if (!std::isfinite(s.data[i])) {
      throw Error("samples: non-finite sample (NaN or inf) at sample " + std::to_string(i));
    }
  }
}

Samples GetSamples(const FloatArray& array, int32_t channel) {
  // The command's --channel takes -1, N >= 0 or mix, and nothing else.
  if (channel < -1 && channel != AudioReadOptions::kMixChannels) {
    throw Error("invalid --channel='" + std::to_string(channel) +
                "': expected -1, a channel number or mix (MIX_CHANNELS)");
  }
  Samples s;
  s.array = array;
  if (array.ndim() == 1) {
    s.data = array.data();
    s.count = array.shape(0);
    CheckSamplesFinite(s);
    return s;
  }
  if (array.ndim() != 2) {
    throw Error("samples must be 1-D [samples] or 2-D [channels, samples], not " +
                std::to_string(array.ndim()) + "-D");
  }
  const int64_t channels = array.shape(0);
  s.count = array.shape(1);
  if (channel == AudioReadOptions::kMixChannels && channels > 1) {
    // As AudioSource mixes: a float sum over the channels, divided once.
    s.mixed.resize(static_cast<size_t>(s.count));
    for (int64_t i = 0; i < s.count; ++i) {
      float sum = 0.0f;
      for (int64_t c = 0; c < channels; ++c) sum += *array.data(c, i);
      s.mixed[static_cast<size_t>(i)] = sum / static_cast<float>(channels);
    }
    s.data = s.mixed.data();
    CheckSamplesFinite(s);
    return s;
  }
  const int64_t c = channel < 0 ? 0 : channel;
  if (c >= channels) {
    throw Error("invalid --channel=" + std::to_string(channel) + ": the waveform has " +
                std::to_string(channels) + " channel(s)");
  }
  s.data = array.data(c, 0);
  CheckSamplesFinite(s);
  return s;
}

// Hands a Matrix to NumPy without copying: the array owns it.
py::array_t<float> ToArray(Matrix&& matrix) {
  const int64_t rows = matrix.rows();
  const int64_t cols = matrix.cols();
  if (rows == 0) return py::array_t<float>(std::vector<py::ssize_t>{0, cols});
  auto* owned = new Matrix(std::move(matrix));
  py::capsule owner(owned, [](void* p) { delete static_cast<Matrix*>(p); });
  return py::array_t<float>({rows, cols}, owned->data(), owner);
}

py::array_t<float> ToArray(std::vector<float>&& samples) {
  auto* owned = new std::vector<float>(std::move(samples));
  py::capsule owner(owned, [](void* p) { delete static_cast<std::vector<float>*>(p); });
  return py::array_t<float>({static_cast<py::ssize_t>(owned->size())}, owned->data(), owner);
}

// Every keyword of every feature type, with Kaldi's defaults; each binding
// fills the ones it exposes.
struct FeatureArgs {
  float sample_rate = 16000.0f;
  std::optional<float> sample_frequency;
  // framing
  float frame_length = 25.0f;
  float frame_shift = 10.0f;
  float dither = 0.0f;
  float preemphasis_coefficient = 0.97f;
  bool remove_dc_offset = true;
  std::string window_type = "povey";
  bool round_to_power_of_two = true;
  float blackman_coeff = 0.42f;
  bool snip_edges = true;
  uint32_t dither_seed = 0;
  // mel
  int32_t num_mel_bins = 23;
  float low_freq = 20.0f;
  float high_freq = 0.0f;
  // energy and output
  std::optional<bool> use_energy;  // Kaldi: false for fbank, true for MFCC
  float energy_floor = 0.0f;
  bool raw_energy = true;
  bool htk_compat = false;
  bool use_log_fbank = true;
  bool use_power = true;
  int32_t num_ceps = 13;
  float cepstral_lifter = 22.0f;

  float Rate() const {
    if (!sample_frequency) return sample_rate;
    if (sample_rate != 16000.0f && sample_rate != *sample_frequency) {
      throw Error("sample_rate=" + std::to_string(sample_rate) + " and sample_frequency=" +
                  std::to_string(*sample_frequency) + " disagree; give one of them");
    }
    return *sample_frequency;
  }

  FeatureOptions ToOptions(FeatureType type) const {
    FrameExtractionOptions frame;
    frame.samp_freq = Rate();
    frame.frame_length_ms = frame_length;
    frame.frame_shift_ms = frame_shift;
    frame.dither = dither;
    frame.preemph_coeff = preemphasis_coefficient;
    frame.remove_dc_offset = remove_dc_offset;
    frame.window_type = ParseWindowType(window_type);
    frame.round_to_power_of_two = round_to_power_of_two;
    frame.blackman_coeff = blackman_coeff;
    frame.snip_edges = snip_edges;
    frame.dither_seed = dither_seed;

    CommonFeatureOptions common;
    common.frame = frame;
    common.mel.num_bins = num_mel_bins;
    common.mel.low_freq = low_freq;
    common.mel.high_freq = high_freq;
    common.use_energy = use_energy;
    common.energy_floor = energy_floor;
    common.raw_energy = raw_energy;
    common.htk_compat = htk_compat;
    common.use_log_fbank = use_log_fbank;
    common.use_power = use_power;
    common.num_ceps = num_ceps;
    common.cepstral_lifter = cepstral_lifter;
    return common.For(type);
  }
};

py::array_t<float> Compute(const FeatureOptions& opts, const FloatArray& array, int32_t channel) {
  // Building the computer validates every option before any work.
  const int32_t dim = MakeFeatureComputer(opts)->Dim();
  Samples s = GetSamples(array, channel);
  Matrix features;
  {
    py::gil_scoped_release release;
    features = ComputeFeatures(opts, opts.frame_opts().samp_freq, s.data, s.count);
  }
  CheckFinite(features.View(), "samples");  // as the command checks each file
  if (features.rows() == 0) features = Matrix(0, dim);
  return ToArray(std::move(features));
}

// The framing keywords shared by every feature function: the C++ parameter
// list, the Python keyword list and the copy into FeatureArgs, side by side
// so that they cannot drift apart.
#define FEATPOOL_FRAME_PARAMS                                                            \
  float frame_length, float frame_shift, float dither, float preemphasis_coefficient,    \
      bool remove_dc_offset, const std::string &window_type, bool round_to_power_of_two, \
      float blackman_coeff, bool snip_edges
#define FEATPOOL_FRAME_KWARGS                                                             \
  py::arg("frame_length") = 25.0, py::arg("frame_shift") = 10.0, py::arg("dither") = 0.0, \
  py::arg("preemphasis_coefficient") = 0.97, py::arg("remove_dc_offset") = true,          \
  py::arg("window_type") = "povey", py::arg("round_to_power_of_two") = true,              \
  py::arg("blackman_coeff") = 0.42, py::arg("snip_edges") = true
#define FEATPOOL_SET_FRAME_ARGS(a)                     \
  a.frame_length = frame_length;                       \
  a.frame_shift = frame_shift;                         \
  a.dither = dither;                                   \
  a.preemphasis_coefficient = preemphasis_coefficient; \
  a.remove_dc_offset = remove_dc_offset;               \
  a.window_type = window_type;                         \
  a.round_to_power_of_two = round_to_power_of_two;     \
  a.blackman_coeff = blackman_coeff;                   \
  a.snip_edges = snip_edges
// Keywords every function ends with.
#define FEATPOOL_TAIL_PARAMS std::optional<float> sample_frequency, uint32_t dither_seed
#define FEATPOOL_TAIL_KWARGS py::arg("sample_frequency") = py::none(), py::arg("dither_seed") = 0
#define FEATPOOL_SET_TAIL_ARGS(a)        \
  a.sample_frequency = sample_frequency; \
  a.dither_seed = dither_seed

const char kDefaultsDoc[] = R"(
Samples are on Kaldi's integer scale (a full-scale 16-bit sample is +-32768),
as read_audio() returns them and as torchaudio.compliance.kaldi needs them to
agree with Kaldi. `samples` is 1-D, or 2-D [channels, samples] of which row
`channel` is used (-1: the first). Returns float32 [frames, dims].

Keyword names are those of torchaudio.compliance.kaldi (sample_frequency is
accepted as an alias of sample_rate). Defaults are Kaldi's, as in the featpool
command, except dither, which is 0 (Kaldi: 1) so results are reproducible.
torchaudio's defaults differ in energy_floor (torchaudio 1.0, here 0.0) and,
for mfcc, use_energy (torchaudio False, here True): pass them explicitly to
reproduce torchaudio. dither_seed seeds the dither noise. Bad options raise
featpool.Error (a ValueError) naming the keyword.
)";

// Serialises calls on one Python-visible streaming object, whose methods run
// without the GIL.
class PyOnlineExtractor {
 public:
  explicit PyOnlineExtractor(const FeatureOptions& opts) : extractor_(opts) {}

  void AcceptWaveform(float sample_rate, const FloatArray& array) {
    if (array.ndim() != 1) throw Error("accept_waveform() takes 1-D samples");
    Samples s = GetSamples(array, -1);
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex_);
    const int32_t before = extractor_.NumFramesReady();
    extractor_.AcceptWaveform(sample_rate, s.data, s.count);
    CheckNewFrames(before);
  }
  void InputFinished() {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex_);
    const int32_t before = extractor_.NumFramesReady();
    extractor_.InputFinished();
    CheckNewFrames(before);
  }
  template <typename F>
  auto Locked(F f) {
    std::lock_guard<std::mutex> lock(mutex_);
    return f(extractor_);
  }
  py::array_t<float> GetFrame(int32_t frame) {
    std::lock_guard<std::mutex> lock(mutex_);
    py::array_t<float> out(extractor_.Dim());
    const float* row = extractor_.Frame(frame);
    std::copy(row, row + extractor_.Dim(), out.mutable_data());
    return out;
  }
  py::array_t<float> GetFrames(std::optional<int32_t> start, std::optional<int32_t> end) {
    std::lock_guard<std::mutex> lock(mutex_);
    const int32_t first = start.value_or(extractor_.FirstAvailableFrame());
    const int32_t last = end.value_or(extractor_.NumFramesReady());
    if (first < extractor_.FirstAvailableFrame() || last > extractor_.NumFramesReady() ||
        first > last) {
      throw Error("frames [" + std::to_string(first) + ", " + std::to_string(last) +
                  ") are not available (available: [" +
                  std::to_string(extractor_.FirstAvailableFrame()) + ", " +
                  std::to_string(extractor_.NumFramesReady()) + "))");
    }
    const int32_t dim = extractor_.Dim();
    py::array_t<float> out(std::vector<py::ssize_t>{last - first, dim});
    if (last > first) {
      const float* begin = extractor_.Frame(first);
      std::copy(begin, begin + static_cast<int64_t>(last - first) * dim, out.mutable_data());
    }
    return out;
  }
  py::array_t<float> TakeFrames() {
    Matrix frames;
    int32_t dim;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      frames = extractor_.TakeFrames();
      dim = extractor_.Dim();
    }
    if (frames.rows() == 0) frames = Matrix(0, dim);
    return ToArray(std::move(frames));
  }

 private:
  // NaN or inf frames raise, as the offline functions do (the frames stay
  // in the stream; the caller decides what to do with it).
  void CheckNewFrames(int32_t before) {
    const int32_t after = extractor_.NumFramesReady();
    if (after <= before || before < extractor_.FirstAvailableFrame()) return;
    CheckFinite({extractor_.Frame(before), after - before, extractor_.Dim()}, "samples");
  }

  std::mutex mutex_;
  OnlineExtractor extractor_;
};

void BindFeatures(py::module_& m) {
  m.def(
      "fbank",
      [](const FloatArray& samples, float sample_rate, int32_t num_mel_bins, FEATPOOL_FRAME_PARAMS,
         float low_freq, float high_freq, bool use_energy, float energy_floor, bool raw_energy,
         bool htk_compat, bool use_log_fbank, bool use_power, int32_t channel,
         FEATPOOL_TAIL_PARAMS) {
        FeatureArgs a;
        a.sample_rate = sample_rate;
        a.num_mel_bins = num_mel_bins;
        FEATPOOL_SET_FRAME_ARGS(a);
        a.low_freq = low_freq;
        a.high_freq = high_freq;
        a.use_energy = use_energy;
        a.energy_floor = energy_floor;
        a.raw_energy = raw_energy;
        a.htk_compat = htk_compat;
        a.use_log_fbank = use_log_fbank;
        a.use_power = use_power;
        FEATPOOL_SET_TAIL_ARGS(a);
        return Compute(a.ToOptions(FeatureType::kFbank), samples, channel);
      },
      (std::string("Kaldi log-mel filterbank features (compute-fbank-feats).\n") + kDefaultsDoc)
          .c_str(),
      py::arg("samples"), py::arg("sample_rate") = 16000.0, py::kw_only(),
      py::arg("num_mel_bins") = 23, FEATPOOL_FRAME_KWARGS, py::arg("low_freq") = 20.0,
      py::arg("high_freq") = 0.0, py::arg("use_energy") = false, py::arg("energy_floor") = 0.0,
      py::arg("raw_energy") = true, py::arg("htk_compat") = false, py::arg("use_log_fbank") = true,
      py::arg("use_power") = true, py::arg("channel") = -1, FEATPOOL_TAIL_KWARGS);

  m.def(
      "mfcc",
      [](const FloatArray& samples, float sample_rate, int32_t num_ceps, float cepstral_lifter,
         int32_t num_mel_bins, FEATPOOL_FRAME_PARAMS, float low_freq, float high_freq,
         bool use_energy, float energy_floor, bool raw_energy, bool htk_compat, int32_t channel,
         FEATPOOL_TAIL_PARAMS) {
        FeatureArgs a;
        a.sample_rate = sample_rate;
        a.num_ceps = num_ceps;
        a.cepstral_lifter = cepstral_lifter;
        a.num_mel_bins = num_mel_bins;
        FEATPOOL_SET_FRAME_ARGS(a);
        a.low_freq = low_freq;
        a.high_freq = high_freq;
        a.use_energy = use_energy;
        a.energy_floor = energy_floor;
        a.raw_energy = raw_energy;
        a.htk_compat = htk_compat;
        FEATPOOL_SET_TAIL_ARGS(a);
        return Compute(a.ToOptions(FeatureType::kMfcc), samples, channel);
      },
      (std::string("Kaldi MFCC features (compute-mfcc-feats).\n") + kDefaultsDoc).c_str(),
      py::arg("samples"), py::arg("sample_rate") = 16000.0, py::kw_only(), py::arg("num_ceps") = 13,
      py::arg("cepstral_lifter") = 22.0, py::arg("num_mel_bins") = 23, FEATPOOL_FRAME_KWARGS,
      py::arg("low_freq") = 20.0, py::arg("high_freq") = 0.0, py::arg("use_energy") = true,
      py::arg("energy_floor") = 0.0, py::arg("raw_energy") = true, py::arg("htk_compat") = false,
      py::arg("channel") = -1, FEATPOOL_TAIL_KWARGS);

  m.def(
      "spectrogram",
      [](const FloatArray& samples, float sample_rate, FEATPOOL_FRAME_PARAMS, float energy_floor,
         bool raw_energy, int32_t channel, FEATPOOL_TAIL_PARAMS) {
        FeatureArgs a;
        a.sample_rate = sample_rate;
        FEATPOOL_SET_FRAME_ARGS(a);
        a.energy_floor = energy_floor;
        a.raw_energy = raw_energy;
        FEATPOOL_SET_TAIL_ARGS(a);
        return Compute(a.ToOptions(FeatureType::kSpectrogram), samples, channel);
      },
      (std::string("Kaldi log power spectrogram (compute-spectrogram-feats).\n") + kDefaultsDoc)
          .c_str(),
      py::arg("samples"), py::arg("sample_rate") = 16000.0, py::kw_only(), FEATPOOL_FRAME_KWARGS,
      py::arg("energy_floor") = 0.0, py::arg("raw_energy") = true, py::arg("channel") = -1,
      FEATPOOL_TAIL_KWARGS);

  py::class_<PyOnlineExtractor>(m, "OnlineExtractor", R"(
Streaming fbank / MFCC / spectrogram: feed samples in chunks of any size and
take frames as soon as they are ready. The frames are bit-identical to the
offline functions on the concatenated input. Keywords are those of fbank(),
mfcc() and spectrogram(); `feature` picks the type; use_energy=None means
Kaldi's default for the type (fbank False, MFCC True).

One object per stream. Its methods release the GIL and are serialised by a
lock, so sharing one object between threads is safe but pointless.

    ex = featpool.OnlineExtractor("fbank", num_mel_bins=80)
    for chunk in chunks:
        ex.accept_waveform(16000, chunk)
        rows = ex.take_frames()
    ex.input_finished()
    rows = ex.take_frames()
)")
      .def(py::init([](const std::string& feature, float sample_rate, int32_t num_mel_bins,
                       int32_t num_ceps, float cepstral_lifter, FEATPOOL_FRAME_PARAMS,
                       float low_freq, float high_freq, std::optional<bool> use_energy,
                       float energy_floor, bool raw_energy, bool htk_compat, bool use_log_fbank,
                       bool use_power, FEATPOOL_TAIL_PARAMS) {
             FeatureArgs a;
             a.sample_rate = sample_rate;
             a.num_mel_bins = num_mel_bins;
             a.num_ceps = num_ceps;
             a.cepstral_lifter = cepstral_lifter;
             FEATPOOL_SET_FRAME_ARGS(a);
             a.low_freq = low_freq;
             a.high_freq = high_freq;
             a.use_energy = use_energy;
             a.energy_floor = energy_floor;
             a.raw_energy = raw_energy;
             a.htk_compat = htk_compat;
             a.use_log_fbank = use_log_fbank;
             a.use_power = use_power;
             FEATPOOL_SET_TAIL_ARGS(a);
             return std::make_unique<PyOnlineExtractor>(a.ToOptions(ParseFeatureType(feature)));
           }),
           py::arg("feature") = "fbank", py::arg("sample_rate") = 16000.0, py::kw_only(),
           py::arg("num_mel_bins") = 23, py::arg("num_ceps") = 13,
           py::arg("cepstral_lifter") = 22.0, FEATPOOL_FRAME_KWARGS, py::arg("low_freq") = 20.0,
           py::arg("high_freq") = 0.0, py::arg("use_energy") = py::none(),
           py::arg("energy_floor") = 0.0, py::arg("raw_energy") = true,
           py::arg("htk_compat") = false, py::arg("use_log_fbank") = true,
           py::arg("use_power") = true, FEATPOOL_TAIL_KWARGS)
      .def("accept_waveform", &PyOnlineExtractor::AcceptWaveform, py::arg("sample_rate"),
           py::arg("samples"),
           "Appends 1-D samples (Kaldi's integer scale); sample_rate must be the configured one.")
      .def("input_finished", &PyOnlineExtractor::InputFinished,
           "Ends the stream; with snip_edges=False this makes the last frames ready.")
      .def_property_readonly(
          "num_frames_ready",
          [](PyOnlineExtractor& e) { return e.Locked([](auto& x) { return x.NumFramesReady(); }); },
          "Frames [0, num_frames_ready) have been computed.")
      .def_property_readonly(
          "first_available_frame",
          [](PyOnlineExtractor& e) {
            return e.Locked([](auto& x) { return x.FirstAvailableFrame(); });
          },
          "Frames before this one were taken or released.")
      .def_property_readonly(
          "is_finished",
          [](PyOnlineExtractor& e) { return e.Locked([](auto& x) { return x.IsFinished(); }); })
      .def_property_readonly("num_samples_accepted",
                             [](PyOnlineExtractor& e) {
                               return e.Locked([](auto& x) { return x.NumSamplesAccepted(); });
                             })
      .def_property_readonly(
          "dim", [](PyOnlineExtractor& e) { return e.Locked([](auto& x) { return x.Dim(); }); },
          "Columns per frame.")
      .def_property_readonly("frame_shift_seconds",
                             [](PyOnlineExtractor& e) {
                               return e.Locked([](auto& x) {
                                 return static_cast<double>(x.frame_options().WindowShift()) /
                                        x.frame_options().samp_freq;
                               });
                             })
      .def("get_frame", &PyOnlineExtractor::GetFrame, py::arg("frame"),
           "A copy of one ready frame (1-D).")
      .def("get_frames", &PyOnlineExtractor::GetFrames, py::arg("start") = py::none(),
           py::arg("end") = py::none(),
           "A copy of ready frames [start, end) (default: every frame not yet released).")
      .def("take_frames", &PyOnlineExtractor::TakeFrames,
           "Every ready frame not yet released, as [frames, dim] (moved, not copied); they are "
           "then released.")
      .def(
          "release_frames_before",
          [](PyOnlineExtractor& e, int32_t frame) {
            e.Locked([frame](auto& x) {
              x.ReleaseFramesBefore(frame);
              return 0;
            });
          },
          py::arg("frame"), "Frees frames before `frame` (bounded memory on an endless stream).")
      .def(
          "samples_needed_for_frame",
          [](PyOnlineExtractor& e, int32_t frame) {
            return e.Locked([frame](auto& x) { return x.SamplesNeededForFrame(frame); });
          },
          py::arg("frame"),
          "How many samples must have arrived before `frame` is ready (latency).");
}

// torch's int-or-pair arguments: 3 -> 3x3, (2, 3) -> 2x3. With `keep`,
// None (as a whole or per axis) keeps that axis (adaptive output_size).
PoolSize ToPoolSize(const py::handle& value, const char* name, bool keep = false) {
  auto one = [&](const py::handle& v) -> int64_t {
    if (keep && v.is_none()) return kKeep;
    if (!py::isinstance<py::int_>(v) || py::isinstance<py::bool_>(v)) {
      throw py::type_error(std::string(name) + " must be an int or a pair of ints" +
                           (keep ? " (None keeps an axis)" : "") + ", got " +
                           py::repr(value).cast<std::string>());
    }
    try {
      return v.cast<int64_t>();
    } catch (const py::cast_error&) {
      throw Error(std::string(name) + "=" + py::repr(value).cast<std::string>() +
                  " is out of range");
    }
  };
  if (py::isinstance<py::sequence>(value) && !py::isinstance<py::str>(value)) {
    const py::sequence seq = value.cast<py::sequence>();
    if (seq.size() != 2) {
      throw py::type_error(std::string(name) + " must have 2 entries (time, freq), got " +
                           std::to_string(seq.size()));
    }
    return {one(seq[0]), one(seq[1])};
  }
  const int64_t v = one(value);
  return {v, v};
}

PoolOptions MakePoolOptions(const std::string& mode, const py::object& kernel,
                            const py::object& stride, const py::object& padding,
                            const py::object& dilation, bool ceil_mode, bool count_include_pad,
                            std::optional<int64_t> divisor_override, double norm_type,
                            const py::object& output_size, bool return_indices,
                            int64_t stack_frames, int64_t stack_stride) {
  PoolOptions opts;
  opts.mode = ParsePoolMode(mode);
  const bool window_mode =
      opts.mode == PoolMode::kMax || opts.mode == PoolMode::kAvg || opts.mode == PoolMode::kLp;
  if (!kernel.is_none()) {
    opts.kernel = ToPoolSize(kernel, "kernel");
  } else if (window_mode) {
    opts.kernel = {2, 2};
  }
  if (!stride.is_none()) opts.stride = ToPoolSize(stride, "stride");
  opts.padding = ToPoolSize(padding, "padding");
  opts.dilation = ToPoolSize(dilation, "dilation");
  opts.ceil_mode = ceil_mode;
  opts.count_include_pad = count_include_pad;
  if (divisor_override) {
    // torch rejects 0 ("divisor must be not zero"); 0 means "none" here.
    if (*divisor_override == 0) throw Error("divisor_override must be non-zero");
    opts.divisor_override = *divisor_override;
  }
  opts.norm_type = norm_type;
  if (!output_size.is_none()) opts.output_size = ToPoolSize(output_size, "output_size", true);
  opts.return_indices = return_indices;
  opts.stack_frames = stack_frames;
  opts.stack_stride = stack_stride;
  return opts;
}

py::object Pool(const FloatArray& matrix, const std::string& mode, const py::object& kernel,
                const py::object& stride, const py::object& padding, const py::object& dilation,
                bool ceil_mode, bool count_include_pad, std::optional<int64_t> divisor_override,
                double norm_type, const py::object& output_size, bool return_indices,
                int64_t stack_frames, int64_t stack_stride) {
  if (matrix.ndim() != 2) {
    throw Error("pool() takes a 2-D [time, freq] matrix, not " + std::to_string(matrix.ndim()) +
                "-D");
  }
  const PoolOptions opts = MakePoolOptions(mode, kernel, stride, padding, dilation, ceil_mode,
                                           count_include_pad, divisor_override, norm_type,
                                           output_size, return_indices, stack_frames, stack_stride);
  const Pooler pooler(opts);
  const MatrixView in{matrix.data(), matrix.shape(0), matrix.shape(1)};
  const PoolSize shape = pooler.OutputShape(in.rows, in.cols);
  py::array_t<float> out(std::vector<py::ssize_t>{shape.time, shape.freq});
  py::array_t<int64_t> indices;
  int64_t* index_data = nullptr;
  if (return_indices) {
    indices = py::array_t<int64_t>(std::vector<py::ssize_t>{shape.time, shape.freq});
    index_data = indices.mutable_data();
  }
  float* out_data = out.mutable_data();
  {
    py::gil_scoped_release release;
    pooler.Apply(in, out_data, index_data);
  }
  if (return_indices) return py::make_tuple(out, indices);
  return std::move(out);
}

// As PyOnlineExtractor: calls on one object are serialised, the GIL is
// released while frames are pooled.
class PyOnlinePooler {
 public:
  PyOnlinePooler(const PoolOptions& opts, int64_t input_dim) : pooler_(opts, input_dim) {}

  void AcceptFrames(const FloatArray& frames) {
    const int64_t dim = pooler_.InputDim();
    MatrixView view{frames.data(), 0, dim};
    if (frames.ndim() == 1 && frames.shape(0) == dim) {
      view.rows = 1;
    } else if (frames.ndim() == 2 && frames.shape(1) == dim) {
      view.rows = frames.shape(0);
    } else {
      std::string shape;
      for (py::ssize_t i = 0; i < frames.ndim(); ++i) {
        shape += (i ? ", " : "") + std::to_string(frames.shape(i));
      }
      throw Error("accept_frames() takes [frames, " + std::to_string(dim) + "] or one frame of " +
                  std::to_string(dim) + ", got shape (" + shape + ")");
    }
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex_);
    pooler_.AcceptFrames(view);
  }
  void InputFinished() {
    py::gil_scoped_release release;
    std::lock_guard<std::mutex> lock(mutex_);
    pooler_.InputFinished();
  }
  template <typename F>
  auto Locked(F f) {
    std::lock_guard<std::mutex> lock(mutex_);
    return f(pooler_);
  }
  // Rows [start, end) (default: every unreleased row), copied; with
  // return_indices, (rows, indices).
  py::object GetRows(std::optional<int64_t> start, std::optional<int64_t> end) {
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t first = start.value_or(pooler_.FirstAvailableRow());
    const int64_t last = end.value_or(pooler_.NumRowsReady());
    if (first < pooler_.FirstAvailableRow() || last > pooler_.NumRowsReady() || first > last) {
      throw Error("rows [" + std::to_string(first) + ", " + std::to_string(last) +
                  ") are not available (available: [" +
                  std::to_string(pooler_.FirstAvailableRow()) + ", " +
                  std::to_string(pooler_.NumRowsReady()) + "))");
    }
    return CopyRows(first, last);
  }
  py::object TakeRows() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (pooler_.options().return_indices) {
      py::object rows = CopyRows(pooler_.FirstAvailableRow(), pooler_.NumRowsReady());
      pooler_.ReleaseRowsBefore(pooler_.NumRowsReady());
      return rows;
    }
    Matrix rows = pooler_.TakeRows();
    if (rows.rows() == 0) rows = Matrix(0, pooler_.Dim());
    return ToArray(std::move(rows));
  }
  py::object RunningStats() {
    std::lock_guard<std::mutex> lock(mutex_);
    py::array_t<float> out(2 * pooler_.InputDim());
    if (!pooler_.RunningStats(out.mutable_data())) return py::none();
    return std::move(out);
  }

 private:
  py::object CopyRows(int64_t first, int64_t last) {
    const int64_t dim = pooler_.Dim();
    py::array_t<float> rows(std::vector<py::ssize_t>{last - first, dim});
    float* out = rows.mutable_data();
    for (int64_t r = first; r < last; ++r, out += dim) {
      std::copy(pooler_.Row(r), pooler_.Row(r) + dim, out);
    }
    if (!pooler_.options().return_indices) return std::move(rows);
    py::array_t<int64_t> indices(std::vector<py::ssize_t>{last - first, dim});
    int64_t* index = indices.mutable_data();
    for (int64_t r = first; r < last; ++r, index += dim) {
      std::copy(pooler_.RowIndices(r), pooler_.RowIndices(r) + dim, index);
    }
    return py::make_tuple(rows, indices);
  }

  std::mutex mutex_;
  OnlinePooler pooler_;
};

void BindPool(py::module_& m) {
  m.def("pool", &Pool, R"(Pools a [time, freq] matrix exactly as PyTorch does.

Returns float32 [T', F'] equal to torch.nn.functional.<op>(x[None, None],
...)[0, 0] for a float32 x, and with return_indices=True also int64 indices
(flat t * F + f into the input), as max_pool2d / adaptive_max_pool2d give.

mode: 'max' (max_pool2d), 'avg' (avg_pool2d), 'lp' (lp_pool2d, p = norm_type),
'adaptive-max' / 'adaptive-avg' (output_size; None on an axis keeps it),
'stats' (per-column mean then population std over time, [1, 2F]) or 'stack'
(FunASR low-frame-rate stacking of stack_frames frames every stack_stride).
kernel, stride, padding, dilation, output_size: an int or a (time, freq)
pair, as torch takes them; kernel=None means (2, 2) for max, avg and lp,
stride=None means the kernel. Options a mode does not take must keep their
defaults, and everything torch rejects raises featpool.Error (a ValueError).
max, stack and adaptive-max copy input values (bit-identical to torch); avg,
lp and adaptive-avg sum in double. The GIL is released while pooling.)",
        py::arg("matrix"), py::arg("mode") = "max", py::kw_only(), py::arg("kernel") = py::none(),
        py::arg("stride") = py::none(), py::arg("padding") = py::make_tuple(0, 0),
        py::arg("dilation") = py::make_tuple(1, 1), py::arg("ceil_mode") = false,
        py::arg("count_include_pad") = true, py::arg("divisor_override") = py::none(),
        py::arg("norm_type") = 2.0, py::arg("output_size") = py::none(),
        py::arg("return_indices") = false, py::arg("stack_frames") = 7,
        py::arg("stack_stride") = 6);

  py::class_<PyOnlinePooler>(m, "OnlinePooler", R"(
Streaming pooling over time: frames go in as they arrive (accept_frames) and
each pooled row is ready as soon as every frame under its window has arrived;
rows clipped by the end (padding, ceil_mode) and stacking's last rows come
with input_finished(). Bit-identical to pool() on the whole matrix. Modes max,
avg, lp and stack stream; stats gives its row at input_finished() and a
running result (running_stats()) at any time; the adaptive modes need the
whole input and raise featpool.Error. Keywords as pool().

Latency: row r needs frames [0, frames_needed_for_row(r)); frame_lag is how
many frames a row waits past its first stride frame.

One object per stream; calls on it are serialised and release the GIL.

    ex = featpool.OnlineExtractor("fbank", num_mel_bins=40)
    pooler = featpool.OnlinePooler(ex.dim, "max", kernel=(2, 2))
    for chunk in chunks:
        ex.accept_waveform(16000, chunk)
        pooler.accept_frames(ex.take_frames())
        rows = pooler.take_rows()
)")
      .def(py::init([](int64_t input_dim, const std::string& mode, const py::object& kernel,
                       const py::object& stride, const py::object& padding,
                       const py::object& dilation, bool ceil_mode, bool count_include_pad,
                       std::optional<int64_t> divisor_override, double norm_type,
                       bool return_indices, int64_t stack_frames, int64_t stack_stride) {
             const PoolMode parsed = ParsePoolMode(mode);
             if (parsed == PoolMode::kAdaptiveMax || parsed == PoolMode::kAdaptiveAvg) {
               // Before option checks, which would ask for an output_size.
               throw Error("mode=" + mode +
                           " cannot stream: adaptive pooling needs the whole input's length "
                           "(use pool())");
             }
             const PoolOptions opts =
                 MakePoolOptions(mode, kernel, stride, padding, dilation, ceil_mode,
                                 count_include_pad, divisor_override, norm_type, py::none(),
                                 return_indices, stack_frames, stack_stride);
             return std::make_unique<PyOnlinePooler>(opts, input_dim);
           }),
           py::arg("input_dim"), py::arg("mode") = "max", py::kw_only(),
           py::arg("kernel") = py::none(), py::arg("stride") = py::none(),
           py::arg("padding") = py::make_tuple(0, 0), py::arg("dilation") = py::make_tuple(1, 1),
           py::arg("ceil_mode") = false, py::arg("count_include_pad") = true,
           py::arg("divisor_override") = py::none(), py::arg("norm_type") = 2.0,
           py::arg("return_indices") = false, py::arg("stack_frames") = 7,
           py::arg("stack_stride") = 6)
      .def("accept_frames", &PyOnlinePooler::AcceptFrames, py::arg("frames"),
           "Appends frames [n, input_dim] (or one frame [input_dim]).")
      .def("input_finished", &PyOnlinePooler::InputFinished,
           "Ends the stream and produces the remaining rows.")
      .def_property_readonly(
          "num_rows_ready",
          [](PyOnlinePooler& p) { return p.Locked([](auto& x) { return x.NumRowsReady(); }); })
      .def_property_readonly(
          "first_available_row",
          [](PyOnlinePooler& p) { return p.Locked([](auto& x) { return x.FirstAvailableRow(); }); })
      .def_property_readonly(
          "num_frames_accepted",
          [](PyOnlinePooler& p) { return p.Locked([](auto& x) { return x.NumFramesAccepted(); }); })
      .def_property_readonly(
          "is_finished",
          [](PyOnlinePooler& p) { return p.Locked([](auto& x) { return x.IsFinished(); }); })
      .def_property_readonly(
          "input_dim",
          [](PyOnlinePooler& p) { return p.Locked([](auto& x) { return x.InputDim(); }); })
      .def_property_readonly(
          "dim", [](PyOnlinePooler& p) { return p.Locked([](auto& x) { return x.Dim(); }); },
          "Columns of a pooled row.")
      .def_property_readonly(
          "frame_lag",
          [](PyOnlinePooler& p) { return p.Locked([](auto& x) { return x.FrameLag(); }); },
          "Frames a row waits past its first stride frame (-1 for stats).")
      .def(
          "frames_needed_for_row",
          [](PyOnlinePooler& p, int64_t row) {
            return p.Locked([row](auto& x) { return x.FramesNeededForRow(row); });
          },
          py::arg("row"), "Frames that must have arrived before `row` is ready (-1 for stats).")
      .def("get_rows", &PyOnlinePooler::GetRows, py::arg("start") = py::none(),
           py::arg("end") = py::none(),
           "A copy of ready rows [start, end) (default: every unreleased row); with "
           "return_indices, (rows, indices).")
      .def("take_rows", &PyOnlinePooler::TakeRows,
           "Every ready, unreleased row, which is then released; with return_indices, "
           "(rows, indices).")
      .def(
          "release_rows_before",
          [](PyOnlinePooler& p, int64_t row) {
            p.Locked([row](auto& x) {
              x.ReleaseRowsBefore(row);
              return 0;
            });
          },
          py::arg("row"))
      .def("running_stats", &PyOnlinePooler::RunningStats,
           "stats mode: mean and standard deviation over the frames so far (2 * input_dim), "
           "None before the first frame.");
}

void BindAudio(py::module_& m) {
  m.def(
      "read_audio",
      [](const std::string& path, std::optional<float> sample_rate, int32_t channel) {
        AudioReadOptions opts;
        opts.target_sample_rate = sample_rate.value_or(0.0f);
        opts.channel = channel;
        std::vector<float> samples;
        float rate = 0;
        std::string warning;
        {
          py::gil_scoped_release release;
          AudioSource source(path, opts);
          warning = source.warning();
          rate = source.sample_rate();
          samples.resize(static_cast<size_t>(std::max<int64_t>(source.ExpectedSamples(), 0)));
          int64_t n = 0;
          for (;;) {
            if (n == static_cast<int64_t>(samples.size())) samples.resize(samples.size() + 8192);
            const int64_t got =
                source.Read(samples.data() + n, static_cast<int64_t>(samples.size()) - n);
            if (got == 0) break;
            n += got;
          }
          samples.resize(static_cast<size_t>(n));
        }
        if (!warning.empty()) {
          if (PyErr_WarnEx(PyExc_UserWarning, PythonMessage(warning).c_str(), 1) != 0) {
            throw py::error_already_set();
          }
        }
        py::object out_rate;
        if (rate == static_cast<float>(static_cast<int64_t>(rate))) {
          out_rate = py::int_(static_cast<int64_t>(rate));
        } else {
          out_rate = py::float_(rate);
        }
        return py::make_tuple(ToArray(std::move(samples)), out_rate);
      },
      R"(Reads an audio file (WAV, FLAC, OGG, ... through libsndfile).

Returns (samples, sample_rate): 1-D float32 on Kaldi's integer scale (a
full-scale sample is +-32768 whatever the bit depth) and the rate in Hz.
sample_rate=None keeps the file's rate; another value resamples (libsoxr).
channel: -1 the first channel (with a warning if there are several), N that
channel, featpool.MIX_CHANNELS the average of all channels.)",
      py::arg("path"), py::arg("sample_rate") = py::none(), py::arg("channel") = -1);
  m.attr("MIX_CHANNELS") = AudioReadOptions::kMixChannels;
}

// featpool.plot(): the picture of `featpool plot` from arrays.
void BindPlot(py::module_& m) {
  m.def(
      "plot",
      [](const std::string& path, const FloatArray& features, std::optional<FloatArray> samples,
         float sample_rate, const std::string& feature, float frame_length, float frame_shift,
         bool snip_edges, std::optional<FloatArray> pooled, const std::string& cmap, int32_t width,
         int32_t height, double start, double duration, std::optional<std::string> title) {
        auto shape = [](const FloatArray& a) {
          return std::to_string(a.shape(0)) + " \u00d7 " + std::to_string(a.shape(1));
        };
        if (features.ndim() != 2 || features.shape(0) == 0 || features.shape(1) == 0) {
          throw Error("features must be a non-empty 2-D [frames, dims] array");
        }
        if (pooled && (pooled->ndim() != 2 || pooled->shape(0) == 0 || pooled->shape(1) == 0)) {
          throw Error("pooled must be a non-empty 2-D [rows, dims] array");
        }
        PlotOptions opts;
        opts.width = width;
        opts.height = height;
        opts.cmap = ParseColormap(cmap);
        opts.start_s = start;
        opts.duration_s = duration;
        FrameExtractionOptions frame;
        frame.samp_freq = sample_rate;
        frame.frame_length_ms = frame_length;
        frame.frame_shift_ms = frame_shift;
        frame.snip_edges = snip_edges;
        frame.Validate();
        PlotInput in;
        in.features = {features.data(), features.shape(0), features.shape(1)};
        in.features_grid = FrameGrid(frame);
        // The command's names and axes (tools/featpool/plot.cc), so that the
        // same features give the same picture.
        const std::string dims = std::to_string(features.shape(1));
        std::string name = "features";
        if (feature == "spectrogram") {
          in.features_grid.y_step = sample_rate / frame.PaddedWindowSize() / 1000.0;
          in.features_grid.y_label = "frequency (kHz)";
          name = "spectrogram, " + dims + " bins";
        } else if (feature == "fbank") {
          in.features_grid.y_label = "mel bin";
          name = "fbank, " + dims + " mel bins";
        } else if (feature == "mfcc") {
          in.features_grid.y_label = "cepstral coefficient";
          name = "mfcc, " + dims + " cepstra";
        } else if (!feature.empty()) {
          throw Error("invalid --feature=" + feature + " (fbank, mfcc, spectrogram or '')");
        }
        in.features_label = name + ": " + shape(features);
        std::string default_title = in.features_label;
        Samples wave;
        if (samples) {
          wave = GetSamples(*samples, -1);
          in.samples = wave.data;
          in.num_samples = wave.count;
          in.sample_rate = sample_rate;
        }
        if (pooled) {
          in.pooled = {pooled->data(), pooled->shape(0), pooled->shape(1)};
          // Without the pooling options, rows and columns are spread evenly
          // over the features' (as adaptive pooling places them).
          PoolOptions spread;
          spread.mode = PoolMode::kAdaptiveAvg;
          in.pooled_grid = PooledGrid(spread, in.features_grid, in.features.rows, in.features.cols,
                                      in.pooled.rows, in.pooled.cols);
          in.pooled_label = "pooled: " + shape(*pooled);
          default_title += " \u2192 " + shape(*pooled);
        }
        opts.title = title.value_or(default_title);
        py::gil_scoped_release release;
        WritePlotPng(path, in, opts);
      },
      R"(Writes the picture of `featpool plot` as a PNG: the waveform (if
`samples` is given, Kaldi's integer scale as read_audio() returns it), the
features as a heat map (time on x, low dimensions at the bottom) and the
pooled features (if given) on the same time axis, each with a colour bar.

features: [frames, dims] as fbank(), mfcc() or spectrogram() return them,
framed with sample_rate, frame_length, frame_shift and snip_edges (for
their times); feature ('fbank', 'mfcc', 'spectrogram' or '') names the y
axis (spectrogram: kHz). pooled: [rows, dims], spread evenly over the
features' time and dimension axes. A pixel column covering several frames
shows their maximum. cmap: 'viridis', 'magma' or 'gray'; start and duration
(seconds; 0 = to the end) zoom in. Bad values raise featpool.Error.)",
      py::arg("path"), py::arg("features"), py::kw_only(), py::arg("samples") = py::none(),
      py::arg("sample_rate") = 16000.0, py::arg("feature") = "", py::arg("frame_length") = 25.0,
      py::arg("frame_shift") = 10.0, py::arg("snip_edges") = true, py::arg("pooled") = py::none(),
      py::arg("cmap") = "viridis", py::arg("width") = 1600, py::arg("height") = 0,
      py::arg("start") = 0.0, py::arg("duration") = 0.0, py::arg("title") = py::none());
}

}  // namespace
}  // namespace featpool

PYBIND11_MODULE(featpool, m) {
  using namespace featpool;
  m.doc() = "Kaldi-exact fbank / MFCC / spectrogram features and PyTorch-exact pooling.";

  static py::exception<Error> error(m, "Error", PyExc_ValueError);
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      error(PythonMessage(e.what()).c_str());
    }
  });

  m.def("version", &version, "featpool's semantic version, MAJOR.MINOR.PATCH.");
  m.attr("__version__") = version();
  BindFeatures(m);
  BindAudio(m);
  BindPool(m);
  BindPlot(m);
}
