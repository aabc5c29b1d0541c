// featpool.plot(): the picture of `featpool plot` from arrays.

#include "featpool/plot.h"

#include <string>

#include "binding.h"
#include "featpool/error.h"
#include "featpool/frame-extractor.h"
#include "featpool/pooler.h"

namespace featpool {
namespace python {

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
          throw OptionError("feature", feature,
                            "expected fbank, mfcc, spectrogram or '' (the y axis)");
        }
        in.features_label = name + ": " + shape(features);
        std::string default_title = in.features_label;
        Samples wave;
        if (samples) {
          wave = GetSamples(*samples, std::nullopt, "plot", "samples");
          PrepareSamples(&wave, 1.0f, "samples");
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

}  // namespace python
}  // namespace featpool
