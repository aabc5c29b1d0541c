// Audio in: read_audio() (files through AudioSource) and the samples a
// feature function is given (NumPy arrays; the Python layer turns torch
// tensors, lists, paths and file objects into those).
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "binding.h"
#include "featpool/audio-source.h"
#include "featpool/error.h"

namespace featpool {
namespace python {
namespace {

// More rows than this is a batch, not a waveform's channels.
constexpr int64_t kMaxChannels = 8;

std::string ChannelList() { return "-1 (the first), a channel number or featpool.MIX_CHANNELS"; }

}  // namespace

Samples GetSamples(const FloatArray& array, std::optional<int32_t> channel,
                   const std::string& batch_name, const std::string& source) {
  // As the command's --channel: -1, N >= 0 or mix.
  if (channel && *channel < -1 && *channel != AudioReadOptions::kMixChannels) {
    throw Error("invalid channel='" + std::to_string(*channel) + "': expected " + ChannelList());
  }
  Samples s;
  s.array = array;
  if (array.ndim() == 1) {
    s.data = array.data();
    s.count = array.shape(0);
    return s;
  }
  if (array.ndim() != 2) {
    throw Error(source + " must be 1-D [samples] or 2-D [channels, samples], not " +
                std::to_string(array.ndim()) + "-D");
  }
  const int64_t channels = array.shape(0);
  s.count = array.shape(1);
  if (channels > kMaxChannels) {
    std::string function = batch_name;  // a Python name: "whisper-mel" -> whisper_mel
    std::replace(function.begin(), function.end(), '-', '_');
    throw Error(source + " has shape (" + std::to_string(channels) + ", " +
                std::to_string(s.count) + "): more rows than a waveform has channels (" +
                std::to_string(kMaxChannels) + "); for a batch of waveforms call featpool." +
                function + "(), for [samples, channels] pass its transpose");
  }
  if (channels > 1 && !channel) {
    throw Error(source + " has " + std::to_string(channels) +
                " channels: choose one with channel=N or mix them with "
                "channel=featpool.MIX_CHANNELS");
  }
  if (channel && *channel == AudioReadOptions::kMixChannels && channels > 1) {
    // As AudioSource mixes: a float sum over the channels, divided once.
    s.copied.resize(static_cast<size_t>(s.count));
    for (int64_t i = 0; i < s.count; ++i) {
      float sum = 0.0f;
      for (int64_t c = 0; c < channels; ++c) sum += *array.data(c, i);
      s.copied[static_cast<size_t>(i)] = sum / static_cast<float>(channels);
    }
    s.data = s.copied.data();
    return s;
  }
  const int64_t c = !channel || *channel < 0 ? 0 : *channel;
  if (c >= channels) {
    throw Error("invalid channel=" + std::to_string(*channel) + ": the waveform has " +
                std::to_string(channels) + " channel(s)");
  }
  s.data = array.data(c, 0);
  return s;
}

void PrepareSamples(Samples* s, float scale, const std::string& source) {
  if (scale != 1.0f) {
    if (s->copied.empty()) s->copied.assign(s->data, s->data + s->count);
    for (float& x : s->copied) x *= scale;
    s->data = s->copied.data();
  }
  // max |x| over the samples and whether any is NaN or inf, four at a
  // time (the same maximum as a scalar loop: the lanes' maxima of exact
  // |x|); the first bad sample is then looked for one by one.
  const float* d = s->data;
  const int64_t n = s->count;
  float max_abs = 0.0f;
  bool bad = false;
  int64_t i = 0;
#if defined(__SSE2__)
  const __m128 sign = _mm_set1_ps(-0.0f);
  const __m128 largest = _mm_set1_ps(std::numeric_limits<float>::max());
  __m128 lanes_max = _mm_setzero_ps();
  __m128 lanes_bad = _mm_setzero_ps();
  for (; i + 4 <= n; i += 4) {
    const __m128 a = _mm_andnot_ps(sign, _mm_loadu_ps(d + i));
    lanes_bad = _mm_or_ps(lanes_bad, _mm_cmpnle_ps(a, largest));  // inf, or NaN (unordered)
    lanes_max = _mm_max_ps(lanes_max, a);
  }
  bad = _mm_movemask_ps(lanes_bad) != 0;
  float lanes[4];
  _mm_storeu_ps(lanes, lanes_max);
  for (const float m : lanes) max_abs = std::max(max_abs, m);
#endif
  for (; i < n; ++i) {
    bad = bad || !std::isfinite(d[i]);
    max_abs = std::max(max_abs, std::fabs(d[i]));
  }
  if (bad) {
    // As AudioSource rejects a file's NaN or inf sample, with its reason.
    for (int64_t k = 0; k < n; ++k) {
      if (!std::isfinite(d[k])) {
        throw Error(source + ": non-finite sample (NaN or inf) at sample " + std::to_string(k));
      }
    }
  }
  s->max_abs = max_abs;
}

void WarnUnitScale(const std::string& feature) {
  static std::atomic<bool> warned{false};
  if (warned.exchange(true)) return;
  const std::string text =
      "samples are within [-1, 1] but " + feature +
      " is computed on Kaldi's integer scale (a full-scale sample is 32768): pass "
      "sample_scale='unit' to scale them, or sample_scale='int16' if they are right as they are";
  if (PyErr_WarnEx(SampleScaleWarning(), text.c_str(), 2) != 0) throw py::error_already_set();
}

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

void BindAudio(py::module_& m) {
  // The Python layer's read_audio() turns paths and file objects into a
  // file name and scales the result.
  m.def(
      "_read_audio",
      [](const std::string& path, std::optional<float> sample_rate, int32_t channel) {
        if (channel < -1 && channel != AudioReadOptions::kMixChannels) {
          throw Error("invalid channel='" + std::to_string(channel) + "': expected " +
                      ChannelList());
        }
        AudioInfo info = ReadAudioInfo(path);
        if (channel >= info.channels) {
          throw Error("invalid channel=" + std::to_string(channel) + ": '" + path + "' has " +
                      std::to_string(info.channels) + " channel(s)");
        }
        AudioReadOptions opts;
        opts.target_sample_rate = sample_rate.value_or(0.0f);
        opts.channel = channel;
        std::vector<float> samples;
        float rate = 0;
        int32_t channels = 0;
        {
          py::gil_scoped_release release;
          AudioSource source(path, opts);
          rate = source.sample_rate();
          channels = source.info().channels;
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
        if (channel == -1 && channels > 1) {
          // AudioSource's note, in Python's words.
          const std::string text = "'" + path + "' has " + std::to_string(channels) +
                                   " channels; using channel 0 (choose with channel=N or "
                                   "channel=featpool.MIX_CHANNELS)";
          if (PyErr_WarnEx(PyExc_UserWarning, text.c_str(), 2) != 0) {
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
      py::arg("path"), py::arg("sample_rate") = py::none(), py::arg("channel") = -1);
  m.attr("MIX_CHANNELS") = AudioReadOptions::kMixChannels;
}

}  // namespace python
}  // namespace featpool
