// featpool.plot(): the picture of `featpool plot`. Given samples (and no
// features) it is the command's own renderer (FeaturePlot: features, then
// the stages, the last panel what extract writes), so the PNG is the
// command's byte for byte; given a features matrix, that matrix is drawn on
// the grid of the feature type's framer.

#include "featpool/plot.h"

#include <string>

#include "binding.h"
#include "featpool/error.h"
#include "featpool/feature-computer.h"
#include "featpool/feature-registry.h"
#include "featpool/pooler.h"

namespace featpool {
namespace python {
namespace {

std::string ShapeText(const FloatArray& a) {
  return std::to_string(a.shape(0)) + " \u00d7 " + std::to_string(a.shape(1));
}

// The picture of a features matrix (and optionally its samples and a pooled
// matrix): `feature` "" draws a generic dimension axis.
void PlotArrays(const std::string& path, const FloatArray& features,
                const std::optional<FloatArray>& samples, const std::string& feature,
                const FeatureOptions& opts, const std::optional<FloatArray>& pooled,
                const std::optional<PoolOptions>& pool, float scale,
                std::optional<int32_t> channel, PlotOptions plot,
                const std::optional<std::string>& title) {
  if (features.ndim() != 2 || features.shape(0) == 0 || features.shape(1) == 0) {
    throw Error("features must be a non-empty 2-D [frames, dims] array");
  }
  if (pooled && (pooled->ndim() != 2 || pooled->shape(0) == 0 || pooled->shape(1) == 0)) {
    throw Error("pooled must be a non-empty 2-D [rows, dims] array");
  }
  PlotInput in;
  in.features = {features.data(), features.shape(0), features.shape(1)};
  std::string name;
  in.features_grid = FeatureGrid(opts, features.shape(1), &name);
  // A matrix of other options than the keywords say (fbank of 40 bins
  // drawn with feature='fbank' alone): its own column count in the name
  // ("fbank, 23 mel bins" -> "fbank, 40 mel bins").
  const size_t comma = name.find(", ");
  if (comma != std::string::npos && MakeFeatureComputer(opts)->Dim() != features.shape(1)) {
    const size_t digits = name.find_first_not_of("0123456789", comma + 2);
    if (digits != std::string::npos && digits > comma + 2) {
      name = name.substr(0, comma + 2) + std::to_string(features.shape(1)) + name.substr(digits);
    }
  }
  if (feature.empty()) {
    name = "features";
    in.features_grid.y_first = 0.0;
    in.features_grid.y_step = 1.0;
    in.features_grid.y_label = "dimension";
  }
  in.features_label = name + ": " + ShapeText(features);
  std::string default_title = in.features_label;
  Samples wave;
  if (samples) {
    wave = GetSamples(*samples, channel, "extract_batch", "samples");
    PrepareSamples(&wave, scale, "samples");
    in.samples = wave.data;
    in.num_samples = wave.count;
    in.sample_rate = opts.frame_opts().samp_freq;
    in.full_scale = FullScaleSample(opts.type);
  }
  if (pooled) {
    in.pooled = {pooled->data(), pooled->shape(0), pooled->shape(1)};
    // Where the pooling options put its rows and columns (the shape must
    // be theirs); without them, spread evenly over the features' (as
    // adaptive pooling places them).
    PoolOptions spread;
    spread.mode = PoolMode::kAdaptiveAvg;
    const PoolOptions& placed = pool ? *pool : spread;
    if (pool) {
      const Pooler pooler(*pool);
      const auto shape = pooler.OutputShape(features.shape(0), features.shape(1));
      if (shape.time != pooled->shape(0) || shape.freq != pooled->shape(1)) {
        throw Error("pooled: " + ShapeText(*pooled) + ", but " + PoolDescription(*pool) +
                    " of " + ShapeText(features) + " gives " + std::to_string(shape.time) +
                    " \u00d7 " + std::to_string(shape.freq));
      }
    }
    in.pooled_grid = PooledGrid(placed, in.features_grid, in.features.rows, in.features.cols,
                                in.pooled.rows, in.pooled.cols);
    in.pooled_label = (pool ? PoolDescription(*pool) : std::string("pooled")) + ": " +
                      ShapeText(*pooled);
    default_title += " \u2192 " + ShapeText(*pooled);
  }
  plot.title = title.value_or(default_title);
  py::gil_scoped_release release;
  WritePlotPng(path, in, plot);
}

void Plot(const std::string& path, const std::optional<FloatArray>& features,
          const std::optional<FloatArray>& samples, const std::string& feature,
          const py::dict& values, const py::object& stages, const py::object& pool,
          const std::optional<FloatArray>& pooled, float scale, std::optional<int32_t> channel,
          const std::string& cmap, int32_t width, int32_t height, double start, double duration,
          const std::optional<std::string>& title) {
  const FeatureOptions opts = FeatureOptionsFrom(feature.empty() ? "fbank" : feature, values);
  PlotOptions plot;
  plot.width = width;
  plot.height = height;
  plot.cmap = ParseColormap(cmap);
  plot.start_s = start;
  plot.duration_s = duration;
  plot.Validate();
  if (features) {
    std::optional<PoolOptions> placed;
    if (!pool.is_none()) placed = PoolOptionsFrom(pool.cast<py::dict>());
    PlotArrays(path, *features, samples, feature, opts, pooled, placed, scale, channel, plot,
               title);
    return;
  }
  if (!samples) throw Error("plot() needs samples= (or a features matrix) to draw");
  if (pooled) throw Error("pooled= goes with a features matrix; with samples, give pool=MODE");
  StageOptions stage_opts = StageOptionsFrom(stages.is_none() ? py::dict() : stages.cast<py::dict>());
  if (!pool.is_none()) stage_opts.pool = PoolOptionsFrom(pool.cast<py::dict>());
  Samples s = GetSamples(*samples, channel, "extract_batch", "samples");
  plot.title = title.value_or("");
  FeaturePlot picture(opts, stage_opts, plot, s.count, "samples");
  py::gil_scoped_release release;
  PrepareSamples(&s, scale, "samples");
  picture.AcceptWaveform(s.data, s.count);
  picture.WritePng(path, "samples");
}

}  // namespace

void BindPlot(py::module_& m) {
  m.def("_plot", &Plot, py::arg("path"), py::arg("features"), py::arg("samples"),
        py::arg("feature"), py::arg("options"), py::arg("stages"), py::arg("pool"),
        py::arg("pooled"), py::arg("scale"), py::arg("channel"), py::arg("cmap"),
        py::arg("width"), py::arg("height"), py::arg("start"), py::arg("duration"),
        py::arg("title"));
}

}  // namespace python
}  // namespace featpool
