// Streaming objects: features of samples arriving in chunks, then the
// stages after them in streaming mode (OnlineExtractor), and pooling of
// frames arriving in chunks (OnlinePooler), both bit-identical to the
// offline functions. The Python
// layer subclasses them to give their constructors the tables' keywords
// and to pickle their configuration.

#include <algorithm>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "binding.h"
#include "featpool/error.h"
#include "featpool/extract-file.h"
#include "featpool/feature-registry.h"
#include "featpool/online-feature.h"
#include "featpool/online-pooler.h"
#include "featpool/stage.h"

namespace featpool {
namespace python {
namespace {

// The features, then (if any stage is on) the stage chain in streaming
// mode: its rows are the object's frames. Without a chain the frames are
// the extractor's own.
class PyOnlineExtractor {
 public:
  PyOnlineExtractor(const std::string& name, const FeatureOptions& opts, float scale,
                    bool check_scale, std::shared_ptr<const StageChain> chain)
      : name_(name), scale_(scale), check_scale_(check_scale), extractor_(opts) {
    if (chain) chain_ = std::make_unique<OnlineStageChain>(std::move(chain), true);
  }

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
      FeedChain();
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
      FeedChain();
      if (chain_) chain_->InputFinished();
    }
    CheckScale();
  }
  template <typename F>
  auto Locked(F f) {
    std::lock_guard<std::mutex> lock(mutex_);
    return f(*this);
  }

  // The rows the object hands out: the chain's, or the extractor's frames.
  int64_t NumReady() const {
    return chain_ ? chain_->NumRowsReady() : extractor_.NumFramesReady();
  }
  int64_t FirstAvailable() const {
    return chain_ ? chain_->FirstAvailableRow() : extractor_.FirstAvailableFrame();
  }
  int64_t Dim() const { return chain_ ? chain_->Dim() : extractor_.Dim(); }
  bool IsFinished() const { return extractor_.IsFinished(); }
  int64_t NumSamplesAccepted() const { return extractor_.NumSamplesAccepted(); }
  double FrameShiftSeconds() const {
    return static_cast<double>(extractor_.frame_options().WindowShift()) /
           extractor_.frame_options().samp_freq;
  }
  void ReleaseBefore(int64_t row) {
    if (chain_) {
      chain_->ReleaseRowsBefore(row);
    } else {
      extractor_.ReleaseFramesBefore(static_cast<int32_t>(
          std::min<int64_t>(row, std::numeric_limits<int32_t>::max())));
    }
  }
  // Feature frames that must have been computed before row `row` is ready
  // (the chain's composed latency; row + 1 without one); -1 if it comes
  // only with input_finished().
  int64_t FeatureFramesNeeded(int64_t row) const {
    if (row < 0) throw Error("frame " + std::to_string(row) + " is negative");
    return chain_ ? chain_->FramesNeededForRow(row) : row + 1;
  }
  int64_t SamplesNeeded(int64_t row) const {
    const int64_t frames = FeatureFramesNeeded(row);
    if (frames <= 0) return frames;
    if (frames - 1 > std::numeric_limits<int32_t>::max()) {
      throw Error("frame " + std::to_string(row) + " is out of range");
    }
    return extractor_.SamplesNeededForFrame(static_cast<int32_t>(frames - 1));
  }
  std::vector<std::string> Stages() const {
    return chain_ ? chain_->chain().Order() : std::vector<std::string>();
  }

  py::array_t<float> GetFrame(int64_t frame) {
    std::lock_guard<std::mutex> lock(mutex_);
    CheckAvailable(frame, frame + 1);
    py::array_t<float> out(Dim());
    const float* row = Row(frame);
    std::copy(row, row + Dim(), out.mutable_data());
    return out;
  }
  py::array_t<float> GetFrames(std::optional<int64_t> start, std::optional<int64_t> end) {
    std::lock_guard<std::mutex> lock(mutex_);
    const int64_t first = start.value_or(FirstAvailable());
    const int64_t last = end.value_or(NumReady());
    CheckAvailable(first, last);
    const int64_t dim = Dim();
    py::array_t<float> out(std::vector<py::ssize_t>{last - first, dim});
    if (last > first) {
      const float* begin = Row(first);
      std::copy(begin, begin + (last - first) * dim, out.mutable_data());
    }
    return out;
  }
  py::array_t<float> TakeFrames() {
    Matrix frames;
    int64_t dim;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      frames = chain_ ? chain_->TakeRows() : extractor_.TakeFrames();
      dim = Dim();
    }
    if (frames.rows() == 0) frames = Matrix(0, dim);
    return ToArray(std::move(frames));
  }

 private:
  // Rows [first, last) are ready and unreleased (both queues store them
  // contiguously).
  void CheckAvailable(int64_t first, int64_t last) const {
    if (first < FirstAvailable() || last > NumReady() || first > last) {
      throw Error("frames [" + std::to_string(first) + ", " + std::to_string(last) +
                  ") are not available (available: [" + std::to_string(FirstAvailable()) +
                  ", " + std::to_string(NumReady()) + "))");
    }
  }
  const float* Row(int64_t row) const {
    return chain_ ? chain_->Row(row) : extractor_.Frame(static_cast<int32_t>(row));
  }

