// Streaming objects: features of samples arriving in chunks
// (OnlineExtractor) and pooling of frames arriving in chunks
// (OnlinePooler), both bit-identical to the offline functions. The Python
// layer subclasses them to give their constructors the tables' keywords
// and to pickle their configuration.

#include <algorithm>
#include <mutex>
#include <string>
#include <vector>

#include "binding.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-registry.h"
#include "featpool/online-feature.h"
#include "featpool/online-pooler.h"

namespace featpool {
namespace python {
namespace {

class PyOnlineExtractor {
 public:
  PyOnlineExtractor(const std::string& name, const FeatureOptions& opts, float scale,
                    bool check_scale)
      : name_(name), scale_(scale), check_scale_(check_scale), extractor_(opts) {}

  void AcceptWaveform(float sample_rate, const FloatArray& array) {
    if (array.ndim() != 1) throw Error("accept_waveform() takes 1-D samples");
    Samples s = GetSamples(array, std::nullopt, name_ + "_batch", "samples");
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mutex_);
      PrepareSamples(&s, scale_, "samples");
      const int32_t before = extractor_.NumFramesReady();
      extractor_.AcceptWaveform(sample_rate, s.data, s.count);
      CheckNewFrames(before);
    }
    max_abs_ = std::max(max_abs_, s.max_abs);
    // A quiet chunk of int16 audio can be within [-1, 1]: decide on the
    // first second of the stream (or all of it, if shorter).
    if (extractor_.NumSamplesAccepted() >= extractor_.frame_options().samp_freq) CheckScale();
  }
  void InputFinished() {
    {
      py::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(mutex_);
      const int32_t before = extractor_.NumFramesReady();
      extractor_.InputFinished();
      CheckNewFrames(before);
    }
    CheckScale();
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

  // Warns (once per process) if the stream's first second looks unit-scale.
  void CheckScale() {
    if (!check_scale_) return;
    check_scale_ = false;
    if (max_abs_ > 0.0f && max_abs_ <= 1.0f) WarnUnitScale(name_);
  }

  std::string name_;
  float scale_;
  bool check_scale_;
  float max_abs_ = 0.0f;
  std::mutex mutex_;
  OnlineExtractor extractor_;
};

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

}  // namespace

void BindStreaming(py::module_& m) {
  py::class_<PyOnlineExtractor>(m, "_OnlineExtractor", R"(
Streaming features of any registered type: feed samples in chunks of any
size and take frames as soon as they are ready. The frames are
bit-identical to the offline function on the concatenated input.

One object per stream. Its methods release the GIL and are serialised by a
lock, so sharing one object between threads is safe but pointless.

    ex = featpool.OnlineExtractor("fbank", num_mel_bins=80)
    for chunk in chunks:
        ex.accept_waveform(16000, chunk)
        rows = ex.take_frames()
    ex.input_finished()
    rows = ex.take_frames()
)")
      .def(py::init([](const std::string& feature, const py::dict& options, float scale,
                       bool check_scale) {
             return std::make_unique<PyOnlineExtractor>(
                 feature, FeatureOptionsFrom(feature, options), scale, check_scale);
           }),
           py::arg("feature"), py::arg("options"), py::arg("scale"), py::arg("check_scale"))
      .def("accept_waveform", &PyOnlineExtractor::AcceptWaveform, py::arg("sample_rate"),
           py::arg("samples"),
           "Appends 1-D samples (on the scale given as sample_scale, default the feature's); "
           "sample_rate must be the configured one.")
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

  py::class_<PyOnlinePooler>(m, "_OnlinePooler", R"(
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
      .def(py::init([](int64_t input_dim, const py::dict& options) {
             if (options.contains("mode")) {
               const py::object mode = options["mode"];
               if (py::isinstance<py::str>(mode)) {
                 const PoolMode parsed = ParsePoolMode(mode.cast<std::string>());
                 if (parsed == PoolMode::kAdaptiveMax || parsed == PoolMode::kAdaptiveAvg) {
                   // Before option checks, which would ask for an output_size.
                   throw Error("mode=" + mode.cast<std::string>() +
                               " cannot stream: adaptive pooling needs the whole input's "
                               "length (use pool())");
                 }
               }
             }
             return std::make_unique<PyOnlinePooler>(PoolOptionsFrom(options), input_dim);
           }),
           py::arg("input_dim"), py::arg("options"))
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

}  // namespace python
}  // namespace featpool