  // The extractor's new frames go through the chain and are released.
  void FeedChain() {
    if (!chain_) return;
    const MatrixView ready = extractor_.ReadyFrames();
    if (ready.rows > 0) chain_->AcceptFrames(ready);
    extractor_.ReleaseFramesBefore(extractor_.NumFramesReady());
  }

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
  std::unique_ptr<OnlineStageChain> chain_;
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
Streaming features of any registered type, and the stages after them
(CMVN, deltas, splicing, pooling), as featpool.extract() computes them: feed
samples in chunks of any size and take frames as soon as they are complete.
The frames are bit-identical to extract() (or the feature function) on the
concatenated input, whatever the chunking.

One object per stream. Its methods release the GIL and are serialised by a
lock, so sharing one object between threads is safe but pointless.

    ex = featpool.OnlineExtractor(preset="kaldi-fbank-80", cmvn="sliding")
    for chunk in chunks:
        ex.accept_waveform(16000, chunk)
        rows = ex.take_frames()
    ex.input_finished()
    rows = ex.take_frames()
)")
      .def(py::init([](const std::string& feature, const py::dict& options, float scale,
                       bool check_scale, const py::object& stages, const py::object& pool) {
             const FeatureOptions opts = FeatureOptionsFrom(feature, options);
             try {
               return std::make_unique<PyOnlineExtractor>(feature, opts, scale, check_scale,
                                                          ChainOf(opts, stages, pool));
             } catch (const OptionError& e) {
               // The pool stage's mode is extract()'s pool keyword.
               if (e.key() != "mode") throw;
               std::string reason = e.reason();
               for (size_t at; (at = reason.find("{mode}")) != std::string::npos;) {
                 reason.replace(at, 6, "{pool}");
               }
               throw OptionError("pool", e.value(), reason, e.context());
             }
           }),
           py::arg("feature"), py::arg("options"), py::arg("scale"), py::arg("check_scale"),
           py::arg("stages") = py::none(), py::arg("pool") = py::none())
      .def("accept_waveform", &PyOnlineExtractor::AcceptWaveform, py::arg("sample_rate"),
           py::arg("samples"),
           "Appends 1-D samples (on the scale given as sample_scale, default the feature's); "
           "sample_rate must be the configured one.")
      .def("input_finished", &PyOnlineExtractor::InputFinished,
           "Ends the stream; this makes the last frames ready (snip_edges=False, a centred "
           "STFT, the stages' look-ahead, pooling's last rows).")
      .def_property_readonly(
          "num_frames_ready",
          [](PyOnlineExtractor& e) { return e.Locked([](auto& x) { return x.NumReady(); }); },
          "Frames [0, num_frames_ready) have been computed (after the stages).")
      .def_property_readonly(
          "first_available_frame",
          [](PyOnlineExtractor& e) {
            return e.Locked([](auto& x) { return x.FirstAvailable(); });
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
          "Columns per frame (after the stages).")
      .def_property_readonly(
          "frame_shift_seconds",
          [](PyOnlineExtractor& e) {
            return e.Locked([](auto& x) { return x.FrameShiftSeconds(); });
          },
          "The features' frame shift (pooling's time stride multiplies it).")
      .def_property_readonly(
          "stages",
          [](PyOnlineExtractor& e) { return e.Locked([](auto& x) { return x.Stages(); }); },
          "The stages after the features, in running order (empty without any).")
      .def_property_readonly(
          "frame_lag",
          [](PyOnlineExtractor& e) {
            return e.Locked([](auto& x) {
              const int64_t n = x.FeatureFramesNeeded(0);
              return n < 0 ? n : n - 1;
            });
          },
          "Feature frames of look-ahead: frame 0 waits for feature frames [0, frame_lag + 1) "
          "(0 without stages; -1 if frames come only with input_finished(), statistics "
          "pooling).")
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
          [](PyOnlineExtractor& e, int64_t frame) {
            e.Locked([frame](auto& x) {
              x.ReleaseBefore(frame);
              return 0;
            });
          },
          py::arg("frame"), "Frees frames before `frame` (bounded memory on an endless stream).")
      .def(
          "feature_frames_needed",
          [](PyOnlineExtractor& e, int64_t frame) {
            return e.Locked([frame](auto& x) { return x.FeatureFramesNeeded(frame); });
          },
          py::arg("frame"),
          "How many feature frames (before the stages) must be computed before `frame` is "
          "ready without input_finished(), as the stage chain reports it (frame + 1 without "
          "stages; -1: only at the end).")
      .def(
          "samples_needed_for_frame",
          [](PyOnlineExtractor& e, int64_t frame) {
            return e.Locked([frame](auto& x) { return x.SamplesNeeded(frame); });
          },
          py::arg("frame"),
          "How many samples must have arrived before `frame` is ready (latency; -1: only at "
          "the end).");

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
